#include "hpe/readers.h"

#include <matio.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/data/dataset.h"
#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::hpe {
namespace fs = std::filesystem;
namespace geo = core::geometry;
using core::MakeError;

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A whole token as a finite double, or nothing.
std::optional<double> ToDouble(std::string_view token) {
  token = Trim(token);
  if (token.empty()) return std::nullopt;
  if (token.front() == '+') token.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || ptr != token.data() + token.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// ---- JSON helpers ------------------------------------------------------------------------------

const nlohmann::json* FindFirst(const nlohmann::json& root, const std::vector<std::string>& keys,
                                std::string* found_key) {
  for (const std::string& key : keys) {
    try {
      const nlohmann::json::json_pointer ptr(key);
      if (root.contains(ptr)) {
        if (found_key) *found_key = key;
        return &root.at(ptr);
      }
    } catch (const nlohmann::json::exception&) {
      // Not a valid pointer into this document (e.g. indexes a scalar): try the next key.
    }
  }
  return nullptr;
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

double Number(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) throw MakeError("{}: expected a number", where);
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw MakeError("{}: not a finite number", where);
  return d;
}

// 3x3 from [[r0], [r1], [r2]] or 9 numbers row-major.
Eigen::Matrix3d Matrix3(const nlohmann::json& v, const std::string& where) {
  Eigen::Matrix3d m;
  if (v.is_array() && v.size() == 3 && v[0].is_array()) {
    for (int r = 0; r < 3; ++r) {
      if (!v[r].is_array() || v[r].size() != 3) {
        throw MakeError("{}: row {} is not 3 numbers", where, r);
      }
      for (int c = 0; c < 3; ++c) m(r, c) = Number(v[r][c], fmt::format("{}[{}][{}]", where, r, c));
    }
  } else if (v.is_array() && v.size() == 9) {
    for (int i = 0; i < 9; ++i) m(i / 3, i % 3) = Number(v[i], fmt::format("{}[{}]", where, i));
  } else {
    throw MakeError("{}: expected a 3x3 matrix (3 rows of 3 numbers, or 9 numbers)", where);
  }
  return m;
}

std::vector<Eigen::Vector2d> Points2d(const nlohmann::json& v, const std::string& where) {
  std::vector<Eigen::Vector2d> pts;
  const nlohmann::json* arr = &v;
  if (v.is_object()) {
    for (const char* k : {"points", "xy", "2d"}) {
      if (v.contains(k)) {
        arr = &v.at(k);
        break;
      }
    }
  }
  if (!arr->is_array()) throw MakeError("{}: expected an array of 2D points", where);
  if (!arr->empty() && arr->at(0).is_number()) {  // flat x0, y0, x1, y1, ...
    if (arr->size() % 2 != 0) throw MakeError("{}: odd number of coordinates", where);
    for (size_t i = 0; i < arr->size(); i += 2) {
      pts.emplace_back(Number(arr->at(i), where), Number(arr->at(i + 1), where));
    }
    return pts;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const auto& p = arr->at(i);
    const std::string at = fmt::format("{}[{}]", where, i);
    if (p.is_array() && p.size() >= 2) {
      pts.emplace_back(Number(p[0], at), Number(p[1], at));
    } else if (p.is_object() && p.contains("x") && p.contains("y")) {
      pts.emplace_back(Number(p.at("x"), at + ".x"), Number(p.at("y"), at + ".y"));
    } else {
      throw MakeError("{}: expected [x, y, ...] or {{\"x\", \"y\"}}", at);
    }
  }
  return pts;
}

Eigen::Matrix3d IntrinsicsMatrix(const nlohmann::json& v, const std::string& where) {
  if (v.is_object()) {
    if (v.contains("K")) return Matrix3(v.at("K"), where + "/K");
    Eigen::Matrix3d k = Eigen::Matrix3d::Identity();
    for (const char* f : {"fx", "fy", "cx", "cy"}) {
      if (!v.contains(f)) throw MakeError("{}: no '{}'", where, f);
    }
    k(0, 0) = Number(v.at("fx"), where + "/fx");
    k(1, 1) = Number(v.at("fy"), where + "/fy");
    k(0, 2) = Number(v.at("cx"), where + "/cx");
    k(1, 2) = Number(v.at("cy"), where + "/cy");
    return k;
  }
  return Matrix3(v, where);
}

// ---- matio helpers -----------------------------------------------------------------------------

struct MatCloser {
  void operator()(mat_t* m) const {
    if (m) Mat_Close(m);
  }
};
struct VarFreer {
  void operator()(matvar_t* v) const {
    if (v) Mat_VarFree(v);
  }
};

template <typename T>
void AppendAs(const void* data, size_t n, std::vector<double>& out) {
  const T* p = static_cast<const T*>(data);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<double>(p[i]));
}

// All elements (column-major) of a real numeric variable as doubles, plus its dimensions.
std::vector<double> MatNumbers(const matvar_t* var, std::vector<size_t>* dims,
                               const std::string& where) {
  if (var->isComplex) throw MakeError("{}: complex data is not a pose annotation", where);
  size_t n = 1;
  dims->clear();
  for (int i = 0; i < var->rank; ++i) {
    dims->push_back(var->dims[i]);
    n *= var->dims[i];
  }
  if (n > 0 && var->data == nullptr) throw MakeError("{}: no data", where);
  std::vector<double> out;
  out.reserve(n);
  switch (var->class_type) {
    case MAT_C_DOUBLE:
      AppendAs<double>(var->data, n, out);
      break;
    case MAT_C_SINGLE:
      AppendAs<float>(var->data, n, out);
      break;
    case MAT_C_INT8:
      AppendAs<int8_t>(var->data, n, out);
      break;
    case MAT_C_UINT8:
      AppendAs<uint8_t>(var->data, n, out);
      break;
    case MAT_C_INT16:
      AppendAs<int16_t>(var->data, n, out);
      break;
    case MAT_C_UINT16:
      AppendAs<uint16_t>(var->data, n, out);
      break;
    case MAT_C_INT32:
      AppendAs<int32_t>(var->data, n, out);
      break;
    case MAT_C_UINT32:
      AppendAs<uint32_t>(var->data, n, out);
      break;
    case MAT_C_INT64:
      AppendAs<int64_t>(var->data, n, out);
      break;
    case MAT_C_UINT64:
      AppendAs<uint64_t>(var->data, n, out);
      break;
    default:
      throw MakeError("{}: not a numeric array (matio class {})", where,
                      static_cast<int>(var->class_type));
  }
  return out;
}

// rows x N matrix (column-major) as N points of `rows` coordinates.
template <int Rows>
std::vector<Eigen::Matrix<double, Rows, 1>> MatPoints(const std::vector<double>& values,
                                                      const std::vector<size_t>& dims,
                                                      const std::string& where) {
  if (dims.size() != 2 || (dims[0] != Rows && dims[1] != Rows)) {
    throw MakeError("{}: expected a {} x N array", where, Rows);
  }
  std::vector<Eigen::Matrix<double, Rows, 1>> pts;
  if (dims[0] == Rows) {  // Rows x N: column j is point j
    for (size_t j = 0; j < dims[1]; ++j) {
      Eigen::Matrix<double, Rows, 1> p;
      for (int r = 0; r < Rows; ++r) p[r] = values[r + Rows * j];
      pts.push_back(p);
    }
  } else {  // N x Rows: row i is point i
    for (size_t i = 0; i < dims[0]; ++i) {
      Eigen::Matrix<double, Rows, 1> p;
      for (int r = 0; r < Rows; ++r) p[r] = values[i + dims[0] * r];
      pts.push_back(p);
    }
  }
  return pts;
}

}  // namespace

// ---- synface datasets
// ----------------------------------------------------------------------------

SynthLabel ParseSynthLabel(std::string_view json_text, const std::string& source,
                           const SynthReadOptions& options) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw MakeError("{}: not valid JSON: {}", source, e.what());
  }
  SynthLabel label;
  std::string key;
  const nlohmann::json* r = FindFirst(j, options.rotation_keys, &key);
  if (!r) {
    throw MakeError("{}: no head rotation (looked for {})", source, KeyList(options.rotation_keys));
  }
  label.rotation = Matrix3(*r, source + ": " + key);
  if (!geo::IsRotationMatrix(label.rotation, 1e-4)) {
    throw MakeError("{}: {} is not a rotation matrix", source, key);
  }
  label.rotation = geo::NearestRotation(label.rotation);
  if (const nlohmann::json* lm = FindFirst(j, options.landmark_keys, &key)) {
    label.landmarks = Points2d(*lm, source + ": " + key);
  }
  if (const nlohmann::json* t = FindFirst(j, options.translation_keys, &key)) {
    if (!t->is_array() || t->size() != 3) throw MakeError("{}: {} is not 3 numbers", source, key);
    label.translation =
        Eigen::Vector3d(Number((*t)[0], source + ": " + key), Number((*t)[1], source + ": " + key),
                        Number((*t)[2], source + ": " + key));
  }
  if (const nlohmann::json* k = FindFirst(j, options.intrinsics_keys, &key)) {
    label.intrinsics = IntrinsicsMatrix(*k, source + ": " + key);
  }
  if (const nlohmann::json* g = FindFirst(j, options.group_keys, &key)) {
    if (g->is_number_integer()) {
      label.group = g->get<int>();
    } else if (g->is_string()) {  // a stable number for a named identity
      label.group = static_cast<int>(core::data::Fnv1a64(g->get<std::string>()) & 0x3fffffff);
    }
  }
  return label;
}

std::vector<PoseRecord> ReadSynthDataset(const fs::path& dir, const SynthReadOptions& options) {
  core::data::OpenOptions open;
  open.allow_incomplete = options.allow_incomplete;
  const core::data::Dataset ds = core::data::Dataset::Open(dir, open);
  std::vector<PoseRecord> records;
  records.reserve(ds.size());
  for (uint64_t id : ds.Ids()) {
    std::string image_suffix = options.image_suffix;
    if (image_suffix.empty()) image_suffix = ds.Has(id, "rgb.png") ? "rgb.png" : "rgb.jpg";
    if (!ds.Has(id, image_suffix) || !ds.Has(id, options.label_suffix)) continue;
    const fs::path json_path = ds.Path(id, options.label_suffix);
    const SynthLabel label =
        ParseSynthLabel(core::ReadFile(json_path), json_path.string(), options);
    PoseRecord r;
    r.image = ds.Path(id, image_suffix);
    r.pose = geo::HeadPoseFromRotation(label.rotation);
    r.group = label.group;
    r.name = core::data::SampleFileName(id, "", ds.info().Digits());
    if (!r.name.empty() && r.name.back() == '.') r.name.pop_back();
    if (label.landmarks.size() >= 2) {
      r.crop = CropKind::kLandmarks;
      r.landmarks = label.landmarks;
      r.margin = options.landmark_margin;
    } else if (label.translation && label.intrinsics && label.translation->z() > 0) {
      const Eigen::Matrix3d& k = *label.intrinsics;
      const Eigen::Vector3d& t = *label.translation;
      const double u = k(0, 0) * t.x() / t.z() + k(0, 2), v = k(1, 1) * t.y() / t.z() + k(1, 2);
      const double w = 2 * k(0, 0) * options.head_half_size_m / t.z();
      const double h = 2 * k(1, 1) * options.head_half_size_m / t.z();
      r.crop = CropKind::kBox;
      r.box = Eigen::Vector4d(u - w / 2, v - h / 2, w, h);
      r.margin = options.box_margin;
    } else {
      throw MakeError(
          "{}: neither 2D landmarks ({}) nor head translation + intrinsics to crop "
          "the face from",
          json_path.string(), KeyList(options.landmark_keys));
    }
    records.push_back(std::move(r));
  }
  if (records.empty()) {
    throw MakeError("{}: no sample has both .{} and .{}", dir.string(),
                    options.image_suffix.empty() ? "rgb.png (or .rgb.jpg)" : options.image_suffix,
                    options.label_suffix);
  }
  return records;
}

// ---- BIWI
// ----------------------------------------------------------------------------------------

BiwiCalibration ParseBiwiCalibration(std::string_view text, const std::string& source) {
  std::vector<double> v;
  int line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    for (std::string_view tok : Split(Trim(line), ' ')) {
      tok = Trim(tok);
      if (tok.empty()) continue;
      const auto d = ToDouble(tok);
      if (!d) throw MakeError("{}: line {}: cannot read '{}' as a number", source, line_no, tok);
      v.push_back(*d);
    }
  }
  // K (9), distortion (4), R (9), T (3), width height (2).
  if (v.size() != 27) {
    throw MakeError(
        "{}: expected 27 numbers (K 3x3, 4 distortion, R 3x3, T 3, width height), "
        "found {}",
        source, v.size());
  }
  BiwiCalibration c;
  for (int i = 0; i < 9; ++i) c.K(i / 3, i % 3) = v[i];
  for (int i = 0; i < 4; ++i) c.distortion[i] = v[9 + i];
  for (int i = 0; i < 9; ++i) c.R(i / 3, i % 3) = v[13 + i];
  for (int i = 0; i < 3; ++i) c.T_mm[i] = v[22 + i];
  c.width = static_cast<int>(v[25]);
  c.height = static_cast<int>(v[26]);
  if (c.K(0, 0) <= 0 || c.K(1, 1) <= 0 || c.width <= 0 || c.height <= 0 || c.width != v[25] ||
      c.height != v[26]) {
    throw MakeError("{}: focal lengths and image size must be positive (size an integer)", source);
  }
  return c;
}

Eigen::Vector4d BiwiHeadBox(const Eigen::Vector3d& head_centre_depth_m, const BiwiCalibration& rgb,
                            double head_half_size_m) {
  const Eigen::Vector3d p_mm = rgb.R * (head_centre_depth_m * 1000.0) + rgb.T_mm;
  if (!(p_mm.z() > 0)) {
    throw MakeError("BIWI head centre is not in front of the RGB camera (z = {} mm)", p_mm.z());
  }
  const double u = rgb.K(0, 0) * p_mm.x() / p_mm.z() + rgb.K(0, 2);
  const double v = rgb.K(1, 1) * p_mm.y() / p_mm.z() + rgb.K(1, 2);
  const double w = 2.0 * rgb.K(0, 0) * head_half_size_m * 1000.0 / p_mm.z();
  const double h = 2.0 * rgb.K(1, 1) * head_half_size_m * 1000.0 / p_mm.z();
  return Eigen::Vector4d(u - w / 2, v - h / 2, w, h);
}

std::vector<PoseRecord> ReadBiwi(const fs::path& root, const BiwiReadOptions& options) {
  if (!fs::is_directory(root)) throw MakeError("{}: BIWI folder not found", root.string());
  // Sequence folders (numbered), or `root` itself when it holds rgb.cal.
  std::vector<std::pair<int, fs::path>> sequences;
  if (fs::exists(root / "rgb.cal")) {
    int number = 0;
    const std::string name = root.filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) number = std::stoi(name);
    sequences.emplace_back(number, root);
  } else {
    for (const auto& e : fs::directory_iterator(root)) {
      const std::string name = e.path().filename().string();
      if (!e.is_directory() || name.empty() || name.size() > 4 ||
          !std::all_of(name.begin(), name.end(), ::isdigit)) {
        continue;
      }
      const int number = std::stoi(name);
      if (!options.sequences.empty() &&
          std::find(options.sequences.begin(), options.sequences.end(), number) ==
              options.sequences.end()) {
        continue;
      }
      sequences.emplace_back(number, e.path());
    }
    std::sort(sequences.begin(), sequences.end());
  }
  if (sequences.empty()) {
    throw MakeError("{}: no BIWI sequence folder (01..24 with rgb.cal)", root.string());
  }
  static const std::regex kPose(R"(frame_(\d+)_pose\.txt)");
  std::vector<PoseRecord> records;
  for (const auto& [number, dir] : sequences) {
    const fs::path cal_path = dir / "rgb.cal";
    if (!fs::exists(cal_path)) throw MakeError("{}: missing", cal_path.string());
    const BiwiCalibration cal = ParseBiwiCalibration(core::ReadFile(cal_path), cal_path.string());
    std::vector<std::pair<std::string, fs::path>> frames;
    for (const auto& e : fs::directory_iterator(dir)) {
      std::smatch m;
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && std::regex_match(name, m, kPose))
        frames.emplace_back(m[1], e.path());
    }
    std::sort(frames.begin(), frames.end());
    for (const auto& [frame, pose_path] : frames) {
      const fs::path image = dir / ("frame_" + frame + "_rgb.png");
      if (!fs::exists(image)) continue;  // pose without an image: nothing to learn from
      const geo::BiwiPose pose = geo::ReadBiwiPose(pose_path);
      PoseRecord r;
      r.image = image;
      r.pose = geo::HeadPoseFromBiwi(pose);
      r.crop = CropKind::kBox;
      r.box = BiwiHeadBox(pose.head_centre_m, cal, options.head_half_size_m);
      r.margin = options.margin;
      r.group = number;
      r.name = fmt::format("{:02d}/frame_{}", number, frame);
      records.push_back(std::move(r));
    }
  }
  if (records.empty()) {
    throw MakeError("{}: no frame with both frame_XXXXX_pose.txt and frame_XXXXX_rgb.png",
                    root.string());
  }
  return records;
}

// ---- 300W-LP / AFLW2000
// ----------------------------------------------------------------------------

MatPoseAnnotation ReadPoseMat(const fs::path& path) {
  if (!fs::exists(path)) throw MakeError("{}: not found", path.string());
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw MakeError("{}: not a readable MATLAB .mat file", path.string());
  auto read = [&](const char* name) {
    return std::unique_ptr<matvar_t, VarFreer>(Mat_VarRead(mat.get(), name));
  };
  MatPoseAnnotation a;
  std::vector<size_t> dims;
  {
    auto var = read("Pose_Para");
    if (!var) throw MakeError("{}: no variable 'Pose_Para'", path.string());
    a.pose_para = MatNumbers(var.get(), &dims, path.string() + ": Pose_Para");
    if (a.pose_para.size() != 7) {
      throw MakeError("{}: Pose_Para has {} values, expected 7", path.string(), a.pose_para.size());
    }
  }
  if (auto var = read("pt2d")) {
    const auto values = MatNumbers(var.get(), &dims, path.string() + ": pt2d");
    a.pt2d = MatPoints<2>(values, dims, path.string() + ": pt2d");
  }
  if (auto var = read("pt3d_68")) {
    const auto values = MatNumbers(var.get(), &dims, path.string() + ": pt3d_68");
    a.pt3d_68 = MatPoints<3>(values, dims, path.string() + ": pt3d_68");
  }
  return a;
}

std::vector<PoseRecord> ReadMatPoseFolder(const fs::path& dir, const MatReadOptions& options) {
  if (!fs::is_directory(dir)) throw MakeError("{}: folder not found", dir.string());
  std::vector<fs::path> mats;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".mat") mats.push_back(e.path());
  }
  std::sort(mats.begin(), mats.end());
  std::vector<PoseRecord> records;
  for (const fs::path& mat_path : mats) {
    fs::path image = mat_path;
    image.replace_extension(options.image_extension);
    if (!fs::exists(image)) continue;
    const MatPoseAnnotation a = ReadPoseMat(mat_path);
    if (a.pt2d.empty())
      throw MakeError("{}: no variable 'pt2d' to crop the face from", mat_path.string());
    const geo::PosePara para = geo::PoseParaFromValues(a.pose_para, mat_path.string());
    PoseRecord r;
    r.image = image;
    r.pose = geo::HeadPoseFromPosePara(para);
    r.crop = CropKind::kLandmarks;
    r.landmarks = a.pt2d;
    r.margin = options.margin;
    r.name = dir.filename().string() + "/" + mat_path.stem().string();
    records.push_back(std::move(r));
  }
  if (records.empty()) {
    throw MakeError("{}: no <name>.mat with a <name>{} beside it", dir.string(),
                    options.image_extension);
  }
  return records;
}

std::vector<PoseRecord> Read300WLP(const fs::path& root, const MatReadOptions& options) {
  std::vector<PoseRecord> all;
  int group = 0;
  for (const char* part :
       {"AFW", "AFW_Flip", "HELEN", "HELEN_Flip", "IBUG", "IBUG_Flip", "LFPW", "LFPW_Flip"}) {
    ++group;
    if (!fs::is_directory(root / part)) continue;
    auto records = ReadMatPoseFolder(root / part, options);
    for (auto& r : records) r.group = group;
    all.insert(all.end(), records.begin(), records.end());
  }
  if (all.empty()) {
    throw MakeError("{}: none of the 300W-LP folders AFW, HELEN, IBUG, LFPW (+ _Flip) exists",
                    root.string());
  }
  return all;
}

// ---- CSV
// -----------------------------------------------------------------------------------------

std::vector<PoseRecord> ReadPoseCsv(const fs::path& csv_path, const CsvReadOptions& options) {
  const std::string text = core::ReadFile(csv_path);
  const fs::path base = csv_path.parent_path();
  std::vector<PoseRecord> records;
  int line_no = 0;
  bool first = true;
  for (std::string_view raw : Split(text, '\n')) {
    ++line_no;
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> f = Split(line, ',');
    for (auto& x : f) x = Trim(x);
    const bool is_header = first && f.size() >= 2 && !ToDouble(f[1]);
    first = false;
    if (is_header) continue;
    if (f.size() != 4 && f.size() != 8) {
      throw MakeError("{}: line {}: expected path,yaw,pitch,roll[,x0,y0,x1,y1], got {} fields",
                      csv_path.string(), line_no, f.size());
    }
    double v[7] = {0};
    static const char* kNames[] = {"yaw", "pitch", "roll", "x0", "y0", "x1", "y1"};
    for (size_t i = 1; i < f.size(); ++i) {
      const auto d = ToDouble(f[i]);
      if (!d) {
        throw MakeError("{}: line {}: {}: cannot read '{}' as a number", csv_path.string(), line_no,
                        kNames[i - 1], f[i]);
      }
      v[i - 1] = *d;
    }
    if (f[0].empty()) throw MakeError("{}: line {}: empty path", csv_path.string(), line_no);
    PoseRecord r;
    const fs::path p{std::string(f[0])};
    r.image = p.is_absolute() ? p : base / p;
    r.pose = geo::HeadPoseFromDegrees(v[0], v[1], v[2]);
    r.name = std::string(f[0]);
    if (f.size() == 8) {
      if (v[5] <= v[3] || v[6] <= v[4]) {
        throw MakeError("{}: line {}: face box needs x1 > x0 and y1 > y0", csv_path.string(),
                        line_no);
      }
      r.crop = CropKind::kBox;
      r.box = Eigen::Vector4d(v[3], v[4], v[5] - v[3], v[6] - v[4]);
      r.margin = options.margin;
    }
    records.push_back(std::move(r));
  }
  if (records.empty()) throw MakeError("{}: no data rows", csv_path.string());
  return records;
}

}  // namespace synface::hpe
