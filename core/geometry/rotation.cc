#include "core/geometry/rotation.h"

#include <Eigen/SVD>
#include <cmath>

namespace synface::core::geometry {

double WrapAngle(double radians) {
  // remainder() gives [-pi, pi]; fold -pi onto pi so every angle has one representation.
  double wrapped = std::remainder(radians, 2.0 * kPi);
  if (wrapped <= -kPi) wrapped += 2.0 * kPi;
  return wrapped;
}

double AngleDifference(double a, double b) { return WrapAngle(a - b); }

Eigen::Matrix3d RotationX(double radians) {
  const double c = std::cos(radians), s = std::sin(radians);
  Eigen::Matrix3d r;
  r << 1, 0, 0, 0, c, -s, 0, s, c;
  return r;
}

Eigen::Matrix3d RotationY(double radians) {
  const double c = std::cos(radians), s = std::sin(radians);
  Eigen::Matrix3d r;
  r << c, 0, s, 0, 1, 0, -s, 0, c;
  return r;
}

Eigen::Matrix3d RotationZ(double radians) {
  const double c = std::cos(radians), s = std::sin(radians);
  Eigen::Matrix3d r;
  r << c, -s, 0, s, c, 0, 0, 0, 1;
  return r;
}

double GeodesicAngle(const Eigen::Quaterniond& a, const Eigen::Quaterniond& b) {
  const Eigen::Quaterniond d = a.conjugate() * b;
  return 2.0 * std::atan2(d.vec().norm(), std::abs(d.w()));
}

double GeodesicAngle(const Eigen::Matrix3d& a, const Eigen::Matrix3d& b) {
  return GeodesicAngle(Eigen::Quaterniond(a), Eigen::Quaterniond(b));
}

bool IsRotationMatrix(const Eigen::Matrix3d& r, double tolerance) {
  if (!r.allFinite()) return false;
  const double orth = (r.transpose() * r - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff();
  return orth <= tolerance && std::abs(r.determinant() - 1.0) <= tolerance;
}

Eigen::Matrix3d NearestRotation(const Eigen::Matrix3d& m) {
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::Matrix3d u = svd.matrixU();
  const Eigen::Matrix3d v = svd.matrixV();
  Eigen::Vector3d d(1.0, 1.0, (u * v.transpose()).determinant() < 0 ? -1.0 : 1.0);
  return u * d.asDiagonal() * v.transpose();
}

}  // namespace synface::core::geometry
