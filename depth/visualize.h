// Pictures and point clouds of depth maps for people to look at: colour-mapped depth PNGs, a
// side-by-side panel (RGB | ground truth | prediction | error), and PLY point clouds
// back-projected through the camera intrinsics.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <opencv2/core.hpp>
#include <vector>

#include "core/geometry/camera.h"
#include "core/io/mesh.h"

namespace synface::depth {

// BGR picture of a depth map (metres): near surfaces bright, far ones dark (inferno colour map,
// perceptually ordered); pixels with depth <= 0 or non-finite black. min/max <= 0: the range of
// the valid values.
cv::Mat ColorizeDepth(const cv::Mat& depth, double min_depth = 0, double max_depth = 0);

// The depth range ColorizeDepth would use for `depth` (valid values' min and max; {0, 1} when
// there are none).
std::pair<double, double> DepthRange(const cv::Mat& depth);

// One picture: RGB | ground truth | prediction | |prediction - ground truth| (grey, white =
// `error_scale` metres or more). Depth maps share one colour range (the ground truth's when
// given); the prediction is resized to the RGB's size. Empty inputs are left out.
cv::Mat DepthPanel(const cv::Mat& rgb, const cv::Mat& gt, const cv::Mat& pred,
                   double error_scale = 0.05);

// Camera-frame points (metres) of every pixel with finite depth > 0, every `stride`-th pixel in
// each direction; colours from `bgr` (same size as depth, may be empty) in RGB order.
struct PointCloudData {
  std::vector<Eigen::Vector3f> points;
  std::vector<core::io::Rgb8> colors;
};
PointCloudData BackProject(const cv::Mat& depth, const core::geometry::Intrinsics& intrinsics,
                           const cv::Mat& bgr = {}, int stride = 1);

// BackProject + core::io::WritePointCloudPly. Throws core::Error when no pixel has depth.
void WriteDepthPly(const std::filesystem::path& path, const cv::Mat& depth,
                   const core::geometry::Intrinsics& intrinsics, const cv::Mat& bgr = {},
                   int stride = 1);

}  // namespace synface::depth
