#include "core/geometry/rotation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/geometry/rigid.h"

namespace synface::core::geometry {
namespace {

Eigen::Matrix3d RandomRotation(std::mt19937& rng) {
  std::normal_distribution<double> n(0.0, 1.0);
  return Eigen::Quaterniond(n(rng), n(rng), n(rng), n(rng)).normalized().toRotationMatrix();
}

TEST(Angles, DegreesAndRadians) {
  EXPECT_DOUBLE_EQ(DegToRad(180.0), kPi);
  EXPECT_DOUBLE_EQ(RadToDeg(kPi / 2), 90.0);
  EXPECT_DOUBLE_EQ(RadToDeg(DegToRad(-37.25)), -37.25);
}

TEST(Angles, WrapIntoHalfOpenInterval) {
  EXPECT_DOUBLE_EQ(WrapAngle(0.0), 0.0);
  EXPECT_DOUBLE_EQ(WrapAngle(kPi), kPi);
  EXPECT_DOUBLE_EQ(WrapAngle(-kPi), kPi);  // one representation of the half turn
  EXPECT_NEAR(WrapAngle(3 * kPi), kPi, 1e-12);
  EXPECT_NEAR(WrapAngle(DegToRad(190.0)), DegToRad(-170.0), 1e-12);
  EXPECT_NEAR(WrapAngle(DegToRad(-190.0)), DegToRad(170.0), 1e-12);
  EXPECT_NEAR(WrapAngle(DegToRad(725.0)), DegToRad(5.0), 1e-12);
  EXPECT_NEAR(AngleDifference(DegToRad(179.0), DegToRad(-179.0)), DegToRad(-2.0), 1e-12);
  EXPECT_NEAR(AngleDifference(DegToRad(-179.0), DegToRad(179.0)), DegToRad(2.0), 1e-12);
  for (double a = -20.0; a < 20.0; a += 0.37) {
    const double w = WrapAngle(a);
    EXPECT_GT(w, -kPi);
    EXPECT_LE(w, kPi);
    EXPECT_NEAR(std::remainder(a - w, 2 * kPi), 0.0, 1e-12);
  }
}

TEST(Rotations, ElementaryMatricesAreRightHanded) {
  // A quarter turn about z takes x to y; about x takes y to z; about y takes z to x.
  EXPECT_TRUE(RotationZ(kPi / 2).col(0).isApprox(Eigen::Vector3d::UnitY(), 1e-15));
  EXPECT_TRUE((RotationX(kPi / 2) * Eigen::Vector3d::UnitY()).isApprox(Eigen::Vector3d::UnitZ()));
  EXPECT_TRUE((RotationY(kPi / 2) * Eigen::Vector3d::UnitZ()).isApprox(Eigen::Vector3d::UnitX()));
  // They agree with Eigen's angle-axis.
  for (double a : {-2.5, -0.3, 0.0, 0.7, 3.0}) {
    EXPECT_TRUE(RotationX(a).isApprox(Eigen::AngleAxisd(a, Eigen::Vector3d::UnitX()).matrix()));
    EXPECT_TRUE(RotationY(a).isApprox(Eigen::AngleAxisd(a, Eigen::Vector3d::UnitY()).matrix()));
    EXPECT_TRUE(RotationZ(a).isApprox(Eigen::AngleAxisd(a, Eigen::Vector3d::UnitZ()).matrix()));
  }
}

TEST(Rotations, GeodesicAngleIsAccurateEverywhere) {
  const Eigen::Matrix3d a = RotationX(0.4) * RotationZ(-1.1);
  for (double t : {0.0, 1e-9, 1e-4, 0.5, 2.0, kPi - 1e-7, kPi}) {
    const Eigen::Matrix3d b =
        a * Eigen::AngleAxisd(t, Eigen::Vector3d(1, 2, 3).normalized()).matrix();
    EXPECT_NEAR(GeodesicAngle(a, b), t, 1e-12) << "t=" << t;
    EXPECT_NEAR(GeodesicAngle(b, a), t, 1e-12) << "t=" << t;
  }
}

TEST(Rotations, NearestRotationRepairsRoundedMatrices) {
  std::mt19937 rng(7);
  for (int i = 0; i < 50; ++i) {
    const Eigen::Matrix3d r = RandomRotation(rng);
    Eigen::Matrix3d rounded = r;
    for (int k = 0; k < 9; ++k) rounded(k) = std::round(r(k) * 1e6) / 1e6;  // BIWI-like digits
    EXPECT_FALSE(IsRotationMatrix(rounded, 1e-12));
    const Eigen::Matrix3d fixed = NearestRotation(rounded);
    EXPECT_TRUE(IsRotationMatrix(fixed, 1e-12));
    EXPECT_LT(GeodesicAngle(fixed, r), 2e-6);
  }
  // A reflection is not a rotation, and its nearest rotation has det +1.
  const Eigen::Matrix3d reflection = Eigen::Vector3d(1, 1, -1).asDiagonal();
  EXPECT_FALSE(IsRotationMatrix(reflection));
  EXPECT_NEAR(NearestRotation(reflection).determinant(), 1.0, 1e-12);
}

TEST(Rigid3d, ComposesLikeFrameNames) {
  // head_from_obj: 90 deg about z, then shift; cam_from_head: a shift along z.
  const Rigid3d head_from_obj(RotationZ(kPi / 2), Eigen::Vector3d(1, 0, 0));
  const Rigid3d cam_from_head(Eigen::Matrix3d::Identity(), Eigen::Vector3d(0, 0, 2));
  const Eigen::Vector3d p_obj(1, 0, 0);
  // Hand computed: Rz(90) (1,0,0) = (0,1,0); + (1,0,0) = (1,1,0); + (0,0,2) = (1,1,2).
  EXPECT_TRUE((head_from_obj * p_obj).isApprox(Eigen::Vector3d(1, 1, 0)));
  const Rigid3d cam_from_obj = cam_from_head * head_from_obj;
  EXPECT_TRUE((cam_from_obj * p_obj).isApprox(Eigen::Vector3d(1, 1, 2)));
  EXPECT_TRUE((cam_from_head * (head_from_obj * p_obj)).isApprox(cam_from_obj * p_obj));
}

TEST(Rigid3d, InverseAndMatrices) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  for (int i = 0; i < 50; ++i) {
    const Rigid3d a_from_b(RandomRotation(rng), Eigen::Vector3d(u(rng), u(rng), u(rng)));
    const Rigid3d b_from_a = a_from_b.Inverse();
    const Eigen::Vector3d p(u(rng), u(rng), u(rng));
    EXPECT_TRUE((b_from_a * (a_from_b * p)).isApprox(p, 1e-12));
    const Rigid3d identity = a_from_b * b_from_a;
    EXPECT_NEAR(RotationDistance(identity, Rigid3d::Identity()), 0.0, 1e-12);
    EXPECT_NEAR(TranslationDistance(identity, Rigid3d::Identity()), 0.0, 1e-12);
    // [R|t] applied to homogeneous p equals operator*.
    EXPECT_TRUE((a_from_b.ToMatrix() * p.homogeneous()).isApprox(a_from_b * p, 1e-12));
    EXPECT_TRUE((a_from_b.ToMatrix4() * p.homogeneous()).hnormalized().isApprox(a_from_b * p));
    const Rigid3d back = Rigid3d::FromMatrix4(a_from_b.ToMatrix4());
    EXPECT_NEAR(RotationDistance(back, a_from_b), 0.0, 1e-12);
    EXPECT_NEAR(TranslationDistance(back, a_from_b), 0.0, 1e-12);
  }
}

TEST(Rigid3d, DefaultIsIdentityAndToStringShowsMatrix) {
  const Rigid3d t;
  EXPECT_TRUE(t.RotationMatrix().isIdentity());
  EXPECT_TRUE(t.translation.isZero());
  EXPECT_EQ(t.ToString(), "R=[[1, 0, 0], [0, 1, 0], [0, 0, 1]] t=[0, 0, 0]");
}

}  // namespace
}  // namespace synface::core::geometry
