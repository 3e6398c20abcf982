// Surface appearance for the renderer: part labels (the mask), textures and materials.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace synface::synth::render {

// Labels of the part mask (the values written to the mask image).
enum class PartLabel : std::uint8_t {
  kBackground = 0,  // no surface, or scenery (walls, furniture, backdrops)
  kSkin = 1,
  kEyes = 2,   // eyeballs (sclera, iris, cornea)
  kMouth = 3,  // teeth, gums, tongue, mouth interior
  kOther = 4,  // hair, brows, lashes, clothing, anything else on the subject
};
inline constexpr int kNumPartLabels = 5;
// "background", "skin", "eyes", "mouth", "other".
std::string_view PartLabelName(PartLabel label);

// An RGB texture held as linear float RGB, sampled bilinearly with repeat wrapping.
// UV convention (OBJ / OpenGL / what Assimp delivers): u to the right, v up, (0, 0) the
// bottom-left corner of the image; texel (i, j) (column i, row j from the top) has its centre at
// u = (i + 0.5) / width, v = 1 - (j + 0.5) / height.
class Texture {
 public:
  // From an 8-bit or 16-bit image as OpenCV reads it (1 channel grey, 3 BGR, 4 BGRA: alpha
  // ignored) or a float image (CV_32FC1/3, taken as linear values already). `srgb`: the 8/16-bit
  // values are sRGB-encoded colours (albedo maps; decoded to linear before filtering, as a
  // renderer must), else linear data. Throws core::Error for an empty or unsupported image.
  static std::shared_ptr<const Texture> FromImage(const cv::Mat& image, bool srgb = true);
  // A texture of linear RGB texels, row-major from the top row.
  Texture(int width, int height, std::vector<Eigen::Vector3f> texels);

  int width() const { return width_; }
  int height() const { return height_; }
  const Eigen::Vector3f& Texel(int column, int row) const { return texels_[row * width_ + column]; }
  // Bilinear, repeat-wrapped linear RGB at uv.
  Eigen::Vector3f Sample(const Eigen::Vector2f& uv) const;

 private:
  int width_, height_;
  std::vector<Eigen::Vector3f> texels_;
};

// A surface material. Shading: Lambert diffuse of colour albedo * texture * vertex colour, plus a
// GGX (Trowbridge-Reitz) specular lobe with Smith height-correlated masking and Schlick Fresnel;
// the diffuse part is scaled by (1 - specular) so the two do not add up to more than 1.
struct Material {
  std::string name;
  Eigen::Vector3f albedo = Eigen::Vector3f::Constant(0.8f);  // linear RGB diffuse reflectance
  std::shared_ptr<const Texture> texture;  // multiplies albedo (needs mesh UVs) when set
  bool use_vertex_colors = false;          // multiply by the mesh's per-vertex colours
  float roughness = 0.5f;  // perceptual roughness in [0, 1]; GGX alpha = roughness^2
  float specular = 0.04f;  // Fresnel reflectance at normal incidence F0 (0 = no specular lobe)
  // Radiance the surface emits towards the camera (linear RGB, W/(m^2 sr)); it shows in the
  // image but lights nothing (lights are Light objects).
  Eigen::Vector3f emission = Eigen::Vector3f::Zero();
  PartLabel part = PartLabel::kOther;
  // Seen by shadow, ambient-occlusion and bounce rays. False: the surface neither shadows nor
  // reflects light onto anything.
  bool casts_shadow = true;
  // Seen by camera rays (the image and every label: depth, mask, ids). False hides helper
  // geometry (e.g. the ICT model's eye-occlusion and tear-film shells) from the renders.
  bool visible_to_camera = true;

  // Throws core::Error naming the material for values out of range.
  void Validate() const;
};

}  // namespace synface::synth::render
