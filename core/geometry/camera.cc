#include "core/geometry/camera.h"

#include <cmath>
#include <limits>

#include "core/geometry/rotation.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void CheckSize(const char* what, int width, int height) {
  if (width <= 0 || height <= 0) {
    throw MakeError("{}: image size must be positive, got {} x {}", what, width, height);
  }
}

}  // namespace

Eigen::Matrix3d Intrinsics::K() const {
  Eigen::Matrix3d k;
  k << fx, 0, cx, 0, fy, cy, 0, 0, 1;
  return k;
}

Eigen::Matrix3d Intrinsics::KIntegerPixelCentres() const {
  Eigen::Matrix3d k = K();
  k(0, 2) -= 0.5;
  k(1, 2) -= 0.5;
  return k;
}

Eigen::Vector2d Intrinsics::Project(const Eigen::Vector3d& p) const {
  if (!(p.z() > 0.0)) return Eigen::Vector2d(kNaN, kNaN);
  return Eigen::Vector2d(fx * p.x() / p.z() + cx, fy * p.y() / p.z() + cy);
}

std::optional<Eigen::Vector2d> Intrinsics::TryProject(const Eigen::Vector3d& p) const {
  if (!(p.z() > 0.0)) return std::nullopt;
  return Project(p);
}

Eigen::Vector3d Intrinsics::RayZ1(const Eigen::Vector2d& pixel) const {
  return Eigen::Vector3d((pixel.x() - cx) / fx, (pixel.y() - cy) / fy, 1.0);
}

Eigen::Vector3d Intrinsics::Unproject(const Eigen::Vector2d& pixel, double depth) const {
  return RayZ1(pixel) * depth;
}

double Intrinsics::RayDistanceFromDepth(const Eigen::Vector2d& pixel, double depth) const {
  return depth * RayZ1(pixel).norm();
}

double Intrinsics::DepthFromRayDistance(const Eigen::Vector2d& pixel, double ray_distance) const {
  return ray_distance / RayZ1(pixel).norm();
}

bool Intrinsics::Contains(const Eigen::Vector2d& pixel) const {
  return pixel.x() >= 0.0 && pixel.y() >= 0.0 && pixel.x() < width && pixel.y() < height;
}

double Intrinsics::HorizontalFov() const {
  return std::atan(cx / fx) + std::atan((width - cx) / fx);
}

double Intrinsics::VerticalFov() const {
  return std::atan(cy / fy) + std::atan((height - cy) / fy);
}

Intrinsics Intrinsics::Resized(int new_width, int new_height) const {
  CheckSize("Intrinsics::Resized", new_width, new_height);
  Validate();
  const double sx = static_cast<double>(new_width) / width;
  const double sy = static_cast<double>(new_height) / height;
  return Intrinsics{fx * sx, fy * sy, cx * sx, cy * sy, new_width, new_height};
}

Intrinsics Intrinsics::Cropped(double x0, double y0, int crop_width, int crop_height) const {
  CheckSize("Intrinsics::Cropped", crop_width, crop_height);
  return Intrinsics{fx, fy, cx - x0, cy - y0, crop_width, crop_height};
}

Intrinsics Intrinsics::FromHorizontalFov(double horizontal_fov_rad, int width, int height) {
  CheckSize("Intrinsics::FromHorizontalFov", width, height);
  if (!(horizontal_fov_rad > 0.0 && horizontal_fov_rad < kPi)) {
    throw MakeError(
        "Intrinsics::FromHorizontalFov: field of view must be in (0, 180) degrees, got {}",
        RadToDeg(horizontal_fov_rad));
  }
  const double f = 0.5 * width / std::tan(0.5 * horizontal_fov_rad);
  return Intrinsics{f, f, 0.5 * width, 0.5 * height, width, height};
}

Intrinsics Intrinsics::FromFocalSensor(double focal_mm, double sensor_mm, int width, int height,
                                       SensorFit fit) {
  CheckSize("Intrinsics::FromFocalSensor", width, height);
  if (!(focal_mm > 0.0 && sensor_mm > 0.0 && std::isfinite(focal_mm) && std::isfinite(sensor_mm))) {
    throw MakeError(
        "Intrinsics::FromFocalSensor: focal length and sensor size must be positive, got "
        "{} mm and {} mm",
        focal_mm, sensor_mm);
  }
  int spanned = width;
  if (fit == SensorFit::kVertical || (fit == SensorFit::kAuto && height > width)) spanned = height;
  const double f = focal_mm / sensor_mm * spanned;
  return Intrinsics{f, f, 0.5 * width, 0.5 * height, width, height};
}

void Intrinsics::Validate() const {
  CheckSize("Intrinsics", width, height);
  if (!(fx > 0.0 && fy > 0.0 && std::isfinite(fx) && std::isfinite(fy) && std::isfinite(cx) &&
        std::isfinite(cy))) {
    throw MakeError(
        "Intrinsics: fx, fy must be positive and finite and cx, cy finite, got fx={} "
        "fy={} cx={} cy={}",
        fx, fy, cx, cy);
  }
}

Intrinsics ThesisTextPreset(int width, int height) {
  return Intrinsics::FromHorizontalFov(DegToRad(60.0), width, height);
}

Intrinsics AuthorsCodePreset(int width, int height) {
  return Intrinsics::FromFocalSensor(20.0, 32.0, width, height, SensorFit::kAuto);
}

std::vector<Eigen::Vector2d> ProjectPoints(const Intrinsics& intrinsics,
                                           const Rigid3d& cam_from_obj,
                                           const std::vector<Eigen::Vector3d>& points_obj) {
  std::vector<Eigen::Vector2d> pixels;
  pixels.reserve(points_obj.size());
  for (const Eigen::Vector3d& p : points_obj)
    pixels.push_back(intrinsics.Project(cam_from_obj * p));
  return pixels;
}

Eigen::Matrix2Xd ProjectPoints(const Intrinsics& intrinsics, const Rigid3d& cam_from_obj,
                               const Eigen::Matrix3Xd& points_obj) {
  Eigen::Matrix2Xd pixels(2, points_obj.cols());
  for (Eigen::Index i = 0; i < points_obj.cols(); ++i) {
    pixels.col(i) = intrinsics.Project(cam_from_obj * Eigen::Vector3d(points_obj.col(i)));
  }
  return pixels;
}

PoseAxes2d ProjectPoseAxes(const Intrinsics& intrinsics, const Rigid3d& cam_from_head,
                           double axis_length_m) {
  const Eigen::Matrix3d r = cam_from_head.RotationMatrix();
  const Eigen::Vector3d o = cam_from_head.translation;
  const Eigen::Vector3d points[5] = {o, o + axis_length_m * r.col(0), o + axis_length_m * r.col(1),
                                     o + axis_length_m * r.col(2), o - axis_length_m * r.col(2)};
  PoseAxes2d axes;
  axes.valid = true;
  Eigen::Vector2d* out[5] = {&axes.origin, &axes.x_end, &axes.y_end, &axes.z_end,
                             &axes.forward_end};
  for (int i = 0; i < 5; ++i) {
    *out[i] = intrinsics.Project(points[i]);
    axes.valid = axes.valid && out[i]->allFinite();
  }
  return axes;
}

}  // namespace synface::core::geometry
