// Mesh helpers, writers and the PLY vertex reader. Loaders: mesh_obj.cc, mesh_assimp.cc.
#include "core/io/mesh.h"

#include <fmt/format.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <type_traits>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace fs = std::filesystem;

int Mesh::NumPolygons() const {
  if (triangle_polygon.empty()) return 0;
  return 1 + *std::max_element(triangle_polygon.begin(), triangle_polygon.end());
}

int Mesh::FindPart(const std::string& name) const {
  for (size_t i = 0; i < parts.size(); ++i)
    if (parts[i].name == name) return static_cast<int>(i);
  return -1;
}

int Mesh::FindBone(const std::string& name) const {
  for (size_t i = 0; i < bones.size(); ++i)
    if (bones[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<Eigen::Vector3f> ComputeVertexNormals(const std::vector<Eigen::Vector3f>& positions,
                                                  const std::vector<Eigen::Vector3i>& triangles) {
  // The cross product's length is twice the triangle's area: summing it weights by area.
  std::vector<Eigen::Vector3f> normals(positions.size(), Eigen::Vector3f::Zero());
  for (const auto& t : triangles) {
    const Eigen::Vector3f n =
        (positions[t[1]] - positions[t[0]]).cross(positions[t[2]] - positions[t[0]]);
    normals[t[0]] += n;
    normals[t[1]] += n;
    normals[t[2]] += n;
  }
  for (auto& n : normals) {
    const float length = n.norm();
    if (length > 0) n /= length;
  }
  return normals;
}

std::vector<Eigen::Vector2f> PerVertexUvs(const Mesh& mesh) {
  std::vector<Eigen::Vector2f> result(mesh.positions.size(), Eigen::Vector2f::Zero());
  if (!mesh.HasUvs()) return result;
  std::vector<char> set(mesh.positions.size(), 0);
  for (size_t t = 0; t < mesh.triangles.size(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int v = mesh.triangles[t][k], uv = mesh.triangle_uvs[t][k];
      if (uv >= 0 && !set[v]) {
        result[v] = mesh.uvs[uv];
        set[v] = 1;
      }
    }
  return result;
}

void ValidateMesh(const Mesh& mesh) {
  const std::string& name = mesh.source.empty() ? std::string("mesh") : mesh.source;
  const int nv = mesh.NumVertices(), nt = mesh.NumTriangles();
  auto fail = [&](const std::string& what) { throw MakeError("{}: invalid mesh: {}", name, what); };
  if (!mesh.normals.empty() && static_cast<int>(mesh.normals.size()) != nv)
    fail(fmt::format("{} normals for {} vertices", mesh.normals.size(), nv));
  if (!mesh.triangle_uvs.empty() && static_cast<int>(mesh.triangle_uvs.size()) != nt)
    fail(
        fmt::format("{} triangle UV index triples for {} triangles", mesh.triangle_uvs.size(), nt));
  if (static_cast<int>(mesh.triangle_part.size()) != nt)
    fail(fmt::format("{} triangle part ids for {} triangles", mesh.triangle_part.size(), nt));
  if (!mesh.triangle_polygon.empty() && static_cast<int>(mesh.triangle_polygon.size()) != nt)
    fail(fmt::format("{} triangle polygon ids for {} triangles", mesh.triangle_polygon.size(), nt));
  for (int t = 0; t < nt; ++t) {
    for (int k = 0; k < 3; ++k) {
      const int v = mesh.triangles[t][k];
      if (v < 0 || v >= nv) fail(fmt::format("triangle {} uses vertex {} of {}", t, v, nv));
      if (!mesh.triangle_uvs.empty()) {
        const int uv = mesh.triangle_uvs[t][k];
        if (uv < -1 || uv >= static_cast<int>(mesh.uvs.size()))
          fail(fmt::format("triangle {} uses UV {} of {}", t, uv, mesh.uvs.size()));
      }
    }
    const int part = mesh.triangle_part[t];
    if (part < 0 || part >= static_cast<int>(mesh.parts.size()))
      fail(fmt::format("triangle {} is in part {} of {}", t, part, mesh.parts.size()));
    if (t < mesh.parts[part].triangle_begin || t >= mesh.parts[part].triangle_end)
      fail(fmt::format("triangle {} lies outside the range of its part '{}'", t,
                       mesh.parts[part].name));
  }
  for (size_t i = 0; i < mesh.nodes.size(); ++i)
    if (mesh.nodes[i].parent >= static_cast<int>(i))
      fail(fmt::format("node '{}' comes before its parent", mesh.nodes[i].name));
  for (const auto& bone : mesh.bones) {
    if (bone.node >= static_cast<int>(mesh.nodes.size()))
      fail(fmt::format("bone '{}' refers to node {} of {}", bone.name, bone.node,
                       mesh.nodes.size()));
    if (bone.parent >= static_cast<int>(mesh.bones.size()))
      fail(fmt::format("bone '{}' has parent {} of {}", bone.name, bone.parent, mesh.bones.size()));
    for (const auto& w : bone.weights)
      if (w.vertex < 0 || w.vertex >= nv)
        fail(fmt::format("bone '{}' weights vertex {} of {}", bone.name, w.vertex, nv));
  }
  for (const auto& target : mesh.morph_targets) {
    if (static_cast<int>(target.position_deltas.size()) != nv)
      fail(fmt::format("morph target '{}' has {} deltas for {} vertices", target.name,
                       target.position_deltas.size(), nv));
    if (!target.normal_deltas.empty() && static_cast<int>(target.normal_deltas.size()) != nv)
      fail(fmt::format("morph target '{}' has {} normal deltas for {} vertices", target.name,
                       target.normal_deltas.size(), nv));
  }
}

std::vector<Eigen::Matrix4f> GlobalNodeTransforms(const Mesh& mesh) {
  std::vector<Eigen::Matrix4f> global(mesh.nodes.size());
  for (size_t i = 0; i < mesh.nodes.size(); ++i) {
    const int parent = mesh.nodes[i].parent;  // parents come first (ValidateMesh checks)
    global[i] =
        parent < 0 ? mesh.nodes[i].local : Eigen::Matrix4f(global[parent] * mesh.nodes[i].local);
  }
  return global;
}

std::vector<Eigen::Vector3f> SkinPositions(const Mesh& mesh,
                                           const std::vector<Eigen::Matrix4f>& node_globals) {
  if (node_globals.size() != mesh.nodes.size())
    throw MakeError("{}: SkinPositions got {} node transforms for {} nodes", mesh.source,
                    node_globals.size(), mesh.nodes.size());
  std::vector<Eigen::Vector3f> out(mesh.positions.size(), Eigen::Vector3f::Zero());
  std::vector<float> total(mesh.positions.size(), 0.0f);
  for (const auto& bone : mesh.bones) {
    // A bone without a node stays at its bind pose: its skinning matrix is the identity.
    const Eigen::Matrix4f skin = bone.node < 0
                                     ? Eigen::Matrix4f::Identity()
                                     : Eigen::Matrix4f(node_globals[bone.node] * bone.offset);
    const Eigen::Matrix3f linear = skin.topLeftCorner<3, 3>();
    const Eigen::Vector3f translation = skin.topRightCorner<3, 1>();
    for (const auto& w : bone.weights) {
      out[w.vertex] += w.weight * (linear * mesh.positions[w.vertex] + translation);
      total[w.vertex] += w.weight;
    }
  }
  for (size_t v = 0; v < out.size(); ++v)
    if (total[v] == 0.0f) out[v] = mesh.positions[v];
  return out;
}

std::vector<float> BoneWeightSums(const Mesh& mesh) {
  std::vector<float> sums(mesh.positions.size(), 0.0f);
  for (const auto& bone : mesh.bones)
    for (const auto& w : bone.weights) sums[w.vertex] += w.weight;
  return sums;
}

// ---------------------------------------------------------------------------------------------
// Writers.

namespace {

template <typename T>
void AppendBinary(std::string& out, T value) {
  // x86-64 and every platform we build for are little endian, which is what we declare.
  static_assert(std::is_trivially_copyable_v<T>);
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

// Shortest text that reads back to the same float.
void AppendFloat(std::string& out, float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void AppendInt(std::string& out, int value) {
  char buffer[16];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

}  // namespace

void WriteMeshPly(const fs::path& path, const Mesh& mesh, const PlyWriteOptions& options) {
  ValidateMesh(mesh);
  const bool normals = options.normals && !mesh.normals.empty();
  const bool uvs = options.uvs && mesh.HasUvs();
  const std::vector<Eigen::Vector2f> vertex_uvs =
      uvs ? PerVertexUvs(mesh) : std::vector<Eigen::Vector2f>{};
  std::string out = fmt::format(
      "ply\nformat {} 1.0\ncomment synface core/io; metres\nelement vertex {}\n"
      "property float x\nproperty float y\nproperty float z\n",
      options.binary ? "binary_little_endian" : "ascii", mesh.positions.size());
  if (normals) out += "property float nx\nproperty float ny\nproperty float nz\n";
  if (uvs) out += "property float s\nproperty float t\n";
  out += fmt::format("element face {}\nproperty list uchar int vertex_indices\nend_header\n",
                     mesh.triangles.size());
  out.reserve(out.size() + mesh.positions.size() * (options.binary ? 32 : 64) +
              mesh.triangles.size() * (options.binary ? 13 : 32));
  for (size_t v = 0; v < mesh.positions.size(); ++v) {
    float values[8];
    int count = 0;
    for (int k = 0; k < 3; ++k) values[count++] = mesh.positions[v][k];
    if (normals)
      for (int k = 0; k < 3; ++k) values[count++] = mesh.normals[v][k];
    if (uvs)
      for (int k = 0; k < 2; ++k) values[count++] = vertex_uvs[v][k];
    for (int i = 0; i < count; ++i) {
      if (options.binary) {
        AppendBinary(out, values[i]);
      } else {
        if (i) out += ' ';
        AppendFloat(out, values[i]);
      }
    }
    if (!options.binary) out += '\n';
  }
  for (const auto& t : mesh.triangles) {
    if (options.binary) {
      AppendBinary<uint8_t>(out, 3);
      for (int k = 0; k < 3; ++k) AppendBinary<int32_t>(out, t[k]);
    } else {
      out += '3';
      for (int k = 0; k < 3; ++k) {
        out += ' ';
        AppendInt(out, t[k]);
      }
      out += '\n';
    }
  }
  WriteFileAtomic(path, out);
}

void WriteMeshObj(const fs::path& path, const Mesh& mesh, const ObjWriteOptions& options) {
  ValidateMesh(mesh);
  const bool normals = options.normals && !mesh.normals.empty();
  const bool uvs = mesh.HasUvs();
  std::string out = "# synface core/io\n";
  out.reserve(mesh.positions.size() * 40 + mesh.uvs.size() * 24 + mesh.triangles.size() * 40);
  for (const auto& lib : mesh.material_libraries) out += "mtllib " + lib + "\n";
  const float scale = options.metres_to_file_units;
  for (const auto& p : mesh.positions) {
    out += 'v';
    for (int k = 0; k < 3; ++k) {
      out += ' ';
      AppendFloat(out, scale == 1.0f ? p[k] : p[k] * scale);
    }
    out += '\n';
  }
  if (uvs)
    for (const auto& uv : mesh.uvs) {
      out += "vt ";
      AppendFloat(out, uv[0]);
      out += ' ';
      AppendFloat(out, uv[1]);
      out += '\n';
    }
  if (normals)
    for (const auto& n : mesh.normals) {
      out += "vn";
      for (int k = 0; k < 3; ++k) {
        out += ' ';
        AppendFloat(out, n[k]);
      }
      out += '\n';
    }
  int current_part = -1;
  for (size_t t = 0; t < mesh.triangles.size(); ++t) {
    if (mesh.triangle_part[t] != current_part) {
      current_part = mesh.triangle_part[t];
      const MeshPart& part = mesh.parts[current_part];
      // Start a group per part so that parts sharing a material stay apart on reading.
      out += "g " + part.name + "\n";
      if (!part.material.empty()) out += "usemtl " + part.material + "\n";
    }
    out += 'f';
    for (int k = 0; k < 3; ++k) {
      out += ' ';
      AppendInt(out, mesh.triangles[t][k] + 1);
      const int uv = uvs ? mesh.triangle_uvs[t][k] : -1;
      if (uv >= 0 || normals) out += '/';
      if (uv >= 0) AppendInt(out, uv + 1);
      if (normals) {
        out += '/';
        AppendInt(out, mesh.triangles[t][k] + 1);
      }
    }
    out += '\n';
  }
  WriteFileAtomic(path, out);
}

void WritePointCloudPly(const fs::path& path, const std::vector<Eigen::Vector3f>& points,
                        const std::vector<Rgb8>& colors,
                        const std::vector<Eigen::Vector3f>& normals) {
  if (!colors.empty() && colors.size() != points.size())
    throw MakeError("{}: {} colours for {} points", path.string(), colors.size(), points.size());
  if (!normals.empty() && normals.size() != points.size())
    throw MakeError("{}: {} normals for {} points", path.string(), normals.size(), points.size());
  std::string out = fmt::format(
      "ply\nformat binary_little_endian 1.0\ncomment synface core/io; metres\n"
      "element vertex {}\nproperty float x\nproperty float y\nproperty float z\n",
      points.size());
  if (!colors.empty()) out += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  if (!normals.empty()) out += "property float nx\nproperty float ny\nproperty float nz\n";
  out += "end_header\n";
  const size_t record = 12 + (colors.empty() ? 0 : 3) + (normals.empty() ? 0 : 12);
  const size_t header = out.size();
  out.resize(header + record * points.size());
  char* p = out.data() + header;
  for (size_t i = 0; i < points.size(); ++i) {
    std::memcpy(p, points[i].data(), 12);
    p += 12;
    if (!colors.empty()) {
      std::memcpy(p, colors[i].data(), 3);
      p += 3;
    }
    if (!normals.empty()) {
      std::memcpy(p, normals[i].data(), 12);
      p += 12;
    }
  }
  WriteFileAtomic(path, out);
}

// ---------------------------------------------------------------------------------------------
// PLY reading (vertices only).

namespace {

enum class PlyType { kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kFloat32, kFloat64 };

int PlySize(PlyType t) {
  switch (t) {
    case PlyType::kInt8:
    case PlyType::kUint8:
      return 1;
    case PlyType::kInt16:
    case PlyType::kUint16:
      return 2;
    case PlyType::kInt32:
    case PlyType::kUint32:
    case PlyType::kFloat32:
      return 4;
    case PlyType::kFloat64:
      return 8;
  }
  return 0;
}

std::optional<PlyType> ParsePlyType(const std::string& name) {
  if (name == "char" || name == "int8") return PlyType::kInt8;
  if (name == "uchar" || name == "uint8") return PlyType::kUint8;
  if (name == "short" || name == "int16") return PlyType::kInt16;
  if (name == "ushort" || name == "uint16") return PlyType::kUint16;
  if (name == "int" || name == "int32") return PlyType::kInt32;
  if (name == "uint" || name == "uint32") return PlyType::kUint32;
  if (name == "float" || name == "float32") return PlyType::kFloat32;
  if (name == "double" || name == "float64") return PlyType::kFloat64;
  return std::nullopt;
}

struct PlyProperty {
  std::string name;
  PlyType type = PlyType::kFloat32;
  bool is_list = false;
  PlyType count_type = PlyType::kUint8;
};

struct PlyElement {
  std::string name;
  int64_t count = 0;
  std::vector<PlyProperty> properties;
};

// Reads one scalar of the file's format from `data` at `pos`; false at the end of the data.
class PlyValueReader {
 public:
  PlyValueReader(std::string_view data, size_t pos, int format)
      : data_(data), pos_(pos), format_(format) {}

  bool Read(PlyType type, double* value) {
    if (format_ == 0) return ReadAscii(value);
    const int size = PlySize(type);
    if (pos_ + size > data_.size()) return false;
    unsigned char bytes[8];
    std::memcpy(bytes, data_.data() + pos_, size);
    pos_ += size;
    if (format_ == 2) std::reverse(bytes, bytes + size);  // big endian on a little-endian host
    switch (type) {
      case PlyType::kInt8:
        *value = static_cast<int8_t>(bytes[0]);
        break;
      case PlyType::kUint8:
        *value = bytes[0];
        break;
      case PlyType::kInt16:
        *value = Load<int16_t>(bytes);
        break;
      case PlyType::kUint16:
        *value = Load<uint16_t>(bytes);
        break;
      case PlyType::kInt32:
        *value = Load<int32_t>(bytes);
        break;
      case PlyType::kUint32:
        *value = Load<uint32_t>(bytes);
        break;
      case PlyType::kFloat32:
        *value = Load<float>(bytes);
        break;
      case PlyType::kFloat64:
        *value = Load<double>(bytes);
        break;
    }
    return true;
  }

 private:
  template <typename T>
  static T Load(const unsigned char* bytes) {
    T v;
    std::memcpy(&v, bytes, sizeof(T));
    return v;
  }

  bool ReadAscii(double* value) {
    while (pos_ < data_.size() && std::isspace(static_cast<unsigned char>(data_[pos_]))) ++pos_;
    if (pos_ >= data_.size()) return false;
    const char* begin = data_.data() + pos_;
    if (*begin == '+') ++begin;
    const auto result = std::from_chars(begin, data_.data() + data_.size(), *value);
    if (result.ec != std::errc()) return false;
    pos_ = result.ptr - data_.data();
    return true;
  }

  std::string_view data_;
  size_t pos_;
  int format_;  // 0 ascii, 1 binary little endian, 2 binary big endian
};

}  // namespace

PointCloud ReadPlyVertices(const fs::path& path) {
  const std::string data = ReadFile(path);
  const std::string name = path.string();
  if (data.compare(0, 4, "ply\n") != 0 && data.compare(0, 5, "ply\r\n") != 0)
    throw MakeError("{}: not a PLY file (no 'ply' magic line)", name);
  const size_t end_header = data.find("end_header");
  if (end_header == std::string::npos) throw MakeError("{}: PLY header has no end_header", name);
  size_t body = data.find('\n', end_header);
  if (body == std::string::npos) throw MakeError("{}: PLY header is not terminated", name);
  ++body;

  int format = -1;
  std::vector<PlyElement> elements;
  std::istringstream header(data.substr(0, end_header));
  std::string line;
  int line_number = 0;
  while (std::getline(header, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream words(line);
    std::string keyword;
    words >> keyword;
    if (keyword == "format") {
      std::string kind;
      words >> kind;
      if (kind == "ascii")
        format = 0;
      else if (kind == "binary_little_endian")
        format = 1;
      else if (kind == "binary_big_endian")
        format = 2;
      else
        throw MakeError("{}:{}: unknown PLY format '{}'", name, line_number, kind);
    } else if (keyword == "element") {
      PlyElement element;
      words >> element.name >> element.count;
      if (!words || element.count < 0)
        throw MakeError("{}:{}: malformed element line '{}'", name, line_number, line);
      elements.push_back(element);
    } else if (keyword == "property") {
      if (elements.empty())
        throw MakeError("{}:{}: property before any element", name, line_number);
      PlyProperty property;
      std::string type;
      words >> type;
      if (type == "list") {
        std::string count_type, item_type;
        words >> count_type >> item_type >> property.name;
        auto c = ParsePlyType(count_type), i = ParsePlyType(item_type);
        if (!c || !i) throw MakeError("{}:{}: unknown PLY type in '{}'", name, line_number, line);
        property.is_list = true;
        property.count_type = *c;
        property.type = *i;
      } else {
        words >> property.name;
        auto t = ParsePlyType(type);
        if (!t) throw MakeError("{}:{}: unknown PLY type '{}'", name, line_number, type);
        property.type = *t;
      }
      elements.back().properties.push_back(property);
    }
  }
  if (format < 0) throw MakeError("{}: PLY header has no format line", name);

  PointCloud cloud;
  PlyValueReader reader(data, body, format);
  for (const auto& element : elements) {
    const bool is_vertex = element.name == "vertex";
    int x = -1, y = -1, z = -1, r = -1, g = -1, b = -1, nx = -1, ny = -1, nz = -1;
    for (size_t i = 0; i < element.properties.size(); ++i) {
      const std::string& p = element.properties[i].name;
      const int index = static_cast<int>(i);
      if (p == "x") x = index;
      if (p == "y") y = index;
      if (p == "z") z = index;
      if (p == "red" || p == "r") r = index;
      if (p == "green" || p == "g") g = index;
      if (p == "blue" || p == "b") b = index;
      if (p == "nx") nx = index;
      if (p == "ny") ny = index;
      if (p == "nz") nz = index;
    }
    if (is_vertex) {
      if (x < 0 || y < 0 || z < 0) throw MakeError("{}: PLY vertex element lacks x, y or z", name);
      // Refuse a count the file cannot hold before allocating for it (corrupt headers).
      int64_t min_bytes = 0;
      for (const auto& p : element.properties) min_bytes += format == 0 ? 2 : PlySize(p.type);
      if (element.count * min_bytes > static_cast<int64_t>(data.size()))
        throw MakeError("{}: PLY data ends early (header promises {} vertices)", name,
                        element.count);
      cloud.points.resize(element.count);
      if (r >= 0 && g >= 0 && b >= 0) cloud.colors.resize(element.count);
      if (nx >= 0 && ny >= 0 && nz >= 0) cloud.normals.resize(element.count);
    }
    std::vector<double> values(element.properties.size());
    for (int64_t item = 0; item < element.count; ++item) {
      for (size_t i = 0; i < element.properties.size(); ++i) {
        const PlyProperty& property = element.properties[i];
        double value = 0;
        if (!reader.Read(property.is_list ? property.count_type : property.type, &value))
          throw MakeError("{}: PLY data ends early (element '{}' item {} of {})", name,
                          element.name, item, element.count);
        if (property.is_list) {
          for (int64_t k = 0, n = static_cast<int64_t>(value); k < n; ++k) {
            double ignored;
            if (!reader.Read(property.type, &ignored))
              throw MakeError("{}: PLY data ends early in a list of element '{}'", name,
                              element.name);
          }
        }
        values[i] = value;
      }
      if (is_vertex) {
        cloud.points[item] = Eigen::Vector3d(values[x], values[y], values[z]).cast<float>();
        if (!cloud.colors.empty()) {
          // Float colours are in [0, 1] by convention; integer ones in [0, 255].
          const bool unit = element.properties[r].type == PlyType::kFloat32 ||
                            element.properties[r].type == PlyType::kFloat64;
          for (int c = 0; c < 3; ++c) {
            const double v = values[c == 0 ? r : c == 1 ? g : b] * (unit ? 255.0 : 1.0);
            cloud.colors[item][c] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
          }
        }
        if (!cloud.normals.empty())
          cloud.normals[item] = Eigen::Vector3d(values[nx], values[ny], values[nz]).cast<float>();
      }
    }
    if (is_vertex) break;  // the rest of the file is of no interest
  }
  return cloud;
}

}  // namespace synface::core::io
