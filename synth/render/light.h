// Lights of the renderer and their sampling.
//
// Radiometric units (linear RGB, the colour multiplies each channel; pixel values are radiance in
// W / (m^2 sr) before exposure and tone mapping, so a white Lambertian surface of albedo 1 under
// irradiance E shows E / pi):
//   point  `power` W, isotropic: intensity power / (4 pi) W/sr, irradiance falls off as 1 / d^2.
//          `radius` > 0 makes it a disk facing the shaded point (soft shadows, same intensity).
//   spot   a point light (same intensity as a point light of that power, as Blender defines its
//          spots) restricted to a cone about `direction`: full inside `inner_angle`, smoothly
//          (smoothstep of the cosine) down to 0 at `outer_angle` (half-angles, radians).
//   sun    `irradiance` W/m^2 on a surface facing it, arriving along `direction`; with
//          `angular_radius` > 0 the direction is sampled in that cone (soft shadows).
//   area   a one-sided rectangle, corner spans `edge_u`, `edge_v` centred at `position`, emitting
//          `power` W as a Lambertian emitter (radiance power / (pi * area)) from the side of
//          edge_u x edge_v; sampled uniformly over its area.
// Plus Lighting::ambient: a constant environment radiance seen by every open direction (scaled
// by ambient occlusion when enabled).
#pragma once

#include <Eigen/Core>
#include <limits>
#include <string>
#include <vector>

namespace synface::synth::render {

enum class LightType { kPoint, kSpot, kSun, kArea };

struct Light {
  LightType type = LightType::kPoint;
  Eigen::Vector3d position = Eigen::Vector3d::Zero();    // world, metres (point/spot/area)
  Eigen::Vector3d direction = Eigen::Vector3d(0, 0, 1);  // where light travels (spot/sun)
  Eigen::Vector3f color = Eigen::Vector3f::Ones();       // linear RGB multiplier
  double power = 0;                                      // W (point, spot, area)
  double irradiance = 0;                                 // W/m^2 (sun)
  double radius = 0;                                     // m (point, spot)
  double inner_angle = 0, outer_angle = 0;               // rad (spot half-angles)
  double angular_radius = 0;                             // rad (sun)
  Eigen::Vector3d edge_u = Eigen::Vector3d::Zero(), edge_v = Eigen::Vector3d::Zero();  // area
  bool casts_shadows = true;

  static Light Point(const Eigen::Vector3d& position, double power_w,
                     const Eigen::Vector3f& color = Eigen::Vector3f::Ones(), double radius = 0);
  static Light Spot(const Eigen::Vector3d& position, const Eigen::Vector3d& direction,
                    double power_w, double inner_angle, double outer_angle,
                    const Eigen::Vector3f& color = Eigen::Vector3f::Ones(), double radius = 0);
  static Light Sun(const Eigen::Vector3d& direction, double irradiance, double angular_radius = 0,
                   const Eigen::Vector3f& color = Eigen::Vector3f::Ones());
  // A rectangle centred at `centre`, emitting towards edge_u x edge_v.
  static Light Area(const Eigen::Vector3d& centre, const Eigen::Vector3d& edge_u,
                    const Eigen::Vector3d& edge_v, double power_w,
                    const Eigen::Vector3f& color = Eigen::Vector3f::Ones());

  // Throws core::Error naming `what` and the bad field.
  void Validate(const std::string& what) const;
  // Whether sampling it needs random numbers (soft lights).
  bool IsSoft() const;
};

struct Lighting {
  std::vector<Light> lights;
  Eigen::Vector3f ambient = Eigen::Vector3f::Zero();  // environment radiance, W/(m^2 sr)
  void Validate() const;
};

// One sample of a light seen from a surface point.
struct LightSample {
  Eigen::Vector3f direction;  // unit, from the surface point towards the light
  float distance = 0;         // to the sampled point on the light (infinity for the sun)
  // Irradiance on a surface facing the sample direction (W/m^2 per channel): the reflected
  // radiance is brdf * cos(normal, direction) * irradiance.
  Eigen::Vector3f irradiance = Eigen::Vector3f::Zero();
  bool valid = false;  // false: the point receives nothing from this sample
};

// A light converted once per render into the float quantities its sampling needs.
class PreparedLight {
 public:
  explicit PreparedLight(const Light& light);
  // Samples the light from world point p with a uniform random pair u in [0, 1)^2.
  LightSample Sample(const Eigen::Vector3f& p, const Eigen::Vector2f& u) const;
  bool soft() const { return soft_; }
  bool casts_shadows() const { return casts_shadows_; }

 private:
  LightType type_;
  Eigen::Vector3f position_, axis_, to_sun_, edge_u_, edge_v_, normal_, color_;
  float intensity_ = 0;  // point/spot: W/sr; sun: W/m^2; area: power / pi
  float radius_ = 0, cos_outer_ = 0, cos_inner_ = 0, cos_sun_ = 1;
  bool soft_ = false, casts_shadows_ = true;
};

// PreparedLight(light).Sample(p, u).
LightSample SampleLight(const Light& light, const Eigen::Vector3f& p, const Eigen::Vector2f& u);

}  // namespace synface::synth::render
