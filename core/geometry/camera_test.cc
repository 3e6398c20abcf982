#include "core/geometry/camera.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/geometry/head_pose.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {

TEST(Intrinsics, AuthorsCodePresetAt640x480) {
  // 20 mm lens, 32 mm sensor across 640 px: fx = 20 / 32 * 640 = 400 (ch2 digest 3-C1 (e)).
  const Intrinsics k = AuthorsCodePreset(640, 480);
  EXPECT_DOUBLE_EQ(k.fx, 400.0);
  EXPECT_DOUBLE_EQ(k.fy, 400.0);
  EXPECT_DOUBLE_EQ(k.cx, 320.0);
  EXPECT_DOUBLE_EQ(k.cy, 240.0);
  EXPECT_EQ(k.width, 640);
  EXPECT_EQ(k.height, 480);
  EXPECT_NEAR(RadToDeg(k.HorizontalFov()), 77.3196, 1e-4);  // 2 atan(16 / 20)
  EXPECT_NEAR(RadToDeg(k.VerticalFov()), 61.9275, 1e-4);    // 2 atan(12 / 20)
  Eigen::Matrix3d expected;
  expected << 400, 0, 320, 0, 400, 240, 0, 0, 1;
  EXPECT_TRUE(k.K().isApprox(expected));
}

TEST(Intrinsics, ThesisTextPresetAt640x480) {
  // 60 deg across 640 px: fx = 320 / tan(30 deg) = 554.2563 (ch2 digest 3-C1 (a)).
  const Intrinsics k = ThesisTextPreset(640, 480);
  EXPECT_NEAR(k.fx, 554.2562584, 1e-6);
  EXPECT_DOUBLE_EQ(k.fy, k.fx);
  EXPECT_DOUBLE_EQ(k.cx, 320.0);
  EXPECT_DOUBLE_EQ(k.cy, 240.0);
  EXPECT_NEAR(RadToDeg(k.HorizontalFov()), 60.0, 1e-12);
  EXPECT_NEAR(RadToDeg(k.VerticalFov()), 46.8264, 1e-4);
  // With a 36 mm sensor that is a 31.18 mm lens.
  const Intrinsics same =
      Intrinsics::FromFocalSensor(18.0 / std::tan(DegToRad(30.0)), 36.0, 640, 480);
  EXPECT_NEAR(same.fx, k.fx, 1e-9);
}

TEST(Intrinsics, PresetsAtOtherResolutions) {
  EXPECT_DOUBLE_EQ(AuthorsCodePreset(1280, 960).fx, 800.0);
  EXPECT_DOUBLE_EQ(AuthorsCodePreset(1280, 960).cx, 640.0);
  EXPECT_NEAR(ThesisTextPreset(320, 240).fx, 554.2562584 / 2, 1e-6);
  // Portrait: Blender's AUTO sensor fit lays the 32 mm across the larger side (the height).
  const Intrinsics portrait = AuthorsCodePreset(480, 640);
  EXPECT_DOUBLE_EQ(portrait.fx, 400.0);
  EXPECT_DOUBLE_EQ(portrait.cx, 240.0);
  EXPECT_DOUBLE_EQ(portrait.cy, 320.0);
  EXPECT_DOUBLE_EQ(Intrinsics::FromFocalSensor(20, 32, 480, 640, SensorFit::kHorizontal).fx, 300.0);
  EXPECT_DOUBLE_EQ(Intrinsics::FromFocalSensor(20, 32, 640, 480, SensorFit::kVertical).fx, 300.0);
}

TEST(Intrinsics, PixelCentreConvention) {
  const Intrinsics k = AuthorsCodePreset();
  // The optical axis hits the image centre: the corner shared by pixels (319..320, 239..240).
  EXPECT_TRUE(k.Project(Eigen::Vector3d(0, 0, 1)).isApprox(Eigen::Vector2d(320, 240)));
  EXPECT_TRUE(PixelCentre(0, 0).isApprox(Eigen::Vector2d(0.5, 0.5)));
  // The ray through the centre of the top-left pixel.
  const Eigen::Vector3d ray = k.RayZ1(PixelCentre(0, 0));
  EXPECT_NEAR(ray.x(), (0.5 - 320.0) / 400.0, 1e-15);
  EXPECT_NEAR(ray.y(), (0.5 - 240.0) / 400.0, 1e-15);
  EXPECT_TRUE(k.Contains(Eigen::Vector2d(0, 0)));
  EXPECT_TRUE(k.Contains(Eigen::Vector2d(639.999, 479.999)));
  EXPECT_FALSE(k.Contains(Eigen::Vector2d(640, 10)));
  EXPECT_FALSE(k.Contains(Eigen::Vector2d(10, -0.001)));
  // OpenCV puts pixel centres on integers: the same camera has its principal point 0.5 lower.
  EXPECT_DOUBLE_EQ(k.KIntegerPixelCentres()(0, 2), 319.5);
  EXPECT_DOUBLE_EQ(k.KIntegerPixelCentres()(1, 2), 239.5);
}

TEST(Intrinsics, ProjectAndUnprojectAreInverse) {
  const Intrinsics k{500.0, 480.0, 331.0, 228.5, 640, 480};
  // Hand computed: (0.1, -0.05, 2) -> (500 * 0.05 + 331, 480 * -0.025 + 228.5) = (356, 216.5).
  EXPECT_TRUE(k.Project(Eigen::Vector3d(0.1, -0.05, 2.0)).isApprox(Eigen::Vector2d(356, 216.5)));
  for (double u = 0.5; u < 640; u += 91.25) {
    for (double v = 0.5; v < 480; v += 67.5) {
      const Eigen::Vector3d p = k.Unproject(Eigen::Vector2d(u, v), 0.75);
      EXPECT_DOUBLE_EQ(p.z(), 0.75);  // planar depth
      EXPECT_TRUE(k.Project(p).isApprox(Eigen::Vector2d(u, v), 1e-12));
      const double r = k.RayDistanceFromDepth(Eigen::Vector2d(u, v), 0.75);
      EXPECT_NEAR(r, p.norm(), 1e-12);
      EXPECT_NEAR(k.DepthFromRayDistance(Eigen::Vector2d(u, v), r), 0.75, 1e-12);
    }
  }
}

TEST(Intrinsics, PointsBehindTheCameraHaveNoPixel) {
  const Intrinsics k = AuthorsCodePreset();
  EXPECT_FALSE(k.Project(Eigen::Vector3d(0.1, 0.1, -1.0)).allFinite());
  EXPECT_FALSE(k.Project(Eigen::Vector3d(0.1, 0.1, 0.0)).allFinite());
  EXPECT_FALSE(k.TryProject(Eigen::Vector3d(0, 0, -2)).has_value());
  ASSERT_TRUE(k.TryProject(Eigen::Vector3d(0, 0, 2)).has_value());
}

TEST(Intrinsics, ResizeAndCropKeepProjectionsConsistent) {
  const Intrinsics k = AuthorsCodePreset(640, 480);
  const Intrinsics half = k.Resized(320, 240);
  EXPECT_DOUBLE_EQ(half.fx, 200.0);
  EXPECT_DOUBLE_EQ(half.cx, 160.0);  // no half-pixel correction in continuous coordinates
  const Intrinsics crop = k.Cropped(100.0, 50.0, 200, 200);
  const Eigen::Vector3d p(0.03, -0.02, 0.4);
  EXPECT_TRUE(half.Project(p).isApprox(0.5 * k.Project(p), 1e-12));
  EXPECT_TRUE(crop.Project(p).isApprox(k.Project(p) - Eigen::Vector2d(100, 50), 1e-12));
  // A pixel's footprint maps onto the resized pixel grid exactly: the corners (0,0) and (640,480)
  // stay corners and pixel centre (i + 0.5) maps to (i + 0.5) / 2.
  EXPECT_TRUE(half.Project(k.Unproject(Eigen::Vector2d(640, 480), 1.0))
                  .isApprox(Eigen::Vector2d(320, 240)));
}

TEST(Intrinsics, BadParametersAreErrors) {
  EXPECT_THROW(Intrinsics::FromHorizontalFov(0.0, 640, 480), Error);
  EXPECT_THROW(Intrinsics::FromHorizontalFov(kPi, 640, 480), Error);
  EXPECT_THROW(Intrinsics::FromHorizontalFov(1.0, 0, 480), Error);
  EXPECT_THROW(Intrinsics::FromFocalSensor(-20, 32, 640, 480), Error);
  EXPECT_THROW(Intrinsics::FromFocalSensor(20, 0, 640, 480), Error);
  EXPECT_THROW((Intrinsics{0, 400, 320, 240, 640, 480}.Validate()), Error);
  EXPECT_THROW(AuthorsCodePreset().Resized(0, 10), Error);
  try {
    Intrinsics::FromFocalSensor(20, 32, 640, -1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("640 x -1"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(AuthorsCodePreset().Validate());
}

TEST(ProjectPoints, AppliesTheRigidTransformFirst) {
  const Intrinsics k = AuthorsCodePreset();
  const Rigid3d cam_from_obj(RotationY(kPi / 2), Eigen::Vector3d(0, 0, 1));
  // Ry(90) (0,0,-0.5) = (-0.5, 0, 0); + (0,0,1) = (-0.5, 0, 1) -> (400 * -0.5 + 320, 240).
  const std::vector<Eigen::Vector3d> pts = {Eigen::Vector3d(0, 0, -0.5),
                                            Eigen::Vector3d(0, 0.1, 0)};
  const std::vector<Eigen::Vector2d> px = ProjectPoints(k, cam_from_obj, pts);
  ASSERT_EQ(px.size(), 2u);
  EXPECT_TRUE(px[0].isApprox(Eigen::Vector2d(120, 240)));
  EXPECT_TRUE(px[1].isApprox(Eigen::Vector2d(320, 280)));
  Eigen::Matrix3Xd m(3, 2);
  m.col(0) = pts[0];
  m.col(1) = pts[1];
  const Eigen::Matrix2Xd pm = ProjectPoints(k, cam_from_obj, m);
  EXPECT_TRUE(pm.col(0).isApprox(px[0]));
  EXPECT_TRUE(pm.col(1).isApprox(px[1]));
}

TEST(ProjectPoseAxes, FrontalHeadAtThirtyCentimetres) {
  const Intrinsics k = AuthorsCodePreset();
  const Rigid3d cam_from_head(Eigen::Matrix3d::Identity(), Eigen::Vector3d(0, 0, 0.3));
  const PoseAxes2d axes = ProjectPoseAxes(k, cam_from_head, 0.03);
  ASSERT_TRUE(axes.valid);
  EXPECT_TRUE(axes.origin.isApprox(Eigen::Vector2d(320, 240)));
  EXPECT_TRUE(axes.x_end.isApprox(Eigen::Vector2d(360, 240)));  // 400 * 0.03 / 0.3 = 40 px right
  EXPECT_TRUE(axes.y_end.isApprox(Eigen::Vector2d(320, 280)));  // 40 px down, towards the chin
  EXPECT_TRUE(axes.z_end.isApprox(Eigen::Vector2d(320, 240)));  // along the optical axis
  EXPECT_TRUE(axes.forward_end.isApprox(Eigen::Vector2d(320, 240)));
  // An axis longer than the head's distance reaches behind the camera: nothing to draw.
  EXPECT_FALSE(ProjectPoseAxes(k, cam_from_head, 0.5).valid);
}

}  // namespace
}  // namespace synface::core::geometry
