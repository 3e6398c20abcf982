#include "depth/readers.h"

#include <fmt/format.h>
#include <matio.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/data/dataset.h"
#include "core/data/seed.h"
#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::depth {
namespace fs = std::filesystem;
using core::MakeError;
using core::geometry::Intrinsics;

namespace {

void RequireFile(const fs::path& path, const char* what) {
  if (!fs::is_regular_file(path)) throw MakeError("{}: {} not found", path.string(), what);
}

std::vector<fs::path> SortedEntries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// ---- synface synthetic datasets --------------------------------------------------------------

std::optional<Intrinsics> IntrinsicsFromSampleJson(const std::string& text,
                                                   const std::string& source, int width,
                                                   int height) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw MakeError("{}: malformed JSON: {}", source, e.what());
  }
  if (!j.is_object()) throw MakeError("{}: expected a JSON object", source);
  const nlohmann::json* node = nullptr;
  std::string where;
  if (j.contains("intrinsics")) {
    node = &j["intrinsics"];
    where = "intrinsics";
  } else if (j.contains("camera") && j["camera"].is_object() &&
             j["camera"].contains("intrinsics")) {
    node = &j["camera"]["intrinsics"];
    where = "camera.intrinsics";
  }
  // synth's records (synth/labels, schema synface.synth.sample/1) hold the matrix as camera.K
  // beside camera.intrinsics; older or hand-made records may carry only a top-level K.
  const nlohmann::json* k_node = nullptr;
  std::string k_where;
  if (j.contains("camera") && j["camera"].is_object() && j["camera"].contains("K")) {
    k_node = &j["camera"]["K"];
    k_where = "camera.K";
  } else if (j.contains("K")) {
    k_node = &j["K"];
    k_where = "K";
  }
  Intrinsics k;
  k.width = width;
  k.height = height;
  try {
    if (node != nullptr) {
      if (!node->is_object()) throw MakeError("{}: '{}' must be an object", source, where);
      for (const char* key : {"fx", "fy", "cx", "cy"}) {
        if (!node->contains(key) || !(*node)[key].is_number()) {
          throw MakeError("{}: '{}.{}' missing or not a number", source, where, key);
        }
      }
      k.fx = (*node)["fx"].get<double>();
      k.fy = (*node)["fy"].get<double>();
      k.cx = (*node)["cx"].get<double>();
      k.cy = (*node)["cy"].get<double>();
      if (node->contains("width") && node->contains("height")) {
        const int w = (*node)["width"].get<int>(), h = (*node)["height"].get<int>();
        if (width > 0 && height > 0 && (w != width || h != height)) {
          // The intrinsics describe another resolution: rescale exactly (continuous coordinates).
          Intrinsics at{k.fx, k.fy, k.cx, k.cy, w, h};
          k = at.Resized(width, height);
        }
      }
    } else if (k_node != nullptr) {
      const auto& K = *k_node;
      std::vector<double> v;
      if (K.is_array() && K.size() == 3 && K[0].is_array()) {
        for (const auto& row : K) {
          for (const auto& x : row) v.push_back(x.get<double>());
        }
      } else if (K.is_array()) {
        for (const auto& x : K) v.push_back(x.get<double>());
      }
      if (v.size() != 9) throw MakeError("{}: '{}' must be a 3x3 matrix", source, k_where);
      k.fx = v[0];
      k.fy = v[4];
      k.cx = v[2];
      k.cy = v[5];
    } else {
      return std::nullopt;
    }
  } catch (const nlohmann::json::exception& e) {
    throw MakeError("{}: bad intrinsics: {}", source, e.what());
  }
  if (!(k.fx > 0) || !(k.fy > 0) || !std::isfinite(k.cx) || !std::isfinite(k.cy)) {
    throw MakeError("{}: intrinsics need positive focal lengths (fx {}, fy {})", source, k.fx,
                    k.fy);
  }
  return k;
}

struct SynthDepthDataset::Impl {
  core::data::Dataset dataset;
  std::string rgb_suffix, depth_suffix = "depth.exr";
  bool has_json = false;
  std::string group_column;
  int64_t samples_per_subject = 0;  // subject = id / this when no group column (synth's rule)
};

SynthDepthDataset::SynthDepthDataset(const fs::path& dir) : dir_(dir) {
  if (!fs::is_directory(dir)) throw MakeError("{}: dataset folder not found", dir.string());
  impl_ = std::make_unique<Impl>(Impl{core::data::Dataset::Open(dir)});
  const auto& info = impl_->dataset.info();
  std::vector<std::string> suffixes = info.files;
  suffixes.insert(suffixes.end(), info.optional_files.begin(), info.optional_files.end());
  auto has = [&](const std::string& s) {
    return std::find(suffixes.begin(), suffixes.end(), s) != suffixes.end();
  };
  for (const char* s : {"rgb.png", "rgb.jpg", "rgb.jpeg"}) {
    if (has(s)) {
      impl_->rgb_suffix = s;
      break;
    }
  }
  if (impl_->rgb_suffix.empty() || !has("depth.exr")) {
    throw MakeError(
        "{}: not a depth dataset: its samples need rgb.png (or .jpg) and depth.exr "
        "(dataset.toml lists: {})",
        dir.string(), fmt::join(suffixes, ", "));
  }
  impl_->has_json = has("json");
  for (const char* c : {"subject", "identity", "head"}) {
    const auto& cols = info.manifest_columns;
    if (std::find(cols.begin(), cols.end(), c) != cols.end()) {
      impl_->group_column = c;
      break;
    }
  }
  // Without a subject column, synth's own rule gives the subject: id / head.samples_per_subject
  // of the generator config recorded in dataset.toml (synth/README.md).
  if (const auto n = info.config["head"]["samples_per_subject"].value<int64_t>()) {
    if (*n < 1) {
      throw MakeError("{}: dataset.toml config.head.samples_per_subject must be >= 1, got {}",
                      (dir / "dataset.toml").string(), *n);
    }
    impl_->samples_per_subject = *n;
  }
}

SynthDepthDataset::~SynthDepthDataset() = default;

size_t SynthDepthDataset::size() const { return impl_->dataset.size(); }

uint64_t SynthDepthDataset::Id(size_t index) const { return impl_->dataset.Ids().at(index); }

std::string SynthDepthDataset::ManifestHash() const {
  return impl_->dataset.info().manifest_fnv1a64;
}

std::string SynthDepthDataset::Group(size_t index) const {
  if (!impl_->group_column.empty()) return impl_->dataset.Field(Id(index), impl_->group_column);
  if (impl_->samples_per_subject > 0) {
    return std::to_string(Id(index) / static_cast<uint64_t>(impl_->samples_per_subject));
  }
  return "";
}

DepthSample SynthDepthDataset::Read(size_t index) const {
  const uint64_t id = Id(index);
  const auto& ds = impl_->dataset;
  DepthSample s;
  s.id = fmt::format("{:0{}d}", id, ds.info().Digits());
  const fs::path rgb = ds.Path(id, impl_->rgb_suffix), depth = ds.Path(id, "depth.exr");
  s.rgb = core::io::ReadImage(rgb, core::io::ImageReadMode::kColor);
  s.depth = core::io::ReadDepthExr(depth);
  s.source = rgb.string() + ", " + depth.string();
  if (s.depth.size() != s.rgb.size()) {
    throw MakeError("{}: depth is {}x{} but the RGB image is {}x{}", depth.string(), s.depth.cols,
                    s.depth.rows, s.rgb.cols, s.rgb.rows);
  }
  if (impl_->has_json && ds.Has(id, "json")) {
    const fs::path json = ds.Path(id, "json");
    if (auto k = IntrinsicsFromSampleJson(core::ReadFile(json), json.string(), s.depth.cols,
                                          s.depth.rows)) {
      s.intrinsics = *k;
      s.has_intrinsics = true;
    }
  }
  return s;
}

// ---- NYU Depth v2 ------------------------------------------------------------------------------

Intrinsics NyuIntrinsics(int width, int height) {
  // NYU toolbox camera_params.m, RGB camera; MATLAB pixel (1, 1) is centred at our (0.5, 0.5).
  Intrinsics k{5.1885790117450188e+02,
               5.1946961112127485e+02,
               3.2558244941119034e+02 - 0.5,
               2.5373616633400465e+02 - 0.5,
               640,
               480};
  return (width == 640 && height == 480) ? k : k.Resized(width, height);
}

cv::Rect NyuEigenCrop() { return cv::Rect(40, 44, 601 - 40, 471 - 44); }

struct NyuDepthV2Reader::Impl {
  fs::path path;
  mat_t* mat = nullptr;
  matvar_t* images = nullptr;
  matvar_t* depths = nullptr;
  int height = 0, width = 0, count = 0;
  ~Impl() {
    if (images) Mat_VarFree(images);
    if (depths) Mat_VarFree(depths);
    if (mat) Mat_Close(mat);
  }
};

NyuDepthV2Reader::NyuDepthV2Reader(const fs::path& file) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  RequireFile(file, "NYU Depth v2 .mat file");
  impl_->mat = Mat_Open(file.string().c_str(), MAT_ACC_RDONLY);
  if (!impl_->mat) {
    throw MakeError("{}: not a MATLAB file matio can read (v7.3 needs matio with HDF5)",
                    file.string());
  }
  impl_->images = Mat_VarReadInfo(impl_->mat, "images");
  impl_->depths = Mat_VarReadInfo(impl_->mat, "depths");
  if (!impl_->images || !impl_->depths) {
    throw MakeError("{}: variables 'images' and 'depths' are required (NYU labelled set)",
                    file.string());
  }
  const matvar_t* im = impl_->images;
  const matvar_t* dp = impl_->depths;
  if (im->class_type != MAT_C_UINT8 || (im->rank != 3 && im->rank != 4) || im->dims[2] != 3) {
    throw MakeError("{}: 'images' must be uint8 HxWx3xN", file.string());
  }
  if ((dp->class_type != MAT_C_SINGLE && dp->class_type != MAT_C_DOUBLE) ||
      (dp->rank != 2 && dp->rank != 3)) {
    throw MakeError("{}: 'depths' must be single or double HxWxN", file.string());
  }
  impl_->height = static_cast<int>(im->dims[0]);
  impl_->width = static_cast<int>(im->dims[1]);
  const int n_images = im->rank == 4 ? static_cast<int>(im->dims[3]) : 1;
  const int n_depths = dp->rank == 3 ? static_cast<int>(dp->dims[2]) : 1;
  if (static_cast<int>(dp->dims[0]) != impl_->height ||
      static_cast<int>(dp->dims[1]) != impl_->width || n_images != n_depths) {
    throw MakeError("{}: 'images' ({}x{}x3x{}) and 'depths' ({}x{}x{}) do not match", file.string(),
                    impl_->height, impl_->width, n_images, dp->dims[0], dp->dims[1], n_depths);
  }
  impl_->count = n_images;
}

NyuDepthV2Reader::~NyuDepthV2Reader() = default;

size_t NyuDepthV2Reader::size() const { return static_cast<size_t>(impl_->count); }

DepthSample NyuDepthV2Reader::Read(size_t index) const {
  if (index >= size()) throw MakeError("{}: frame {} out of range", impl_->path.string(), index);
  const int h = impl_->height, w = impl_->width;
  const int n = static_cast<int>(index);
  // Column-major (MATLAB) slices: images(:, :, :, n), depths(:, :, n).
  std::vector<uint8_t> rgb(static_cast<size_t>(h) * w * 3);
  {
    int start[4] = {0, 0, 0, n}, stride[4] = {1, 1, 1, 1}, edge[4] = {h, w, 3, 1};
    if (Mat_VarReadData(impl_->mat, impl_->images, rgb.data(), start, stride, edge) != 0) {
      throw MakeError("{}: cannot read images(:, :, :, {})", impl_->path.string(), n + 1);
    }
  }
  cv::Mat depth(h, w, CV_32F);
  {
    int start[3] = {0, 0, n}, stride[3] = {1, 1, 1}, edge[3] = {h, w, 1};
    if (impl_->depths->class_type == MAT_C_SINGLE) {
      std::vector<float> buf(static_cast<size_t>(h) * w);
      if (Mat_VarReadData(impl_->mat, impl_->depths, buf.data(), start, stride, edge) != 0) {
        throw MakeError("{}: cannot read depths(:, :, {})", impl_->path.string(), n + 1);
      }
      for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h; ++y) depth.at<float>(y, x) = buf[static_cast<size_t>(x) * h + y];
      }
    } else {
      std::vector<double> buf(static_cast<size_t>(h) * w);
      if (Mat_VarReadData(impl_->mat, impl_->depths, buf.data(), start, stride, edge) != 0) {
        throw MakeError("{}: cannot read depths(:, :, {})", impl_->path.string(), n + 1);
      }
      for (int x = 0; x < w; ++x) {
        for (int y = 0; y < h; ++y) {
          depth.at<float>(y, x) = static_cast<float>(buf[static_cast<size_t>(x) * h + y]);
        }
      }
    }
  }
  DepthSample s;
  s.id = fmt::format("{:04d}", n + 1);  // MATLAB's 1-based frame number
  s.rgb = cv::Mat(h, w, CV_8UC3);
  const size_t plane = static_cast<size_t>(h) * w;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const size_t i = static_cast<size_t>(x) * h + y;
      s.rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(rgb[i + 2 * plane], rgb[i + plane], rgb[i]);  // BGR
    }
  }
  s.depth = depth;
  s.intrinsics = NyuIntrinsics(w, h);
  s.has_intrinsics = true;
  s.source = impl_->path.string();
  return s;
}

// ---- Biwi ----------------------------------------------------------------------------------

cv::Mat ReadBiwiDepthBin(const fs::path& path) {
  RequireFile(path, "Biwi depth file");
  const std::string bytes = core::ReadFile(path);
  size_t pos = 0;
  auto read_i32 = [&](const char* what) {
    if (pos + 4 > bytes.size()) {
      throw MakeError("{}: truncated at byte {} (reading {})", path.string(), pos, what);
    }
    int32_t v;
    std::memcpy(&v, bytes.data() + pos, 4);  // little-endian host (x86-64, arm64)
    pos += 4;
    return v;
  };
  const int32_t w = read_i32("width"), h = read_i32("height");
  if (w <= 0 || h <= 0 || w > 16384 || h > 16384) {
    throw MakeError("{}: implausible size {}x{}", path.string(), w, h);
  }
  cv::Mat depth(h, w, CV_32F, cv::Scalar(0));
  float* out = depth.ptr<float>();
  const int64_t total = static_cast<int64_t>(w) * h;
  int64_t p = 0;
  while (p < total) {
    const int32_t empty = read_i32("empty count");
    const int32_t full = read_i32("full count");
    if (empty < 0 || full < 0 || p + empty + full > total) {
      throw MakeError("{}: bad run at byte {} ({} empty + {} full pixels after {} of {})",
                      path.string(), pos - 8, empty, full, p, total);
    }
    p += empty;
    if (pos + 2 * static_cast<size_t>(full) > bytes.size()) {
      throw MakeError("{}: truncated at byte {} ({} depth values announced)", path.string(), pos,
                      full);
    }
    for (int32_t i = 0; i < full; ++i) {
      int16_t v;
      std::memcpy(&v, bytes.data() + pos, 2);
      pos += 2;
      out[p++] = static_cast<float>(v) * 0.001f;
    }
  }
  return depth;
}

void WriteBiwiDepthBin(const fs::path& path, const cv::Mat& depth_m) {
  if (depth_m.empty() || depth_m.type() != CV_32FC1) {
    throw MakeError("{}: WriteBiwiDepthBin needs a CV_32FC1 depth map", path.string());
  }
  std::string out;
  auto put_i32 = [&](int32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  put_i32(depth_m.cols);
  put_i32(depth_m.rows);
  const cv::Mat d = depth_m.isContinuous() ? depth_m : depth_m.clone();
  const float* v = d.ptr<float>();
  const int64_t total = static_cast<int64_t>(d.total());
  int64_t p = 0;
  while (p < total) {
    int32_t empty = 0;
    while (p + empty < total && !(v[p + empty] > 0)) ++empty;
    int32_t full = 0;
    while (p + empty + full < total && v[p + empty + full] > 0) ++full;
    put_i32(empty);
    put_i32(full);
    for (int32_t i = 0; i < full; ++i) {
      const auto mm = static_cast<int16_t>(std::lround(v[p + empty + i] * 1000.0));
      out.append(reinterpret_cast<const char*>(&mm), 2);
    }
    p += empty + full;
  }
  core::WriteFileAtomic(path, out);
}

Intrinsics BiwiCalibration::Intrinsics(int width, int height) const {
  core::geometry::Intrinsics k;
  k.fx = K(0, 0);
  k.fy = K(1, 1);
  k.cx = K(0, 2) + 0.5;  // Kinect / OpenCV calibrations centre pixels on integers
  k.cy = K(1, 2) + 0.5;
  k.width = width;
  k.height = height;
  return k;
}

BiwiCalibration ReadBiwiCalibration(const fs::path& path) {
  RequireFile(path, "Biwi calibration file");
  std::istringstream in(core::ReadFile(path));
  std::vector<double> v;
  std::string token;
  while (in >> token) {
    try {
      size_t used = 0;
      v.push_back(std::stod(token, &used));
      if (used != token.size()) throw std::invalid_argument(token);
    } catch (const std::exception&) {
      throw MakeError("{}: not a number: '{}' (value {})", path.string(), token, v.size() + 1);
    }
  }
  if (v.size() != 25) {
    throw MakeError(
        "{}: expected 25 numbers (3x3 intrinsics, 4 distortion, 3x3 rotation, 3 "
        "translation), found {}",
        path.string(), v.size());
  }
  BiwiCalibration c;
  for (int i = 0; i < 9; ++i) c.K(i / 3, i % 3) = v[i];
  for (int i = 0; i < 4; ++i) c.distortion[i] = v[9 + i];
  for (int i = 0; i < 9; ++i) c.R(i / 3, i % 3) = v[13 + i];
  for (int i = 0; i < 3; ++i) c.t[i] = v[22 + i];
  return c;
}

cv::Mat ReprojectDepth(const cv::Mat& depth_src, const Intrinsics& src, const Intrinsics& dst,
                       const Eigen::Matrix3d& R, const Eigen::Vector3d& t) {
  if (depth_src.type() != CV_32FC1) throw MakeError("ReprojectDepth: need a CV_32FC1 depth map");
  src.Validate();
  dst.Validate();
  cv::Mat out(dst.height, dst.width, CV_32F, cv::Scalar(0));
  for (int y = 0; y < depth_src.rows; ++y) {
    const float* row = depth_src.ptr<float>(y);
    for (int x = 0; x < depth_src.cols; ++x) {
      const double z = row[x];
      if (!(z > 0)) continue;
      const Eigen::Vector3d p = R * src.Unproject(core::geometry::PixelCentre(x, y), z) + t;
      if (!(p.z() > 0)) continue;
      const Eigen::Vector2d uv = dst.Project(p);
      const int u = static_cast<int>(std::floor(uv.x())), v = static_cast<int>(std::floor(uv.y()));
      if (u < 0 || v < 0 || u >= dst.width || v >= dst.height) continue;
      float& o = out.at<float>(v, u);
      if (o == 0 || p.z() < o) o = static_cast<float>(p.z());
    }
  }
  return out;
}

BiwiDepthReader::BiwiDepthReader(const fs::path& root, BiwiOptions options)
    : root_(root), options_(options) {
  if (!fs::is_directory(root)) throw MakeError("{}: Biwi folder not found", root.string());
  const std::regex depth_name(R"((frame_\d+)_depth\.bin)");
  for (const fs::path& seq : SortedEntries(root)) {
    if (!fs::is_directory(seq)) continue;
    std::vector<Frame> frames;
    for (const fs::path& f : SortedEntries(seq)) {
      std::smatch m;
      const std::string name = f.filename().string();
      if (std::regex_match(name, m, depth_name)) {
        frames.push_back({seq.filename().string(), m[1].str(), seq});
      }
    }
    if (frames.empty()) continue;
    RequireFile(seq / "depth.cal", "Biwi depth calibration");
    if (options_.register_to_rgb) RequireFile(seq / "rgb.cal", "Biwi RGB calibration");
    frames_.insert(frames_.end(), frames.begin(), frames.end());
  }
  if (frames_.empty()) {
    throw MakeError("{}: no Biwi sequences (<seq>/frame_XXXXX_depth.bin) found", root.string());
  }
}

DepthSample BiwiDepthReader::Read(size_t index) const {
  const Frame& f = frames_.at(index);
  DepthSample s;
  s.id = f.sequence + "/" + f.name;
  const fs::path depth_path = f.dir / (f.name + "_depth.bin");
  s.depth = ReadBiwiDepthBin(depth_path);
  const BiwiCalibration dc = ReadBiwiCalibration(f.dir / "depth.cal");
  s.intrinsics = dc.Intrinsics(s.depth.cols, s.depth.rows);
  s.has_intrinsics = true;
  s.source = depth_path.string();
  if (options_.read_rgb) {
    fs::path rgb = f.dir / (f.name + "_rgb.png");
    if (!fs::exists(rgb)) rgb = f.dir / (f.name + "_rgb.jpg");
    RequireFile(rgb, "Biwi RGB frame");
    s.rgb = core::io::ReadImage(rgb);
    s.source += ", " + rgb.string();
  }
  if (options_.register_to_rgb) {
    const BiwiCalibration rc = ReadBiwiCalibration(f.dir / "rgb.cal");
    const int w = s.rgb.empty() ? s.depth.cols : s.rgb.cols;
    const int h = s.rgb.empty() ? s.depth.rows : s.rgb.rows;
    const Intrinsics rk = rc.Intrinsics(w, h);
    s.depth = ReprojectDepth(s.depth, s.intrinsics, rk, rc.R, rc.t * 0.001);
    s.intrinsics = rk;
    s.registered = true;
  } else {
    s.registered = false;  // depth and RGB cameras differ
  }
  return s;
}

// ---- Pandora -------------------------------------------------------------------------------

PandoraReader::PandoraReader(const fs::path& root, PandoraOptions o) : options_(std::move(o)) {
  if (!fs::is_directory(root)) throw MakeError("{}: Pandora folder not found", root.string());
  std::vector<fs::path> sequences;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() && fs::is_directory(it->path() / options_.depth_dir) &&
        fs::is_directory(it->path() / options_.rgb_dir)) {
      sequences.push_back(it->path());
    }
  }
  std::sort(sequences.begin(), sequences.end());
  for (const fs::path& seq : sequences) {
    for (const fs::path& d : SortedEntries(seq / options_.depth_dir)) {
      const std::string name = d.filename().string();
      const auto& suf = options_.depth_suffix;
      if (name.size() <= suf.size() || name.compare(name.size() - suf.size(), suf.size(), suf)) {
        continue;
      }
      const std::string frame = name.substr(0, name.size() - suf.size());
      const fs::path rgb = seq / options_.rgb_dir / (frame + options_.rgb_suffix);
      frames_.push_back({fs::relative(seq, root).string(), frame, rgb, d});
    }
  }
  if (frames_.empty()) {
    throw MakeError("{}: no Pandora frames (<sequence>/{}/<frame>{}) found", root.string(),
                    options_.depth_dir, options_.depth_suffix);
  }
}

DepthSample PandoraReader::Read(size_t index) const {
  const Frame& f = frames_.at(index);
  DepthSample s;
  s.id = f.sequence + "/" + f.frame;
  const cv::Mat raw = core::io::ReadImage(f.depth, core::io::ImageReadMode::kUnchanged);
  if (raw.channels() != 1 || (raw.depth() != CV_16U && raw.depth() != CV_32F)) {
    throw MakeError("{}: expected a one-channel 16-bit depth image", f.depth.string());
  }
  raw.convertTo(s.depth, CV_32F, options_.depth_scale);
  RequireFile(f.rgb, "Pandora RGB frame");
  s.rgb = core::io::ReadImage(f.rgb);
  s.registered = s.rgb.size() == s.depth.size();
  s.source = f.depth.string() + ", " + f.rgb.string();
  return s;
}

// ---- EURECOM -------------------------------------------------------------------------------

cv::Mat ReadEurecomDepthText(const fs::path& path, const EurecomOptions& o) {
  RequireFile(path, "EURECOM depth text file");
  std::istringstream in(core::ReadFile(path));
  cv::Mat depth(o.crop_height, o.crop_width, CV_32F, cv::Scalar(0));
  std::string line;
  int line_no = 0, values = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ls(line);
    double x, y, d;
    std::string extra;
    if (!(ls >> x >> y >> d) || (ls >> extra)) {
      throw MakeError("{}:{}: expected 'x y depth', got '{}'", path.string(), line_no, line);
    }
    const int cx = static_cast<int>(std::lround(x)) - o.crop_x;
    const int cy = static_cast<int>(std::lround(y)) - o.crop_y;
    if (cx < 0 || cy < 0 || cx >= o.crop_width || cy >= o.crop_height) {
      throw MakeError("{}:{}: pixel ({}, {}) lies outside the {}x{} crop at ({}, {})",
                      path.string(), line_no, x, y, o.crop_width, o.crop_height, o.crop_x,
                      o.crop_y);
    }
    if (!(d >= 0) || !std::isfinite(d)) {
      throw MakeError("{}:{}: bad depth {}", path.string(), line_no, d);
    }
    depth.at<float>(cy, cx) = static_cast<float>(d * 0.001);
    ++values;
  }
  if (values == 0) throw MakeError("{}: no depth values", path.string());
  return depth;
}

EurecomReader::EurecomReader(const fs::path& root, EurecomOptions o) : options_(o) {
  if (!fs::is_directory(root)) throw MakeError("{}: EURECOM folder not found", root.string());
  const std::regex rgb_name(R"(rgb_(\w+?)_(s\d+)_(\w+)\.bmp)");
  for (const fs::path& person : SortedEntries(root)) {
    if (!fs::is_directory(person)) continue;
    for (const fs::path& session : SortedEntries(person)) {
      const fs::path rgb_dir = session / "RGB";
      if (!fs::is_directory(rgb_dir)) continue;
      for (const fs::path& rgb : SortedEntries(rgb_dir)) {
        std::smatch m;
        const std::string name = rgb.filename().string();
        if (!std::regex_match(name, m, rgb_name)) continue;
        const fs::path depth =
            session / "Depth" / "DepthKinect" /
            ("depth_" + m[1].str() + "_" + m[2].str() + "_" + m[3].str() + ".txt");
        frames_.push_back({m[1].str(), m[2].str(), m[3].str(), rgb, depth});
      }
    }
  }
  if (frames_.empty()) {
    throw MakeError("{}: no EURECOM frames (<person>/s<k>/RGB/rgb_<person>_s<k>_<state>.bmp)",
                    root.string());
  }
}

DepthSample EurecomReader::Read(size_t index) const {
  const Frame& f = frames_.at(index);
  DepthSample s;
  s.id = f.person + "/" + f.session + "/" + f.state;
  s.rgb = core::io::ReadImage(f.rgb);
  s.depth = ReadEurecomDepthText(f.depth, options_);
  if (s.rgb.size() != s.depth.size()) {
    throw MakeError("{}: RGB is {}x{} but the depth crop is {}x{}", f.rgb.string(), s.rgb.cols,
                    s.rgb.rows, s.depth.cols, s.depth.rows);
  }
  // Nominal Kinect v1 colour camera (f = 525 px, principal point at the 640x480 centre), shifted
  // by the crop.
  s.intrinsics = Intrinsics{
      525.0, 525.0, 320.0 - options_.crop_x, 240.0 - options_.crop_y, s.depth.cols, s.depth.rows};
  s.has_intrinsics = true;
  s.intrinsics_nominal = true;
  s.source = f.rgb.string() + ", " + f.depth.string();
  return s;
}

// ---- Image folders, opening, splits ----------------------------------------------------------

ImageFolderSource::ImageFolderSource(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw MakeError("{}: image folder not found", dir.string());
  for (const fs::path& p : SortedEntries(dir)) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (fs::is_regular_file(p) &&
        (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp")) {
      files_.push_back(p);
    }
  }
  if (files_.empty()) throw MakeError("{}: no .png/.jpg/.bmp images", dir.string());
}

DepthSample ImageFolderSource::Read(size_t index) const {
  const fs::path& p = files_.at(index);
  DepthSample s;
  s.id = p.stem().string();
  s.rgb = core::io::ReadImage(p);
  s.source = p.string();
  return s;
}

SubsetSource::SubsetSource(const DepthSource& base, std::vector<size_t> indices)
    : base_(base), indices_(std::move(indices)) {
  for (size_t i : indices_) {
    if (i >= base_.size()) {
      throw MakeError("SubsetSource: index {} outside a {}-sample source", i, base_.size());
    }
  }
}

std::unique_ptr<DepthSource> OpenDepthSource(const std::string& kind_in, const fs::path& path) {
  std::string kind = kind_in;
  if (kind == "auto") {
    if (fs::exists(path / core::data::kDatasetToml)) {
      kind = "synth";
    } else if (path.extension() == ".mat") {
      kind = "nyu";
    } else {
      kind = "images";
    }
  }
  if (kind == "synth") return std::make_unique<SynthDepthDataset>(path);
  if (kind == "nyu") return std::make_unique<NyuDepthV2Reader>(path);
  if (kind == "biwi") return std::make_unique<BiwiDepthReader>(path);
  if (kind == "pandora") return std::make_unique<PandoraReader>(path);
  if (kind == "eurecom") return std::make_unique<EurecomReader>(path);
  if (kind == "images") return std::make_unique<ImageFolderSource>(path);
  throw MakeError(
      "unknown depth source kind '{}' (synth, nyu, biwi, pandora, eurecom, images, "
      "auto)",
      kind_in);
}

DepthSplit SplitByGroup(const DepthSource& source, double test_fraction) {
  if (!(test_fraction >= 0 && test_fraction <= 1)) {
    throw MakeError("test fraction must be in [0, 1], got {}", test_fraction);
  }
  const auto threshold = static_cast<uint64_t>(std::llround(test_fraction * 10000));
  std::vector<std::string> groups(source.size());
  std::map<std::string, uint64_t> buckets;  // group -> hash bucket
  for (size_t i = 0; i < source.size(); ++i) {
    groups[i] = source.Group(i);
    if (groups[i].empty()) groups[i] = "#" + std::to_string(i);
    buckets.emplace(groups[i], core::data::Fnv1a64(groups[i]) % 10000);
  }
  std::set<std::string> test_groups;
  for (const auto& [g, b] : buckets) {
    if (b < threshold) test_groups.insert(g);
  }
  // With few groups the hash may put none (or all) in the test set: then the group with the
  // lowest (highest) bucket moves, so both sides are non-empty whenever a split is possible.
  auto by_bucket = [&](bool lowest) {
    auto it = std::min_element(buckets.begin(), buckets.end(), [&](const auto& a, const auto& b) {
      return lowest ? a.second < b.second : a.second > b.second;
    });
    return it->first;
  };
  if (buckets.size() >= 2 && test_fraction > 0 && test_fraction < 1) {
    if (test_groups.empty()) test_groups.insert(by_bucket(true));
    if (test_groups.size() == buckets.size()) test_groups.erase(by_bucket(false));
  }
  DepthSplit split;
  for (size_t i = 0; i < source.size(); ++i) {
    (test_groups.count(groups[i]) ? split.test : split.train).push_back(i);
  }
  return split;
}

}  // namespace synface::depth
