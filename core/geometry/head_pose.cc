#include "core/geometry/head_pose.h"

#include <cmath>

#include "core/geometry/rotation.h"

namespace synface::core::geometry {

HeadPose HeadPoseFromDegrees(double yaw_deg, double pitch_deg, double roll_deg) {
  return HeadPose{DegToRad(yaw_deg), DegToRad(pitch_deg), DegToRad(roll_deg)};
}

Eigen::Vector3d HeadPoseToDegrees(const HeadPose& pose) {
  return Eigen::Vector3d(RadToDeg(pose.yaw), RadToDeg(pose.pitch), RadToDeg(pose.roll));
}

Eigen::Matrix3d RotationFromHeadPose(const HeadPose& pose) {
  return RotationX(-pose.pitch) * RotationY(pose.yaw) * RotationZ(pose.roll);
}

HeadPose HeadPoseFromRotation(const Eigen::Matrix3d& r) {
  // With a = -pitch, R = Rx(a) Ry(yaw) Rz(roll) has
  //   R02 = sin(yaw), R12 = -sin(a) cos(yaw), R22 = cos(a) cos(yaw),
  //   R00 = cos(yaw) cos(roll), R01 = -cos(yaw) sin(roll).
  HeadPose pose;
  const double cos_yaw = std::hypot(r(0, 0), r(0, 1));
  if (cos_yaw < kGimbalLockCosine) {
    // yaw = +-90 deg: row 1 is (sin(roll + s*a), cos(roll + s*a), 0) with s = sign(yaw);
    // fix roll = 0 so that a = s * atan2(R10, R11).
    const double s = r(0, 2) >= 0.0 ? 1.0 : -1.0;
    pose.yaw = s * (0.5 * kPi);
    pose.roll = 0.0;
    pose.pitch = WrapAngle(-s * std::atan2(r(1, 0), r(1, 1)));
    return pose;
  }
  pose.yaw = std::atan2(r(0, 2), cos_yaw);
  pose.pitch = WrapAngle(std::atan2(r(1, 2), r(2, 2)));
  pose.roll = WrapAngle(std::atan2(-r(0, 1), r(0, 0)));
  return pose;
}

HeadPose HeadPoseFromRigid(const Rigid3d& cam_from_head) {
  return HeadPoseFromRotation(cam_from_head.RotationMatrix());
}

Eigen::Vector3d FaceDirection(const Eigen::Matrix3d& r) { return -r.col(2); }

HeadPose MirrorHeadPose(const HeadPose& pose) {
  return HeadPose{WrapAngle(-pose.yaw), pose.pitch, WrapAngle(-pose.roll)};
}

Eigen::Matrix3d MirrorRotation(const Eigen::Matrix3d& r) {
  const Eigen::Vector3d m(-1.0, 1.0, 1.0);
  return m.asDiagonal() * r * m.asDiagonal();
}

}  // namespace synface::core::geometry
