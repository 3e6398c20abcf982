#include "synth/render/outputs.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace synface::synth::render {

void WriteRgb(const std::filesystem::path& path, const RenderOutput& output,
              const core::io::ImageWriteOptions& options) {
  if (output.rgb.empty())
    throw core::MakeError("{}: the render has no RGB image (depth_only mode)", path.string());
  core::io::WriteImage(path, output.rgb, options);
}

core::io::ExrImage DepthExrImage(const RenderOutput& output) {
  if (output.depth.empty() || output.distance.empty())
    throw core::Error("depth EXR: the render has no depth");
  core::io::ExrImage image;
  image.Add("Z", output.depth);
  image.Add("distance", output.distance);
  image.attributes["synface.units"] = "metres";
  image.attributes["synface.depth"] =
      "Z: planar depth along the optical axis at the pixel-centre ray, 0 = no surface";
  image.attributes["synface.distance"] =
      "distance: Euclidean distance from the camera centre along the pixel-centre ray, "
      "0 = no surface";
  return image;
}

void WriteDepthExr(const std::filesystem::path& path, const RenderOutput& output,
                   const core::io::ExrWriteOptions& options) {
  core::io::WriteExr(path, DepthExrImage(output), options);
}

void WriteMask(const std::filesystem::path& path, const RenderOutput& output) {
  if (output.mask.empty() || output.mask.type() != CV_8UC1)
    throw core::MakeError("{}: the render has no 8-bit mask", path.string());
  core::io::WriteImage(path, output.mask);
}

cv::Vec3b PartLabelColor(PartLabel label) {
  switch (label) {
    case PartLabel::kBackground:
      return {0, 0, 0};
    case PartLabel::kSkin:
      return {128, 178, 230};  // light tan
    case PartLabel::kEyes:
      return {230, 160, 40};  // blue
    case PartLabel::kMouth:
      return {60, 40, 200};  // red
    case PartLabel::kOther:
      return {60, 200, 110};  // green
  }
  return {255, 255, 255};
}

cv::Mat ColorizeMask(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1) throw core::Error("ColorizeMask: expected an 8-bit mask");
  cv::Mat out(mask.size(), CV_8UC3);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) {
      const std::uint8_t v = mask.at<std::uint8_t>(y, x);
      out.at<cv::Vec3b>(y, x) =
          v < kNumPartLabels ? PartLabelColor(static_cast<PartLabel>(v)) : cv::Vec3b(255, 255, 255);
    }
  return out;
}

cv::Mat ColorizeDepth(const cv::Mat& depth, double min_depth, double max_depth) {
  if (depth.type() != CV_32FC1) throw core::Error("ColorizeDepth: expected a CV_32FC1 depth map");
  if (min_depth <= 0 || max_depth <= 0) {
    double lo = INFINITY, hi = 0;
    for (int y = 0; y < depth.rows; ++y)
      for (int x = 0; x < depth.cols; ++x) {
        const float d = depth.at<float>(y, x);
        if (d > 0 && std::isfinite(d)) {
          lo = std::min(lo, static_cast<double>(d));
          hi = std::max(hi, static_cast<double>(d));
        }
      }
    if (min_depth <= 0) min_depth = std::isfinite(lo) ? lo : 0;
    if (max_depth <= 0) max_depth = hi;
  }
  const double span = std::max(max_depth - min_depth, 1e-9);
  cv::Mat grey(depth.size(), CV_8UC1, cv::Scalar(0));
  cv::Mat valid(depth.size(), CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < depth.rows; ++y)
    for (int x = 0; x < depth.cols; ++x) {
      const float d = depth.at<float>(y, x);
      if (!(d > 0) || !std::isfinite(d)) continue;
      const double near_is_high = 1.0 - std::clamp((d - min_depth) / span, 0.0, 1.0);
      grey.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(std::lround(30 + 225 * near_is_high));
      valid.at<std::uint8_t>(y, x) = 255;
    }
  cv::Mat colour;
  cv::applyColorMap(grey, colour, cv::COLORMAP_INFERNO);
  cv::Mat out(depth.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  colour.copyTo(out, valid);
  return out;
}

}  // namespace synface::synth::render
