// Procedural, seamlessly tiling colour textures standing in for the Colored Brodatz album the
// thesis used on its textured walls (ch2 digest section 2.4): natural-looking noise, marble, wood
// grain, stripes, checkers, cellular (Voronoi) stones, woven cloth and bricks, each with random
// palettes and scales drawn from the sample's rng. Every family is periodic over the image, so the
// texture repeats without seams when tiled over a wall.
//
// Output: CV_8UC3 BGR, sRGB-encoded (what cv::imread gives for a texture file), so procedural and
// file textures take the same path into the renderer.
#pragma once

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/data/seed.h"

namespace synface::synth::scene {

// sRGB (r, g, b) in [0, 1] of a colour given as hue (turns, wrapped), saturation and value in
// [0, 1]. A template so the textures (float) and the rooms' albedos (double) share one formula
// while each keeps its own precision (and so its exact bytes).
template <typename T>
std::array<T, 3> SrgbFromHsv(T h, T s, T v) {
  h = h - std::floor(h);
  const T c = v * s;
  const T hp = h * T(6);
  const T x = c * (T(1) - std::abs(std::fmod(hp, T(2)) - T(1)));
  T r = 0, g = 0, b = 0;
  if (hp < 1) {
    r = c, g = x;
  } else if (hp < 2) {
    r = x, g = c;
  } else if (hp < 3) {
    g = c, b = x;
  } else if (hp < 4) {
    g = x, b = c;
  } else if (hp < 5) {
    r = x, b = c;
  } else {
    r = c, b = x;
  }
  const T m = v - c;
  return {r + m, g + m, b + m};
}

enum class TextureFamily { kNoise, kMarble, kWood, kStripes, kChecker, kCellular, kWoven, kBricks };

// "noise", "marble", "wood", "stripes", "checker", "cellular", "woven", "bricks".
const std::vector<std::string>& TextureFamilyNames();
std::string TextureFamilyName(TextureFamily family);
// Throws core::Error listing the valid names.
TextureFamily ParseTextureFamily(const std::string& name);

// Gradient (Perlin) noise that is periodic with `period` lattice cells in x and y, with its own
// permutation and gradient table drawn from an rng. Values lie roughly in [-1, 1].
class PeriodicNoise {
 public:
  explicit PeriodicNoise(core::data::Rng& rng);
  // x, y in lattice units; the noise repeats every period_x units in x and period_y in y (>= 1).
  float Eval(float x, float y, int period_x, int period_y) const;
  // Fractal sum of `octaves` octaves (frequency x2, amplitude x gain) over the unit square,
  // periodic with period 1 in u and v; base frequency `period` cells per unit.
  float Fbm(float u, float v, int period, int octaves, float gain = 0.5f) const;

 private:
  int perm_[512];
  float grad_[256][2];
};

// A size x size texture of `family`. `params`, when given, receives what was drawn (family,
// palette, frequencies) for the label record.
cv::Mat GenerateTexture(TextureFamily family, int size, core::data::Rng& rng,
                        nlohmann::json* params = nullptr);

}  // namespace synface::synth::scene
