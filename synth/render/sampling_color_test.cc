#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <set>
#include <vector>

#include "synth/render/color.h"
#include "synth/render/sampling.h"

namespace synface::synth::render {
namespace {

TEST(Sampling, HashIsAPureFunctionOfItsInputs) {
  EXPECT_EQ(HashKey(1, 2, 3, 4), HashKey(1, 2, 3, 4));
  EXPECT_NE(HashKey(1, 2, 3, 4), HashKey(1, 2, 4, 3));
  EXPECT_NE(HashKey(1, 2), HashKey(2, 1));
  SampleRandom a(42), b(42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.NextBits(), b.NextBits());
  // Starting at dimension 2 continues the same stream.
  SampleRandom c(42), d(42, 2);
  c.Next();
  c.Next();
  EXPECT_EQ(c.Next(), d.Next());
}

TEST(Sampling, UnitFloatsAreInRangeAndRoughlyUniform) {
  SampleRandom rng(7);
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) {
    const float u = rng.Next();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_LT(UnitFloat(~0ULL), 1.0f);
}

TEST(Sampling, PermuteIndexIsABijection) {
  for (std::uint32_t n : {1u, 2u, 3u, 5u, 16u, 17u, 100u, 1000u}) {
    for (std::uint64_t key : {0ULL, 1ULL, 0x123456789abcdefULL}) {
      std::set<std::uint32_t> seen;
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t p = PermuteIndex(i, n, key);
        ASSERT_LT(p, n);
        seen.insert(p);
      }
      EXPECT_EQ(seen.size(), n) << "n=" << n;
    }
  }
  // Different keys give different permutations.
  int differ = 0;
  for (std::uint32_t i = 0; i < 64; ++i) differ += PermuteIndex(i, 64, 1) != PermuteIndex(i, 64, 2);
  EXPECT_GT(differ, 32);
}

TEST(Sampling, SquareCountsAreJitteredGridStrata) {
  SampleRandom rng(3);
  const int n = 3, count = 9;
  std::set<std::pair<int, int>> cells;
  for (int s = 0; s < count; ++s) {
    const Eigen::Vector2f p = Strata(count).Sample(s, rng.Next2(), 11);
    cells.insert({static_cast<int>(p.x() * n), static_cast<int>(p.y() * n)});
    EXPECT_EQ(static_cast<int>(p.x() * n), s % n);
    EXPECT_EQ(static_cast<int>(p.y() * n), s / n);
  }
  EXPECT_EQ(cells.size(), 9u);
}

TEST(Sampling, OtherCountsAreLatinHypercubes) {
  SampleRandom rng(5);
  const int count = 6;
  std::set<int> xs, ys;
  for (int s = 0; s < count; ++s) {
    const Eigen::Vector2f p = Strata(count).Sample(s, rng.Next2(), 99);
    xs.insert(static_cast<int>(p.x() * count));
    ys.insert(static_cast<int>(p.y() * count));
  }
  EXPECT_EQ(xs.size(), 6u);
  EXPECT_EQ(ys.size(), 6u);
}

TEST(Sampling, WarpsStayOnTheirDomains) {
  SampleRandom rng(9);
  const Eigen::Vector3f n = Eigen::Vector3f(0.3f, -0.5f, 0.8f).normalized();
  double mean_cos = 0;
  const int count = 20000;
  for (int i = 0; i < count; ++i) {
    const Eigen::Vector3f d = CosineHemisphere(n, rng.Next2());
    ASSERT_NEAR(d.norm(), 1.0f, 1e-5f);
    ASSERT_GE(d.dot(n), -1e-6f);
    mean_cos += d.dot(n);
    const Eigen::Vector3f c = UniformCone(n, std::cos(0.1f), rng.Next2());
    ASSERT_GE(c.dot(n), std::cos(0.1f) - 1e-5f);
    const Eigen::Vector2f disk = ConcentricDisk(rng.Next2());
    ASSERT_LE(disk.norm(), 1.0f + 1e-6f);
  }
  // E[cos] under the cosine-weighted density is 2/3.
  EXPECT_NEAR(mean_cos / count, 2.0 / 3.0, 0.01);
  Eigen::Vector3f t, b;
  for (const Eigen::Vector3f& axis : {Eigen::Vector3f(0, 0, 1), Eigen::Vector3f(0, 0, -1), n}) {
    OrthonormalBasis(axis, &t, &b);
    EXPECT_NEAR(t.dot(axis), 0, 1e-6);
    EXPECT_NEAR(b.dot(axis), 0, 1e-6);
    EXPECT_NEAR(t.dot(b), 0, 1e-6);
    EXPECT_NEAR(t.cross(b).dot(axis), 1, 1e-6);
  }
}

TEST(Color, SrgbCurveMatchesTheStandard) {
  EXPECT_FLOAT_EQ(SrgbToLinear(0.0f), 0.0f);
  EXPECT_FLOAT_EQ(SrgbToLinear(1.0f), 1.0f);
  EXPECT_NEAR(SrgbToLinear(0.5f), 0.214041, 1e-6);
  EXPECT_NEAR(LinearToSrgb(0.214041f), 0.5, 1e-6);
  EXPECT_NEAR(SrgbToLinear(0.04f), 0.04 / 12.92, 1e-9);
}

TEST(Color, EightBitValuesRoundTripExactly) {
  for (int k = 0; k < 256; ++k)
    EXPECT_EQ(LinearToSrgbByte(SrgbByteToLinear(static_cast<std::uint8_t>(k))), k);
}

TEST(Color, EncodingRoundsTheCurveAndClamps) {
  SampleRandom rng(1);
  for (int i = 0; i < 10000; ++i) {
    const float linear = rng.Next();
    const double exact = LinearToSrgb(linear) * 255.0;
    if (std::abs(exact - std::floor(exact) - 0.5) < 1e-3) continue;  // too close to a tie
    EXPECT_EQ(LinearToSrgbByte(linear), static_cast<int>(std::lround(exact))) << linear;
  }
  EXPECT_EQ(LinearToSrgbByte(-1.0f), 0);
  EXPECT_EQ(LinearToSrgbByte(2.0f), 255);
  EXPECT_EQ(LinearToSrgbByte(NAN), 0);
  EXPECT_FLOAT_EQ(ExposureScale(1.0), 2.0f);
}

}  // namespace
}  // namespace synface::synth::render
