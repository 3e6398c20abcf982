// Pinhole camera intrinsics and projection, in synface's pixel convention: pixel (i, j) covers
// [i, i+1) x [j, j+1) and its centre is (i + 0.5, j + 0.5); 2D coordinates are continuous in that
// system. A camera with no lens shift therefore has its principal point at (w/2, h/2) exactly,
// and resizing an image by s scales fx, fy, cx, cy by s with no half-pixel correction.
// Camera frame: OpenCV (x right, y down, z forward along the optical axis), metres.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <vector>

#include "core/geometry/rigid.h"

namespace synface::core::geometry {

// How a physical sensor width maps onto the image (Blender's camera sensor_fit).
enum class SensorFit {
  kAuto,        // Blender's default: the sensor size spans the larger image side
  kHorizontal,  // the sensor size spans the image width
  kVertical,    // the sensor size spans the image height
};

struct Intrinsics {
  double fx = 0, fy = 0;  // focal lengths, pixels
  double cx = 0, cy = 0;  // principal point, continuous pixel coordinates
  int width = 0, height = 0;

  // K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] in synface's pixel convention.
  Eigen::Matrix3d K() const;
  // The same camera for code whose pixel centres sit on integers (OpenCV's cv::projectPoints,
  // cv::solvePnP, cv::remap on pixel indices): cx and cy shifted by -0.5.
  Eigen::Matrix3d KIntegerPixelCentres() const;

  // Pixel of a camera-frame point (metres). Points with z <= 0 (on or behind the camera plane)
  // have no image: both coordinates are NaN.
  Eigen::Vector2d Project(const Eigen::Vector3d& point_cam) const;
  std::optional<Eigen::Vector2d> TryProject(const Eigen::Vector3d& point_cam) const;
  // Camera-frame point whose planar depth (z) is `depth` metres and which projects to `pixel`.
  Eigen::Vector3d Unproject(const Eigen::Vector2d& pixel, double depth) const;
  // Ray through `pixel` scaled to z = 1 (multiply by a planar depth to get the point).
  Eigen::Vector3d RayZ1(const Eigen::Vector2d& pixel) const;
  // Euclidean distance from the camera centre for a planar depth z at `pixel`:
  // z * sqrt(1 + ((u - cx) / fx)^2 + ((v - cy) / fy)^2).
  double RayDistanceFromDepth(const Eigen::Vector2d& pixel, double depth) const;
  double DepthFromRayDistance(const Eigen::Vector2d& pixel, double ray_distance) const;

  // True when `pixel` lies in [0, width) x [0, height).
  bool Contains(const Eigen::Vector2d& pixel) const;

  // Horizontal / vertical field of view (radians) across the full image, about the principal point.
  double HorizontalFov() const;
  double VerticalFov() const;

  // The same camera after resizing the image to new_width x new_height (continuous coordinates
  // scale exactly), and after cropping the window whose top-left corner is (x0, y0).
  Intrinsics Resized(int new_width, int new_height) const;
  Intrinsics Cropped(double x0, double y0, int crop_width, int crop_height) const;

  // Square pixels, principal point at the image centre, `fov` across the image width.
  static Intrinsics FromHorizontalFov(double horizontal_fov_rad, int width, int height);
  // Blender-style physical lens: focal length and sensor size in mm; square pixels, no lens
  // shift. With SensorFit::kAuto (Blender's default) the sensor spans the larger image side.
  static Intrinsics FromFocalSensor(double focal_mm, double sensor_mm, int width, int height,
                                    SensorFit fit = SensorFit::kAuto);
  // Throws core::Error when width/height are not positive or fx/fy not positive and finite.
  void Validate() const;
};

// The thesis text's camera: horizontal FOV 60 deg (36 mm sensor, so f = 31.18 mm):
// fx = fy = 554.2563 px, cx = 320, cy = 240 at 640 x 480 (ch2 digest section 3-C1 (a)).
Intrinsics ThesisTextPreset(int width = 640, int height = 480);
// The authors' Blender scripts' camera: 20 mm lens, 32 mm sensor, sensor fit AUTO:
// fx = fy = 400 px, cx = 320, cy = 240 at 640 x 480 (ch2 digest section 3-C1 (e)). The default
// for reproducing C3I-SynFace / P1 data.
Intrinsics AuthorsCodePreset(int width = 640, int height = 480);

// Centre of pixel (i, j) in continuous coordinates: (i + 0.5, j + 0.5).
inline Eigen::Vector2d PixelCentre(int i, int j) { return Eigen::Vector2d(i + 0.5, j + 0.5); }

// Projects points given in frame `obj` through cam_from_obj and the intrinsics. Points behind the
// camera come back as NaN pixels (see Intrinsics::Project).
std::vector<Eigen::Vector2d> ProjectPoints(const Intrinsics& intrinsics,
                                           const Rigid3d& cam_from_obj,
                                           const std::vector<Eigen::Vector3d>& points_obj);
Eigen::Matrix2Xd ProjectPoints(const Intrinsics& intrinsics, const Rigid3d& cam_from_obj,
                               const Eigen::Matrix3Xd& points_obj);

// 2D end points of the head's axes for drawing pose axes (x red, y green, z blue by custom).
// x points to the subject's left, y to the chin, z into the head (away from the face);
// `forward_end` is origin - length * z, the direction the face looks, which is what the public
// head-pose demos (Hopenet / 6DRepNet draw_axis) draw in blue.
struct PoseAxes2d {
  Eigen::Vector2d origin, x_end, y_end, z_end, forward_end;
  bool valid = false;  // false when any of the five 3D points is not in front of the camera
};
PoseAxes2d ProjectPoseAxes(const Intrinsics& intrinsics, const Rigid3d& cam_from_head,
                           double axis_length_m);

}  // namespace synface::core::geometry
