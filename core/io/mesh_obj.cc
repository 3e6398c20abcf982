// The OBJ reader that keeps the file's numbering (Assimp renumbers vertices; see mesh.h).
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "core/io/mesh.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace fs = std::filesystem;

namespace {

// Splits a buffer into lines (LF or CRLF), counting them for error messages.
class Lines {
 public:
  explicit Lines(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}
  bool Next(std::string_view* line) {
    if (p_ >= end_) return false;
    const char* newline = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    const char* stop = newline ? newline : end_;
    size_t length = stop - p_;
    if (length > 0 && p_[length - 1] == '\r') --length;
    *line = std::string_view(p_, length);
    p_ = newline ? newline + 1 : end_;
    ++number_;
    return true;
  }
  int number() const { return number_; }

 private:
  const char* p_;
  const char* end_;
  int number_ = 0;
};

inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

// A cursor over one line's fields.
struct Fields {
  const char* p;
  const char* end;

  void SkipBlanks() {
    while (p < end && IsBlank(*p)) ++p;
  }
  bool AtEnd() {
    SkipBlanks();
    return p >= end;
  }
  bool AtFieldEnd() const { return p >= end || IsBlank(*p); }

  // A float field ("1", "-2.5", "3.1e-08", "+4", "inf"); false when the field is not a number.
  bool Float(float* value) {
    SkipBlanks();
    const char* begin = p;
    if (begin < end && *begin == '+') ++begin;
    auto result = std::from_chars(begin, end, *value);
    if (result.ec == std::errc::result_out_of_range) {
      // Underflow to a subnormal or overflow: strtof gives the nearest value (or +-inf).
      std::string token(begin, result.ptr);
      *value = std::strtof(token.c_str(), nullptr);
    } else if (result.ec != std::errc()) {
      return false;
    }
    p = result.ptr;
    return AtFieldEnd();
  }

  bool Int(long* value) {
    const char* begin = p;
    if (begin < end && *begin == '+') ++begin;
    auto result = std::from_chars(begin, end, *value);
    if (result.ec != std::errc()) return false;
    p = result.ptr;
    return true;
  }

  std::string_view Rest() {
    SkipBlanks();
    const char* stop = end;
    while (stop > p && IsBlank(stop[-1])) --stop;
    return std::string_view(p, stop - p);
  }
};

std::string_view Keyword(Fields& fields) {
  fields.SkipBlanks();
  const char* begin = fields.p;
  while (fields.p < fields.end && !IsBlank(*fields.p)) ++fields.p;
  return std::string_view(begin, fields.p - begin);
}

struct Corner {
  int v = -1, vt = -1, vn = -1;
};

class ObjParser {
 public:
  ObjParser(const fs::path& path, const ObjLoadOptions& options)
      : name_(path.string()), options_(options) {}

  Mesh Parse(std::string_view text) {
    mesh_.source = name_;
    mesh_.scale_to_metres = options_.scale_to_metres;
    Lines lines(text);
    std::string_view line;
    while (lines.Next(&line)) {
      line_ = lines.number();
      Fields fields{line.data(), line.data() + line.size()};
      const std::string_view key = Keyword(fields);
      if (key.empty() || key[0] == '#') continue;
      if (key == "v") {
        mesh_.positions.push_back(Vector3(fields, "v"));
        first_part_.push_back(-1);
      } else if (key == "vt") {
        float u = 0, v = 0;
        if (!fields.Float(&u)) Fail("malformed vt line (expected 'vt u [v [w]]')");
        if (!fields.AtEnd() && !fields.Float(&v))
          Fail("malformed vt line (expected 'vt u [v [w]]')");
        mesh_.uvs.emplace_back(u, v);
      } else if (key == "vn") {
        file_normals_.push_back(Vector3(fields, "vn"));
      } else if (key == "f") {
        Face(fields);
      } else if (key == "usemtl") {
        SetState(&material_, fields.Rest());
      } else if (key == "g") {
        SetState(&group_, fields.Rest());
      } else if (key == "o") {
        SetState(&object_, fields.Rest());
      } else if (key == "mtllib") {
        mesh_.material_libraries.emplace_back(fields.Rest());
      }
      // Everything else (s, l, p, vp, curves, ...) carries nothing a triangle mesh keeps.
    }
    return Finish();
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw MakeError("{}:{}: {}", name_, line_, what);
  }

  Eigen::Vector3f Vector3(Fields& fields, const char* key) {
    Eigen::Vector3f value;
    for (int k = 0; k < 3; ++k)
      if (!fields.Float(&value[k]))
        Fail(fmt::format("malformed {} line (expected three numbers)", key));
    return value;
  }

  void SetState(std::string* field, std::string_view value) {
    if (*field != value) {
      *field = std::string(value);
      state_changed_ = true;
    }
  }

  int Resolve(long index, size_t count, const char* what) const {
    const long resolved = index > 0 ? index - 1 : static_cast<long>(count) + index;
    if (index == 0 || resolved < 0 || resolved >= static_cast<long>(count))
      Fail(fmt::format("{} index {} out of range ({} defined so far)", what, index, count));
    return static_cast<int>(resolved);
  }

  void Face(Fields& fields) {
    corners_.clear();
    while (!fields.AtEnd()) {
      Corner corner;
      long value = 0;
      if (!fields.Int(&value)) Fail("malformed f line (expected v, v/vt, v//vn or v/vt/vn)");
      corner.v = Resolve(value, mesh_.positions.size(), "vertex");
      if (fields.p < fields.end && *fields.p == '/') {
        ++fields.p;
        if (fields.p < fields.end && *fields.p != '/' && !IsBlank(*fields.p)) {
          if (!fields.Int(&value)) Fail("malformed texture index in f line");
          corner.vt = Resolve(value, mesh_.uvs.size(), "texture coordinate");
        }
        if (fields.p < fields.end && *fields.p == '/') {
          ++fields.p;
          if (!fields.Int(&value)) Fail("malformed normal index in f line");
          corner.vn = Resolve(value, file_normals_.size(), "normal");
        }
      }
      if (!fields.AtFieldEnd()) Fail("malformed f line (unexpected character after an index)");
      corners_.push_back(corner);
    }
    if (corners_.size() < 3)
      Fail(fmt::format("face with {} corners (need at least 3)", corners_.size()));

    if (mesh_.parts.empty() || state_changed_) OpenPart();
    const int part = static_cast<int>(mesh_.parts.size()) - 1;
    for (const Corner& c : corners_) {
      if (first_part_[c.v] < 0) {
        first_part_[c.v] = part;
        MeshPart& p = mesh_.parts.back();
        if (p.vertex_end == p.vertex_begin) {
          p.vertex_begin = c.v;
          p.vertex_end = c.v + 1;
        } else {
          p.vertex_begin = std::min(p.vertex_begin, c.v);
          p.vertex_end = std::max(p.vertex_end, c.v + 1);
        }
      }
      any_uv_ |= c.vt >= 0;
      any_normal_ |= c.vn >= 0;
    }
    // Fan from the first corner: a b c d -> (a b c), (a c d).
    for (size_t k = 1; k + 1 < corners_.size(); ++k) {
      const Corner& a = corners_[0];
      const Corner& b = corners_[k];
      const Corner& c = corners_[k + 1];
      mesh_.triangles.emplace_back(a.v, b.v, c.v);
      mesh_.triangle_uvs.emplace_back(a.vt, b.vt, c.vt);
      triangle_normals_.emplace_back(a.vn, b.vn, c.vn);
      mesh_.triangle_part.push_back(part);
      mesh_.triangle_polygon.push_back(polygons_);
    }
    ++polygons_;
  }

  void OpenPart() {
    const int triangles = static_cast<int>(mesh_.triangles.size());
    if (!mesh_.parts.empty()) mesh_.parts.back().triangle_end = triangles;
    MeshPart part;
    part.name = !group_.empty()      ? group_
                : !object_.empty()   ? object_
                : !material_.empty() ? material_
                                     : "default";
    part.material = material_;
    part.triangle_begin = part.triangle_end = triangles;
    mesh_.parts.push_back(part);
    state_changed_ = false;
  }

  Mesh Finish() {
    if (!mesh_.parts.empty()) mesh_.parts.back().triangle_end = mesh_.NumTriangles();
    if (!any_uv_) mesh_.triangle_uvs.clear();
    if (options_.scale_to_metres != 1.0f)
      for (auto& p : mesh_.positions) p *= options_.scale_to_metres;
    if (any_normal_ || options_.compute_missing_normals)
      mesh_.normals = ComputeVertexNormals(mesh_.positions, mesh_.triangles);
    if (any_normal_) {
      // The file's normals belong to face corners; a vertex takes the mean of its corners' normals
      // (vertices none of whose corners has one keep the computed normal).
      std::vector<Eigen::Vector3f> sum(mesh_.positions.size(), Eigen::Vector3f::Zero());
      for (size_t t = 0; t < mesh_.triangles.size(); ++t)
        for (int k = 0; k < 3; ++k)
          if (triangle_normals_[t][k] >= 0)
            sum[mesh_.triangles[t][k]] += file_normals_[triangle_normals_[t][k]].normalized();
      for (size_t v = 0; v < sum.size(); ++v)
        if (sum[v].squaredNorm() > 0) mesh_.normals[v] = sum[v].normalized();
    }
    return std::move(mesh_);
  }

  std::string name_;
  ObjLoadOptions options_;
  Mesh mesh_;
  int line_ = 0;
  int polygons_ = 0;
  std::string material_, group_, object_;
  bool state_changed_ = false, any_uv_ = false, any_normal_ = false;
  std::vector<int> first_part_;  // per vertex: the part whose face first used it
  std::vector<Eigen::Vector3f> file_normals_;
  std::vector<Eigen::Vector3i> triangle_normals_;
  std::vector<Corner> corners_;
};

}  // namespace

Mesh LoadObjKeepingNumbering(const fs::path& path, const ObjLoadOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw MakeError("{}: OBJ file not found", path.string());
  const std::string text = ReadFile(path);
  return ObjParser(path, options).Parse(text);
}

std::vector<Eigen::Vector3f> ReadObjPositions(const fs::path& path, float scale_to_metres) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw MakeError("{}: OBJ file not found", path.string());
  const std::string text = ReadFile(path);
  std::vector<Eigen::Vector3f> positions;
  positions.reserve(text.size() / 64);
  Lines lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    // Only "v" lines matter; the cheap first-character test skips the rest.
    size_t i = 0;
    while (i < line.size() && IsBlank(line[i])) ++i;
    if (i + 1 >= line.size() || line[i] != 'v' || !IsBlank(line[i + 1])) continue;
    Fields fields{line.data() + i + 1, line.data() + line.size()};
    Eigen::Vector3f p;
    for (int k = 0; k < 3; ++k)
      if (!fields.Float(&p[k]))
        throw MakeError("{}:{}: malformed v line (expected three numbers)", path.string(),
                        lines.number());
    positions.push_back(p * scale_to_metres);
  }
  return positions;
}

}  // namespace synface::core::io
