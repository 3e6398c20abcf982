// Head-pose annotations of the public benchmarks and of the authors' P1 data, converted to and
// from synface's convention (head_pose.h). docs/conventions.md has the table of relations; each
// relation is proven in pose_formats_test.cc.
#pragma once

#include <Eigen/Core>
#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/geometry/head_pose.h"
#include "core/geometry/rigid.h"

namespace synface::core::geometry {

// ---- BIWI Kinect Head Pose: frame_XXXXX_pose.txt -------------------------------------------
// Three lines with the rows of a 3x3 rotation matrix, then one line with the head centre in mm
// (whitespace separated; the files have a blank line before the centre). The stored matrix is the
// head rotation in the depth camera's frame; read with FSA-Net's conversion it is exactly our
// cam_from_head rotation (R_stored = Rx(-pitch) Ry(yaw) Rz(roll)). The centre is the tracker's
// head-model centre, not the eye midpoint.
struct BiwiPose {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();   // as stored: row i = line i
  Eigen::Vector3d head_centre_m = Eigen::Vector3d::Zero();  // line 4, converted mm -> m
};

// `source` names the input in error messages (normally the file path).
BiwiPose ParseBiwiPose(std::string_view text, std::string_view source);
BiwiPose ReadBiwiPose(const std::filesystem::path& path);
// Same layout as the dataset (rows, blank line, centre in mm, each number followed by a space),
// with shortest round-trip digits.
std::string FormatBiwiPose(const BiwiPose& pose);
void WriteBiwiPose(const std::filesystem::path& path, const BiwiPose& pose);

// FSA-Net data/TYY_create_db_biwi.py (and Hopenet's BIWI loader), literally, in radians:
//   Rt = R^T; roll = -atan2(Rt10, Rt00); yaw = -atan2(-Rt20, hypot(Rt21, Rt22));
//   pitch = atan2(Rt21, Rt22).
// Equal to HeadPoseFromRotation(R) away from gimbal lock (proven in the tests).
HeadPose HeadPoseFromBiwiMatrixFsaNet(const Eigen::Matrix3d& stored_rotation);
HeadPose HeadPoseFromBiwi(const BiwiPose& pose);  // = the FSA-Net conversion of pose.rotation
// cam_from_head = {stored rotation (projected onto SO(3)), centre}. Camera = BIWI depth camera.
Rigid3d CamFromHeadFromBiwi(const BiwiPose& pose);
BiwiPose BiwiPoseFromCamFromHead(const Rigid3d& cam_from_head);

// ---- 300W-LP / AFLW2000-3D: Pose_Para (1 x 7 in each .mat) ----------------------------------
// [pitch, yaw, roll] in radians, then the 3DDFA translation [tdx, tdy, tdz] and scale, as fitted
// by 3DDFA (Zhu et al.) on an orthographic, y-up image model.
struct PosePara {
  double pitch = 0, yaw = 0, roll = 0;  // radians
  double tdx = 0, tdy = 0, tdz = 0;     // 3DDFA image-space translation (not metric)
  double scale = 0;                     // 3DDFA scale factor
};

// From the 7 values in file order; throws core::Error naming `source` unless there are exactly 7
// finite values.
PosePara PoseParaFromValues(const std::vector<double>& values, std::string_view source);
std::array<double, 7> PoseParaToValues(const PosePara& para);
// FSA-Net TYY_create_db_type1.py and 6DRepNet datasets.py read yaw = Pose_Para[1],
// pitch = Pose_Para[0], roll = Pose_Para[2] with no sign change: it is the identity.
HeadPose HeadPoseFromPosePara(const PosePara& para);
// Writes the angles back, keeping translation and scale of `base`.
PosePara PoseParaWithHeadPose(const PosePara& base, const HeadPose& pose);
// 3DDFA's own rotation (face3d angle2matrix_3ddfa: model -> view in the y-up, z-towards-viewer
// frame of the Basel Face Model): Rx(-pitch) Ry(-yaw) Rz(-roll). Equals F R F with F =
// diag(1,-1,-1) and R = RotationFromHeadPose(...) (proven in the tests).
Eigen::Matrix3d Rotation3ddfaFromPosePara(const PosePara& para);

// ---- 6DRepNet's rotation matrices ---------------------------------------------------------
// sixdrepnet/utils.py get_R(pitch, yaw, roll) = Rz(roll) Ry(yaw) Rx(pitch): the matrix the
// network regresses. It is the transpose of 3DDFA's, so relative to ours: M = F R^T F.
Eigen::Matrix3d SixDRepNetMatrixFromHeadPose(const HeadPose& pose);
Eigen::Matrix3d SixDRepNetMatrixFromRotation(const Eigen::Matrix3d& cam_from_head_rotation);
Eigen::Matrix3d RotationFromSixDRepNetMatrix(const Eigen::Matrix3d& m);
// compute_euler_angles_from_rotation_matrices, literally (x = pitch, y = yaw, z = roll; singular
// branch when hypot(M00, M10) < 1e-6 sets roll = 0).
HeadPose HeadPoseFromSixDRepNetMatrix(const Eigen::Matrix3d& m);

// ---- P1 per-frame label file (authors' public code): "<yaw>, <pitch>, <roll>" ---------------
// One line, degrees, two decimals, comma separated. The authors computed the values as
// (-EulerZ, -EulerX, +EulerY) of the head empty (blender.h, P1LabelFromBlenderEuler): each axis
// has our sign, but the composition order differs, so for combined rotations these labels are
// not exactly HeadPoseFromRotation of the same head (see docs/conventions.md).
HeadPose ParseP1Label(std::string_view text, std::string_view source);
HeadPose ReadP1Label(const std::filesystem::path& path);
std::string FormatP1Label(const HeadPose& label);  // "%.2f, %.2f, %.2f\n"
void WriteP1Label(const std::filesystem::path& path, const HeadPose& label);

}  // namespace synface::core::geometry
