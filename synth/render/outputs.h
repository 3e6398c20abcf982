// Writing a render's image outputs (the per-sample files of a dataset) and preview pictures.
//   rgb    PNG (or JPEG, by extension), 8-bit BGR as rendered.
//   depth  EXR, float32, channels "Z" (planar depth, metres, 0 = no surface) and "distance"
//          (ray distance from the camera centre, metres, 0 = no surface), with string attributes
//          saying so.
//   mask   8-bit single-channel PNG holding PartLabel values (0 background, 1 skin, 2 eyes,
//          3 mouth, 4 other).
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>

#include "core/io/exr.h"
#include "core/io/image.h"
#include "synth/render/renderer.h"

namespace synface::synth::render {

void WriteRgb(const std::filesystem::path& path, const RenderOutput& output,
              const core::io::ImageWriteOptions& options = {});
// The depth EXR's content: "Z" and "distance" channels and their attributes.
core::io::ExrImage DepthExrImage(const RenderOutput& output);
void WriteDepthExr(const std::filesystem::path& path, const RenderOutput& output,
                   const core::io::ExrWriteOptions& options = {});
void WriteMask(const std::filesystem::path& path, const RenderOutput& output);

// The bytes the Write* functions above write, encoded in memory (so a dataset writer can encode
// on the render threads and write elsewhere). `extension` like ".png". Byte-identical to the
// files (tested). EncodeDepthExr supports float channels only (the depth labels' type).
std::string EncodeRgb(const std::string& extension, const RenderOutput& output,
                      const core::io::ImageWriteOptions& options = {});
std::string EncodeDepthExr(const RenderOutput& output,
                           const core::io::ExrWriteOptions& options = {});
std::string EncodeMask(const RenderOutput& output);

// BGR colour of each part label in previews.
cv::Vec3b PartLabelColor(PartLabel label);
// A BGR picture of a mask (each label in its colour).
cv::Mat ColorizeMask(const cv::Mat& mask);
// A BGR picture of a depth map: near surfaces bright, far ones dark (a perceptually ordered
// colour map), no surface black. min/max depth <= 0: the range of the valid values.
cv::Mat ColorizeDepth(const cv::Mat& depth, double min_depth = 0, double max_depth = 0);

}  // namespace synface::synth::render
