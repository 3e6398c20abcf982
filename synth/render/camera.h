// The renderer's camera: a pinhole (core::geometry::Intrinsics) placed by cam_from_world, with
// near and far clip planes.
//
// Camera rays leave the camera centre through a pixel position (u, v) with the camera-frame
// direction ((u - cx) / fx, (v - cy) / fy, 1), i.e. scaled to unit planar depth; a ray parameter
// t is therefore the planar depth z of the point it reaches. Clipping is planar, like Blender's
// clip_start / clip_end: a ray starts at z = near and surfaces beyond z = far are misses.
#pragma once

#include <Eigen/Core>

#include "core/geometry/camera.h"
#include "core/geometry/rigid.h"

namespace synface::synth::render {

struct Camera {
  core::geometry::Intrinsics intrinsics;
  core::geometry::Rigid3d cam_from_world;  // OpenCV axes: x right, y down, z forward
  double near_clip = 0.01;                 // metres of planar depth (ch2 digest section 3-C3)
  double far_clip = 15.0;

  // Throws core::Error for invalid intrinsics or clip planes (0 < near < far, finite).
  void Validate() const;
  Eigen::Vector3d CentreInWorld() const;
  // World-frame direction of the ray through continuous pixel position `pixel`, scaled so that
  // its camera-frame z component is 1.
  Eigen::Vector3d RayDirectionWorld(const Eigen::Vector2d& pixel) const;
};

}  // namespace synface::synth::render
