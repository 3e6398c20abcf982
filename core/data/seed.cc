#include "core/data/seed.h"

#include <cmath>

#include "core/util/error.h"

namespace synface::core::data {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio, odd
constexpr uint64_t kSampleSalt = 0x5EEDF00DCAFEBABEull;

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t SplitMix64Next(uint64_t* state) {
  *state += kGolden;
  return Mix64(*state);
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

uint64_t SampleSeed(uint64_t dataset_seed, uint64_t id) {
  // id * kGolden is injective (kGolden is odd) and Mix64 is a bijection, so distinct ids of one
  // dataset never share a seed; mixing the dataset seed first decorrelates nearby dataset seeds.
  return Mix64(Mix64(dataset_seed ^ kSampleSalt) + id * kGolden);
}

uint64_t StreamSeed(uint64_t seed, std::string_view name) {
  return Mix64(seed ^ Mix64(Fnv1a64(name)));
}

Rng::Rng(uint64_t seed) : seed_(seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = SplitMix64Next(&state);
}

Rng Rng::FromState(const std::array<uint64_t, 4>& state, uint64_t seed) {
  if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0) {
    throw Error("Rng::FromState: the all-zero state is not valid for xoshiro256**");
  }
  Rng rng;
  rng.s_ = state;
  rng.seed_ = seed;
  return rng;
}

uint64_t Rng::operator()() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

uint64_t Rng::UniformInt(uint64_t n) {
  if (n == 0) throw Error("Rng::UniformInt: empty range");
  // Lemire's multiply-and-reject: exact and unbiased.
  __uint128_t m = static_cast<__uint128_t>((*this)()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<__uint128_t>((*this)()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  if (lo > hi) throw Error("Rng::UniformInt: lo > hi");
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t offset =
      span == std::numeric_limits<uint64_t>::max() ? (*this)() : UniformInt(span + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double Rng::Normal(double mean, double stddev) {
  const double u1 = 1.0 - Uniform();  // (0, 1]: log is finite
  const double u2 = Uniform();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

bool Rng::Bernoulli(double p) { return Uniform() < p; }

Rng Rng::Fork(std::string_view name) const { return Rng(StreamSeed(seed_, name)); }

Rng SampleRng(uint64_t dataset_seed, uint64_t id) { return Rng(SampleSeed(dataset_seed, id)); }

}  // namespace synface::core::data
