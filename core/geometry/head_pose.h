// THE head-pose convention of synface (docs/conventions.md, figure
// docs/figures/head_pose_axes.svg).
//
// Frames. Camera: OpenCV (x right, y down, z forward). Head: origin at the midpoint of the two
// eyeball centres; for a frontal, upright head looking straight into the camera its axes coincide
// with the camera's: x towards image right (the subject's left), y down (towards the chin), z away
// from the camera (from the face into the head). The face looks along -z.
// Pose: R = rotation of cam_from_head (head -> camera), t = head origin in camera coordinates.
//
// Angles (radians), the quantity public head-pose benchmarks report (300W-LP / AFLW2000 Pose_Para
// as FSA-Net, Hopenet and 6DRepNet read it; BIWI as FSA-Net's TYY_create_db_biwi.py converts it):
//     R = Rx(-pitch) * Ry(yaw) * Rz(roll)          (Rx, Ry, Rz: rotation.h)
//   +yaw   turns the face towards image left (the subject's own right);
//   +pitch tilts the face up (chin up, looking above the camera);
//   +roll  tilts the head clockwise in the image (top of the head towards image right, i.e. towards
//          the subject's left shoulder).
// yaw is the middle rotation, so the decomposition is singular at |yaw| = 90 deg (gimbal lock).
#pragma once

#include <Eigen/Core>

#include "core/geometry/rigid.h"

namespace synface::core::geometry {

struct HeadPose {
  double yaw = 0.0;    // radians
  double pitch = 0.0;  // radians
  double roll = 0.0;   // radians
};

HeadPose HeadPoseFromDegrees(double yaw_deg, double pitch_deg, double roll_deg);
// [yaw, pitch, roll] in degrees: the label order of every head-pose code base.
Eigen::Vector3d HeadPoseToDegrees(const HeadPose& pose);

// R = Rx(-pitch) * Ry(yaw) * Rz(roll): the rotation of cam_from_head.
Eigen::Matrix3d RotationFromHeadPose(const HeadPose& pose);

// Inverse of RotationFromHeadPose. Returns yaw in [-pi/2, pi/2], pitch and roll in (-pi, pi].
// Every rotation has exactly one such triple, except at gimbal lock: when cos(yaw) (computed as
// hypot(R00, R01)) is below kGimbalLockCosine, yaw is set to +-pi/2 exactly, roll to 0 and pitch
// carries the remaining rotation about the optical axis (the same choice as 6DRepNet's
// compute_euler_angles_from_rotation_matrices, whose singular branch also zeroes roll).
inline constexpr double kGimbalLockCosine = 1e-9;
HeadPose HeadPoseFromRotation(const Eigen::Matrix3d& cam_from_head_rotation);
HeadPose HeadPoseFromRigid(const Rigid3d& cam_from_head);

// Direction the face looks, in camera coordinates: -R * e_z. (0, 0, -1) for a frontal head.
Eigen::Vector3d FaceDirection(const Eigen::Matrix3d& cam_from_head_rotation);

// The pose seen in a horizontally mirrored image (the flip augmentation of Hopenet / 6DRepNet):
// R' = M R M with M = diag(-1, 1, 1), whose angles are (-yaw, pitch, -roll).
HeadPose MirrorHeadPose(const HeadPose& pose);
Eigen::Matrix3d MirrorRotation(const Eigen::Matrix3d& cam_from_head_rotation);

}  // namespace synface::core::geometry
