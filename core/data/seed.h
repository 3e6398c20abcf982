// Deterministic per-sample randomness. A sample's random numbers depend only on (dataset seed,
// sample id) and never on a stream shared across samples, so any shard, order or restart draws the
// same numbers for the same sample.
//
//   Rng rng = SampleRng(dataset_seed, id);
//   double yaw = rng.Uniform(-1.0, 1.0);
//   Rng lights = rng.Fork("lights");  // a named sub-stream: adding draws to `rng` later does not
//                                     // change what `lights` draws
//
// The generator is xoshiro256** (Blackman & Vigna) seeded through SplitMix64, as its authors
// recommend; Uniform/UniformInt are exact integer arithmetic (identical on every platform); Normal
// uses std::log/std::cos, so it is identical wherever the C library is.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace synface::core::data {

// SplitMix64: returns the next output and advances `state` (reference test vectors hold).
uint64_t SplitMix64Next(uint64_t* state);

// The SplitMix64 output function: a bijective 64-bit mix with full avalanche.
uint64_t Mix64(uint64_t x);

// FNV-1a 64-bit hash of bytes (names of sub-streams, manifest checksums).
uint64_t Fnv1a64(std::string_view bytes);

// The seed of sample `id` in a dataset with `dataset_seed`. For one dataset seed, distinct ids
// always get distinct seeds (an injective map of the id followed by a bijection).
uint64_t SampleSeed(uint64_t dataset_seed, uint64_t id);

// A seed for the named sub-stream `name` of `seed`.
uint64_t StreamSeed(uint64_t seed, std::string_view name);

class Rng {
 public:
  using result_type = uint64_t;  // a UniformRandomBitGenerator, usable with <random>

  explicit Rng(uint64_t seed);
  // Exact generator state (e.g. for checkpoints); must not be all zero.
  static Rng FromState(const std::array<uint64_t, 4>& state, uint64_t seed = 0);
  const std::array<uint64_t, 4>& State() const { return s_; }
  uint64_t Seed() const { return seed_; }

  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return std::numeric_limits<uint64_t>::max(); }
  uint64_t operator()();

  double Uniform();                                       // [0, 1), 53 random bits
  double Uniform(double lo, double hi);                   // [lo, hi)
  uint64_t UniformInt(uint64_t n);                        // [0, n), unbiased (Lemire); n > 0
  int64_t UniformInt(int64_t lo, int64_t hi);             // [lo, hi], inclusive; lo <= hi
  double Normal(double mean = 0.0, double stddev = 1.0);  // Box-Muller, one value per call
  bool Bernoulli(double p);

  // Independent stream derived from this generator's seed and `name` (not from its position).
  Rng Fork(std::string_view name) const;

 private:
  Rng() = default;
  std::array<uint64_t, 4> s_{};
  uint64_t seed_ = 0;
};

// Rng(SampleSeed(dataset_seed, id)).
Rng SampleRng(uint64_t dataset_seed, uint64_t id);

}  // namespace synface::core::data
