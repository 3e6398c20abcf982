// Deterministic random numbers and sample warps for the renderer.
//
// Every random number is a pure function of (render seed, pixel x, pixel y, sample index,
// dimension): nothing depends on which thread renders a pixel or in which order tiles run, so an
// image is bit-identical for any thread count. The hash is SplitMix64's finaliser, a bijective
// 64-bit mixer whose output passes BigCrush when fed a counter.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <cmath>
#include <cstdint>

namespace synface::synth::render {

// SplitMix64 finaliser: a bijection on 64-bit integers with full avalanche.
inline std::uint64_t Mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Hash of an ordered tuple; each element passes through the mixer so (a, b) != (b, a).
inline std::uint64_t HashKey(std::uint64_t a, std::uint64_t b) { return Mix64(a ^ Mix64(b)); }
inline std::uint64_t HashKey(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return HashKey(HashKey(a, b), c);
}
inline std::uint64_t HashKey(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  return HashKey(HashKey(a, b, c), d);
}

// Uniform float in [0, 1) from the top 24 bits (every value exactly representable).
inline float UnitFloat(std::uint64_t bits) {
  return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
}

// Counter-based stream: value i is Mix64(key + i * odd constant). Cheap to create per sample.
class SampleRandom {
 public:
  explicit SampleRandom(std::uint64_t key, std::uint64_t first = 0) : key_(key), counter_(first) {}
  std::uint64_t NextBits() { return Mix64(key_ + (counter_++) * 0xd1b54a32d192ed03ULL); }
  float Next() { return UnitFloat(NextBits()); }
  // Two uniform floats in [0, 1) from one 64-bit draw (24 bits each).
  Eigen::Vector2f Next2() {
    const std::uint64_t bits = NextBits();
    return Eigen::Vector2f(UnitFloat(bits), UnitFloat(bits << 24));
  }

 private:
  std::uint64_t key_;
  std::uint64_t counter_;
};

// A pseudo-random permutation of [0, n) evaluated at i, keyed by `key` (different keys give
// unrelated permutations). Built from bijections of [0, 2^k) (xor with a constant, multiplication
// by an odd number, xor-shift right) and cycle-walking back into [0, n).
inline std::uint32_t PermuteIndex(std::uint32_t i, std::uint32_t n, std::uint64_t key) {
  if (n <= 1) return 0;
  std::uint32_t mask = n - 1;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  const std::uint32_t k0 = static_cast<std::uint32_t>(key);
  const std::uint32_t k1 = static_cast<std::uint32_t>(key >> 32) | 1u;
  do {
    i ^= k0 & mask;
    i = (i * 0x9e3779b1u) & mask;
    i ^= i >> 3;
    i = (i * k1) & mask;
    i ^= (i >> 5) ^ (k0 >> 16 & mask);
    i = (i * 0x85ebca6bu) & mask;
    i ^= i >> 7;
    i = (i * 0xc2b2ae35u) & mask;
    i ^= i >> 2;
  } while (i >= n);
  return i;
}

// Integer square root when n is a perfect square, else 0.
inline int ExactSqrt(int n) {
  const int r = static_cast<int>(std::lround(std::sqrt(static_cast<double>(n))));
  return r * r == n ? r : 0;
}

// `count` stratified samples of the unit square. count = n*n: a jittered n x n grid (sample
// `index` in column index % n, row index / n). Any other count: a Latin hypercube (each axis
// split in `count` strata; the y strata are a keyed permutation of the x strata).
class Strata {
 public:
  explicit Strata(int count) : count_(count < 1 ? 1 : count), grid_(ExactSqrt(count_)) {
    scale_ = 1.0f / static_cast<float>(grid_ ? grid_ : count_);
  }
  int count() const { return count_; }
  // Sample `index`, jittered within its stratum by `jitter` (uniform in [0, 1)^2); `key` picks
  // the Latin-hypercube permutation.
  Eigen::Vector2f Sample(int index, const Eigen::Vector2f& jitter, std::uint64_t key) const {
    if (count_ == 1) return jitter;
    if (grid_)
      return Eigen::Vector2f((static_cast<float>(index % grid_) + jitter.x()) * scale_,
                             (static_cast<float>(index / grid_) + jitter.y()) * scale_);
    const std::uint32_t sy =
        PermuteIndex(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count_), key);
    return Eigen::Vector2f(static_cast<float>(index) + jitter.x(),
                           static_cast<float>(sy) + jitter.y()) *
           scale_;
  }

 private:
  int count_, grid_;
  float scale_;  // stratum size
};

// Shirley-Chiu concentric map from the unit square to the unit disk (area preserving, low
// distortion, so stratification survives the warp).
inline Eigen::Vector2f ConcentricDisk(const Eigen::Vector2f& u) {
  const float a = 2.0f * u.x() - 1.0f, b = 2.0f * u.y() - 1.0f;
  if (a == 0.0f && b == 0.0f) return Eigen::Vector2f::Zero();
  constexpr float kQuarterPi = 0.78539816339744831f;
  float r, phi;
  if (std::abs(a) > std::abs(b)) {
    r = a;
    phi = kQuarterPi * (b / a);
  } else {
    r = b;
    phi = 2.0f * kQuarterPi - kQuarterPi * (a / b);
  }
  return Eigen::Vector2f(r * std::cos(phi), r * std::sin(phi));
}

// Orthonormal basis (t, b) completing the unit vector n (Duff et al. 2017, branchless).
inline void OrthonormalBasis(const Eigen::Vector3f& n, Eigen::Vector3f* t, Eigen::Vector3f* b) {
  const float sign = std::copysign(1.0f, n.z());
  const float a = -1.0f / (sign + n.z());
  const float c = n.x() * n.y() * a;
  *t = Eigen::Vector3f(1.0f + sign * n.x() * n.x() * a, sign * c, -sign * n.x());
  *b = Eigen::Vector3f(c, sign + n.y() * n.y() * a, -n.y());
}

// Cosine-weighted direction about the unit normal n (pdf = cos(theta) / pi).
inline Eigen::Vector3f CosineHemisphere(const Eigen::Vector3f& n, const Eigen::Vector2f& u) {
  const Eigen::Vector2f d = ConcentricDisk(u);
  const float z = std::sqrt(std::max(0.0f, 1.0f - d.squaredNorm()));
  Eigen::Vector3f t, b;
  OrthonormalBasis(n, &t, &b);
  return (d.x() * t + d.y() * b + z * n).normalized();
}

// Direction uniform in solid angle within the cone of half-angle acos(cos_max) about unit `axis`.
inline Eigen::Vector3f UniformCone(const Eigen::Vector3f& axis, float cos_max,
                                   const Eigen::Vector2f& u) {
  const float cos_theta = 1.0f - u.x() * (1.0f - cos_max);
  const float sin_theta = std::sqrt(std::max(0.0f, 1.0f - cos_theta * cos_theta));
  const float phi = 6.28318530717958648f * u.y();
  Eigen::Vector3f t, b;
  OrthonormalBasis(axis, &t, &b);
  return (sin_theta * std::cos(phi) * t + sin_theta * std::sin(phi) * b + cos_theta * axis)
      .normalized();
}

}  // namespace synface::synth::render
