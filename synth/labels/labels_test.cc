#include "synth/labels/labels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include "core/geometry/head_pose.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::synth::labels {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

SampleLabels Example() {
  SampleLabels l;
  l.generator_version = "test";
  l.id = 12;
  l.dataset_seed = 7;
  l.sample_seed = 18446744073709551557ull;  // > 2^63: must survive JSON exactly
  l.files = {{"rgb", "000012.rgb.png"}, {"labels", "000012.json"}};
  l.intrinsics = core::geometry::AuthorsCodePreset(160, 120);
  l.intrinsics_preset = "authors_code";
  l.SetCamFromWorld(
      core::geometry::Rigid3d(Eigen::Matrix3d::Identity(), Eigen::Vector3d(0, 0, 0.3)));
  l.camera = {{"mode", "front"}, {"distance_m", 0.3}};
  l.pose = core::geometry::HeadPoseFromDegrees(10, -5, 2);
  l.R = core::geometry::RotationFromHeadPose(l.pose);
  l.t = Eigen::Vector3d(0.001, -0.002, 0.31);
  l.commanded_pose = {{"source", "uniform"}};
  for (int i = 0; i < 68; ++i) {
    const Eigen::Vector3d p(0.001 * i, -0.0005 * i, 0.28 + 1e-4 * i);
    l.landmarks68.xyz.push_back(p);
    l.landmarks68.xy.push_back(l.intrinsics.Project(p));
    l.landmarks68.in_image.push_back(1);
    l.landmarks68.visible.push_back(i % 3 != 0);
    l.landmarks68.vertices.push_back(100 + i);
  }
  // A landmark the model lacks.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  l.landmarks68.xyz[5] = Eigen::Vector3d::Constant(nan);
  l.landmarks68.xy[5] = Eigen::Vector2d::Constant(nan);
  l.landmarks68.vertices[5] = -1;
  l.landmarks68.in_image[5] = l.landmarks68.visible[5] = 0;
  l.dense_name = "ict_narrow_face_fps520";
  l.dense.xyz = {Eigen::Vector3d(0, 0, 0.3)};
  l.dense.xy = {Eigen::Vector2d(80, 60)};
  l.dense.in_image = {1};
  l.dense.visible = {1};
  l.dense.vertices = {3};
  l.left_eye = Eigen::Vector3d(0.03, 0, 0.3);
  l.right_eye = Eigen::Vector3d(-0.03, 0, 0.3);
  l.neck_pivot = Eigen::Vector3d(0, 0.06, 0.375);
  l.head = {{"source", "procedural"}, {"subject", 3}};
  l.background = {{"type", "plain"}};
  l.lighting = {{"lights", json::array()}};
  l.render = {{"samples_per_pixel", 4}};
  return l;
}

TEST(Labels, RoundTripsExactly) {
  const SampleLabels l = Example();
  const json j = ToJson(l);
  EXPECT_EQ(j["landmarks_68"]["num_visible"], l.landmarks68.NumVisible());
  EXPECT_TRUE(j["landmarks_68"]["xy"][5][0].is_null());
  EXPECT_EQ(j["camera"]["K"][0][0], 100.0);
  EXPECT_NEAR(j["head_pose"]["yaw_deg"].get<double>(), 10.0, 1e-12);
  const SampleLabels back = FromJson(json::parse(ToText(l)), "x.json");
  EXPECT_EQ(ToText(back), ToText(l));
  EXPECT_EQ(back.sample_seed, l.sample_seed);
  EXPECT_TRUE(std::isnan(back.landmarks68.xy[5].x()));
  EXPECT_EQ(back.landmarks68.xy[7], l.landmarks68.xy[7]);  // bit-exact doubles
  EXPECT_EQ(back.t, l.t);
  EXPECT_EQ(back.R, l.R);
  EXPECT_LT(core::geometry::GeodesicAngle(back.CamFromHead().RotationMatrix(), l.R), 1e-12);
  EXPECT_EQ(back.intrinsics.fx, 100.0);
  EXPECT_EQ(back.camera["mode"], "front");

  const fs::path path = fs::path(std::getenv("TEST_TMPDIR")) / "000012.json";
  WriteSampleLabels(path, l);
  EXPECT_EQ(core::ReadFile(path), ToText(l));
  EXPECT_EQ(ToText(ReadSampleLabels(path)), ToText(l));
}

std::string ErrorOf(const json& j) {
  try {
    FromJson(j, "s.json");
  } catch (const core::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

TEST(Labels, RejectsMalformedRecordsNamingTheField) {
  const json good = ToJson(Example());
  json j = good;
  j.erase("head_pose");
  EXPECT_EQ(ErrorOf(j), "s.json: /head_pose: missing required field");
  j = good;
  j["schema"] = "other/1";
  EXPECT_NE(ErrorOf(j).find("/schema: unsupported schema"), std::string::npos);
  j = good;
  j["landmarks_68"]["visible"].erase(0);
  EXPECT_NE(ErrorOf(j).find("/landmarks_68: xy (68)"), std::string::npos) << ErrorOf(j);
  j = good;
  j["head_pose"]["R"][0][0] = 2.0;
  EXPECT_NE(ErrorOf(j).find("/head_pose/R: is not a rotation"), std::string::npos);
  j = good;
  j["landmarks_68"]["xyz"][3][1] = "x";
  EXPECT_NE(ErrorOf(j).find("/landmarks_68/xyz/3/1: expected a number"), std::string::npos);
  j = good;
  j["camera"]["intrinsics"]["fx"] = -1.0;
  EXPECT_NE(ErrorOf(j).find("/camera/intrinsics"), std::string::npos);
  j = good;
  j["landmarks_68"]["in_image"][2] = 3;
  EXPECT_NE(ErrorOf(j).find("/landmarks_68/in_image/2: expected 0 or 1"), std::string::npos);

  const fs::path path = fs::path(std::getenv("TEST_TMPDIR")) / "bad.json";
  core::WriteFileAtomic(path, "{\"schema\": ");
  try {
    ReadSampleLabels(path);
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: malformed JSON"), std::string::npos);
  }
  EXPECT_THROW(ReadSampleLabels(path.parent_path() / "missing.json"), core::Error);
}

}  // namespace
}  // namespace synface::synth::labels
