// Random lights from config: point, spot, sun and area lights placed on a sphere around the head
// (azimuth / elevation / distance ranges), with an intensity range given as the irradiance they
// deliver at the head, colour temperatures, soft-light sizes, and shadows on or off.
//
// The thesis names the light types (point, sun, spot, area) but no positions, powers or colours
// (ch2 digest section 2.5); the authors' code used one point light of 200 W about 2.2 m away (plain
// scenes) or an emissive plane of strength U(20, 25) (P1). Specifying irradiance at the head keeps
// the exposure independent of the distance drawn: a light at distance d delivering E W/m^2 has
// power E 4 pi d^2 (point, spot), E pi d^2 (area, facing the head) or irradiance E (sun).
//
// Frames: the world frame of pose_sampling.h (neutral head frame, y down). Azimuth 0 is in front
// of the face (on the camera's side), positive towards image right; elevation is above the
// horizontal plane through the eye midpoint.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/seed.h"
#include "synth/scene/config_util.h"

namespace synface::synth::scene {

enum class LightKind { kPoint, kSpot, kSun, kArea };
std::string LightKindName(LightKind kind);  // "point", "spot", "sun", "area"

struct SampledLight {
  LightKind kind = LightKind::kPoint;
  Eigen::Vector3d position = Eigen::Vector3d::Zero();    // world, metres (not for sun)
  Eigen::Vector3d direction = Eigen::Vector3d(0, 0, 1);  // where the light travels (spot, sun)
  Eigen::Vector3f color = Eigen::Vector3f::Ones();       // linear RGB, luminance 1
  double temperature_k = 6500;
  double irradiance_at_head = 1.0;  // W/m^2 on a surface facing the light at the eye midpoint
  double power = 0;                 // W (point, spot, area)
  double irradiance = 0;            // W/m^2 (sun)
  double radius = 0;                // m (point, spot: soft shadows)
  double inner_angle = 0, outer_angle = 0;  // rad (spot half-angles)
  double angular_radius = 0;                // rad (sun)
  Eigen::Vector3d edge_u = Eigen::Vector3d::Zero(), edge_v = Eigen::Vector3d::Zero();  // area
  bool casts_shadows = true;
  double azimuth_deg = 0, elevation_deg = 0, distance = 0;  // placement as drawn

  nlohmann::json ToJson() const;
};

struct SampledLighting {
  std::vector<SampledLight> lights;
  Eigen::Vector3f ambient = Eigen::Vector3f::Zero();  // environment radiance, W/(m^2 sr)
  nlohmann::json ToJson() const;
};

struct LightConfig {
  int count_min = 1, count_max = 1;
  WeightedChoice types{{"point"}, {1.0}};
  Range distance{1.0, 2.5};                                // metres
  Range azimuth{-1.0471975511965976, 1.0471975511965976};  // radians
  Range elevation{-0.17453292519943295, 0.8726646259971648};
  Range irradiance{1.5, 4.0};  // W/m^2 at the head
  Range temperature_k{3500, 7500};
  Range spot_angle{0.3490658503988659, 0.7853981633974483};  // outer half-angle, radians
  double spot_blend = 0.25;                                  // inner = outer (1 - blend)
  Range area_size{0.3, 1.0};            // side of the square area light, metres
  Range point_radius{0.0, 0.05};        // metres
  Range sun_angular_radius{0.0, 0.02};  // radians
  bool shadows = true;
  Range ambient{0.02, 0.08};  // grey environment radiance
};

// Linear sRGB colour of a black body at `kelvin` (1667..25000 K): the Planckian locus in CIE
// 1931 xy by Kim et al.'s cubic fits (US patent 7,024,034), converted XYZ -> linear sRGB (D65)
// with luminance Y = 1; negative components (outside the sRGB gamut) are clipped to 0.
Eigen::Vector3f ColorFromTemperature(double kelvin);

// Draws the lights of a sample from `rng` (pass the sample's "lights" sub-stream). Each light uses
// a fixed number of draws, so the k-th light does not depend on the types of the others.
SampledLighting SampleLighting(const LightConfig& config, core::data::Rng& rng);

// Moves every point, spot and area light that lies outside `interior` (shrunk by `margin`) towards
// the eye midpoint along its own direction until it is inside, and rescales its power so that the
// irradiance at the head stays as drawn (a ceiling or wall would otherwise block it). The
// eye midpoint must lie inside the shrunk box.
void KeepLightsInside(const Eigen::AlignedBox3d& interior, double margin,
                      SampledLighting* lighting);

// [lights] count, types, type_weights, distance_m, azimuth_deg, elevation_deg,
// irradiance_w_m2, temperature_k, spot_angle_deg, spot_blend, area_size_m, point_radius_m,
// sun_angular_radius_deg, shadows, ambient.
void DeclareLightKeys(core::config::Schema& schema);
LightConfig ReadLightConfig(const core::config::Config& config);

}  // namespace synface::synth::scene
