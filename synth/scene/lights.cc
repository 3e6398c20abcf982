#include "synth/scene/lights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/geometry/rotation.h"
#include "core/util/error.h"

namespace synface::synth::scene {
using core::geometry::DegToRad;
using core::geometry::kPi;
using core::geometry::RadToDeg;

namespace {
nlohmann::json Vec(const Eigen::Vector3d& v) { return {v.x(), v.y(), v.z()}; }
nlohmann::json Vec(const Eigen::Vector3f& v) { return {v.x(), v.y(), v.z()}; }

LightKind KindFromName(const std::string& name) {
  if (name == "point") return LightKind::kPoint;
  if (name == "spot") return LightKind::kSpot;
  if (name == "sun") return LightKind::kSun;
  if (name == "area") return LightKind::kArea;
  throw core::MakeError("unknown light type '{}' (point, spot, sun, area)", name);
}
}  // namespace

std::string LightKindName(LightKind kind) {
  switch (kind) {
    case LightKind::kPoint:
      return "point";
    case LightKind::kSpot:
      return "spot";
    case LightKind::kSun:
      return "sun";
    case LightKind::kArea:
      return "area";
  }
  return "?";
}

nlohmann::json SampledLight::ToJson() const {
  nlohmann::json j;
  j["type"] = LightKindName(kind);
  j["color_linear_rgb"] = Vec(color);
  j["temperature_k"] = temperature_k;
  j["irradiance_at_head_w_m2"] = irradiance_at_head;
  j["azimuth_deg"] = azimuth_deg;
  j["elevation_deg"] = elevation_deg;
  j["distance_m"] = distance;
  j["casts_shadows"] = casts_shadows;
  if (kind != LightKind::kSun) {
    j["position_m"] = Vec(position);
    j["power_w"] = power;
  }
  if (kind == LightKind::kSpot || kind == LightKind::kSun) j["direction"] = Vec(direction);
  if (kind == LightKind::kPoint || kind == LightKind::kSpot) j["radius_m"] = radius;
  if (kind == LightKind::kSpot) {
    j["inner_angle_deg"] = RadToDeg(inner_angle);
    j["outer_angle_deg"] = RadToDeg(outer_angle);
  }
  if (kind == LightKind::kSun) {
    j["irradiance_w_m2"] = irradiance;
    j["angular_radius_deg"] = RadToDeg(angular_radius);
  }
  if (kind == LightKind::kArea) {
    j["edge_u_m"] = Vec(edge_u);
    j["edge_v_m"] = Vec(edge_v);
  }
  return j;
}

nlohmann::json SampledLighting::ToJson() const {
  nlohmann::json j;
  j["ambient_radiance"] = Vec(ambient);
  nlohmann::json list = nlohmann::json::array();
  for (const SampledLight& l : lights) list.push_back(l.ToJson());
  j["lights"] = list;
  return j;
}

Eigen::Vector3f ColorFromTemperature(double kelvin) {
  const double t = std::clamp(kelvin, 1667.0, 25000.0);
  const double t1 = 1e3 / t, t2 = t1 * t1, t3 = t2 * t1;
  const double x = t <= 4000.0 ? -0.2661239 * t3 - 0.2343589 * t2 + 0.8776956 * t1 + 0.179910
                               : -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t1 + 0.240390;
  const double x2 = x * x, x3 = x2 * x;
  double y;
  if (t <= 2222.0) {
    y = -1.1063814 * x3 - 1.34811020 * x2 + 2.18555832 * x - 0.20219683;
  } else if (t <= 4000.0) {
    y = -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867;
  } else {
    y = 3.0817580 * x3 - 5.87338670 * x2 + 3.75112997 * x - 0.37001483;
  }
  const double X = x / y, Y = 1.0, Z = (1.0 - x - y) / y;
  double r = 3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z;
  double g = -0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z;
  double b = 0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z;
  r = std::max(r, 0.0);
  g = std::max(g, 0.0);
  b = std::max(b, 0.0);
  const double lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return Eigen::Vector3f(static_cast<float>(r / lum), static_cast<float>(g / lum),
                         static_cast<float>(b / lum));
}

SampledLighting SampleLighting(const LightConfig& config, core::data::Rng& rng) {
  SampledLighting out;
  const int count =
      static_cast<int>(rng.UniformInt(int64_t{config.count_min}, int64_t{config.count_max}));
  const double ambient = config.ambient.Sample(rng);
  out.ambient = Eigen::Vector3f::Constant(static_cast<float>(ambient));
  for (int i = 0; i < count; ++i) {
    core::data::Rng r = rng.Fork(fmt::format("light{}", i));
    SampledLight l;
    l.kind = KindFromName(config.types.names[config.types.Sample(r)]);
    l.distance = config.distance.Sample(r);
    const double az = config.azimuth.Sample(r);
    const double el = config.elevation.Sample(r);
    l.azimuth_deg = RadToDeg(az);
    l.elevation_deg = RadToDeg(el);
    l.irradiance_at_head = config.irradiance.Sample(r);
    l.temperature_k = config.temperature_k.Sample(r);
    const double spot_outer = config.spot_angle.Sample(r);
    const double area_side = config.area_size.Sample(r);
    const double point_radius = config.point_radius.Sample(r);
    const double sun_radius = config.sun_angular_radius.Sample(r);
    l.color = ColorFromTemperature(l.temperature_k);
    l.casts_shadows = config.shadows;
    // Unit vector from the eye midpoint towards the light: front = -z, right = +x, up = -y.
    const Eigen::Vector3d to_light(std::cos(el) * std::sin(az), -std::sin(el),
                                   -std::cos(el) * std::cos(az));
    const double d = l.distance;
    const double e = l.irradiance_at_head;
    l.position = d * to_light;
    l.direction = -to_light;
    switch (l.kind) {
      case LightKind::kPoint:
        l.power = e * 4.0 * kPi * d * d;
        l.radius = point_radius;
        break;
      case LightKind::kSpot:
        l.power = e * 4.0 * kPi * d * d;
        l.radius = point_radius;
        l.outer_angle = spot_outer;
        l.inner_angle = spot_outer * (1.0 - config.spot_blend);
        break;
      case LightKind::kSun:
        l.irradiance = e;
        l.angular_radius = sun_radius;
        break;
      case LightKind::kArea: {
        // A square facing the head; it emits towards edge_u x edge_v = -to_light.
        const Eigen::Vector3d n = -to_light;
        Eigen::Vector3d u = n.cross(Eigen::Vector3d(0, -1, 0));
        if (u.norm() < 1e-6) u = Eigen::Vector3d(1, 0, 0);
        u.normalize();
        const Eigen::Vector3d v = n.cross(u).normalized();
        l.edge_u = area_side * u;
        l.edge_v = area_side * v;
        l.power = e * kPi * d * d;
        break;
      }
    }
    out.lights.push_back(l);
  }
  return out;
}

void KeepLightsInside(const Eigen::AlignedBox3d& interior, double margin,
                      SampledLighting* lighting) {
  Eigen::AlignedBox3d box(interior.min() + Eigen::Vector3d::Constant(margin),
                          interior.max() - Eigen::Vector3d::Constant(margin));
  if (box.isEmpty() || !box.contains(Eigen::Vector3d::Zero())) {
    throw core::Error("KeepLightsInside: the eye midpoint is not inside the room");
  }
  for (SampledLight& l : lighting->lights) {
    if (l.kind == LightKind::kSun || box.contains(l.position)) continue;
    // Largest s in (0, 1] with s * position inside the box (the box contains the origin).
    const Eigen::Vector3d p = l.position;
    double s = 1.0;
    for (int a = 0; a < 3; ++a) {
      if (p[a] > box.max()[a]) s = std::min(s, box.max()[a] / p[a]);
      if (p[a] < box.min()[a]) s = std::min(s, box.min()[a] / p[a]);
    }
    const double old_d = l.distance;
    l.position = s * p;
    l.distance = old_d * s;
    l.power *= s * s;  // power ~ irradiance * d^2
    if (l.kind == LightKind::kArea) {
      // Keep the square no larger than the distance to the head, or it would wrap around it.
      const double side = l.edge_u.norm();
      if (side > l.distance) {
        l.edge_u *= l.distance / side;
        l.edge_v *= l.distance / side;
      }
    }
  }
}

void DeclareLightKeys(core::config::Schema& schema) {
  schema.Optional<std::vector<int64_t>>("lights.count", {1, 1}, "number of lights [min, max]");
  schema.Optional<std::vector<std::string>>("lights.types", {"point"},
                                            "light types drawn from: point, spot, sun, area");
  schema.Optional<std::vector<double>>("lights.type_weights", {},
                                       "relative weights of lights.types (empty: equal)");
  DeclareRange(schema, "lights.distance_m", {1.0, 2.5}, "distance from the eye midpoint, metres");
  DeclareRange(schema, "lights.azimuth_deg", {-60, 60},
               "azimuth about the vertical, 0 = in front of the face, + = image right");
  DeclareRange(schema, "lights.elevation_deg", {-10, 50}, "elevation above the eyes' plane");
  DeclareRange(schema, "lights.irradiance_w_m2", {1.5, 4.0},
               "irradiance each light delivers at the eye midpoint, W/m^2");
  DeclareRange(schema, "lights.temperature_k", {3500, 7500}, "colour temperature, kelvin");
  DeclareRange(schema, "lights.spot_angle_deg", {20, 45}, "spot cone half-angle, degrees");
  schema.Optional<double>("lights.spot_blend", 0.25, "spot: soft edge fraction of the cone");
  schema.Range("lights.spot_blend", 0.0, 1.0);
  DeclareRange(schema, "lights.area_size_m", {0.3, 1.0}, "area light side, metres");
  DeclareRange(schema, "lights.point_radius_m", {0.0, 0.05}, "point/spot radius (soft shadows)");
  DeclareRange(schema, "lights.sun_angular_radius_deg", {0.0, 1.0}, "sun angular radius");
  schema.Optional<bool>("lights.shadows", true, "lights cast shadows");
  DeclareRange(schema, "lights.ambient", {0.02, 0.08}, "grey environment radiance, W/(m^2 sr)");
}

LightConfig ReadLightConfig(const core::config::Config& config) {
  LightConfig c;
  const std::vector<int64_t> count = config.Get<std::vector<int64_t>>("lights.count");
  if (count.size() != 2 || count[0] < 0 || count[0] > count[1] || count[1] > 64) {
    throw ConfigError(config, "lights.count", "must be [min, max] with 0 <= min <= max <= 64");
  }
  c.count_min = static_cast<int>(count[0]);
  c.count_max = static_cast<int>(count[1]);
  c.types = ReadWeightedChoice(config, "lights.types", "lights.type_weights",
                               {"point", "spot", "sun", "area"});
  const double d = DegToRad(1.0);
  c.distance = ReadRange(config, "lights.distance_m", 0.05, 1000.0);
  c.azimuth = ReadRange(config, "lights.azimuth_deg", -180, 180, d);
  c.elevation = ReadRange(config, "lights.elevation_deg", -90, 90, d);
  c.irradiance = ReadRange(config, "lights.irradiance_w_m2", 0.0, 1e6);
  c.temperature_k = ReadRange(config, "lights.temperature_k", 1667, 25000);
  c.spot_angle = ReadRange(config, "lights.spot_angle_deg", 1, 89, d);
  c.spot_blend = config.Get<double>("lights.spot_blend");
  c.area_size = ReadRange(config, "lights.area_size_m", 0.001, 100.0);
  c.point_radius = ReadRange(config, "lights.point_radius_m", 0.0, 10.0);
  c.sun_angular_radius = ReadRange(config, "lights.sun_angular_radius_deg", 0.0, 45.0, d);
  c.shadows = config.Get<bool>("lights.shadows");
  c.ambient = ReadRange(config, "lights.ambient", 0.0, 1e6);
  return c;
}

}  // namespace synface::synth::scene
