#include "synth/scene/textures.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "core/util/error.h"

namespace synface::synth::scene {
namespace {

constexpr float kTwoPi = 6.28318530717958648f;

using Rgb = std::array<float, 3>;  // sRGB in [0, 1]

Rgb Mix(const Rgb& a, const Rgb& b, float t) {
  return {a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t};
}

Rgb Scale(const Rgb& a, float s) { return {a[0] * s, a[1] * s, a[2] * s}; }

float Smoothstep(float e0, float e1, float x) {
  const float t = std::clamp((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

float Fract(float x) { return x - std::floor(x); }

// A palette: a base colour and variations around it, drawn in HSV.
struct Palette {
  std::vector<Rgb> colors;
  nlohmann::json ToJson() const {
    nlohmann::json j = nlohmann::json::array();
    for (const Rgb& c : colors) j.push_back({c[0], c[1], c[2]});
    return j;
  }
};

Palette RandomPalette(core::data::Rng& rng, int n, float hue_spread, float sat_lo, float sat_hi,
                      float val_lo, float val_hi) {
  const float hue = static_cast<float>(rng.Uniform());
  Palette p;
  for (int i = 0; i < n; ++i) {
    const float h = hue + hue_spread * static_cast<float>(rng.Uniform(-1.0, 1.0));
    const float s = static_cast<float>(rng.Uniform(sat_lo, sat_hi));
    const float v = static_cast<float>(rng.Uniform(val_lo, val_hi));
    p.colors.push_back(SrgbFromHsv(h, s, v));
  }
  return p;
}

// Piecewise-linear gradient through the palette, t in [0, 1].
Rgb Gradient(const Palette& p, float t) {
  t = std::clamp(t, 0.0f, 1.0f);
  const int n = static_cast<int>(p.colors.size());
  if (n == 1) return p.colors[0];
  const float x = t * static_cast<float>(n - 1);
  const int i = std::min(static_cast<int>(x), n - 2);
  return Mix(p.colors[i], p.colors[i + 1], x - static_cast<float>(i));
}

// A small integer direction (a, b) != (0, 0): keeps a u + b v periodic on the unit square.
std::pair<int, int> IntegerDirection(core::data::Rng& rng) {
  static const int dirs[][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}, {2, 1}, {1, 2}, {2, -1}, {1, -2}};
  const auto& d = dirs[rng.UniformInt(uint64_t{8})];
  return {d[0], d[1]};
}

template <typename F>
cv::Mat Fill(int size, F&& color_at) {
  cv::Mat img(size, size, CV_8UC3);
  const float inv = 1.0f / static_cast<float>(size);
  for (int y = 0; y < size; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    // Texel centres; v grows upwards in UV space but the image's first row is the top: the
    // texture is periodic, so only the sense matters, not the origin.
    const float v = (static_cast<float>(y) + 0.5f) * inv;
    for (int x = 0; x < size; ++x) {
      const float u = (static_cast<float>(x) + 0.5f) * inv;
      const Rgb c = color_at(u, v);
      for (int k = 0; k < 3; ++k) {
        const float val = std::clamp(c[2 - k], 0.0f, 1.0f);  // RGB -> BGR
        row[x][k] = static_cast<uint8_t>(std::lround(val * 255.0f));
      }
    }
  }
  return img;
}

}  // namespace

const std::vector<std::string>& TextureFamilyNames() {
  static const std::vector<std::string> names = {"noise",   "marble",   "wood",  "stripes",
                                                 "checker", "cellular", "woven", "bricks"};
  return names;
}

std::string TextureFamilyName(TextureFamily family) {
  return TextureFamilyNames()[static_cast<size_t>(family)];
}

TextureFamily ParseTextureFamily(const std::string& name) {
  const auto& names = TextureFamilyNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<TextureFamily>(i);
  }
  throw core::MakeError("unknown texture family '{}' (expected one of: {})", name,
                        fmt::join(names, ", "));
}

PeriodicNoise::PeriodicNoise(core::data::Rng& rng) {
  for (int i = 0; i < 256; ++i) perm_[i] = i;
  for (int i = 255; i > 0; --i) {
    const int j = static_cast<int>(rng.UniformInt(static_cast<uint64_t>(i + 1)));
    std::swap(perm_[i], perm_[j]);
  }
  for (int i = 0; i < 256; ++i) {
    perm_[256 + i] = perm_[i];
    const float a = kTwoPi * (static_cast<float>(i) + 0.5f) / 256.0f;
    grad_[i][0] = std::cos(a);
    grad_[i][1] = std::sin(a);
  }
}

float PeriodicNoise::Eval(float x, float y, int period_x, int period_y) const {
  const float fx0 = std::floor(x), fy0 = std::floor(y);
  const float fx = x - fx0, fy = y - fy0;
  auto wrap = [](long v, int p) { return static_cast<int>(((v % p) + p) % p); };
  const long ix = static_cast<long>(fx0), iy = static_cast<long>(fy0);
  const int x0 = wrap(ix, period_x) & 255, x1 = wrap(ix + 1, period_x) & 255;
  const int y0 = wrap(iy, period_y) & 255, y1 = wrap(iy + 1, period_y) & 255;
  auto dot = [&](int gx, int gy, float dx, float dy) {
    const int h = perm_[perm_[gx] + gy];
    return grad_[h][0] * dx + grad_[h][1] * dy;
  };
  const float n00 = dot(x0, y0, fx, fy), n10 = dot(x1, y0, fx - 1, fy);
  const float n01 = dot(x0, y1, fx, fy - 1), n11 = dot(x1, y1, fx - 1, fy - 1);
  auto fade = [](float t) { return t * t * t * (t * (t * 6 - 15) + 10); };
  const float sx = fade(fx), sy = fade(fy);
  const float a = n00 + (n10 - n00) * sx, b = n01 + (n11 - n01) * sx;
  return 1.41421356f * (a + (b - a) * sy);  // scale the +-0.707 extremes to about +-1
}

float PeriodicNoise::Fbm(float u, float v, int period, int octaves, float gain) const {
  float sum = 0.0f, amp = 1.0f, norm = 0.0f;
  int p = period;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * Eval(u * static_cast<float>(p), v * static_cast<float>(p), p, p);
    norm += amp;
    amp *= gain;
    p *= 2;
  }
  return sum / norm;
}

cv::Mat GenerateTexture(TextureFamily family, int size, core::data::Rng& rng,
                        nlohmann::json* params) {
  if (size < 4 || size > 8192) throw core::MakeError("texture size {} outside [4, 8192]", size);
  PeriodicNoise noise(rng);
  nlohmann::json j;
  j["family"] = TextureFamilyName(family);
  j["size"] = size;
  cv::Mat img;
  switch (family) {
    case TextureFamily::kNoise: {
      const Palette pal = RandomPalette(rng, 3, 0.08f, 0.1f, 0.7f, 0.2f, 0.9f);
      const int period = static_cast<int>(rng.UniformInt(int64_t{2}, int64_t{8}));
      const float gain = static_cast<float>(rng.Uniform(0.45, 0.65));
      const float contrast = static_cast<float>(rng.Uniform(0.8, 2.0));
      j["palette"] = pal.ToJson();
      j["period"] = period;
      j["gain"] = gain;
      j["contrast"] = contrast;
      img = Fill(size, [&](float u, float v) {
        const float n = noise.Fbm(u, v, period, 6, gain);
        return Gradient(pal, 0.5f + 0.5f * contrast * n);
      });
      break;
    }
    case TextureFamily::kMarble: {
      const Palette pal = RandomPalette(rng, 3, 0.05f, 0.0f, 0.35f, 0.3f, 0.95f);
      const auto [a, b] = IntegerDirection(rng);
      const int k = static_cast<int>(rng.UniformInt(int64_t{1}, int64_t{4}));
      const float turbulence = static_cast<float>(rng.Uniform(2.0, 7.0));
      const float sharpness = static_cast<float>(rng.Uniform(0.3, 3.0));
      j["palette"] = pal.ToJson();
      j["direction"] = {a, b};
      j["frequency"] = k;
      j["turbulence"] = turbulence;
      j["sharpness"] = sharpness;
      img = Fill(size, [&, a = a, b = b](float u, float v) {
        float t = 0.0f, amp = 1.0f;
        for (int o = 0, p = 2; o < 5; ++o, p *= 2, amp *= 0.5f) {
          t += amp * std::abs(noise.Eval(u * p, v * p, p, p));
        }
        const float s = 0.5f + 0.5f * std::sin(kTwoPi * k * (a * u + b * v) + turbulence * t);
        return Gradient(pal, std::pow(s, sharpness));
      });
      break;
    }
    case TextureFamily::kWood: {
      const float hue = static_cast<float>(rng.Uniform(0.04, 0.11));
      const float sat = static_cast<float>(rng.Uniform(0.35, 0.75));
      const float val = static_cast<float>(rng.Uniform(0.3, 0.8));
      const Rgb light = SrgbFromHsv(hue, sat * 0.8f, val);
      const Rgb dark =
          SrgbFromHsv(hue - 0.01f, sat, val * static_cast<float>(rng.Uniform(0.45, 0.7)));
      const int rings = static_cast<int>(rng.UniformInt(int64_t{4}, int64_t{20}));
      const float warp = static_cast<float>(rng.Uniform(0.5, 2.5));
      j["light"] = {light[0], light[1], light[2]};
      j["dark"] = {dark[0], dark[1], dark[2]};
      j["rings"] = rings;
      j["warp"] = warp;
      img = Fill(size, [&](float u, float v) {
        const float w = noise.Fbm(u, v, 2, 4, 0.5f);
        const float s = Fract(rings * v + warp * w);
        const float ring = Smoothstep(0.0f, 0.25f, s) * (1.0f - Smoothstep(0.55f, 1.0f, s));
        const float streak = 0.5f + 0.5f * noise.Eval(u * 4, v * 128, 4, 128);
        return Scale(Mix(dark, light, ring), 0.85f + 0.15f * streak);
      });
      break;
    }
    case TextureFamily::kStripes: {
      const int n_colors = static_cast<int>(rng.UniformInt(int64_t{2}, int64_t{4}));
      const Palette pal = RandomPalette(rng, n_colors, 0.5f, 0.2f, 0.8f, 0.2f, 0.9f);
      const auto [a, b] = IntegerDirection(rng);
      const int stripes = static_cast<int>(rng.UniformInt(int64_t{3}, int64_t{24}));
      const float softness = static_cast<float>(rng.Uniform(0.01, 0.2));
      const float grain = static_cast<float>(rng.Uniform(0.0, 0.15));
      j["palette"] = pal.ToJson();
      j["direction"] = {a, b};
      j["stripes"] = stripes;
      j["softness"] = softness;
      j["grain"] = grain;
      img = Fill(size, [&, a = a, b = b](float u, float v) {
        const float s = static_cast<float>(stripes * n_colors) * (a * u + b * v);
        const float f = Fract(s);
        const long idx = static_cast<long>(std::floor(s));
        const int i0 = static_cast<int>(((idx % n_colors) + n_colors) % n_colors);
        const int i1 = (i0 + 1) % n_colors;
        const float t = Smoothstep(1.0f - softness, 1.0f, f);
        const float g = 1.0f + grain * noise.Fbm(u, v, 16, 3, 0.5f);
        return Scale(Mix(pal.colors[i0], pal.colors[i1], t), g);
      });
      break;
    }
    case TextureFamily::kChecker: {
      const Palette pal = RandomPalette(rng, 2, 0.5f, 0.0f, 0.7f, 0.15f, 0.95f);
      const int cells = static_cast<int>(rng.UniformInt(int64_t{2}, int64_t{12}));
      const bool diagonal = rng.Bernoulli(0.3);
      const float grain = static_cast<float>(rng.Uniform(0.0, 0.2));
      j["palette"] = pal.ToJson();
      j["cells"] = cells;
      j["diagonal"] = diagonal;
      j["grain"] = grain;
      img = Fill(size, [&](float u, float v) {
        // Diagonal checkers: rotate by 45 degrees with the integer basis (1, 1), (1, -1).
        const float x = diagonal ? u + v : u, y = diagonal ? u - v : v;
        const long cx = static_cast<long>(std::floor(x * cells));
        const long cy = static_cast<long>(std::floor(y * cells));
        const int parity = static_cast<int>(((cx + cy) % 2 + 2) % 2);
        const float g = 1.0f + grain * noise.Fbm(u, v, 8, 4, 0.55f);
        return Scale(pal.colors[parity], g);
      });
      break;
    }
    case TextureFamily::kCellular: {
      const int grid = static_cast<int>(rng.UniformInt(int64_t{3}, int64_t{10}));
      const Palette pal = RandomPalette(rng, 4, 0.12f, 0.05f, 0.6f, 0.25f, 0.9f);
      const float border = static_cast<float>(rng.Uniform(0.01, 0.08));
      const Rgb mortar = Scale(pal.colors[0], static_cast<float>(rng.Uniform(0.2, 0.6)));
      std::vector<std::array<float, 2>> points(static_cast<size_t>(grid * grid));
      std::vector<Rgb> colors(points.size());
      for (size_t i = 0; i < points.size(); ++i) {
        points[i] = {static_cast<float>(rng.Uniform()), static_cast<float>(rng.Uniform())};
        colors[i] = Gradient(pal, static_cast<float>(rng.Uniform()));
      }
      j["palette"] = pal.ToJson();
      j["grid"] = grid;
      j["border"] = border;
      img = Fill(size, [&](float u, float v) {
        const float x = u * grid, y = v * grid;
        const int gx = static_cast<int>(std::floor(x)), gy = static_cast<int>(std::floor(y));
        float d1 = 1e9f, d2 = 1e9f;
        int best = 0;
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int cx = gx + dx, cy = gy + dy;
            const int wx = ((cx % grid) + grid) % grid, wy = ((cy % grid) + grid) % grid;
            const int idx = wy * grid + wx;
            const float px = static_cast<float>(cx) + points[idx][0];
            const float py = static_cast<float>(cy) + points[idx][1];
            const float d = std::hypot(px - x, py - y);
            if (d < d1) {
              d2 = d1;
              d1 = d;
              best = idx;
            } else if (d < d2) {
              d2 = d;
            }
          }
        }
        const float edge = Smoothstep(border * 0.5f, border * grid, d2 - d1);
        const float shade = 0.9f + 0.1f * noise.Fbm(u, v, 8, 3, 0.5f);
        return Scale(Mix(mortar, colors[best], edge), shade);
      });
      break;
    }
    case TextureFamily::kWoven: {
      const Palette pal = RandomPalette(rng, 2, 0.3f, 0.1f, 0.8f, 0.25f, 0.9f);
      const int threads = 2 * static_cast<int>(rng.UniformInt(int64_t{4}, int64_t{24}));
      const bool twill = rng.Bernoulli(0.5);
      const float gap = static_cast<float>(rng.Uniform(0.05, 0.25));
      j["palette"] = pal.ToJson();
      j["threads"] = threads;
      j["weave"] = twill ? "twill" : "plain";
      j["gap"] = gap;
      img = Fill(size, [&](float u, float v) {
        const float x = u * threads, y = v * threads;
        const int i = static_cast<int>(std::floor(x)), k = static_cast<int>(std::floor(y));
        const float fx = x - i, fy = y - k;
        const bool warp_on_top = twill ? ((i + k) % 4) < 2 : ((i + k) % 2) == 0;
        // Across a thread its surface curves away: cosine shading; gaps between threads dark.
        const float across = warp_on_top ? fx : fy;
        const float along = warp_on_top ? fy : fx;
        const float shade = (0.55f + 0.45f * std::sin(3.14159265f * across)) *
                            (0.85f + 0.15f * std::sin(3.14159265f * along));
        const float in_gap = Smoothstep(0.0f, gap, std::min(across, 1.0f - across));
        const Rgb c = warp_on_top ? pal.colors[0] : pal.colors[1];
        return Scale(c, shade * (0.35f + 0.65f * in_gap));
      });
      break;
    }
    case TextureFamily::kBricks: {
      const int rows = 2 * static_cast<int>(rng.UniformInt(int64_t{2}, int64_t{8}));
      const int per_row = static_cast<int>(rng.UniformInt(int64_t{2}, int64_t{6}));
      const float mortar_w = static_cast<float>(rng.Uniform(0.03, 0.12));
      const Palette pal = RandomPalette(rng, 3, 0.03f, 0.4f, 0.8f, 0.25f, 0.75f);
      const Rgb mortar = SrgbFromHsv(0.1f, 0.05f, static_cast<float>(rng.Uniform(0.5, 0.85)));
      std::vector<float> tone(static_cast<size_t>(rows * per_row));
      for (float& t : tone) t = static_cast<float>(rng.Uniform());
      j["palette"] = pal.ToJson();
      j["rows"] = rows;
      j["bricks_per_row"] = per_row;
      j["mortar"] = mortar_w;
      img = Fill(size, [&](float u, float v) {
        const float y = v * rows;
        const int r = static_cast<int>(std::floor(y));
        const float x = u * per_row + ((r % 2) ? 0.5f : 0.0f);
        const int c = static_cast<int>(std::floor(x));
        const float fx = x - c, fy = y - r;
        const float aspect = static_cast<float>(rows) / static_cast<float>(per_row);
        const float ex = std::min(fx, 1.0f - fx) / aspect, ey = std::min(fy, 1.0f - fy);
        const float brick = Smoothstep(mortar_w * 0.5f, mortar_w, std::min(ex, ey));
        const Rgb col = Gradient(pal, tone[static_cast<size_t>(r * per_row + (c % per_row))]);
        const float grain = 0.85f + 0.15f * noise.Fbm(u, v, 16, 3, 0.5f);
        return Scale(Mix(mortar, col, brick), grain);
      });
      break;
    }
  }
  if (params) *params = j;
  return img;
}

}  // namespace synface::synth::scene
