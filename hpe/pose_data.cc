#include "hpe/pose_data.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/geometry/rotation.h"
#include "core/io/image.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/progress.h"

namespace synface::hpe {
namespace fs = std::filesystem;
using core::MakeError;

namespace {

// Python's int() on a float: truncation towards zero.
int PyInt(double v) { return static_cast<int>(std::trunc(v)); }

const char* Named(const std::string& source) {
  return source.empty() ? "face crop" : source.c_str();
}

}  // namespace

PixelBox FsaNetLandmarkBox(const std::vector<Eigen::Vector2d>& landmarks, double margin,
                           int image_width, int image_height, const std::string& source) {
  size_t n_x = 0, n_y = 0;
  for (const auto& p : landmarks) {
    n_x += p.x() > 0.0;
    n_y += p.y() > 0.0;
  }
  // The script keeps the x > 0 mask unless it selects more points than the y > 0 mask.
  const bool use_y = n_x > n_y;
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  bool any = false;
  for (const auto& p : landmarks) {
    if (!(use_y ? p.y() > 0.0 : p.x() > 0.0) || !std::isfinite(p.x()) || !std::isfinite(p.y())) {
      continue;
    }
    if (!any) {
      x_min = x_max = p.x();
      y_min = y_max = p.y();
      any = true;
    } else {
      x_min = std::min(x_min, p.x());
      x_max = std::max(x_max, p.x());
      y_min = std::min(y_min, p.y());
      y_max = std::max(y_max, p.y());
    }
  }
  if (!any) throw MakeError("{}: no landmark with positive coordinates", Named(source));
  const int ix0 = PyInt(x_min), ix1 = PyInt(x_max), iy0 = PyInt(y_min), iy1 = PyInt(y_max);
  const int w = ix1 - ix0, h = iy1 - iy0;
  PixelBox box;
  box.x0 = std::max(PyInt(ix0 - margin * w), 0);
  box.x1 = std::min(PyInt(ix1 + margin * w), image_width - 1);
  box.y0 = std::max(PyInt(iy0 - margin * h), 0);
  box.y1 = std::min(PyInt(iy1 + margin * h), image_height - 1);
  if (box.empty()) {
    throw MakeError("{}: landmark box [{}, {}) x [{}, {}) is empty inside the {}x{} image",
                    Named(source), box.x0, box.x1, box.y0, box.y1, image_width, image_height);
  }
  return box;
}

PixelBox FsaNetDetectionBox(const Eigen::Vector4d& xywh, double margin, int image_width,
                            int image_height, const std::string& source) {
  const double x1 = xywh[0], y1 = xywh[1], w = xywh[2], h = xywh[3];
  if (!xywh.allFinite() || w <= 0 || h <= 0) {
    throw MakeError("{}: face box (x {}, y {}, w {}, h {}) is not a box", Named(source), x1, y1, w,
                    h);
  }
  const int xw1 = std::max(PyInt(x1 - margin * w), 0);
  const int yw1 = std::max(PyInt(y1 - margin * h), 0);
  const int xw2 = std::min(PyInt(x1 + w + margin * w), image_width - 1);
  const int yw2 = std::min(PyInt(y1 + h + margin * h), image_height - 1);
  PixelBox box{xw1, yw1, xw2 + 1, yw2 + 1};  // img[yw1:yw2 + 1, xw1:xw2 + 1]
  if (box.empty()) {
    throw MakeError("{}: face box lies outside the {}x{} image", Named(source), image_width,
                    image_height);
  }
  return box;
}

cv::Mat CropAndResize(const cv::Mat& image, const PixelBox& box, int size) {
  if (box.empty() || box.x0 < 0 || box.y0 < 0 || box.x1 > image.cols || box.y1 > image.rows) {
    throw MakeError("CropAndResize: box [{}, {}) x [{}, {}) outside the {}x{} image", box.x0,
                    box.x1, box.y0, box.y1, image.cols, image.rows);
  }
  cv::Mat out;
  cv::resize(image(cv::Rect(box.x0, box.y0, box.width(), box.height())), out, cv::Size(size, size),
             0, 0, cv::INTER_LINEAR);
  return out;
}

PixelBox PoseRecord::CropBox(int image_width, int image_height) const {
  switch (crop) {
    case CropKind::kWhole:
      return PixelBox{0, 0, image_width, image_height};
    case CropKind::kLandmarks:
      return FsaNetLandmarkBox(landmarks, margin, image_width, image_height, name);
    case CropKind::kBox:
      return FsaNetDetectionBox(box, margin, image_width, image_height, name);
  }
  throw MakeError("{}: unknown crop kind", name);
}

Eigen::Vector3d LabelDegrees(const core::geometry::HeadPose& pose) {
  return core::geometry::HeadPoseToDegrees(pose);
}

PoseSet PoseSet::Subset(const std::vector<size_t>& indices) const {
  PoseSet out;
  out.size = size;
  for (size_t i : indices) {
    if (i >= count()) throw MakeError("PoseSet::Subset: index {} of {} samples", i, count());
    out.images.push_back(images[i]);
    out.labels.push_back(labels[i]);
    out.groups.push_back(groups[i]);
    out.names.push_back(names[i]);
  }
  return out;
}

void PoseSet::Append(const PoseSet& other) {
  if (other.count() == 0) return;
  if (count() == 0) size = other.size;
  if (other.size != size) {
    throw MakeError("PoseSet::Append: crop sizes differ ({} vs {})", size, other.size);
  }
  images.insert(images.end(), other.images.begin(), other.images.end());
  labels.insert(labels.end(), other.labels.begin(), other.labels.end());
  groups.insert(groups.end(), other.groups.begin(), other.groups.end());
  names.insert(names.end(), other.names.begin(), other.names.end());
}

PoseSet LoadPoseSet(const std::vector<PoseRecord>& records, const LoadOptions& options) {
  if (options.size <= 0) throw MakeError("LoadPoseSet: size must be > 0");
  PoseSet set;
  set.size = options.size;
  const size_t n = records.size();
  set.images.resize(n);
  set.labels.resize(n);
  set.groups.resize(n);
  set.names.resize(n);
  int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(n, 1)));

  std::atomic<size_t> next{0}, done{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto load_one = [&](size_t i) {
    try {
      const PoseRecord& r = records[i];
      const cv::Mat image = core::io::ReadImage(r.image);
      set.images[i] = CropAndResize(image, r.CropBox(image.cols, image.rows), options.size);
      set.labels[i] = LabelDegrees(r.pose);
      set.groups[i] = r.group;
      set.names[i] = r.name.empty() ? r.image.filename().string() : r.name;
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = n;  // the other workers stop at their next image
    }
    ++done;
  };
  auto work = [&]() {
    for (size_t i = next++; i < n; i = next++) load_one(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  if (options.show_progress && n > 0) {
    // The calling thread decodes too and reports progress between its images.
    core::Progress progress(options.label, static_cast<int64_t>(n), "images");
    for (size_t i = next++; i < n; i = next++) {
      load_one(i);
      progress.Update(static_cast<int64_t>(done.load()));
    }
    for (auto& t : pool) t.join();
    pool.clear();
    if (!error) progress.Finish();
  } else {
    work();
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  return set;
}

// ---- cache file
// ----------------------------------------------------------------------------------

namespace {

constexpr char kMagic[8] = {'S', 'F', 'P', 'O', 'S', 'E', 'S', '1'};

template <typename T>
void Put(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
void Get(std::istream& in, T& v, const fs::path& path) {
  if (!in.read(reinterpret_cast<char*>(&v), sizeof(T))) {
    throw MakeError("{}: truncated pose-set file", path.string());
  }
}

}  // namespace

void SavePoseSet(const fs::path& path, const PoseSet& set) {
  core::WriteViaTemporary(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out.write(kMagic, sizeof(kMagic));
    Put(out, static_cast<int32_t>(set.size));
    Put(out, static_cast<uint64_t>(set.count()));
    for (size_t i = 0; i < set.count(); ++i) {
      const cv::Mat& im = set.images[i];
      if (im.rows != set.size || im.cols != set.size || im.type() != CV_8UC3) {
        throw MakeError("SavePoseSet: sample {} is not a {}x{} 8-bit BGR crop", i, set.size,
                        set.size);
      }
      for (int k = 0; k < 3; ++k) Put(out, set.labels[i][k]);
      Put(out, static_cast<int32_t>(set.groups[i]));
      Put(out, static_cast<uint32_t>(set.names[i].size()));
      out.write(set.names[i].data(), static_cast<std::streamsize>(set.names[i].size()));
      const cv::Mat c = im.isContinuous() ? im : im.clone();
      out.write(reinterpret_cast<const char*>(c.data), static_cast<std::streamsize>(c.total() * 3));
    }
    if (!out) throw MakeError("{}: write failed", tmp.string());
  });
}

PoseSet ReadPoseSet(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MakeError("{}: cannot open pose-set file", path.string());
  char magic[sizeof(kMagic)];
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    throw MakeError("{}: not a synface pose-set file", path.string());
  }
  int32_t size = 0;
  uint64_t count = 0;
  Get(in, size, path);
  Get(in, count, path);
  if (size <= 0 || size > 4096) throw MakeError("{}: bad crop size {}", path.string(), size);
  PoseSet set;
  set.size = size;
  for (uint64_t i = 0; i < count; ++i) {
    Eigen::Vector3d label;
    for (int k = 0; k < 3; ++k) Get(in, label[k], path);
    int32_t group = 0;
    uint32_t name_len = 0;
    Get(in, group, path);
    Get(in, name_len, path);
    if (name_len > 4096) throw MakeError("{}: sample {}: bad name length", path.string(), i);
    std::string name(name_len, '\0');
    if (!in.read(name.data(), name_len))
      throw MakeError("{}: truncated pose-set file", path.string());
    cv::Mat image(size, size, CV_8UC3);
    if (!in.read(reinterpret_cast<char*>(image.data),
                 static_cast<std::streamsize>(image.total() * 3))) {
      throw MakeError("{}: truncated pose-set file (sample {} of {})", path.string(), i, count);
    }
    set.images.push_back(image);
    set.labels.push_back(label);
    set.groups.push_back(group);
    set.names.push_back(std::move(name));
  }
  return set;
}

}  // namespace synface::hpe
