// Where the camera stands for a sample, in the world frame (the neutral head frame, see
// pose_sampling.h: origin at the neutral eye midpoint, x image right, y down, z away from the
// camera). The camera is a pinhole with one of core/geometry's intrinsics presets.
//
// Modes (ch2 digest sections 2.6, 4.3):
//   front       the C3I-SynFace / P1 camera: on the -z axis at `distance` from the neutral eye
//               midpoint, looking along +z (the authors' C0 = E0 + 0.3 m towards the camera). The
//               head then rotates about its neck pivot, so the eye midpoint moves and the label's
//               translation is measured, not assumed (C4/C8).
//   sphere_cap  the HeadCameraRotTran capture mode with its intended semantics (C15: sample,
//               move, aim, render): polar angle phi from the vertical in [60, 120] deg, azimuth
//               theta from the front in [-45, 45] deg, radius `distance`, aimed at the neutral eye
//               midpoint with world up and no roll. Uniform in angles as the authors drew it, or
//               uniform in area (uniform in cos phi) with `area_uniform`.
//   translate   the CameraTran mode: the front camera shifted, without re-aiming, by (dx, dz) in
//               the plane perpendicular to the optical axis (right and up), both with one random
//               sign, |dx| in [0.001, 0.14] m and |dz| in [0.001, 0.04] m.
#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/seed.h"
#include "core/geometry/camera.h"
#include "core/geometry/rigid.h"
#include "synth/scene/config_util.h"

namespace synface::synth::scene {

// "authors_code" (default: 20 mm lens, 32 mm sensor, fx = 400 px at 640 x 480) or "thesis_text"
// (60 deg horizontal FOV, fx = 554.26 px); docs/conventions.md. Throws core::Error otherwise.
core::geometry::Intrinsics IntrinsicsFromPreset(const std::string& preset, int width, int height);

// cam_from_world of an OpenCV camera at `eye` looking at `target`, with image up as close to
// `world_up` as possible (no roll). Throws core::Error when the view direction is (anti)parallel
// to `world_up` or eye == target.
core::geometry::Rigid3d LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target,
                               const Eigen::Vector3d& world_up);

// World up in the neutral head frame (y points down).
inline Eigen::Vector3d WorldUp() { return Eigen::Vector3d(0, -1, 0); }

struct CameraConfig {
  std::string preset = "authors_code";
  int width = 640, height = 480;
  Range distance = Range::Fixed(0.30);  // metres, camera centre to the neutral eye midpoint
  // P1's camera-distance flag: with this probability the camera is pulled back by extra_distance.
  double extra_distance_probability = 0.0;
  double extra_distance = 0.10;
  double near = 0.01, far = 5.0;                           // planar clip distances (C3)
  std::string mode = "front";                              // "front" | "sphere_cap" | "translate"
  Range polar{1.0471975511965976, 2.0943951023931957};     // radians (60..120 deg)
  Range azimuth{-0.7853981633974483, 0.7853981633974483};  // radians (-45..45 deg)
  bool area_uniform = false;
  Range shift_x{0.001, 0.14}, shift_up{0.001, 0.04};  // metres (translate)
};

struct CameraPlacement {
  core::geometry::Intrinsics intrinsics;
  core::geometry::Rigid3d cam_from_world;
  double near = 0.01, far = 5.0;
  std::string preset, mode;
  double distance = 0.3;                   // camera centre to the neutral eye midpoint, metres
  bool pulled_back = false;                // P1's extra-distance flag was drawn
  double polar_deg = 90, azimuth_deg = 0;  // sphere_cap
  Eigen::Vector2d shift = Eigen::Vector2d::Zero();  // translate: (right, up) metres

  nlohmann::json ToJson() const;
};

// Draws a placement from `rng` (pass the sample's "camera" sub-stream). The number of draws does
// not depend on the mode.
CameraPlacement PlaceCamera(const CameraConfig& config, core::data::Rng& rng);

// [camera] preset, width, height, distance_m, extra_distance_m, extra_distance_probability,
// near_m, far_m, mode, polar_deg, azimuth_deg, area_uniform, shift_x_m, shift_up_m.
void DeclareCameraKeys(core::config::Schema& schema);
CameraConfig ReadCameraConfig(const core::config::Config& config);

}  // namespace synface::synth::scene
