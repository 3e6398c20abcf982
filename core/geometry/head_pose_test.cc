#include "core/geometry/head_pose.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/geometry/camera.h"
#include "core/geometry/rotation.h"

namespace synface::core::geometry {
namespace {

constexpr double kTol = 1e-12;

void ExpectPoseNear(const HeadPose& a, const HeadPose& b, double tol) {
  EXPECT_NEAR(AngleDifference(a.yaw, b.yaw), 0.0, tol) << "yaw " << a.yaw << " vs " << b.yaw;
  EXPECT_NEAR(AngleDifference(a.pitch, b.pitch), 0.0, tol)
      << "pitch " << a.pitch << " vs " << b.pitch;
  EXPECT_NEAR(AngleDifference(a.roll, b.roll), 0.0, tol) << "roll " << a.roll << " vs " << b.roll;
}

// A head 0.5 m in front of the camera, looking at it when frontal.
Rigid3d HeadAt50cm(const HeadPose& pose) {
  return Rigid3d(RotationFromHeadPose(pose), Eigen::Vector3d(0, 0, 0.5));
}

// Pixel of a point given in head coordinates (metres).
Eigen::Vector2d PixelOf(const HeadPose& pose, const Eigen::Vector3d& p_head) {
  return AuthorsCodePreset().Project(HeadAt50cm(pose) * p_head);
}

const Eigen::Vector3d kNoseTip(0, 0, -0.1);   // in front of the face: -z
const Eigen::Vector3d kForehead(0, -0.1, 0);  // above the eyes: -y
const Eigen::Vector3d kLeftEar(0.08, 0, 0);   // the subject's left: +x

TEST(HeadPose, FrontalIsIdentity) {
  EXPECT_TRUE(RotationFromHeadPose(HeadPose{}).isIdentity(kTol));
  ExpectPoseNear(HeadPoseFromRotation(Eigen::Matrix3d::Identity()), HeadPose{}, kTol);
  EXPECT_TRUE(FaceDirection(Eigen::Matrix3d::Identity()).isApprox(Eigen::Vector3d(0, 0, -1)));
  // The subject's left ear appears on the image right.
  EXPECT_GT(PixelOf(HeadPose{}, kLeftEar).x(), 320.0);
  EXPECT_LT(PixelOf(HeadPose{}, kForehead).y(), 240.0);
}

TEST(HeadPose, HandComputedMatrices) {
  // yaw 30: Ry(30) = [[c, 0, s], [0, 1, 0], [-s, 0, c]], c = sqrt(3)/2, s = 1/2.
  const double c = std::sqrt(3.0) / 2.0;
  Eigen::Matrix3d yaw30;
  yaw30 << c, 0, 0.5, 0, 1, 0, -0.5, 0, c;
  EXPECT_TRUE(RotationFromHeadPose(HeadPoseFromDegrees(30, 0, 0)).isApprox(yaw30, kTol));
  // pitch 30: Rx(-30) = [[1, 0, 0], [0, c, s], [0, -s, c]].
  Eigen::Matrix3d pitch30;
  pitch30 << 1, 0, 0, 0, c, 0.5, 0, -0.5, c;
  EXPECT_TRUE(RotationFromHeadPose(HeadPoseFromDegrees(0, 30, 0)).isApprox(pitch30, kTol));
  // roll 30: Rz(30) = [[c, -s, 0], [s, c, 0], [0, 0, 1]].
  Eigen::Matrix3d roll30;
  roll30 << c, -0.5, 0, 0.5, c, 0, 0, 0, 1;
  EXPECT_TRUE(RotationFromHeadPose(HeadPoseFromDegrees(0, 0, 30)).isApprox(roll30, kTol));
  // Composition order: pitch outermost, roll innermost.
  const HeadPose p = HeadPoseFromDegrees(30, 30, 30);
  EXPECT_TRUE(RotationFromHeadPose(p).isApprox(pitch30 * yaw30 * roll30, kTol));
  EXPECT_FALSE(RotationFromHeadPose(p).isApprox(roll30 * yaw30 * pitch30, 1e-3));
  ExpectPoseNear(HeadPoseFromRotation(pitch30 * yaw30 * roll30), p, kTol);
  // Label order helper.
  EXPECT_TRUE(HeadPoseToDegrees(HeadPoseFromDegrees(1, 2, 3)).isApprox(Eigen::Vector3d(1, 2, 3)));
}

TEST(HeadPose, PositiveYawTurnsTheFaceTowardsImageLeft) {
  const HeadPose pose = HeadPoseFromDegrees(40, 0, 0);
  EXPECT_LT(FaceDirection(RotationFromHeadPose(pose)).x(), -0.6);  // -sin 40
  EXPECT_LT(PixelOf(pose, kNoseTip).x(), 320.0 - 40.0);
  EXPECT_NEAR(PixelOf(pose, kNoseTip).y(), 240.0, 1e-9);
  // The subject's left ear comes towards the camera, so it is nearer than the head centre.
  EXPECT_LT((HeadAt50cm(pose) * kLeftEar).z(), 0.5);
  EXPECT_GT(PixelOf(HeadPoseFromDegrees(-40, 0, 0), kNoseTip).x(), 320.0 + 40.0);
}

TEST(HeadPose, PositivePitchTiltsTheFaceUp) {
  const HeadPose pose = HeadPoseFromDegrees(0, 25, 0);
  EXPECT_LT(FaceDirection(RotationFromHeadPose(pose)).y(), -0.4);  // -sin 25: up in the image
  EXPECT_LT(PixelOf(pose, kNoseTip).y(), 240.0 - 30.0);
  EXPECT_NEAR(PixelOf(pose, kNoseTip).x(), 320.0, 1e-9);
  EXPECT_GT(PixelOf(HeadPoseFromDegrees(0, -25, 0), kNoseTip).y(), 240.0 + 30.0);
}

TEST(HeadPose, PositiveRollTiltsTheHeadClockwiseInTheImage) {
  const HeadPose pose = HeadPoseFromDegrees(0, 0, 20);
  // The forehead moves to the image right, the left ear (image right) moves down.
  EXPECT_GT(PixelOf(pose, kForehead).x(), 320.0 + 20.0);
  EXPECT_GT(PixelOf(pose, kLeftEar).y(), 240.0 + 20.0);
  EXPECT_LT(PixelOf(HeadPoseFromDegrees(0, 0, -20), kForehead).x(), 320.0 - 20.0);
}

TEST(HeadPose, RoundTripOverTheFullRange) {
  // yaw in (-90, 90) and pitch, roll over the whole circle: the angles come back exactly.
  for (double yaw = -89.5; yaw <= 89.5; yaw += 8.95) {
    for (double pitch = -179.0; pitch <= 180.0; pitch += 17.9) {
      for (double roll = -179.5; roll <= 180.0; roll += 23.3) {
        const HeadPose pose = HeadPoseFromDegrees(yaw, pitch, roll);
        const HeadPose back = HeadPoseFromRotation(RotationFromHeadPose(pose));
        ExpectPoseNear(back, pose, 1e-11);
      }
    }
  }
  // The half turns are returned as +pi, never -pi.
  const HeadPose half = HeadPoseFromRotation(RotationFromHeadPose(HeadPose{0.2, kPi, -kPi}));
  EXPECT_DOUBLE_EQ(half.pitch, kPi);
  EXPECT_DOUBLE_EQ(half.roll, kPi);
}

TEST(HeadPose, YawBeyondNinetyDegreesComesBackAsTheEquivalentTriple) {
  // (pitch, yaw, roll) and (pitch + 180, 180 - yaw, roll + 180) are the same rotation; the
  // decomposition returns the one with |yaw| <= 90.
  const HeadPose pose = HeadPoseFromDegrees(120, 10, -30);
  const HeadPose back = HeadPoseFromRotation(RotationFromHeadPose(pose));
  ExpectPoseNear(back, HeadPoseFromDegrees(60, 190, 150), 1e-12);
  EXPECT_NEAR(GeodesicAngle(RotationFromHeadPose(back), RotationFromHeadPose(pose)), 0.0, 1e-12);
}

TEST(HeadPose, RandomRotationsRoundTrip) {
  std::mt19937 rng(1234);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int i = 0; i < 2000; ++i) {
    const Eigen::Matrix3d r =
        Eigen::Quaterniond(n(rng), n(rng), n(rng), n(rng)).normalized().toRotationMatrix();
    const HeadPose pose = HeadPoseFromRotation(r);
    EXPECT_GE(pose.yaw, -kPi / 2);
    EXPECT_LE(pose.yaw, kPi / 2);
    EXPECT_GT(pose.pitch, -kPi);
    EXPECT_LE(pose.pitch, kPi);
    EXPECT_GT(pose.roll, -kPi);
    EXPECT_LE(pose.roll, kPi);
    EXPECT_LT(GeodesicAngle(RotationFromHeadPose(pose), r), 1e-12);
  }
}

TEST(HeadPose, NearGimbalLockStillRecoversTheAngles) {
  for (double delta : {1e-3, 1e-5, 1e-7}) {  // radians from yaw = +-90 deg
    for (double sign : {1.0, -1.0}) {
      const HeadPose pose{sign * (kPi / 2 - delta), DegToRad(33.0), DegToRad(-71.0)};
      const HeadPose back = HeadPoseFromRotation(RotationFromHeadPose(pose));
      // Precision degrades like eps / cos(yaw).
      ExpectPoseNear(back, pose, 1e-15 / delta * 10);
    }
  }
}

TEST(HeadPose, GimbalLockIsDeterministic) {
  // At yaw = +90 only roll - pitch is observable; at yaw = -90 only roll + pitch.
  for (double sign : {1.0, -1.0}) {
    const HeadPose a{sign * kPi / 2, DegToRad(30.0), DegToRad(10.0)};
    const HeadPose b{sign * kPi / 2, DegToRad(30.0 + 25.0), DegToRad(10.0 + sign * 25.0)};
    const Eigen::Matrix3d ra = RotationFromHeadPose(a), rb = RotationFromHeadPose(b);
    ASSERT_LT(GeodesicAngle(ra, rb), 1e-12) << "the two triples are the same rotation";
    const HeadPose da = HeadPoseFromRotation(ra), db = HeadPoseFromRotation(rb);
    EXPECT_DOUBLE_EQ(da.yaw, sign * kPi / 2);
    EXPECT_EQ(da.roll, 0.0);
    EXPECT_EQ(db.roll, 0.0);
    EXPECT_NEAR(da.pitch, db.pitch, 1e-12);
    // With roll fixed to 0, pitch carries the observable combination.
    EXPECT_NEAR(AngleDifference(da.pitch, a.pitch - sign * a.roll), 0.0, 1e-12);
    EXPECT_LT(GeodesicAngle(RotationFromHeadPose(da), ra), 1e-12);
  }
}

TEST(HeadPose, MirroringNegatesYawAndRoll) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> yaw(-1.5, 1.5), other(-3.1, 3.1);
  for (int i = 0; i < 200; ++i) {
    const HeadPose pose{yaw(rng), other(rng), other(rng)};
    const Eigen::Matrix3d mirrored = MirrorRotation(RotationFromHeadPose(pose));
    EXPECT_NEAR(mirrored.determinant(), 1.0, 1e-12);
    ExpectPoseNear(HeadPoseFromRotation(mirrored), MirrorHeadPose(pose), 1e-11);
  }
  // The mirror image of a face turned to image left is turned to image right.
  const HeadPose left = HeadPoseFromDegrees(30, 0, 0);
  EXPECT_GT(FaceDirection(MirrorRotation(RotationFromHeadPose(left))).x(), 0.4);
}

// Hopenet / 6DRepNet utils.draw_axis (angles in degrees, image y down), as published: the 2D
// offsets of the red x axis, green y axis and blue "out of the screen" axis.
struct DrawAxisOffsets {
  Eigen::Vector2d x, y, z;
};
DrawAxisOffsets PublishedDrawAxis(double yaw_deg, double pitch_deg, double roll_deg, double size) {
  const double p = DegToRad(pitch_deg), y = -DegToRad(yaw_deg), r = DegToRad(roll_deg);
  DrawAxisOffsets o;
  o.x = size * Eigen::Vector2d(std::cos(y) * std::cos(r),
                               std::cos(p) * std::sin(r) + std::cos(r) * std::sin(p) * std::sin(y));
  o.y = size * Eigen::Vector2d(-std::cos(y) * std::sin(r),
                               std::cos(p) * std::cos(r) - std::sin(p) * std::sin(y) * std::sin(r));
  o.z = size * Eigen::Vector2d(std::sin(y), -std::cos(y) * std::sin(p));
  return o;
}

TEST(HeadPose, AgreesWithThePublishedPoseAxisDrawing) {
  // draw_axis is an orthographic drawing; a far head seen by a long lens is orthographic to
  // within ~axis / distance. Our x / y axes and the face direction (-z) must match its three
  // axes for every pose: same angles, same quantity.
  const double distance = 1000.0, axis = 0.1, f = 1e6;
  const Intrinsics k{f, f, 320, 240, 640, 480};
  const double size = f * axis / distance;  // 100 px
  for (double yaw : {-70.0, -20.0, 0.0, 35.0, 80.0}) {
    for (double pitch : {-50.0, 0.0, 15.0, 60.0}) {
      for (double roll : {-40.0, 0.0, 25.0}) {
        const HeadPose pose = HeadPoseFromDegrees(yaw, pitch, roll);
        const Rigid3d cam_from_head(RotationFromHeadPose(pose), Eigen::Vector3d(0, 0, distance));
        const PoseAxes2d axes = ProjectPoseAxes(k, cam_from_head, axis);
        ASSERT_TRUE(axes.valid);
        const DrawAxisOffsets ref = PublishedDrawAxis(yaw, pitch, roll, size);
        const double tol = 0.1;  // px; the perspective residue is ~size * axis / distance
        EXPECT_LT((axes.x_end - axes.origin - ref.x).norm(), tol)
            << yaw << " " << pitch << " " << roll;
        EXPECT_LT((axes.y_end - axes.origin - ref.y).norm(), tol)
            << yaw << " " << pitch << " " << roll;
        EXPECT_LT((axes.forward_end - axes.origin - ref.z).norm(), tol)
            << yaw << " " << pitch << " " << roll;
      }
    }
  }
}

}  // namespace
}  // namespace synface::core::geometry
