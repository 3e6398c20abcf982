#include "synth/datagen/preview.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <opencv2/imgproc.hpp>
#include <string>

#include "core/config/config.h"
#include "core/data/dataset.h"
#include "core/geometry/camera.h"
#include "core/geometry/rotation.h"
#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/render/outputs.h"

namespace synface::synth::datagen {
namespace fs = std::filesystem;

namespace {

// OpenCV draws at integer pixel centres: continuous (u, v) is pixel (u - 0.5, v - 0.5). Drawing
// with 4 bits of sub-pixel precision.
constexpr int kShift = 4;
cv::Point Fixed(const Eigen::Vector2d& p, double scale) {
  return cv::Point(static_cast<int>(std::lround((p.x() * scale - 0.5) * (1 << kShift))),
                   static_cast<int>(std::lround((p.y() * scale - 0.5) * (1 << kShift))));
}

// id -> label record path of every sample in the folder.
std::map<uint64_t, fs::path> LabelFiles(const fs::path& samples) {
  std::map<uint64_t, fs::path> out;
  for (const auto& e : fs::directory_iterator(samples)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) {
      const std::string stem = name.substr(0, name.size() - 5);
      if (!stem.empty() && stem.size() < 20 &&
          std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        out[std::stoull(stem)] = e.path();
      }
    }
  }
  return out;
}

fs::path SamplesDir(const fs::path& dir) {
  try {
    const core::data::DatasetInfo info = core::data::ReadDatasetInfo(dir);
    return dir / info.sample_dir;
  } catch (const core::Error&) {
    return dir / "samples";
  }
}

}  // namespace

std::vector<uint64_t> LabelledIds(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw core::MakeError("{}: not a dataset folder", dir.string());
  std::vector<uint64_t> ids;
  if (fs::exists(dir / core::data::kManifestCsv)) {
    const core::data::Dataset d =
        core::data::Dataset::Open(dir, core::data::OpenOptions{/*allow_incomplete=*/true});
    return d.Ids();
  }
  const fs::path samples = SamplesDir(dir);
  if (!fs::is_directory(samples)) {
    throw core::MakeError("{}: no samples folder (is it a synth dataset?)", dir.string());
  }
  for (const auto& [id, path] : LabelFiles(samples)) ids.push_back(id);
  if (ids.empty()) throw core::MakeError("{}: no labelled samples yet", dir.string());
  return ids;
}

cv::Mat DrawSamplePanel(const labels::SampleLabels& l, const cv::Mat& rgb, const cv::Mat& depth,
                        int panel_width) {
  const int w = l.intrinsics.width, h = l.intrinsics.height;
  const double scale = static_cast<double>(panel_width) / w;
  const int ph = std::max(1, static_cast<int>(std::lround(h * scale)));
  cv::Mat left;
  if (!rgb.empty()) {
    cv::resize(rgb, left, cv::Size(panel_width, ph), 0, 0, cv::INTER_AREA);
  } else {
    left = cv::Mat(ph, panel_width, CV_8UC3, cv::Scalar(64, 64, 64));
  }
  if (left.channels() == 1) cv::cvtColor(left, left, cv::COLOR_GRAY2BGR);
  const int radius = std::max(1, panel_width / 120) << kShift;
  // Landmarks: the visible dense ones as faint dots, then the 68 (green visible, red hidden).
  cv::Mat dots = left.clone();
  for (size_t i = 0; i < l.dense.size(); ++i) {
    if (!l.dense.in_image[i] || !l.dense.visible[i]) continue;
    const Eigen::Vector2d p = l.dense.xy[i] * scale;
    const int x = static_cast<int>(std::floor(p.x())), y = static_cast<int>(std::floor(p.y()));
    if (x >= 0 && y >= 0 && x < dots.cols && y < dots.rows) {
      dots.at<cv::Vec3b>(y, x) = cv::Vec3b(255, 255, 0);
    }
  }
  cv::addWeighted(left, 0.6, dots, 0.4, 0.0, left);
  for (size_t i = 0; i < l.landmarks68.size(); ++i) {
    if (!l.landmarks68.in_image[i]) continue;
    const cv::Scalar c = l.landmarks68.visible[i] ? cv::Scalar(0, 230, 0) : cv::Scalar(0, 0, 230);
    cv::circle(left, Fixed(l.landmarks68.xy[i], scale), radius, c, cv::FILLED, cv::LINE_AA, kShift);
  }
  // Pose axes from the eye midpoint.
  const core::geometry::PoseAxes2d axes =
      core::geometry::ProjectPoseAxes(l.intrinsics, l.CamFromHead(), 0.06);
  if (axes.valid) {
    const int t = std::max(1, panel_width / 120);
    const cv::Point o = Fixed(axes.origin, scale);
    cv::line(left, o, Fixed(axes.x_end, scale), cv::Scalar(0, 0, 255), t, cv::LINE_AA, kShift);
    cv::line(left, o, Fixed(axes.y_end, scale), cv::Scalar(0, 200, 0), t, cv::LINE_AA, kShift);
    cv::line(left, o, Fixed(axes.forward_end, scale), cv::Scalar(255, 80, 0), t, cv::LINE_AA,
             kShift);
  }
  cv::Mat right;
  if (!depth.empty()) {
    cv::resize(render::ColorizeDepth(depth), right, cv::Size(panel_width, ph), 0, 0,
               cv::INTER_NEAREST);
  } else {
    right = cv::Mat(ph, panel_width, CV_8UC3, cv::Scalar(32, 32, 32));
    cv::putText(right, "no depth", cv::Point(8, ph / 2), cv::FONT_HERSHEY_SIMPLEX, 0.5,
                cv::Scalar(200, 200, 200), 1, cv::LINE_AA);
  }
  const int caption = 18;
  cv::Mat panel(ph + caption, 2 * panel_width, CV_8UC3, cv::Scalar(20, 20, 20));
  left.copyTo(panel(cv::Rect(0, 0, panel_width, ph)));
  right.copyTo(panel(cv::Rect(panel_width, 0, panel_width, ph)));
  const std::string text = fmt::format(
      "#{}  y {:.1f} p {:.1f} r {:.1f}  {}  {}/68 vis", l.id, core::geometry::RadToDeg(l.pose.yaw),
      core::geometry::RadToDeg(l.pose.pitch), core::geometry::RadToDeg(l.pose.roll),
      l.background.value("type", std::string("?")), l.landmarks68.NumVisible());
  cv::putText(panel, text, cv::Point(4, ph + 13), cv::FONT_HERSHEY_SIMPLEX, 0.4,
              cv::Scalar(230, 230, 230), 1, cv::LINE_AA);
  return panel;
}

cv::Mat ContactSheet(const fs::path& dir, const ContactSheetOptions& options) {
  const std::vector<uint64_t> all = LabelledIds(dir);
  const fs::path samples = SamplesDir(dir);
  const std::map<uint64_t, fs::path> records = LabelFiles(samples);
  const int n = std::min<int>(std::max(1, options.count), static_cast<int>(all.size()));
  std::vector<cv::Mat> panels;
  for (int k = 0; k < n; ++k) {
    const uint64_t id = all[static_cast<size_t>(
        n == 1 ? 0 : std::llround(static_cast<double>(k) * (all.size() - 1) / (n - 1)))];
    const auto record = records.find(id);
    if (record == records.end()) {
      throw core::MakeError("{}: no label record for sample {}", samples.string(), id);
    }
    const labels::SampleLabels l = labels::ReadSampleLabels(record->second);
    cv::Mat rgb, depth;
    auto file = [&](const char* kind) -> fs::path {
      auto it = l.files.find(kind);
      return it == l.files.end() ? fs::path() : samples / it->second;
    };
    if (const fs::path p = file("rgb"); !p.empty() && fs::exists(p)) rgb = core::io::ReadImage(p);
    if (const fs::path p = file("depth"); !p.empty() && fs::exists(p)) {
      depth = core::io::ReadExr(p, {"Z"}).Get("Z");
    }
    if (rgb.empty()) {
      if (const fs::path p = file("mask"); !p.empty() && fs::exists(p)) {
        rgb = render::ColorizeMask(core::io::ReadImage(p, core::io::ImageReadMode::kGrayscale));
      }
    }
    panels.push_back(DrawSamplePanel(l, rgb, depth, options.panel_width));
  }
  const int cols = options.columns > 0
                       ? options.columns
                       : std::max(1, static_cast<int>(std::ceil(std::sqrt(n / 2.0))));
  const int rows = (n + cols - 1) / cols;
  int cell_h = 0;
  for (const cv::Mat& p : panels) cell_h = std::max(cell_h, p.rows);
  const int cell_w = panels[0].cols, gap = 4;
  cv::Mat sheet(rows * (cell_h + gap) + gap, cols * (cell_w + gap) + gap, CV_8UC3,
                cv::Scalar(255, 255, 255));
  for (int k = 0; k < n; ++k) {
    const int r = k / cols, c = k % cols;
    panels[k].copyTo(sheet(cv::Rect(gap + c * (cell_w + gap), gap + r * (cell_h + gap),
                                    panels[k].cols, panels[k].rows)));
  }
  return sheet;
}

int PreviewMain(int argc, char** argv) {
  core::InitRunfiles(argv[0]);
  try {
    const core::config::CommandLine cl = core::config::SplitCommandLine(argc, argv);
    if (cl.rest.size() != 1 || !cl.files.empty()) {
      throw core::Error(
          "usage: bazel run //synth:preview -- DIR [out=sheet.png] [count=16] [columns=0] "
          "[panel_width=240]");
    }
    const fs::path dir = core::ResolveUserPath(cl.rest[0]);
    core::config::Schema schema;
    schema.Optional<std::string>("out", "", "output PNG (default DIR/contact_sheet.png)");
    schema.Optional<int64_t>("count", 16, "samples shown");
    schema.Range("count", 1, 10000);
    schema.Optional<int64_t>("columns", 0, "grid columns (0: about square)");
    schema.Range("columns", 0, 1000);
    schema.Optional<int64_t>("panel_width", 240, "pixels per panel");
    schema.Range("panel_width", 16, 4096);
    const core::config::Config c =
        core::config::LoadConfigString("", "preview", cl.overrides, schema);
    ContactSheetOptions options;
    options.count = c.Get<int>("count");
    options.columns = c.Get<int>("columns");
    options.panel_width = c.Get<int>("panel_width");
    const std::string out_key = c.Get<std::string>("out");
    const fs::path out =
        out_key.empty() ? dir / "contact_sheet.png" : core::ResolveUserPath(out_key);
    const cv::Mat sheet = ContactSheet(dir, options);
    core::io::WriteImage(out, sheet);
    std::printf("contact sheet (%dx%d) written to %s\n", sheet.cols, sheet.rows,
                out.string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace synface::synth::datagen
