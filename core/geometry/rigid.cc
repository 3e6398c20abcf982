#include "core/geometry/rigid.h"

#include <fmt/format.h>

#include "core/geometry/rotation.h"

namespace synface::core::geometry {

Rigid3d::Rigid3d(const Eigen::Matrix3d& rotation_matrix, const Eigen::Vector3d& t)
    : rotation(Eigen::Quaterniond(NearestRotation(rotation_matrix)).normalized()), translation(t) {}

Eigen::Matrix<double, 3, 4> Rigid3d::ToMatrix() const {
  Eigen::Matrix<double, 3, 4> m;
  m.leftCols<3>() = RotationMatrix();
  m.col(3) = translation;
  return m;
}

Eigen::Matrix4d Rigid3d::ToMatrix4() const {
  Eigen::Matrix4d m = Eigen::Matrix4d::Identity();
  m.topRows<3>() = ToMatrix();
  return m;
}

Rigid3d Rigid3d::FromMatrix(const Eigen::Matrix<double, 3, 4>& m) {
  return Rigid3d(Eigen::Matrix3d(m.leftCols<3>()), Eigen::Vector3d(m.col(3)));
}

Rigid3d Rigid3d::FromMatrix4(const Eigen::Matrix4d& m) {
  return FromMatrix(Eigen::Matrix<double, 3, 4>(m.topRows<3>()));
}

Rigid3d Rigid3d::Inverse() const {
  Rigid3d inv;
  inv.rotation = rotation.conjugate();
  inv.translation = -(inv.rotation * translation);
  return inv;
}

Rigid3d Rigid3d::operator*(const Rigid3d& b_from_c) const {
  Rigid3d a_from_c;
  a_from_c.rotation = (rotation * b_from_c.rotation).normalized();
  a_from_c.translation = rotation * b_from_c.translation + translation;
  return a_from_c;
}

std::string Rigid3d::ToString() const {
  const Eigen::Matrix3d r = RotationMatrix();
  return fmt::format(
      "R=[[{:.9g}, {:.9g}, {:.9g}], [{:.9g}, {:.9g}, {:.9g}], [{:.9g}, {:.9g}, {:.9g}]] "
      "t=[{:.9g}, {:.9g}, {:.9g}]",
      r(0, 0), r(0, 1), r(0, 2), r(1, 0), r(1, 1), r(1, 2), r(2, 0), r(2, 1), r(2, 2),
      translation.x(), translation.y(), translation.z());
}

double RotationDistance(const Rigid3d& a, const Rigid3d& b) {
  return GeodesicAngle(a.rotation, b.rotation);
}

double TranslationDistance(const Rigid3d& a, const Rigid3d& b) {
  return (a.translation - b.translation).norm();
}

}  // namespace synface::core::geometry
