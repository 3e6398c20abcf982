#include "synth/scene/pose_sampling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "core/config/config.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::synth::scene {
namespace {
namespace fs = std::filesystem;
using core::geometry::DegToRad;
using core::geometry::HeadPoseFromRotation;
using core::geometry::RadToDeg;

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected core::Error";
  return "";
}

TEST(BoneEuler, SingleAxesMapToOurSigns) {
  // Bone yaw y (about the up axis) turns the face towards image right: our yaw is -y.
  auto pose = HeadPoseFromRotation(RotationFromBoneEuler({0, 12, 0}, "Y"));
  EXPECT_NEAR(RadToDeg(pose.yaw), -12, 1e-9);
  EXPECT_NEAR(pose.pitch, 0, 1e-12);
  EXPECT_NEAR(pose.roll, 0, 1e-12);
  // Bone pitch x (about image right) tilts the face down: our pitch is -x.
  pose = HeadPoseFromRotation(RotationFromBoneEuler({20, 0, 0}, "X"));
  EXPECT_NEAR(RadToDeg(pose.pitch), -20, 1e-9);
  EXPECT_NEAR(pose.yaw, 0, 1e-12);
  // Bone Z points at the camera: our roll is -z (P1's roll label = +world Y Euler = -z).
  pose = HeadPoseFromRotation(RotationFromBoneEuler({0, 0, 7}, "Z"));
  EXPECT_NEAR(RadToDeg(pose.roll), -7, 1e-9);
  // Post-multiplication order: "YX" = Ry Rx.
  const Eigen::Matrix3d m = RotationFromBoneEuler({20, 10, 0}, "YX");
  const Eigen::Matrix3d expected =
      core::geometry::RotationY(DegToRad(-10)) * core::geometry::RotationX(DegToRad(20));
  EXPECT_LT((m - expected).norm(), 1e-12);
}

TEST(C3iSynFaceKeyframes, SeventyDistinctKeysAsTheAuthorsKeyedThem) {
  const auto keys = C3iSynFaceKeyframes();
  ASSERT_EQ(keys.size(), 70u);
  // (pitch, yaw) of frames 1, 10, 11, 30, 31, 50, 51, 70 (index = frame - 1).
  auto check = [&](int frame, double pitch, double yaw) {
    EXPECT_EQ(keys[frame - 1].x(), pitch) << "frame " << frame;
    EXPECT_EQ(keys[frame - 1].y(), yaw) << "frame " << frame;
    EXPECT_EQ(keys[frame - 1].z(), 0.0);
  };
  check(1, 0, 0);
  check(10, 0, -27);
  check(11, 0, -30);
  check(30, 0, 27);
  check(31, 20, 27);
  check(46, 20, -18);  // the published sample data_0046 (digest section 4.2)
  check(50, 20, -30);
  check(51, -20, -27);
  check(70, -20, 30);
  std::set<std::pair<double, double>> unique;
  for (const auto& k : keys) {
    unique.insert({k.x(), k.y()});
    EXPECT_LE(std::abs(k.y()), 30.0);
    EXPECT_EQ(std::fmod(k.y(), 3.0), 0.0);
  }
  // The authors' loops 1 and 2 both sweep bone yaw 0 .. -27 at pitch 0, so 10 of the 70 keyed
  // poses repeat (as in their data); the index set itself has no duplicated or skipped frame
  // (C14): 70 keys, frame k + 1 at index k.
  EXPECT_EQ(unique.size(), 60u);
  // Frame 2 (index 1): bone yaw -3 -> our yaw +3 (face towards image left).
  const PoseCommand c = C3iSynFacePose(1);
  EXPECT_NEAR(RadToDeg(c.nominal.yaw), 3.0, 1e-9);
  EXPECT_EQ(c.source, "c3i_keyframes");
  EXPECT_EQ(c.frame, 1);
  EXPECT_TRUE(c.has_bone_euler);
  EXPECT_THROW(C3iSynFacePose(70), core::Error);
}

TEST(P1Sweep, FramesFollowTheDigestTable) {
  const auto f = P1SweepFrames();
  ASSERT_EQ(f.size(), 3469u);
  auto check = [&](int i, double x, double y, double z, double h) {
    EXPECT_EQ(f[i].x_deg, x) << i;
    EXPECT_EQ(f[i].y_deg, y) << i;
    EXPECT_EQ(f[i].z_deg, z) << i;
    EXPECT_EQ(f[i].roll_half_range_deg, h) << i;
  };
  check(0, 0, 0, 0, 0);
  check(1, 0, -8, 0, 8);
  check(20, 0, -84, 0, 8);
  check(21, 0, 8, 0, 8);
  check(40, 0, 84, 0, 8);
  check(41, -10, -6, 0, 10);
  check(80, -10, 63, 0, 10);
  check(81, 10, -6, 0, 10);
  check(121, 20, -5, 0, 20);
  check(150, 20, -77.5, 0, 20);
  check(180, 20, 77.5, 0, 20);
  check(181, -20, -5, 0, 20);
  check(241, 35, 6, 0, 30);
  check(261, 35, -6, 0, 30);
  check(281, -35, 6, 0, 30);
  check(320, -35, -63, 0, 30);
  check(321, 0, 0, 0, 0);
  check(360, 0, -78, 0, 0);
  check(361, 0, 0, 0, 0);
  check(420, 0, 118, 0, 0);
  check(421, -2.5, -2, 0, 0);
  check(455, -2.5, -70, 0, 0);
  check(456, -2.5, 2, 0, 0);
  check(2170, -62.5, 70, 0, 0);
  check(2171, 2.5, -2, 0, 0);
  check(3220, 37.5, 70, 0, 0);
  check(3221, 40, -2, 0, 0);
  check(3420, 47.5, 50, 0, 0);
  check(3421, 0, 0, -2, 0);
  check(3444, 0, 0, -48, 0);
  check(3445, 0, 0, 2, 0);
  check(3468, 0, 0, 48, 0);
}

TEST(P1Sweep, RandomRollStaysInItsBlockAndIsDeterministic) {
  for (int frame : {1, 50, 130, 250, 300}) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
      core::data::Rng a(seed), b(seed);
      const PoseCommand pa = P1SweepPose(frame, a), pb = P1SweepPose(frame, b);
      EXPECT_EQ(pa.bone_euler_deg, pb.bone_euler_deg);
      const double h = P1SweepFrames()[frame].roll_half_range_deg;
      EXPECT_LE(std::abs(pa.bone_euler_deg.z()), h);
    }
  }
  core::data::Rng r(3);
  const PoseCommand pure_pitch = P1SweepPose(421, r);          // bone x = -2.5, y = -2
  EXPECT_NEAR(RadToDeg(pure_pitch.nominal.pitch), 2.5, 0.01);  // chin up
  EXPECT_NEAR(RadToDeg(pure_pitch.nominal.yaw), 2.0, 0.01);
}

TEST(UniformPose, DrawsWithinRangesAndTheLabelIsTheDraw) {
  UniformPoseRanges ranges;
  ranges.yaw = {DegToRad(-80), DegToRad(80)};
  core::data::Rng rng(42);
  double max_yaw = 0;
  for (int i = 0; i < 500; ++i) {
    const PoseCommand c = SampleUniformPose(ranges, rng);
    EXPECT_LE(std::abs(c.nominal.yaw), DegToRad(80));
    EXPECT_LE(std::abs(c.nominal.pitch), DegToRad(30));
    EXPECT_LE(std::abs(c.nominal.roll), DegToRad(30));
    const auto back = HeadPoseFromRotation(c.rotation);
    EXPECT_NEAR(back.yaw, c.nominal.yaw, 1e-9);
    EXPECT_NEAR(back.pitch, c.nominal.pitch, 1e-9);
    EXPECT_NEAR(back.roll, c.nominal.roll, 1e-9);
    max_yaw = std::max(max_yaw, std::abs(c.nominal.yaw));
  }
  EXPECT_GT(max_yaw, DegToRad(70));  // the range is used
  core::data::Rng a(7), b(7);
  EXPECT_EQ(SampleUniformPose(ranges, a).rotation, SampleUniformPose(ranges, b).rotation);
}

TEST(PoseSequence, ReadsCsvWithHeaderCommentsAndAnyColumnOrder) {
  const fs::path dir = TestDir("csv");
  core::WriteFileAtomic(dir / "poses.csv",
                        "# my poses\nroll, yaw ,pitch\n1, 10, -5\n\n0;0;0  # frontal\n");
  const auto poses = ReadPoseSequence(dir / "poses.csv");
  ASSERT_EQ(poses.size(), 2u);
  const auto p = HeadPoseFromRotation(poses[0]);
  EXPECT_NEAR(RadToDeg(p.yaw), 10, 1e-9);
  EXPECT_NEAR(RadToDeg(p.pitch), -5, 1e-9);
  EXPECT_NEAR(RadToDeg(p.roll), 1, 1e-9);
  EXPECT_LT((poses[1] - Eigen::Matrix3d::Identity()).norm(), 1e-12);

  core::WriteFileAtomic(dir / "plain.txt", "10 20 30\n1 2\n");
  const std::string e = ErrorOf([&] { ReadPoseSequence(dir / "plain.txt"); });
  EXPECT_NE(e.find("plain.txt:2"), std::string::npos) << e;
  core::WriteFileAtomic(dir / "empty.csv", "# nothing\n");
  EXPECT_NE(ErrorOf([&] { ReadPoseSequence(dir / "empty.csv"); }).find("no poses"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadPoseSequence(dir / "missing.csv"); }).find("does not exist"),
            std::string::npos);
}

TEST(PoseSequence, ReadsABiwiFolderSortedByPath) {
  const fs::path dir = TestDir("biwi");
  const double yaws[] = {20, -10, 5};
  const char* names[] = {"01/frame_00003_pose.txt", "01/frame_00001_pose.txt",
                         "02/frame_00002_pose.txt"};
  for (int i = 0; i < 3; ++i) {
    core::geometry::BiwiPose p;
    p.rotation = core::geometry::RotationFromHeadPose(
        core::geometry::HeadPoseFromDegrees(yaws[i], 3.0 * i, 0));
    p.head_centre_m = Eigen::Vector3d(0.01, 0.02, 0.9);
    fs::create_directories((dir / names[i]).parent_path());
    core::geometry::WriteBiwiPose(dir / names[i], p);
  }
  core::WriteFileAtomic(dir / "01" / "frame_00001_rgb.png", "not a pose");
  const auto poses = ReadPoseSequence(dir);
  ASSERT_EQ(poses.size(), 3u);
  // Sorted: 01/frame_00001 (-10), 01/frame_00003 (20), 02/frame_00002 (5).
  EXPECT_NEAR(RadToDeg(HeadPoseFromRotation(poses[0]).yaw), -10, 1e-4);
  EXPECT_NEAR(RadToDeg(HeadPoseFromRotation(poses[1]).yaw), 20, 1e-4);
  EXPECT_NEAR(RadToDeg(HeadPoseFromRotation(poses[2]).yaw), 5, 1e-4);
  // A single pose file works too.
  EXPECT_EQ(ReadPoseSequence(dir / names[2]).size(), 1u);
}

core::config::Config Load(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  core::config::Schema schema;
  DeclarePoseKeys(schema);
  return core::config::LoadConfigString(toml, "test.toml", overrides, schema);
}

TEST(PoseConfig, SamplerCyclesSequencesAndValidatesKeys) {
  PoseSampler sampler(ReadPoseConfig(Load("[pose]\nmode = \"c3i_keyframes\"\n")));
  EXPECT_EQ(sampler.SequenceLength(), 70);
  core::data::Rng rng(1);
  EXPECT_EQ(sampler.Sample(75, rng).frame, 5);
  PoseSampler random(ReadPoseConfig(Load("[pose]\nmode = \"p1_sweep\"\norder = \"random\"\n")));
  std::set<int64_t> frames;
  for (uint64_t id = 0; id < 50; ++id) {
    core::data::Rng r(id);
    frames.insert(random.Sample(0, r).frame);
  }
  EXPECT_GT(frames.size(), 40u);

  std::string e = ErrorOf([] { ReadPoseConfig(Load("[pose]\nmode = \"file\"\n")); });
  EXPECT_NE(e.find("pose.file"), std::string::npos) << e;
  e = ErrorOf([] { ReadPoseConfig(Load("[pose]\nmode = \"file\"\nfile = \"/no/such.csv\"\n")); });
  EXPECT_NE(e.find("pose.file"), std::string::npos) << e;
  EXPECT_NE(e.find("test.toml:3"), std::string::npos) << e;
  e = ErrorOf([] { ReadPoseConfig(Load("[pose]\nyaw_deg = [30, -30]\n")); });
  EXPECT_NE(e.find("pose.yaw_deg"), std::string::npos) << e;
  e = ErrorOf([] { ReadPoseConfig(Load("[pose]\npitch_deg = [1, 2, 3]\n")); });
  EXPECT_NE(e.find("two numbers"), std::string::npos) << e;
}

}  // namespace
}  // namespace synface::synth::scene
