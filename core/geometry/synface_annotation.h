// The C3I-SynFace per-image annotation `data_<id>.txt` (ch2 digest section 5.1): exactly four
// lines,
//   Camera Location: (-0.0002, -0.3136, 1.6779)
//   Head Point Location: (-0.0002, -0.0136, 1.6779)
//   Camera Rotation: Yaw 0.00 Pitch 90.00 Roll -0.00
//   Head Rotation: Yaw -17.90 Pitch 19.43 Roll 2.90
// Locations: Blender world metres, Python's str() of a tuple of round(v, 4). Rotations: world
// Euler 'XYZ' of the Blender camera / the head empty, degrees, round(v, 4) then '%.2f', with
// Yaw = Euler z, Pitch = Euler x, Roll = Euler y. "Head Point Location" is the eye-midpoint empty
// at the first frame (the authors' empty_init_loc), not the current one.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/geometry/blender.h"
#include "core/geometry/rigid.h"

namespace synface::core::geometry {

struct SynFaceAnnotation {
  Eigen::Vector3d camera_location = Eigen::Vector3d::Zero();  // Blender world, metres
  Eigen::Vector3d head_location = Eigen::Vector3d::Zero();    // Blender world, metres
  BlenderEulerXyz camera_rotation;  // Blender camera's world Euler XYZ, radians
  BlenderEulerXyz head_rotation;    // head empty's world Euler XYZ, radians
};

// `source` names the input in error messages (normally the file path).
SynFaceAnnotation ParseSynFaceAnnotation(std::string_view text, std::string_view source);
SynFaceAnnotation ReadSynFaceAnnotation(const std::filesystem::path& path);
// Byte-for-byte what the authors' Blender script writes for the same values.
std::string FormatSynFaceAnnotation(const SynFaceAnnotation& annotation);
void WriteSynFaceAnnotation(const std::filesystem::path& path, const SynFaceAnnotation& annotation);

// world_from_cam with OpenCV camera axes: R = R_wc * diag(1, -1, -1), t = camera location.
Rigid3d WorldFromCamera(const SynFaceAnnotation& annotation);
// world_from_head with our head axes: R = R_wh * EmptyFromHead(), t = head location.
Rigid3d WorldFromHead(const SynFaceAnnotation& annotation);
// The head pose in the OpenCV camera frame: R = R_wcv^T R_wh EmptyFromHead(),
// t = R_wcv^T (p_head - p_cam). Exact only while the head has not moved from its first-frame
// location (the file does not record the current one).
Rigid3d CamFromHead(const SynFaceAnnotation& annotation);

// The annotation describing the given world poses (OpenCV camera axes, our head axes); Euler
// angles chosen as Blender's to_euler('XYZ') would.
SynFaceAnnotation SynFaceAnnotationFromPoses(const Rigid3d& world_from_cam,
                                             const Rigid3d& world_from_head);

}  // namespace synface::core::geometry
