// A small z-buffer rasteriser for looking at heads (not the data renderer, which is synth/render):
// shaded albedo, part classes or normals, with the 68 landmarks drawn, from a camera orbiting the
// model frame. Used by the head_preview tool and by tests that check what a camera sees.
#pragma once

#include <opencv2/core.hpp>

#include "synth/heads/head.h"

namespace synface::synth::heads {

struct PreviewOptions {
  enum class Mode { kShaded, kParts, kNormals };
  int width = 320, height = 320;
  double distance = 0.6;      // camera distance from the model origin, metres
  double view_height = 0.34;  // metres of the model-origin plane that fill the image height
  // The camera's view of the model frame, in the head-pose convention (docs/conventions.md):
  // cam_from_model rotation = Rx(-pitch) Ry(yaw) Rz(roll); yaw > 0 shows the face turned towards
  // image left.
  double yaw = 0.0, pitch = 0.0, roll = 0.0;         // radians
  Eigen::Vector3d target = Eigen::Vector3d::Zero();  // model-frame point at the image centre
  Mode mode = Mode::kShaded;
  bool landmarks = true;
};

// 8-bit BGR image. Albedo is shaded with a headlight-like key light and encoded as sRGB; parts
// use one colour per class (skin, eyes, teeth/mouth, hair/other; hidden parts are not drawn);
// landmarks are green where visible, red where occluded.
cv::Mat RenderPreview(const HeadInstance& head, const PosedHead& posed,
                      const PreviewOptions& options);

// Per-pixel part labels (PartClass values, 0 = background) and camera depth (0 = none) of the
// same rasterisation, for tests.
struct PreviewBuffers {
  cv::Mat labels;  // CV_8U
  cv::Mat depth;   // CV_32F, metres along the optical axis
};
PreviewBuffers RasterisePreview(const HeadInstance& head, const PosedHead& posed,
                                const PreviewOptions& options);

}  // namespace synface::synth::heads
