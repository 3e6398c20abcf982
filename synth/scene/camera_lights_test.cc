#include <gtest/gtest.h>

#include <cmath>

#include "core/config/config.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"
#include "synth/scene/camera_placement.h"
#include "synth/scene/lights.h"

namespace synface::synth::scene {
namespace {
using core::geometry::DegToRad;

core::config::Config Load(const std::string& toml) {
  core::config::Schema schema;
  DeclareCameraKeys(schema);
  DeclareLightKeys(schema);
  return core::config::LoadConfigString(toml, "test.toml", {}, schema);
}

TEST(Camera, PresetsAndFrontPlacement) {
  CameraConfig c = ReadCameraConfig(Load(""));
  core::data::Rng rng(1);
  const CameraPlacement p = PlaceCamera(c, rng);
  EXPECT_EQ(p.intrinsics.fx, 400.0);
  EXPECT_EQ(p.intrinsics.cx, 320.0);
  EXPECT_EQ(p.intrinsics.width, 640);
  EXPECT_NEAR((p.cam_from_world * Eigen::Vector3d::Zero() - Eigen::Vector3d(0, 0, 0.3)).norm(), 0,
              1e-15);
  EXPECT_NEAR(
      core::geometry::GeodesicAngle(p.cam_from_world.rotation, Eigen::Quaterniond::Identity()), 0,
      1e-15);
  EXPECT_NEAR(IntrinsicsFromPreset("thesis_text", 640, 480).fx, 554.2563, 1e-3);
  EXPECT_THROW(IntrinsicsFromPreset("nope", 640, 480), core::Error);
  c = ReadCameraConfig(
      Load("[camera]\ndistance_m = [0.3, 0.5]\nextra_distance_probability = 1.0\n"));
  for (int i = 0; i < 20; ++i) {
    const CameraPlacement q = PlaceCamera(c, rng);
    EXPECT_TRUE(q.pulled_back);
    EXPECT_GE(q.distance, 0.4 - 1e-12);
    EXPECT_LE(q.distance, 0.6);
    EXPECT_NEAR(q.cam_from_world.translation.z(), q.distance, 1e-12);
  }
}

TEST(Camera, SphereCapAimsAtTheEyeMidpointWithoutRoll) {
  const CameraConfig c = ReadCameraConfig(Load("[camera]\nmode = \"sphere_cap\"\n"));
  core::data::Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    const CameraPlacement p = PlaceCamera(c, rng);
    const Eigen::Vector3d centre_cam = p.cam_from_world * Eigen::Vector3d::Zero();
    // The eye midpoint is on the optical axis at the sphere radius.
    EXPECT_NEAR(centre_cam.x(), 0, 1e-12);
    EXPECT_NEAR(centre_cam.y(), 0, 1e-12);
    EXPECT_NEAR(centre_cam.z(), 0.3, 1e-12);
    // No roll: the camera's x axis is horizontal (perpendicular to world up).
    const Eigen::Matrix3d world_from_cam = p.cam_from_world.RotationMatrix().transpose();
    EXPECT_NEAR(world_from_cam.col(0).dot(WorldUp()), 0, 1e-12);
    EXPECT_LT(world_from_cam.col(1).dot(WorldUp()), 0);  // image down points down
    EXPECT_GE(p.polar_deg, 60);
    EXPECT_LE(p.polar_deg, 120);
    EXPECT_LE(std::abs(p.azimuth_deg), 45);
    // Camera above the eyes (polar < 90) looks down: its centre has negative world y.
    const Eigen::Vector3d eye = p.cam_from_world.Inverse().translation;
    EXPECT_EQ(eye.y() < 0, p.polar_deg < 90);
    // Positive azimuth moves the camera to the subject's... image left (Blender -x).
    if (std::abs(p.azimuth_deg) > 1) {
      EXPECT_EQ(eye.x() < 0, p.azimuth_deg > 0);
    }
  }
}

TEST(Camera, TranslateShiftsWithoutReaiming) {
  const CameraConfig c = ReadCameraConfig(Load("[camera]\nmode = \"translate\"\n"));
  core::data::Rng rng(9);
  int positive = 0;
  for (int i = 0; i < 100; ++i) {
    const CameraPlacement p = PlaceCamera(c, rng);
    const Eigen::Vector3d eye = p.cam_from_world.Inverse().translation;
    EXPECT_NEAR(eye.x(), p.shift.x(), 1e-12);
    EXPECT_NEAR(-eye.y(), p.shift.y(), 1e-12);  // up = -y
    EXPECT_NEAR(eye.z(), -0.3, 1e-12);
    EXPECT_GE(std::abs(p.shift.x()), 0.001);
    EXPECT_LE(std::abs(p.shift.x()), 0.14);
    EXPECT_LE(std::abs(p.shift.y()), 0.04);
    EXPECT_EQ(p.shift.x() > 0, p.shift.y() > 0);
    positive += p.shift.x() > 0;
    EXPECT_LT(
        core::geometry::GeodesicAngle(p.cam_from_world.rotation, Eigen::Quaterniond::Identity()),
        1e-15);
  }
  EXPECT_GT(positive, 20);
  EXPECT_LT(positive, 80);
}

TEST(Camera, LookAtAndConfigErrors) {
  const auto cam = LookAt(Eigen::Vector3d(0, 0, -1), Eigen::Vector3d::Zero(), WorldUp());
  EXPECT_LT(core::geometry::GeodesicAngle(cam.rotation, Eigen::Quaterniond::Identity()), 1e-12);
  EXPECT_THROW(LookAt(Eigen::Vector3d(0, -1, 0), Eigen::Vector3d::Zero(), WorldUp()), core::Error);
  EXPECT_THROW(ReadCameraConfig(Load("[camera]\nfar_m = 0.001\n")), core::Error);
  EXPECT_THROW(ReadCameraConfig(Load("[camera]\ndistance_m = [0.005, 0.3]\n")), core::Error);
}

TEST(Lights, ColourTemperature) {
  const Eigen::Vector3f d65 = ColorFromTemperature(6504);
  EXPECT_NEAR(d65.x(), 1.0, 0.06);
  EXPECT_NEAR(d65.y(), 1.0, 0.06);
  EXPECT_NEAR(d65.z(), 1.0, 0.12);
  for (double k : {2000.0, 3000.0, 4500.0, 6500.0, 9000.0, 15000.0}) {
    const Eigen::Vector3f c = ColorFromTemperature(k);
    EXPECT_NEAR(0.2126f * c.x() + 0.7152f * c.y() + 0.0722f * c.z(), 1.0f, 1e-5) << k;
    EXPECT_GE(c.minCoeff(), 0.0f);
  }
  const Eigen::Vector3f warm = ColorFromTemperature(3000), cold = ColorFromTemperature(10000);
  EXPECT_GT(warm.x(), warm.y());
  EXPECT_GT(warm.y(), warm.z());
  EXPECT_GT(cold.z(), cold.x());
}

TEST(Lights, PlacementIntensityAndDeterminism) {
  const LightConfig c = ReadLightConfig(
      Load("[lights]\ncount = [2, 4]\ntypes = [\"point\", \"spot\", \"sun\", \"area\"]\n"));
  int kinds[4] = {0, 0, 0, 0};
  for (uint64_t seed = 0; seed < 100; ++seed) {
    core::data::Rng rng(seed);
    const SampledLighting s = SampleLighting(c, rng);
    ASSERT_GE(s.lights.size(), 2u);
    ASSERT_LE(s.lights.size(), 4u);
    for (const SampledLight& l : s.lights) {
      ++kinds[static_cast<int>(l.kind)];
      EXPECT_GE(l.irradiance_at_head, 1.5);
      EXPECT_LE(l.irradiance_at_head, 4.0);
      EXPECT_GE(l.elevation_deg, -10 - 1e-9);
      EXPECT_LE(l.elevation_deg, 50 + 1e-9);
      if (l.kind == LightKind::kSun) {
        EXPECT_DOUBLE_EQ(l.irradiance, l.irradiance_at_head);
        continue;
      }
      EXPECT_NEAR(l.position.norm(), l.distance, 1e-12);
      const double d2 = l.distance * l.distance;
      if (l.kind == LightKind::kArea) {
        EXPECT_NEAR(l.power / (core::geometry::kPi * d2), l.irradiance_at_head, 1e-9);
        // It emits towards the head.
        EXPECT_GT(l.edge_u.cross(l.edge_v).dot(-l.position), 0);
      } else {
        EXPECT_NEAR(l.power / (4 * core::geometry::kPi * d2), l.irradiance_at_head, 1e-9);
      }
      if (l.kind == LightKind::kSpot) {
        EXPECT_NEAR(l.direction.dot(-l.position.normalized()), 1.0, 1e-12);
        EXPECT_LT(l.inner_angle, l.outer_angle);
      }
      // Azimuth 0 is in front of the face: z < 0 for |azimuth| < 90.
      EXPECT_LT(l.position.z(), 0);
    }
    core::data::Rng again(seed);
    EXPECT_EQ(SampleLighting(c, again).ToJson(), s.ToJson());
  }
  for (int k = 0; k < 4; ++k) EXPECT_GT(kinds[k], 20) << k;

  // The first light does not depend on how many follow it.
  const LightConfig one = ReadLightConfig(Load("[lights]\ncount = [1, 1]\n"));
  const LightConfig three = ReadLightConfig(Load("[lights]\ncount = [3, 3]\n"));
  core::data::Rng a(11), b(11);
  EXPECT_EQ(SampleLighting(one, a).lights[0].ToJson(), SampleLighting(three, b).lights[0].ToJson());
}

TEST(Lights, KeepLightsInsideKeepsTheIrradianceAtTheHead) {
  SampledLighting s;
  SampledLight l;
  l.kind = LightKind::kPoint;
  l.distance = 3.0;
  l.position = Eigen::Vector3d(0, -3, 0);  // 3 m above, the ceiling is at 1 m
  l.irradiance_at_head = 2.0;
  l.power = 2.0 * 4 * core::geometry::kPi * 9.0;
  s.lights.push_back(l);
  KeepLightsInside(Eigen::AlignedBox3d(Eigen::Vector3d(-2, -1.1, -3), Eigen::Vector3d(2, 1.6, 0.5)),
                   0.1, &s);
  EXPECT_NEAR(s.lights[0].position.y(), -1.0, 1e-12);
  EXPECT_NEAR(s.lights[0].distance, 1.0, 1e-12);
  EXPECT_NEAR(s.lights[0].power / (4 * core::geometry::kPi), 2.0, 1e-12);
}

TEST(Lights, ConfigErrorsNameTheKey) {
  try {
    ReadLightConfig(Load("[lights]\ntypes = [\"laser\"]\n"));
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("lights.types"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReadLightConfig(Load("[lights]\ncount = [3, 1]\n")), core::Error);
  EXPECT_THROW(ReadLightConfig(Load("[lights]\ntypes = [\"sun\"]\ntype_weights = [1, 2]\n")),
               core::Error);
}

}  // namespace
}  // namespace synface::synth::scene
