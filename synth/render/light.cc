#include "synth/render/light.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"
#include "synth/render/sampling.h"

namespace synface::synth::render {
namespace {
constexpr double kPi = 3.14159265358979323846;

float SmoothStep(float edge0, float edge1, float x) {
  if (edge1 <= edge0) return x >= edge1 ? 1.0f : 0.0f;
  const float t = std::clamp((x - edge0) / (edge1 - edge0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

// Point on a disk of `radius` about `centre`, facing `p`.
Eigen::Vector3f DiskPoint(const Eigen::Vector3f& centre, float radius, const Eigen::Vector3f& p,
                          const Eigen::Vector2f& u) {
  if (radius <= 0) return centre;
  const Eigen::Vector3f axis = (p - centre).normalized();
  Eigen::Vector3f t, b;
  OrthonormalBasis(axis, &t, &b);
  const Eigen::Vector2f d = ConcentricDisk(u) * radius;
  return centre + d.x() * t + d.y() * b;
}
}  // namespace

Light Light::Point(const Eigen::Vector3d& position, double power_w, const Eigen::Vector3f& color,
                   double radius) {
  Light l;
  l.type = LightType::kPoint;
  l.position = position;
  l.power = power_w;
  l.color = color;
  l.radius = radius;
  return l;
}

Light Light::Spot(const Eigen::Vector3d& position, const Eigen::Vector3d& direction, double power_w,
                  double inner_angle, double outer_angle, const Eigen::Vector3f& color,
                  double radius) {
  Light l = Point(position, power_w, color, radius);
  l.type = LightType::kSpot;
  l.direction = direction;
  l.inner_angle = inner_angle;
  l.outer_angle = outer_angle;
  return l;
}

Light Light::Sun(const Eigen::Vector3d& direction, double irradiance, double angular_radius,
                 const Eigen::Vector3f& color) {
  Light l;
  l.type = LightType::kSun;
  l.direction = direction;
  l.irradiance = irradiance;
  l.angular_radius = angular_radius;
  l.color = color;
  return l;
}

Light Light::Area(const Eigen::Vector3d& centre, const Eigen::Vector3d& edge_u,
                  const Eigen::Vector3d& edge_v, double power_w, const Eigen::Vector3f& color) {
  Light l;
  l.type = LightType::kArea;
  l.position = centre;
  l.edge_u = edge_u;
  l.edge_v = edge_v;
  l.power = power_w;
  l.color = color;
  return l;
}

void Light::Validate(const std::string& what) const {
  auto bad = [&](const char* field, const char* need) {
    return core::MakeError("{}: {} out of range ({})", what, field, need);
  };
  if (!color.allFinite() || (color.array() < 0).any()) throw bad("color", "finite, >= 0");
  switch (type) {
    case LightType::kPoint:
    case LightType::kSpot:
      if (!position.allFinite()) throw bad("position", "finite");
      if (!(power >= 0) || !std::isfinite(power)) throw bad("power", "finite, >= 0 W");
      if (!(radius >= 0) || !std::isfinite(radius)) throw bad("radius", "finite, >= 0 m");
      if (type == LightType::kSpot) {
        if (!direction.allFinite() || direction.norm() == 0) throw bad("direction", "non-zero");
        if (!(outer_angle > 0 && outer_angle <= kPi))
          throw bad("outer_angle", "in (0, pi] radians");
        if (!(inner_angle >= 0 && inner_angle <= outer_angle))
          throw bad("inner_angle", "in [0, outer_angle]");
      }
      break;
    case LightType::kSun:
      if (!direction.allFinite() || direction.norm() == 0) throw bad("direction", "non-zero");
      if (!(irradiance >= 0) || !std::isfinite(irradiance))
        throw bad("irradiance", "finite, >= 0 W/m^2");
      if (!(angular_radius >= 0 && angular_radius < kPi / 2))
        throw bad("angular_radius", "in [0, pi/2) radians");
      break;
    case LightType::kArea:
      if (!position.allFinite()) throw bad("position", "finite");
      if (!(power >= 0) || !std::isfinite(power)) throw bad("power", "finite, >= 0 W");
      if (!edge_u.allFinite() || !edge_v.allFinite() || !(edge_u.cross(edge_v).norm() > 0))
        throw bad("edge_u / edge_v", "spanning a rectangle of non-zero area");
      break;
  }
}

bool Light::IsSoft() const {
  switch (type) {
    case LightType::kPoint:
    case LightType::kSpot:
      return radius > 0;
    case LightType::kSun:
      return angular_radius > 0;
    case LightType::kArea:
      return true;
  }
  return false;
}

void Lighting::Validate() const {
  for (size_t i = 0; i < lights.size(); ++i) lights[i].Validate(fmt::format("light {}", i));
  if (!ambient.allFinite() || (ambient.array() < 0).any())
    throw core::Error("lighting: ambient out of range (finite, >= 0)");
}

PreparedLight::PreparedLight(const Light& light) : type_(light.type) {
  position_ = light.position.cast<float>();
  axis_ = light.direction.normalized().cast<float>();
  to_sun_ = -axis_;
  edge_u_ = light.edge_u.cast<float>();
  edge_v_ = light.edge_v.cast<float>();
  normal_ = light.edge_u.cross(light.edge_v).normalized().cast<float>();
  color_ = light.color;
  radius_ = static_cast<float>(light.radius);
  cos_outer_ = static_cast<float>(std::cos(light.outer_angle));
  cos_inner_ = static_cast<float>(std::cos(light.inner_angle));
  cos_sun_ = static_cast<float>(std::cos(light.angular_radius));
  switch (type_) {
    case LightType::kPoint:
    case LightType::kSpot:
      intensity_ = static_cast<float>(light.power / (4.0 * kPi));
      break;
    case LightType::kSun:
      intensity_ = static_cast<float>(light.irradiance);
      break;
    case LightType::kArea:
      intensity_ = static_cast<float>(light.power / kPi);
      break;
  }
  soft_ = light.IsSoft();
  casts_shadows_ = light.casts_shadows;
}

LightSample PreparedLight::Sample(const Eigen::Vector3f& p, const Eigen::Vector2f& u) const {
  LightSample s;
  if (!(intensity_ > 0)) return s;
  switch (type_) {
    case LightType::kPoint:
    case LightType::kSpot: {
      const Eigen::Vector3f q = DiskPoint(position_, radius_, p, u);
      const Eigen::Vector3f d = q - p;
      const float d2 = d.squaredNorm();
      if (!(d2 > 0)) return s;
      s.distance = std::sqrt(d2);
      s.direction = d * (1.0f / s.distance);
      float scale = intensity_ / d2;
      if (type_ == LightType::kSpot)
        scale *= SmoothStep(cos_outer_, cos_inner_, (p - position_).normalized().dot(axis_));
      if (!(scale > 0)) return s;
      s.irradiance = color_ * scale;
      s.valid = true;
      return s;
    }
    case LightType::kSun:
      s.direction = soft_ ? UniformCone(to_sun_, cos_sun_, u) : to_sun_;
      s.distance = std::numeric_limits<float>::infinity();
      s.irradiance = color_ * intensity_;
      s.valid = true;
      return s;
    case LightType::kArea: {
      const Eigen::Vector3f q = position_ + (u.x() - 0.5f) * edge_u_ + (u.y() - 0.5f) * edge_v_;
      const Eigen::Vector3f d = q - p;
      const float d2 = d.squaredNorm();
      if (!(d2 > 0)) return s;
      s.distance = std::sqrt(d2);
      s.direction = d * (1.0f / s.distance);
      const float cos_light = -normal_.dot(s.direction);
      if (!(cos_light > 0)) return s;  // behind the emitting side
      // Radiance power / (pi A) times the solid angle per unit area cos_light / d^2, times A
      // (the pdf of a uniform point on the rectangle is 1 / A).
      s.irradiance = color_ * (intensity_ * cos_light / d2);
      s.valid = true;
      return s;
    }
  }
  return s;
}

LightSample SampleLight(const Light& light, const Eigen::Vector3f& p, const Eigen::Vector2f& u) {
  return PreparedLight(light).Sample(p, u);
}

}  // namespace synface::synth::render
