#include "core/geometry/pose_formats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "core/geometry/camera.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")); }

const Eigen::Matrix3d& F() {
  static const Eigen::Matrix3d f = Eigen::Vector3d(1, -1, -1).asDiagonal();
  return f;
}

void ExpectPoseNear(const HeadPose& a, const HeadPose& b, double tol) {
  EXPECT_NEAR(AngleDifference(a.yaw, b.yaw), 0.0, tol) << "yaw";
  EXPECT_NEAR(AngleDifference(a.pitch, b.pitch), 0.0, tol) << "pitch";
  EXPECT_NEAR(AngleDifference(a.roll, b.roll), 0.0, tol) << "roll";
}

// Expects `f` to throw core::Error whose message contains `needle`.
template <typename Fn>
void ExpectErrorContaining(Fn f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// ---- BIWI -----------------------------------------------------------------------------------

// A BIWI pose file as the dataset writes it (6 digits, trailing spaces, a blank line): the head
// turned 30 deg about the camera's vertical axis, 95 cm away.
constexpr const char* kBiwiYaw30 =
    "0.866025 0 0.5 \n"
    "0 1 0 \n"
    "-0.5 0 0.866025 \n"
    "\n"
    "12.5 -30.25 950 \n";

TEST(Biwi, ParsesTheDatasetLayout) {
  const BiwiPose pose = ParseBiwiPose(kBiwiYaw30, "frame_00003_pose.txt");
  Eigen::Matrix3d expected;
  expected << 0.866025, 0, 0.5, 0, 1, 0, -0.5, 0, 0.866025;
  EXPECT_TRUE(pose.rotation.isApprox(expected, 1e-15));
  EXPECT_TRUE(pose.head_centre_m.isApprox(Eigen::Vector3d(0.0125, -0.03025, 0.95), 1e-15));
  // CRLF line ends and no final newline are fine too.
  const BiwiPose crlf = ParseBiwiPose(
      "0.866025 0 0.5\r\n0 1 0\r\n-0.5 0 0.866025\r\n\r\n12.5 -30.25 950", "crlf.txt");
  EXPECT_TRUE(crlf.rotation.isApprox(expected, 1e-15));
}

TEST(Biwi, FsaNetConversionSignsOnSingleAxisHeads) {
  // FSA-Net's formulas on hand-made single-axis matrices (hand computed in the comments).
  // Stored Ry(30): Rt20 = 0.5 -> yaw = -atan2(-0.5, 0.866) = +30 deg.
  const HeadPose yaw = HeadPoseFromBiwi(ParseBiwiPose(kBiwiYaw30, "yaw.txt"));
  EXPECT_NEAR(RadToDeg(yaw.yaw), 30.0, 1e-4);
  EXPECT_NEAR(yaw.pitch, 0.0, 1e-12);
  EXPECT_NEAR(yaw.roll, 0.0, 1e-12);
  // ... and a stored Ry(30) is a face turned towards image left: the same sign as ours.
  EXPECT_LT(FaceDirection(RotationFromHeadPose(yaw)).x(), 0.0);
  // Stored Rx(-20): Rt21 = R12 = sin 20, Rt22 = cos 20 -> pitch = +20 deg (face up).
  const HeadPose pitch = HeadPoseFromBiwiMatrixFsaNet(RotationX(DegToRad(-20)));
  ExpectPoseNear(pitch, HeadPoseFromDegrees(0, 20, 0), 1e-12);
  // Stored Rz(15): Rt10 = R01 = -sin 15 -> roll = -atan2(-sin 15, cos 15) = +15 deg.
  const HeadPose roll = HeadPoseFromBiwiMatrixFsaNet(RotationZ(DegToRad(15)));
  ExpectPoseNear(roll, HeadPoseFromDegrees(0, 0, 15), 1e-12);
}

TEST(Biwi, FsaNetConversionIsOurDecompositionOfTheStoredMatrix) {
  // The relation the whole convention rests on: BIWI's stored matrix is our cam_from_head
  // rotation, and FSA-Net's formulas are our HeadPoseFromRotation.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> yaw(-89.0, 89.0), other(-179.0, 179.0);
  for (int i = 0; i < 1000; ++i) {
    const HeadPose truth = HeadPoseFromDegrees(yaw(rng), other(rng), other(rng));
    const Eigen::Matrix3d stored = RotationFromHeadPose(truth);
    ExpectPoseNear(HeadPoseFromBiwiMatrixFsaNet(stored), truth, 1e-12);
    ExpectPoseNear(HeadPoseFromBiwiMatrixFsaNet(stored), HeadPoseFromRotation(stored), 1e-12);
  }
}

TEST(Biwi, NearAndAtGimbalLock) {
  // Just off yaw = 90 deg both formulas still recover all three angles.
  for (double delta : {1e-4, 1e-6}) {
    const HeadPose truth{kPi / 2 - delta, DegToRad(25), DegToRad(-40)};
    const Eigen::Matrix3d stored = RotationFromHeadPose(truth);
    ExpectPoseNear(HeadPoseFromBiwiMatrixFsaNet(stored), truth, 1e-15 / delta * 10);
    ExpectPoseNear(HeadPoseFromRotation(stored), truth, 1e-15 / delta * 10);
    // And the text file keeps them.
    BiwiPose pose{stored, Eigen::Vector3d(0.01, 0.02, 0.9)};
    ExpectPoseNear(HeadPoseFromBiwi(ParseBiwiPose(FormatBiwiPose(pose), "g.txt")), truth,
                   1e-15 / delta * 10);
  }
  // Exactly at yaw = 90 deg (entries exactly 0), FSA-Net's literal formulas read atan2(0, 0) = 0
  // for pitch and lose it; ours keeps the rotation (roll = 0, pitch carries the rest).
  const double a = DegToRad(30);  // R = Rx(a) Ry(90): pitch = -a
  Eigen::Matrix3d stored;
  stored << 0, 0, 1, std::sin(a), std::cos(a), 0, -std::cos(a), std::sin(a), 0;
  const HeadPose fsa = HeadPoseFromBiwiMatrixFsaNet(stored);
  EXPECT_NEAR(RadToDeg(fsa.yaw), 90.0, 1e-12);
  EXPECT_EQ(fsa.pitch, 0.0);
  const HeadPose ours = HeadPoseFromRotation(stored);
  EXPECT_NEAR(RadToDeg(ours.yaw), 90.0, 1e-12);
  EXPECT_NEAR(RadToDeg(ours.pitch), -30.0, 1e-12);
  EXPECT_EQ(ours.roll, 0.0);
  EXPECT_LT(GeodesicAngle(RotationFromHeadPose(ours), stored), 1e-12);
}

TEST(Biwi, CamFromHeadAndBack) {
  const BiwiPose pose = ParseBiwiPose(kBiwiYaw30, "frame.txt");
  const Rigid3d cam_from_head = CamFromHeadFromBiwi(pose);
  // The 6-digit matrix is projected onto SO(3): within 1e-6 of the stored one.
  EXPECT_LT((cam_from_head.RotationMatrix() - pose.rotation).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_TRUE(cam_from_head.translation.isApprox(pose.head_centre_m));
  // The head centre projects into the image like any camera-frame point.
  const Eigen::Vector2d px = AuthorsCodePreset().Project(cam_from_head.translation);
  EXPECT_NEAR(px.x(), 320 + 400 * 0.0125 / 0.95, 1e-9);
  const BiwiPose back = BiwiPoseFromCamFromHead(cam_from_head);
  EXPECT_LT(GeodesicAngle(back.rotation, pose.rotation), 2e-6);
}

TEST(Biwi, WriteThenReadRoundTrips) {
  BiwiPose pose;
  pose.rotation = RotationFromHeadPose(HeadPoseFromDegrees(-12.25, 33.5, 7.125));
  pose.head_centre_m = Eigen::Vector3d(0.0312, -0.1017, 1.0234);
  const fs::path path = TmpDir() / "biwi" / "01" / "frame_00004_pose.txt";
  WriteBiwiPose(path, pose);
  const BiwiPose back = ReadBiwiPose(path);
  EXPECT_EQ(back.rotation, pose.rotation);  // shortest round-trip digits: exact
  EXPECT_TRUE(back.head_centre_m.isApprox(pose.head_centre_m, 1e-15));
  const std::string text = ReadFile(path);
  // Layout: three rows, a blank line, the centre in millimetres.
  EXPECT_NE(text.find(" \n\n"), std::string::npos) << text;
  EXPECT_NE(text.find("31.2"), std::string::npos) << text;
}

TEST(Biwi, MalformedFilesNameFileAndLine) {
  ExpectErrorContaining([] { ParseBiwiPose("1 0 0\n0 1\n0 0 1\n\n1 2 3\n", "a_pose.txt"); },
                        "a_pose.txt: line 2: rotation row needs 3 numbers, found 2");
  ExpectErrorContaining([] { ParseBiwiPose("1 0 0\n0 1 0\n0 0 1\n\n1 2 x3\n", "b_pose.txt"); },
                        "b_pose.txt: line 5: head centre: cannot read 'x3' as a number");
  ExpectErrorContaining(
      [] { ParseBiwiPose("1 0 0\n0 1 0\n0 0 1\n", "c_pose.txt"); },
      "c_pose.txt: line 3: expected 3 rotation rows and 1 head centre line, found 3");
  ExpectErrorContaining([] { ParseBiwiPose("1 0 0\n0 1 0\n0 0 1\n1 2 3\n4 5 6\n", "d_pose.txt"); },
                        "d_pose.txt: line 5: unexpected content");
  ExpectErrorContaining([] { ParseBiwiPose("2 0 0\n0 1 0\n0 0 1\n1 2 3\n", "e_pose.txt"); },
                        "e_pose.txt: lines 1-3: the 3x3 matrix is not a rotation");
  ExpectErrorContaining([] { ParseBiwiPose("1 0 0\n0 1 0\n0 0 nan\n1 2 3\n", "f_pose.txt"); },
                        "f_pose.txt: line 3");
  ExpectErrorContaining([] { ReadBiwiPose(TmpDir() / "missing_pose.txt"); }, "missing_pose.txt");
}

// ---- 300W-LP / AFLW2000 Pose_Para -------------------------------------------------------------

TEST(PosePara, ReadsLikeFsaNetAndSixDRepNet) {
  // [pitch yaw roll tdx tdy tdz scale] -> labels [yaw, pitch, roll], no sign change.
  const PosePara para = PoseParaFromValues({-0.2, 0.7, 0.1, 230.5, 180.25, 40.0, 0.0012}, "a.mat");
  const HeadPose pose = HeadPoseFromPosePara(para);
  EXPECT_DOUBLE_EQ(pose.yaw, 0.7);
  EXPECT_DOUBLE_EQ(pose.pitch, -0.2);
  EXPECT_DOUBLE_EQ(pose.roll, 0.1);
  const PosePara back = PoseParaWithHeadPose(para, HeadPose{0.5, 0.25, -0.125});
  const std::array<double, 7> v = PoseParaToValues(back);
  EXPECT_EQ(v, (std::array<double, 7>{0.25, 0.5, -0.125, 230.5, 180.25, 40.0, 0.0012}));
  ExpectErrorContaining(
      [] {
        PoseParaFromValues({1, 2, 3}, "b.mat");
      },
      "b.mat: Pose_Para: expected 7 values");
  ExpectErrorContaining(
      [] {
        PoseParaFromValues({1, 2, NAN, 4, 5, 6, 7}, "c.mat");
      },
      "c.mat: Pose_Para[2] (roll) is not finite");
}

TEST(PosePara, ThreeDdfaMatrixIsOursInTheYUpFrame) {
  // 3DDFA renders the model with R3 in a y-up, z-towards-viewer frame and flips y for the image.
  // Changing both frames to ours (F = diag(1,-1,-1)) gives exactly RotationFromHeadPose.
  std::mt19937 rng(8);
  std::uniform_real_distribution<double> u(-3.0, 3.0);
  for (int i = 0; i < 500; ++i) {
    const PosePara para{u(rng), u(rng) / 2, u(rng), 0, 0, 0, 1};
    EXPECT_TRUE((F() * Rotation3ddfaFromPosePara(para) * F())
                    .isApprox(RotationFromHeadPose(HeadPoseFromPosePara(para)), 1e-12));
  }
  // Hand check of the sign: 3DDFA with yaw = +30 deg moves the nose (model +z, towards the
  // viewer) to model -x, i.e. image left, the same as our +yaw.
  const Eigen::Vector3d nose = Rotation3ddfaFromPosePara(PosePara{0, DegToRad(30), 0, 0, 0, 0, 1}) *
                               Eigen::Vector3d::UnitZ();
  EXPECT_NEAR(nose.x(), -0.5, 1e-12);
  // ... and pitch = +20 deg lifts it (model +y is up).
  const Eigen::Vector3d up = Rotation3ddfaFromPosePara(PosePara{DegToRad(20), 0, 0, 0, 0, 0, 1}) *
                             Eigen::Vector3d::UnitZ();
  EXPECT_NEAR(up.y(), std::sin(DegToRad(20)), 1e-12);
}

// ---- 6DRepNet -----------------------------------------------------------------------------------

TEST(SixDRepNet, GetRIsTheFlippedTransposeOfOurRotation) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> yaw(-1.55, 1.55), other(-3.1, 3.1);
  for (int i = 0; i < 500; ++i) {
    const HeadPose pose{yaw(rng), other(rng), other(rng)};
    const Eigen::Matrix3d m = SixDRepNetMatrixFromHeadPose(pose);
    const Eigen::Matrix3d r = RotationFromHeadPose(pose);
    EXPECT_TRUE(m.isApprox(F() * r.transpose() * F(), 1e-12));
    EXPECT_TRUE(SixDRepNetMatrixFromRotation(r).isApprox(m, 1e-12));
    EXPECT_TRUE(RotationFromSixDRepNetMatrix(m).isApprox(r, 1e-12));
    // Their Euler extraction gives back the same angles as ours.
    ExpectPoseNear(HeadPoseFromSixDRepNetMatrix(m), pose, 1e-11);
    ExpectPoseNear(HeadPoseFromSixDRepNetMatrix(m), HeadPoseFromRotation(r), 1e-11);
  }
  // Hand computed: get_R(pitch=0, yaw=90 deg, roll=0) = Ry(90) = [[0,0,1],[0,1,0],[-1,0,0]].
  Eigen::Matrix3d ry90;
  ry90 << 0, 0, 1, 0, 1, 0, -1, 0, 0;
  EXPECT_TRUE(SixDRepNetMatrixFromHeadPose(HeadPoseFromDegrees(90, 0, 0)).isApprox(ry90, 1e-12));
}

TEST(SixDRepNet, SingularBranchMatchesOurGimbalLockChoice) {
  for (double sign : {1.0, -1.0}) {
    const HeadPose pose{sign * kPi / 2, DegToRad(40), DegToRad(-15)};
    const Eigen::Matrix3d r = RotationFromHeadPose(pose);
    const HeadPose theirs = HeadPoseFromSixDRepNetMatrix(SixDRepNetMatrixFromRotation(r));
    const HeadPose ours = HeadPoseFromRotation(r);
    EXPECT_EQ(theirs.roll, 0.0);
    ExpectPoseNear(theirs, ours, 1e-9);
  }
}

// ---- P1 label files -----------------------------------------------------------------------------

TEST(P1Label, ParsesAndFormatsTheAuthorsLine) {
  const HeadPose label = ParseP1Label("17.90, -19.43, 2.90\n", "pose0046.txt");
  EXPECT_NEAR(RadToDeg(label.yaw), 17.90, 1e-12);
  EXPECT_NEAR(RadToDeg(label.pitch), -19.43, 1e-12);
  EXPECT_NEAR(RadToDeg(label.roll), 2.90, 1e-12);
  EXPECT_EQ(FormatP1Label(label), "17.90, -19.43, 2.90\n");
  // The DataCheck variant without spaces and with Python's shortest floats.
  const HeadPose compact = ParseP1Label("8.34,20.73,-4.7", "check.txt");
  EXPECT_NEAR(RadToDeg(compact.roll), -4.7, 1e-12);
  EXPECT_EQ(FormatP1Label(HeadPoseFromDegrees(-0.001, 0.006, 89.999)), "-0.00, 0.01, 90.00\n");
  const fs::path path = TmpDir() / "p1" / "pose0001.txt";
  WriteP1Label(path, label);
  ExpectPoseNear(ReadP1Label(path), label, 1e-12);
}

TEST(P1Label, MalformedLinesNameFileAndLine) {
  ExpectErrorContaining(
      [] { ParseP1Label("1.0, 2.0\n", "p.txt"); },
      "p.txt: line 1: expected 'yaw, pitch, roll' (3 comma-separated numbers), found 2");
  ExpectErrorContaining([] { ParseP1Label("1.0, 2.0, abc\n", "q.txt"); },
                        "q.txt: line 1: roll: cannot read 'abc' as a number");
  ExpectErrorContaining([] { ParseP1Label("1, 2, 3\n4, 5, 6\n", "r.txt"); }, "r.txt: line 2");
  ExpectErrorContaining([] { ParseP1Label("\n\n", "s.txt"); }, "s.txt: line 1: empty");
}

}  // namespace
}  // namespace synface::core::geometry
