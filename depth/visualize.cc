#include "depth/visualize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace synface::depth {
using core::MakeError;

namespace {
cv::Mat AsFloat(const cv::Mat& m, const char* what) {
  if (m.channels() != 1) throw MakeError("{}: depth map must have one channel", what);
  cv::Mat f;
  m.convertTo(f, CV_32F);
  return f;
}
}  // namespace

std::pair<double, double> DepthRange(const cv::Mat& depth) {
  const cv::Mat d = AsFloat(depth, "DepthRange");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (int y = 0; y < d.rows; ++y) {
    const float* r = d.ptr<float>(y);
    for (int x = 0; x < d.cols; ++x) {
      if (std::isfinite(r[x]) && r[x] > 0)
        lo = std::min<double>(lo, r[x]), hi = std::max<double>(hi, r[x]);
    }
  }
  if (!(lo <= hi)) return {0.0, 1.0};
  return {lo, hi};
}

cv::Mat ColorizeDepth(const cv::Mat& depth, double min_depth, double max_depth) {
  if (depth.empty()) throw MakeError("ColorizeDepth: empty depth map");
  const cv::Mat d = AsFloat(depth, "ColorizeDepth");
  if (min_depth <= 0 || max_depth <= 0) {
    const auto r = DepthRange(d);
    if (min_depth <= 0) min_depth = r.first;
    if (max_depth <= 0) max_depth = r.second;
  }
  const double span = std::max(max_depth - min_depth, 1e-9);
  cv::Mat grey(d.size(), CV_8U);
  cv::Mat valid(d.size(), CV_8U);
  for (int y = 0; y < d.rows; ++y) {
    const float* r = d.ptr<float>(y);
    for (int x = 0; x < d.cols; ++x) {
      const bool ok = std::isfinite(r[x]) && r[x] > 0;
      valid.at<uint8_t>(y, x) = ok ? 255 : 0;
      const double t = ok ? std::clamp((max_depth - r[x]) / span, 0.0, 1.0) : 0.0;  // near = 1
      grey.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(t * 255.0));
    }
  }
  cv::Mat colour;
  cv::applyColorMap(grey, colour, cv::COLORMAP_INFERNO);
  colour.setTo(cv::Scalar(0, 0, 0), valid == 0);
  return colour;
}

cv::Mat DepthPanel(const cv::Mat& rgb, const cv::Mat& gt, const cv::Mat& pred, double error_scale) {
  cv::Size size = !rgb.empty() ? rgb.size() : (!gt.empty() ? gt.size() : pred.size());
  if (size.area() == 0) throw MakeError("DepthPanel: nothing to show");
  auto fit = [&](const cv::Mat& m, int interp) {
    if (m.size() == size) return m;
    cv::Mat r;
    cv::resize(m, r, size, 0, 0, interp);
    return r;
  };
  const auto range = DepthRange(!gt.empty() ? gt : pred);
  std::vector<cv::Mat> tiles;
  if (!rgb.empty()) {
    cv::Mat c = rgb.channels() == 1 ? cv::Mat() : rgb;
    if (rgb.channels() == 1) cv::cvtColor(rgb, c, cv::COLOR_GRAY2BGR);
    tiles.push_back(fit(c, cv::INTER_LINEAR));
  }
  cv::Mat g = gt.empty() ? cv::Mat() : fit(AsFloat(gt, "DepthPanel"), cv::INTER_NEAREST);
  cv::Mat p = pred.empty() ? cv::Mat() : fit(AsFloat(pred, "DepthPanel"), cv::INTER_LINEAR);
  if (!g.empty()) tiles.push_back(ColorizeDepth(g, range.first, range.second));
  if (!p.empty()) tiles.push_back(ColorizeDepth(p, range.first, range.second));
  if (!g.empty() && !p.empty()) {
    cv::Mat err(size, CV_8U, cv::Scalar(0));
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        const float gv = g.at<float>(y, x);
        if (!(gv > 0)) continue;
        const double e = std::abs(p.at<float>(y, x) - gv) / std::max(error_scale, 1e-9);
        err.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(std::min(e, 1.0) * 255.0));
      }
    }
    cv::Mat e3;
    cv::cvtColor(err, e3, cv::COLOR_GRAY2BGR);
    tiles.push_back(e3);
  }
  cv::Mat out;
  cv::hconcat(tiles, out);
  return out;
}

PointCloudData BackProject(const cv::Mat& depth, const core::geometry::Intrinsics& k,
                           const cv::Mat& bgr, int stride) {
  if (stride < 1) throw MakeError("BackProject: stride must be >= 1");
  k.Validate();
  const cv::Mat d = AsFloat(depth, "BackProject");
  if (!bgr.empty() && (bgr.size() != d.size() || bgr.type() != CV_8UC3)) {
    throw MakeError("BackProject: colour image must be 8-bit BGR of the depth map's size");
  }
  // Intrinsics describe the depth map's own grid (rescaled when the map has another size).
  const core::geometry::Intrinsics kk =
      (k.width == d.cols && k.height == d.rows) ? k : k.Resized(d.cols, d.rows);
  PointCloudData out;
  for (int y = 0; y < d.rows; y += stride) {
    for (int x = 0; x < d.cols; x += stride) {
      const float z = d.at<float>(y, x);
      if (!std::isfinite(z) || !(z > 0)) continue;
      out.points.push_back(kk.Unproject(core::geometry::PixelCentre(x, y), z).cast<float>());
      if (!bgr.empty()) {
        const cv::Vec3b c = bgr.at<cv::Vec3b>(y, x);
        out.colors.emplace_back(c[2], c[1], c[0]);
      }
    }
  }
  return out;
}

void WriteDepthPly(const std::filesystem::path& path, const cv::Mat& depth,
                   const core::geometry::Intrinsics& intrinsics, const cv::Mat& bgr, int stride) {
  const PointCloudData cloud = BackProject(depth, intrinsics, bgr, stride);
  if (cloud.points.empty()) throw MakeError("{}: the depth map has no valid pixel", path.string());
  core::io::WritePointCloudPly(path, cloud.points, cloud.colors);
}

}  // namespace synface::depth
