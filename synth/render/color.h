// sRGB transfer functions and the tone mapping of the renderer (linear radiance -> 8-bit sRGB).
//
// Images on disk (textures, backplates, rendered PNGs) are sRGB-encoded; the renderer works in
// linear RGB. Decoding 8-bit values uses a 256-entry table; encoding to 8 bits is exact rounding
// of the sRGB curve (a binary search over the 255 decision thresholds), so decode -> encode gives
// back every 8-bit value unchanged.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstdint>

namespace synface::synth::render {

// IEC 61966-2-1 sRGB transfer functions on [0, 1] (values outside are clamped).
float SrgbToLinear(float srgb);
float LinearToSrgb(float linear);

// Linear value of each 8-bit sRGB code.
const std::array<float, 256>& SrgbDecodeTable();
inline float SrgbByteToLinear(std::uint8_t value) { return SrgbDecodeTable()[value]; }

// Nearest 8-bit sRGB code of a linear value (clamped to [0, 1]; NaN -> 0).
std::uint8_t LinearToSrgbByte(float linear);

// LinearToSrgbByte for many values: the tables are looked up once, the encoding is inline.
// Exact rounding: start at the code of the value's bucket (4096 equal buckets of [0, 1]), then
// step over the decision thresholds <= the value (at most two steps).
class SrgbEncoder {
 public:
  SrgbEncoder();
  std::uint8_t operator()(float linear) const {
    if (!(linear > 0.0f)) return 0;  // also NaN
    if (linear >= 1.0f) return 255;
    int code = buckets_[static_cast<int>(linear * kBuckets)];
    while (code < 255 && linear >= thresholds_[code]) ++code;
    return static_cast<std::uint8_t>(code);
  }
  static constexpr int kBuckets = 4096;

 private:
  const float* thresholds_;      // 255 linear values where the code steps up
  const std::uint8_t* buckets_;  // kBuckets + 1 codes
};

// Linear RGB of an sRGB colour given as three values in [0, 1].
Eigen::Vector3f SrgbToLinear(const Eigen::Vector3f& srgb);

// Exposure in photographic stops (+1 doubles the radiance before encoding).
inline float ExposureScale(double stops) { return static_cast<float>(std::exp2(stops)); }

}  // namespace synface::synth::render
