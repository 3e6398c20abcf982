#include "synth/render/material.h"

#include <cmath>

#include "core/util/error.h"
#include "synth/render/color.h"

namespace synface::synth::render {

std::string_view PartLabelName(PartLabel label) {
  switch (label) {
    case PartLabel::kBackground:
      return "background";
    case PartLabel::kSkin:
      return "skin";
    case PartLabel::kEyes:
      return "eyes";
    case PartLabel::kMouth:
      return "mouth";
    case PartLabel::kOther:
      return "other";
  }
  return "unknown";
}

std::shared_ptr<const Texture> Texture::FromImage(const cv::Mat& image, bool srgb) {
  if (image.empty()) throw core::Error("texture: empty image");
  const int channels = image.channels();
  const int depth = image.depth();
  if (channels != 1 && channels != 3 && channels != 4)
    throw core::MakeError("texture: {} channels (expected 1, 3 or 4)", channels);
  if (depth != CV_8U && depth != CV_16U && depth != CV_32F)
    throw core::MakeError("texture: unsupported pixel depth {} (expected 8-bit, 16-bit or float)",
                          depth);
  const auto& decode8 = SrgbDecodeTable();
  auto value = [&](const cv::Mat& m, int row, int col, int c) -> float {
    switch (depth) {
      case CV_8U: {
        const std::uint8_t v = m.ptr<std::uint8_t>(row)[col * channels + c];
        return srgb ? decode8[v] : v / 255.0f;
      }
      case CV_16U: {
        const float v = m.ptr<std::uint16_t>(row)[col * channels + c] / 65535.0f;
        return srgb ? SrgbToLinear(v) : v;
      }
      default:
        return m.ptr<float>(row)[col * channels + c];
    }
  };
  std::vector<Eigen::Vector3f> texels(static_cast<size_t>(image.rows) * image.cols);
  for (int r = 0; r < image.rows; ++r)
    for (int c = 0; c < image.cols; ++c) {
      Eigen::Vector3f rgb;
      if (channels == 1) {
        rgb.setConstant(value(image, r, c, 0));
      } else {  // OpenCV stores BGR(A)
        rgb = Eigen::Vector3f(value(image, r, c, 2), value(image, r, c, 1), value(image, r, c, 0));
      }
      texels[static_cast<size_t>(r) * image.cols + c] = rgb;
    }
  return std::make_shared<Texture>(image.cols, image.rows, std::move(texels));
}

Texture::Texture(int width, int height, std::vector<Eigen::Vector3f> texels)
    : width_(width), height_(height), texels_(std::move(texels)) {
  if (width <= 0 || height <= 0 ||
      texels_.size() != static_cast<size_t>(width) * static_cast<size_t>(height))
    throw core::MakeError("texture: {} texels for {} x {}", texels_.size(), width, height);
}

Eigen::Vector3f Texture::Sample(const Eigen::Vector2f& uv) const {
  if (!uv.allFinite()) return texels_[0];
  // Wrap into [0, 1) first (repeat), then continuous texel coordinates whose integer + 0.5 are
  // texel centres.
  const float u = uv.x() - std::floor(uv.x()), v = uv.y() - std::floor(uv.y());
  const float x = u * width_ - 0.5f;
  const float y = (1.0f - v) * height_ - 0.5f;
  const float fx = std::floor(x), fy = std::floor(y);
  const float ax = x - fx, ay = y - fy;
  auto wrap = [](int i, int n) { return ((i % n) + n) % n; };
  const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
  const int x0 = wrap(ix, width_), x1 = wrap(ix + 1, width_);
  const int y0 = wrap(iy, height_), y1 = wrap(iy + 1, height_);
  return (1 - ay) * ((1 - ax) * Texel(x0, y0) + ax * Texel(x1, y0)) +
         ay * ((1 - ax) * Texel(x0, y1) + ax * Texel(x1, y1));
}

void Material::Validate() const {
  auto bad = [&](const char* what) {
    return core::MakeError("material '{}': {} out of range", name, what);
  };
  if (!albedo.allFinite() || (albedo.array() < 0).any()) throw bad("albedo");
  if (!(roughness >= 0 && roughness <= 1)) throw bad("roughness (expected [0, 1])");
  if (!(specular >= 0 && specular <= 1)) throw bad("specular (expected [0, 1])");
  if (!emission.allFinite() || (emission.array() < 0).any()) throw bad("emission");
  if (static_cast<int>(part) >= kNumPartLabels) throw bad("part label");
}

}  // namespace synface::synth::render
