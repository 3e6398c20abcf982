#include "synth/render/camera.h"

#include <cmath>

#include "core/util/error.h"

namespace synface::synth::render {

void Camera::Validate() const {
  intrinsics.Validate();
  if (!std::isfinite(near_clip) || !std::isfinite(far_clip) || !(near_clip > 0) ||
      !(far_clip > near_clip))
    throw core::MakeError("camera: clip planes near={} far={} (need 0 < near < far, finite)",
                          near_clip, far_clip);
  if (!cam_from_world.translation.allFinite() || !cam_from_world.rotation.coeffs().allFinite())
    throw core::Error("camera: cam_from_world is not finite");
}

Eigen::Vector3d Camera::CentreInWorld() const { return cam_from_world.Inverse().translation; }

Eigen::Vector3d Camera::RayDirectionWorld(const Eigen::Vector2d& pixel) const {
  return cam_from_world.rotation.conjugate() * intrinsics.RayZ1(pixel);
}

}  // namespace synface::synth::render
