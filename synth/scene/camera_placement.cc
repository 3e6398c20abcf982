#include "synth/scene/camera_placement.h"

#include <fmt/format.h>

#include <cmath>

#include "core/geometry/rotation.h"
#include "core/util/error.h"

namespace synface::synth::scene {
using core::geometry::DegToRad;
using core::geometry::RadToDeg;
using core::geometry::Rigid3d;

core::geometry::Intrinsics IntrinsicsFromPreset(const std::string& preset, int width, int height) {
  if (preset == "authors_code") return core::geometry::AuthorsCodePreset(width, height);
  if (preset == "thesis_text") return core::geometry::ThesisTextPreset(width, height);
  throw core::MakeError("unknown camera preset '{}' (authors_code, thesis_text)", preset);
}

Rigid3d LookAt(const Eigen::Vector3d& eye, const Eigen::Vector3d& target,
               const Eigen::Vector3d& world_up) {
  const Eigen::Vector3d forward = target - eye;
  if (forward.norm() < 1e-12) throw core::Error("LookAt: the eye and the target coincide");
  const Eigen::Vector3d z = forward.normalized();
  // OpenCV axes: x right, y down. Right = forward x up (for up = -y and forward = +z that gives
  // +x), down = forward x right.
  Eigen::Vector3d x = z.cross(world_up);
  if (x.norm() < 1e-9) throw core::Error("LookAt: the view direction is parallel to 'up'");
  x.normalize();
  const Eigen::Vector3d y = z.cross(x);
  Eigen::Matrix3d world_from_cam;
  world_from_cam.col(0) = x;
  world_from_cam.col(1) = y;
  world_from_cam.col(2) = z;
  return Rigid3d(world_from_cam, eye).Inverse();
}

nlohmann::json CameraPlacement::ToJson() const {
  nlohmann::json j;
  j["preset"] = preset;
  j["mode"] = mode;
  j["distance_m"] = distance;
  j["pulled_back"] = pulled_back;
  if (mode == "sphere_cap") {
    j["polar_deg"] = polar_deg;
    j["azimuth_deg"] = azimuth_deg;
  }
  if (mode == "translate") j["shift_m"] = {shift.x(), shift.y()};
  return j;
}

CameraPlacement PlaceCamera(const CameraConfig& config, core::data::Rng& rng) {
  CameraPlacement p;
  p.intrinsics = IntrinsicsFromPreset(config.preset, config.width, config.height);
  p.near = config.near;
  p.far = config.far;
  p.preset = config.preset;
  p.mode = config.mode;
  // A fixed number of draws, whatever the mode.
  const double distance = config.distance.Sample(rng);
  const double u_pull = rng.Uniform();
  const double u_polar = rng.Uniform(), u_azimuth = rng.Uniform();
  const double u_x = rng.Uniform(), u_up = rng.Uniform(), u_sign = rng.Uniform();
  p.pulled_back = u_pull < config.extra_distance_probability;
  p.distance = distance + (p.pulled_back ? config.extra_distance : 0.0);
  const Eigen::Vector3d centre = Eigen::Vector3d::Zero();  // the neutral eye midpoint
  if (config.mode == "front") {
    p.cam_from_world = Rigid3d(Eigen::Matrix3d::Identity(), Eigen::Vector3d(0, 0, p.distance));
  } else if (config.mode == "sphere_cap") {
    double polar;
    if (config.area_uniform) {
      // Uniform in cos(phi) between the two bounds: uniform area on the sphere zone.
      const double c0 = std::cos(config.polar.min), c1 = std::cos(config.polar.max);
      polar = std::acos(c0 + (c1 - c0) * u_polar);
    } else {
      polar = config.polar.min + (config.polar.max - config.polar.min) * u_polar;
    }
    const double azimuth =
        config.azimuth.min + (config.azimuth.max - config.azimuth.min) * u_azimuth;
    p.polar_deg = RadToDeg(polar);
    p.azimuth_deg = RadToDeg(azimuth);
    // Blender: P = E0 + r (-sin(theta) sin(phi), -cos(theta) sin(phi), cos(phi)) with world
    // (X right, Y away from the camera, Z up); ours: x = X, y = -Z, z = Y.
    const Eigen::Vector3d eye(-std::sin(azimuth) * std::sin(polar), -std::cos(polar),
                              -std::cos(azimuth) * std::sin(polar));
    p.cam_from_world = LookAt(centre + p.distance * eye, centre, WorldUp());
  } else if (config.mode == "translate") {
    const double sign = u_sign < 0.5 ? 1.0 : -1.0;
    const double dx = config.shift_x.min + (config.shift_x.max - config.shift_x.min) * u_x;
    const double dup = config.shift_up.min + (config.shift_up.max - config.shift_up.min) * u_up;
    p.shift = Eigen::Vector2d(sign * dx, sign * dup);
    // Camera centre at (dx, -dup, -distance) in the world (up = -y); orientation unchanged.
    p.cam_from_world = Rigid3d(Eigen::Matrix3d::Identity(),
                               -Eigen::Vector3d(p.shift.x(), -p.shift.y(), -p.distance));
  } else {
    throw core::MakeError("camera.mode: unknown mode '{}' (front, sphere_cap, translate)",
                          config.mode);
  }
  return p;
}

void DeclareCameraKeys(core::config::Schema& schema) {
  schema.Choice("camera.preset", {"authors_code", "thesis_text"}, std::string("authors_code"),
                "intrinsics: the authors' code (20 mm / 32 mm) or the thesis text (60 deg FOV)");
  schema.Optional<int64_t>("camera.width", 640, "image width, pixels");
  schema.Range("camera.width", 1, 16384);
  schema.Optional<int64_t>("camera.height", 480, "image height, pixels");
  schema.Range("camera.height", 1, 16384);
  DeclareRange(schema, "camera.distance_m", {0.30, 0.30},
               "camera centre to the neutral eye midpoint, metres (thesis 0.30)");
  schema.Optional<double>("camera.extra_distance_m", 0.10, "P1 distance flag: pull-back, metres");
  schema.Range("camera.extra_distance_m", 0.0, 10.0);
  schema.Optional<double>("camera.extra_distance_probability", 0.0,
                          "P1 distance flag: probability of the pull-back");
  schema.Range("camera.extra_distance_probability", 0.0, 1.0);
  schema.Optional<double>("camera.near_m", 0.01, "near clip, metres (C3: 0.01)");
  schema.Optional<double>("camera.far_m", 5.0, "far clip, metres (C3: 5 plain, 15 complex)");
  schema.Choice("camera.mode", {"front", "sphere_cap", "translate"}, std::string("front"),
                "front camera, the sphere-cap capture mode, or CameraTran shifts");
  DeclareRange(schema, "camera.polar_deg", {60, 120}, "sphere_cap: angle from the vertical");
  DeclareRange(schema, "camera.azimuth_deg", {-45, 45}, "sphere_cap: azimuth from the front");
  schema.Optional<bool>("camera.area_uniform", false,
                        "sphere_cap: uniform in area (cos polar) instead of uniform in angle");
  DeclareRange(schema, "camera.shift_x_m", {0.001, 0.14}, "translate: |shift| to the right");
  DeclareRange(schema, "camera.shift_up_m", {0.001, 0.04}, "translate: |shift| upwards");
}

CameraConfig ReadCameraConfig(const core::config::Config& config) {
  CameraConfig c;
  c.preset = config.Get<std::string>("camera.preset");
  c.width = config.Get<int>("camera.width");
  c.height = config.Get<int>("camera.height");
  c.distance = ReadRange(config, "camera.distance_m", 0.02, 100.0);
  c.extra_distance = config.Get<double>("camera.extra_distance_m");
  c.extra_distance_probability = config.Get<double>("camera.extra_distance_probability");
  c.near = config.Get<double>("camera.near_m");
  c.far = config.Get<double>("camera.far_m");
  if (!(c.near > 0.0)) throw ConfigError(config, "camera.near_m", "must be > 0");
  if (!(c.far > c.near)) {
    throw ConfigError(config, "camera.far_m",
                      fmt::format("= {} must exceed camera.near_m = {}", c.far, c.near));
  }
  if (c.distance.min <= c.near) {
    throw ConfigError(
        config, "camera.distance_m",
        fmt::format("starts at {} m, inside the near clip ({} m)", c.distance.min, c.near));
  }
  c.mode = config.Get<std::string>("camera.mode");
  const double d = DegToRad(1.0);
  c.polar = ReadRange(config, "camera.polar_deg", 1.0, 179.0, d);
  c.azimuth = ReadRange(config, "camera.azimuth_deg", -180.0, 180.0, d);
  c.area_uniform = config.Get<bool>("camera.area_uniform");
  c.shift_x = ReadRange(config, "camera.shift_x_m", 0.0, 10.0);
  c.shift_up = ReadRange(config, "camera.shift_up_m", 0.0, 10.0);
  return c;
}

}  // namespace synface::synth::scene
