#include "core/geometry/blender.h"

#include <cfloat>
#include <cmath>

#include "core/geometry/rotation.h"

namespace synface::core::geometry {

Eigen::Matrix3d MatrixFromBlenderEuler(const BlenderEulerXyz& e) {
  return RotationZ(e.z) * RotationY(e.y) * RotationX(e.x);
}

BlenderEulerXyz BlenderEulerFromMatrix(const Eigen::Matrix3d& r) {
  // Blender stores matrices column-major (mat[col][row]); written here with row/column indices.
  const double cy = std::hypot(r(0, 0), r(1, 0));
  if (!(cy > 16.0 * FLT_EPSILON)) {
    return BlenderEulerXyz{std::atan2(-r(1, 2), r(1, 1)), std::atan2(-r(2, 0), cy), 0.0};
  }
  const BlenderEulerXyz e1{std::atan2(r(2, 1), r(2, 2)), std::atan2(-r(2, 0), cy),
                           std::atan2(r(1, 0), r(0, 0))};
  const BlenderEulerXyz e2{std::atan2(-r(2, 1), -r(2, 2)), std::atan2(-r(2, 0), -cy),
                           std::atan2(-r(1, 0), -r(0, 0))};
  const double s1 = std::abs(e1.x) + std::abs(e1.y) + std::abs(e1.z);
  const double s2 = std::abs(e2.x) + std::abs(e2.y) + std::abs(e2.z);
  return s1 > s2 ? e2 : e1;
}

Eigen::Matrix3d OpenCvFromBlenderCameraAxes() {
  return Eigen::Vector3d(1.0, -1.0, -1.0).asDiagonal();
}

Eigen::Matrix3d WorldFromOpenCvCamera(const Eigen::Matrix3d& world_from_blender_camera) {
  return world_from_blender_camera * OpenCvFromBlenderCameraAxes();
}

Eigen::Matrix3d EmptyFromHead() {
  Eigen::Matrix3d b;
  b << 1, 0, 0, 0, 0, 1, 0, -1, 0;
  return b;
}

HeadPose P1LabelFromBlenderEuler(const BlenderEulerXyz& e) { return HeadPose{-e.z, -e.x, e.y}; }

BlenderEulerXyz BlenderEulerFromP1Label(const HeadPose& label) {
  return BlenderEulerXyz{-label.pitch, label.roll, -label.yaw};
}

}  // namespace synface::core::geometry
