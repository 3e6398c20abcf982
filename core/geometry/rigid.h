// Rigid transforms named by their frames (COLMAP style). A variable `a_from_b` maps coordinates
// of a point in frame b to frame a:  p_a = a_from_b * p_b.  Names then chain like fractions:
//   cam_from_world = cam_from_head * head_from_world;   head_from_cam = cam_from_head.Inverse().
// The head pose of a sample is `cam_from_head` (rotation R = head -> camera, translation t = head
// origin in camera coordinates); docs/conventions.md defines the frames.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <string>

namespace synface::core::geometry {

struct Rigid3d {
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();

  Rigid3d() = default;
  Rigid3d(const Eigen::Quaterniond& q, const Eigen::Vector3d& t)
      : rotation(q.normalized()), translation(t) {}
  // From a rotation matrix; it is projected onto SO(3) first, so matrices read from text with a
  // few digits are accepted.
  Rigid3d(const Eigen::Matrix3d& rotation_matrix, const Eigen::Vector3d& t);

  static Rigid3d Identity() { return Rigid3d(); }

  Eigen::Matrix3d RotationMatrix() const { return rotation.toRotationMatrix(); }
  // [R | t] as 3x4 (COLMAP's ToMatrix) and as a homogeneous 4x4.
  Eigen::Matrix<double, 3, 4> ToMatrix() const;
  Eigen::Matrix4d ToMatrix4() const;
  // Accepts [R | t] or a 4x4 whose last row is (0,0,0,1); R is projected onto SO(3).
  static Rigid3d FromMatrix(const Eigen::Matrix<double, 3, 4>& m);
  static Rigid3d FromMatrix4(const Eigen::Matrix4d& m);

  Rigid3d Inverse() const;

  Eigen::Vector3d operator*(const Eigen::Vector3d& point) const {
    return rotation * point + translation;
  }
  // (a_from_b * b_from_c) = a_from_c.
  Rigid3d operator*(const Rigid3d& b_from_c) const;

  std::string ToString() const;  // "R=[...] t=[...]" for test failures and logs
};

// Rotation angle between the two transforms' rotations and distance between their translations.
double RotationDistance(const Rigid3d& a, const Rigid3d& b);
double TranslationDistance(const Rigid3d& a, const Rigid3d& b);

}  // namespace synface::core::geometry
