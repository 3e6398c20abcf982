// Blender-side conventions of the authors' C3I-SynFace / P1 scripts (ch2 digest sections 3-C5,
// 3-C6, 5.2): the Blender world (right-handed, Z up, metres), Blender's 'XYZ' Euler angles, the
// Blender camera's axes, the head empty's axes, and the authors' P1 label mapping.
#pragma once

#include <Eigen/Core>

#include "core/geometry/head_pose.h"

namespace synface::core::geometry {

// Blender Euler 'XYZ' (radians): R = Rz(z) * Ry(y) * Rx(x), X applied first. The C3I-SynFace
// annotation names the components Pitch = x, Roll = y, Yaw = z.
struct BlenderEulerXyz {
  double x = 0.0, y = 0.0, z = 0.0;
};

Eigen::Matrix3d MatrixFromBlenderEuler(const BlenderEulerXyz& euler);
// Matrix.to_euler('XYZ') as Blender computes it (mat3_normalized_to_eul): of the two Euler triples
// of the rotation it returns the one with the smaller |x| + |y| + |z| (ties: the one with
// |y| <= 90 deg); below hypot(R00, R10) = 16 * FLT_EPSILON it sets z = 0. The matrix must be a
// rotation (Blender normalises the columns first; pass NearestRotation(m) for scaled inputs).
BlenderEulerXyz BlenderEulerFromMatrix(const Eigen::Matrix3d& rotation);

// Blender cameras look along their -z with +y up; OpenCV cameras look along +z with +y down.
// R_world_from_cv = R_world_from_blender_camera * diag(1, -1, -1) (the matrix is its own inverse).
Eigen::Matrix3d OpenCvFromBlenderCameraAxes();
Eigen::Matrix3d WorldFromOpenCvCamera(const Eigen::Matrix3d& world_from_blender_camera);

// The head empty has zero rotation when the head is frontal to the default camera (at -Y looking
// along +Y, image up = +Z), so its axes are the world's: x = image right, y = away from the
// camera, z = up. Our head frame (head_pose.h) in the empty's coordinates:
//   empty_from_head = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]  (columns: head x, y, z).
// It equals the default camera's world_from_cv rotation, so a frontal head gives R = I.
Eigen::Matrix3d EmptyFromHead();

// The authors' P1 label (repo-SHP captureWithGaze_Texture.py, repo-BDG HeadPose/): (yaw, pitch,
// roll) = (-z, -x, +y) of the head empty's world Euler XYZ. Per axis this has our sign (a pure
// Blender yaw, pitch or roll gives exactly our angle); for combined rotations it differs from
// HeadPoseFromRotation: in our head/camera axes (default camera) the Blender Euler rotation is
// Ry(yaw) Rz(roll) Rx(-pitch) in terms of these labels, while our convention composes
// Rx(-pitch) Ry(yaw) Rz(roll). Kept as the as-run label.
HeadPose P1LabelFromBlenderEuler(const BlenderEulerXyz& head_world);
BlenderEulerXyz BlenderEulerFromP1Label(const HeadPose& label);

}  // namespace synface::core::geometry
