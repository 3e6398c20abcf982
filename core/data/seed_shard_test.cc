#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/data/seed.h"
#include "core/data/shard.h"
#include "core/util/error.h"

namespace synface::core::data {
namespace {

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected core::Error";
  return "";
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
  // Published SplitMix64 outputs for seed 1234567.
  uint64_t state = 1234567;
  const std::vector<uint64_t> expected = {6457827717110365317ull, 3203168211198807973ull,
                                          9817491932198370423ull, 4593380528125082431ull,
                                          16408922859458223821ull};
  for (uint64_t e : expected) EXPECT_EQ(SplitMix64Next(&state), e);
}

TEST(Rng, IsXoshiro256StarStar) {
  // Reference xoshiro256** outputs from the state {1, 2, 3, 4}.
  Rng rng = Rng::FromState({1, 2, 3, 4});
  const std::vector<uint64_t> expected = {11520ull,
                                          0ull,
                                          1509978240ull,
                                          1215971899390074240ull,
                                          1216172134540287360ull,
                                          607988272756665600ull};
  for (uint64_t e : expected) EXPECT_EQ(rng(), e);
  EXPECT_THROW(Rng::FromState({0, 0, 0, 0}), Error);
}

TEST(SampleSeed, DeterministicDistinctAndOrderFree) {
  EXPECT_EQ(SampleSeed(7, 123), SampleSeed(7, 123));
  EXPECT_NE(SampleSeed(7, 123), SampleSeed(8, 123));
  EXPECT_NE(SampleSeed(7, 123), SampleSeed(123, 7));
  std::set<uint64_t> seeds;
  for (uint64_t id = 0; id < 100000; ++id) seeds.insert(SampleSeed(42, id));
  EXPECT_EQ(seeds.size(), 100000u);

  // The stream of a sample is the same whatever was drawn before, in any order.
  std::vector<std::vector<uint64_t>> forward(50), backward(50);
  for (uint64_t id = 0; id < 50; ++id) {
    Rng rng = SampleRng(99, id);
    for (int i = 0; i < 8; ++i) forward[id].push_back(rng());
  }
  for (uint64_t id = 50; id-- > 0;) {
    Rng rng = SampleRng(99, id);
    for (int i = 0; i < 8; ++i) backward[id].push_back(rng());
  }
  EXPECT_EQ(forward, backward);
}

TEST(SampleSeed, NeighbouringIdsLookIndependent) {
  // Avalanche: consecutive ids differ in about half of the 64 seed bits.
  double total = 0;
  const int n = 4096;
  for (uint64_t id = 0; id < n; ++id) {
    total += __builtin_popcountll(SampleSeed(1, id) ^ SampleSeed(1, id + 1));
  }
  EXPECT_NEAR(total / n, 32.0, 0.5);
}

TEST(Rng, ForkDependsOnTheSeedAndNameOnly) {
  Rng a(5);
  Rng b(5);
  for (int i = 0; i < 10; ++i) b();  // b has drawn, a has not
  Rng fa = a.Fork("lights");
  Rng fb = b.Fork("lights");
  EXPECT_EQ(fa(), fb());
  EXPECT_NE(Rng(5).Fork("lights")(), Rng(5).Fork("camera")());
  EXPECT_NE(Rng(5).Fork("lights")(), Rng(5)());
}

TEST(Rng, DistributionsHaveTheRightRangeAndMoments) {
  Rng rng(2024);
  const int n = 200000;
  double sum = 0, sum_sq = 0, nsum = 0, nsum_sq = 0;
  std::vector<int> counts(7, 0);
  int heads = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
    const double z = rng.Normal(2.0, 3.0);
    nsum += z;
    nsum_sq += z * z;
    const int64_t k = rng.UniformInt(-3, 3);
    ASSERT_GE(k, -3);
    ASSERT_LE(k, 3);
    ++counts[static_cast<size_t>(k + 3)];
    heads += rng.Bernoulli(0.25);
    const double r = rng.Uniform(-1.5, 2.5);
    ASSERT_GE(r, -1.5);
    ASSERT_LT(r, 2.5);
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum_sq / n - 0.25, 1.0 / 12, 0.002);
  const double mean = nsum / n;
  EXPECT_NEAR(mean, 2.0, 0.03);
  EXPECT_NEAR(std::sqrt(nsum_sq / n - mean * mean), 3.0, 0.03);
  for (int c : counts) EXPECT_NEAR(c, n / 7.0, 0.03 * n / 7.0);
  EXPECT_NEAR(heads / static_cast<double>(n), 0.25, 0.005);
  EXPECT_EQ(rng.UniformInt(uint64_t{1}), 0u);
  EXPECT_THROW(rng.UniformInt(uint64_t{0}), Error);
  EXPECT_THROW(rng.UniformInt(int64_t{3}, int64_t{2}), Error);
  // The full int64 range works too.
  rng.UniformInt(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
}

TEST(Rng, StateRestoresTheStream) {
  Rng a(77);
  for (int i = 0; i < 5; ++i) a();
  Rng b = Rng::FromState(a.State(), a.Seed());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a(), b());
}

TEST(Shard, ParsesAndExplainsBadInput) {
  const Shard s = Shard::Parse("3/8");
  EXPECT_EQ(s.index(), 3u);
  EXPECT_EQ(s.count(), 8u);
  EXPECT_EQ(s.ToString(), "3/8");
  EXPECT_EQ(s.PartName(), "shard-0003-of-0008");
  EXPECT_EQ(Shard::Parse("0/1"), Shard::All());
  for (const char* bad : {"3", "a/b", "3/", "/8", "-1/4", "1/-4", " 1/4", "1/4x", "1.0/4", ""}) {
    const std::string message = ErrorOf([&] { Shard::Parse(bad); });
    EXPECT_NE(message.find(std::string("shard '") + bad + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("INDEX/COUNT"), std::string::npos) << message;
  }
  EXPECT_NE(ErrorOf([] { Shard::Parse("8/8"); }).find("index must be below the count"),
            std::string::npos);
  EXPECT_NE(ErrorOf([] { Shard::Parse("0/0"); }).find("at least 1"), std::string::npos);
}

TEST(Shard, ShardsPartitionTheIds) {
  const uint64_t total = 103;
  for (uint64_t n : {1u, 2u, 7u, 8u, 200u}) {
    std::vector<uint64_t> all;
    for (uint64_t i = 0; i < n; ++i) {
      const Shard shard(i, n);
      const std::vector<uint64_t> ids = shard.Ids(total);
      EXPECT_EQ(ids.size(), shard.Size(total));
      for (uint64_t id : ids) {
        EXPECT_TRUE(shard.Owns(id));
        EXPECT_EQ(id % n, i);
      }
      all.insert(all.end(), ids.begin(), ids.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), total) << n;
    for (uint64_t id = 0; id < total; ++id) EXPECT_EQ(all[id], id);
  }
  EXPECT_EQ(Shard(5, 8).Size(5), 0u);
  EXPECT_EQ(Shard(5, 8).Size(6), 1u);
}

}  // namespace
}  // namespace synface::core::data
