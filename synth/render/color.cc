#include "synth/render/color.h"

#include <algorithm>
#include <cmath>

namespace synface::synth::render {
namespace {

// Linear values at which the nearest 8-bit code steps from k to k + 1: the decoded value of the
// sRGB midpoint (k + 0.5) / 255 (the sRGB curve is monotonic, so this is exact rounding).
const std::array<float, 255>& EncodeThresholds() {
  static const std::array<float, 255> table = [] {
    std::array<float, 255> t{};
    for (int k = 0; k < 255; ++k)
      t[k] = static_cast<float>([](double s) {
        return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
      }((k + 0.5) / 255.0));
    return t;
  }();
  return table;
}

}  // namespace

float SrgbToLinear(float srgb) {
  const double s = std::clamp(static_cast<double>(srgb), 0.0, 1.0);
  return static_cast<float>(s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4));
}

float LinearToSrgb(float linear) {
  const double l = std::clamp(static_cast<double>(linear), 0.0, 1.0);
  return static_cast<float>(l <= 0.0031308 ? 12.92 * l : 1.055 * std::pow(l, 1.0 / 2.4) - 0.055);
}

const std::array<float, 256>& SrgbDecodeTable() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int k = 0; k < 256; ++k) t[k] = SrgbToLinear(static_cast<float>(k / 255.0));
    return t;
  }();
  return table;
}

namespace {
// Code of the lower end of each bucket of [0, 1].
const std::array<std::uint8_t, SrgbEncoder::kBuckets + 1>& BucketStart() {
  static const std::array<std::uint8_t, SrgbEncoder::kBuckets + 1> table = [] {
    std::array<std::uint8_t, SrgbEncoder::kBuckets + 1> b{};
    const auto& t = EncodeThresholds();
    for (int i = 0; i <= SrgbEncoder::kBuckets; ++i) {
      const float x = static_cast<float>(i) / SrgbEncoder::kBuckets;
      b[i] = static_cast<std::uint8_t>(std::upper_bound(t.begin(), t.end(), x) - t.begin());
    }
    return b;
  }();
  return table;
}
}  // namespace

SrgbEncoder::SrgbEncoder()
    : thresholds_(EncodeThresholds().data()), buckets_(BucketStart().data()) {}

std::uint8_t LinearToSrgbByte(float linear) { return SrgbEncoder()(linear); }

Eigen::Vector3f SrgbToLinear(const Eigen::Vector3f& srgb) {
  return Eigen::Vector3f(SrgbToLinear(srgb.x()), SrgbToLinear(srgb.y()), SrgbToLinear(srgb.z()));
}

}  // namespace synface::synth::render
