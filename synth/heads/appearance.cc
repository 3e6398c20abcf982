#include "synth/heads/appearance.h"

#include <algorithm>
#include <cmath>

#include "core/geometry/rotation.h"
#include "core/util/error.h"

namespace synface::synth::heads {
namespace {

using Vec3 = Eigen::Vector3f;

// ColorChecker skin patches (BabelColor sRGB averages), decoded to linear RGB.
float SrgbToLinear(float c) {
  return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}
Vec3 LinearFromSrgb8(int r, int g, int b) {
  return Vec3(SrgbToLinear(r / 255.0f), SrgbToLinear(g / 255.0f), SrgbToLinear(b / 255.0f));
}
constexpr float kMelaninLight = 0.2f, kMelaninDark = 0.6f;

int Draw(core::data::Rng& rng, const std::array<float, 6>& probabilities) {
  float total = 0.0f;
  for (float p : probabilities) total += std::max(p, 0.0f);
  if (!(total > 0.0f)) throw core::MakeError("appearance: colour probabilities sum to {}", total);
  float u = static_cast<float>(rng.Uniform()) * total;
  for (int i = 0; i < 6; ++i) {
    u -= std::max(probabilities[i], 0.0f);
    if (u < 0.0f) return i;
  }
  return 5;
}

Vec3 Jitter(core::data::Rng& rng, const Vec3& c, float lo, float hi) {
  return (c * static_cast<float>(rng.Uniform(lo, hi))).cwiseMin(1.0f);
}

Vec3 IrisBase(IrisColour c) {
  switch (c) {
    case IrisColour::kDarkBrown:
      return Vec3(0.035f, 0.018f, 0.008f);
    case IrisColour::kBrown:
      return Vec3(0.09f, 0.045f, 0.018f);
    case IrisColour::kHazel:
      return Vec3(0.16f, 0.11f, 0.04f);
    case IrisColour::kGreen:
      return Vec3(0.09f, 0.14f, 0.06f);
    case IrisColour::kBlue:
      return Vec3(0.10f, 0.17f, 0.26f);
    case IrisColour::kGrey:
      return Vec3(0.17f, 0.19f, 0.20f);
  }
  return Vec3::Zero();
}

Vec3 HairBase(HairColour c) {
  switch (c) {
    case HairColour::kBlack:
      return Vec3(0.018f, 0.014f, 0.012f);
    case HairColour::kDarkBrown:
      return Vec3(0.05f, 0.03f, 0.018f);
    case HairColour::kBrown:
      return Vec3(0.12f, 0.07f, 0.04f);
    case HairColour::kBlond:
      return Vec3(0.42f, 0.30f, 0.16f);
    case HairColour::kRed:
      return Vec3(0.28f, 0.09f, 0.035f);
    case HairColour::kGrey:
      return Vec3(0.35f, 0.34f, 0.33f);
  }
  return Vec3::Zero();
}

// Priority of a tissue when parts share a vertex.
int Priority(Tissue t) {
  switch (t) {
    case Tissue::kHair:
      return 6;
    case Tissue::kEyebrows:
      return 5;
    case Tissue::kIris:
      return 4;
    case Tissue::kSkin:
      return 0;
    case Tissue::kHelper:
      return -1;
    default:
      return 2;
  }
}

SurfaceMaterial MaterialOf(const Appearance& a, Tissue t) {
  switch (t) {
    case Tissue::kSkin:
      return a.skin;
    case Tissue::kSclera:
    case Tissue::kEye:
      return a.sclera;
    case Tissue::kIris:
      return a.cornea;
    case Tissue::kTeeth:
      return a.teeth;
    case Tissue::kGums:
      return a.gums;
    case Tissue::kMouthInterior:
      return a.mouth_interior;
    case Tissue::kEyelashes:
      return a.eyelashes;
    case Tissue::kEyebrows:
    case Tissue::kHair:
      return a.hair;
    case Tissue::kHelper:
      return SurfaceMaterial{1.0f, 0.0f};
  }
  return SurfaceMaterial{};
}

// Iris colour at radial fraction f (0 = centre, 1 = limbus) and angle around the axis.
Vec3 IrisAt(const Appearance& a, float f, float angle) {
  if (f < a.pupil_fraction) return Vec3(0.008f, 0.008f, 0.008f);
  // Radial fibres and a lighter collarette near the pupil, a dark limbal ring at the rim.
  const float fibres = 1.0f + 0.18f * std::sin(23.0f * angle) * std::sin(7.0f * angle + 1.3f);
  const float collarette = f < a.pupil_fraction + 0.15f ? 1.25f : 1.0f;
  const float limbus = f > 0.85f ? 0.45f : 1.0f;
  return (a.iris_albedo * fibres * collarette * limbus).cwiseMin(1.0f);
}

}  // namespace

const char* IrisColourName(IrisColour c) {
  static const char* names[] = {"dark_brown", "brown", "hazel", "green", "blue", "grey"};
  return names[static_cast<int>(c)];
}

const char* HairColourName(HairColour c) {
  static const char* names[] = {"black", "dark_brown", "brown", "blond", "red", "grey"};
  return names[static_cast<int>(c)];
}

Eigen::Vector3f SkinAlbedo(float tone, float haemoglobin) {
  static const Vec3 light = LinearFromSrgb8(194, 150, 130);
  static const Vec3 dark = LinearFromSrgb8(115, 82, 68);
  static const Vec3 melanin =
      (light.array() / dark.array()).log().matrix() / (kMelaninDark - kMelaninLight);
  static const Vec3 blood(0.05f, 0.60f, 0.40f);
  const float m = 0.1f + 0.9f * std::clamp(tone, 0.0f, 1.0f);
  const float h = std::clamp(haemoglobin, 0.0f, 1.0f);
  return (light.array() * (-(m - kMelaninLight) * melanin.array()).exp() *
          (-(h - 0.5f) * blood.array()).exp())
      .matrix()
      .cwiseMin(1.0f);
}

Appearance SampleAppearance(core::data::Rng& rng, const AppearanceOptions& options) {
  if (!(options.tone_min <= options.tone_max))
    throw core::MakeError("appearance: tone_min {} > tone_max {}", options.tone_min,
                          options.tone_max);
  Appearance a;
  a.tone =
      std::clamp(static_cast<float>(rng.Uniform(options.tone_min, options.tone_max)), 0.0f, 1.0f);
  a.haemoglobin = static_cast<float>(rng.Uniform(options.haemoglobin_min, options.haemoglobin_max));
  a.skin_albedo = SkinAlbedo(a.tone, a.haemoglobin);
  // Lips: redder and darker than the skin around them.
  const Vec3 lip_factor(static_cast<float>(rng.Uniform(0.82, 0.95)),
                        static_cast<float>(rng.Uniform(0.50, 0.62)),
                        static_cast<float>(rng.Uniform(0.55, 0.68)));
  a.lip_albedo =
      a.skin_albedo.cwiseProduct(lip_factor) * static_cast<float>(rng.Uniform(0.85, 1.05));
  a.cheek_albedo = a.skin_albedo.cwiseProduct(Vec3(1.04f, 0.82f, 0.85f)).cwiseMin(1.0f);
  a.cheek_redness = static_cast<float>(rng.Uniform(0.0, 0.6));

  const bool deep = a.tone > 0.5f;
  const std::array<float, 6> hair_default =
      deep ? std::array<float, 6>{0.60f, 0.30f, 0.07f, 0.0f, 0.0f, 0.03f}
           : std::array<float, 6>{0.20f, 0.30f, 0.20f, 0.15f, 0.07f, 0.08f};
  a.hair_colour =
      static_cast<HairColour>(Draw(rng, options.hair_probabilities.value_or(hair_default)));
  a.hair_albedo = Jitter(rng, HairBase(a.hair_colour), 0.8f, 1.2f);
  a.brow_albedo = a.hair_colour == HairColour::kGrey
                      ? Jitter(rng, HairBase(HairColour::kDarkBrown), 0.9f, 1.3f)
                      : Jitter(rng, a.hair_albedo, 0.6f, 0.9f);
  a.brow_density = static_cast<float>(rng.Uniform(0.5, 0.95));

  const std::array<float, 6> iris_default =
      deep ? std::array<float, 6>{0.60f, 0.30f, 0.07f, 0.01f, 0.01f, 0.01f}
           : std::array<float, 6>{0.35f, 0.20f, 0.10f, 0.08f, 0.17f, 0.10f};
  a.iris_colour =
      static_cast<IrisColour>(Draw(rng, options.iris_probabilities.value_or(iris_default)));
  a.iris_albedo = Jitter(rng, IrisBase(a.iris_colour), 0.8f, 1.2f);
  a.pupil_fraction = static_cast<float>(rng.Uniform(0.25, 0.45));

  a.sclera_albedo = Vec3(0.72f, 0.66f, 0.60f) * static_cast<float>(rng.Uniform(0.9, 1.05));
  a.sclera_albedo.tail<2>() *= static_cast<float>(rng.Uniform(0.94, 1.0));  // a little redness
  a.teeth_albedo = Jitter(rng, Vec3(0.70f, 0.64f, 0.50f), 0.85f, 1.05f);
  a.gum_albedo = Jitter(rng, Vec3(0.50f, 0.14f, 0.14f), 0.8f, 1.1f);
  a.mouth_interior_albedo = Jitter(rng, Vec3(0.12f, 0.025f, 0.025f), 0.8f, 1.2f);

  a.skin = {static_cast<float>(rng.Uniform(0.35, 0.6)),
            static_cast<float>(rng.Uniform(0.022, 0.035))};
  a.sclera = {0.15f, 0.035f};
  a.cornea = {0.06f, 0.04f};
  a.teeth = {0.3f, 0.04f};
  a.gums = {0.35f, 0.03f};
  a.mouth_interior = {0.6f, 0.02f};
  a.hair = {static_cast<float>(rng.Uniform(0.4, 0.7)), 0.04f};
  a.eyelashes = {0.7f, 0.02f};

  a.mottling = static_cast<float>(rng.Uniform(0.02, 0.06));
  for (auto& wave : a.mottling_waves) {
    // Random direction (uniform on the sphere), wavelength 1-5 cm, random phase.
    const double z = rng.Uniform(-1.0, 1.0), phi = rng.Uniform(0.0, 2 * core::geometry::kPi);
    const double s = std::sqrt(1 - z * z);
    const double k = 2 * core::geometry::kPi / rng.Uniform(0.01, 0.05);
    wave = Eigen::Vector4f(static_cast<float>(k * s * std::cos(phi)),
                           static_cast<float>(k * s * std::sin(phi)), static_cast<float>(k * z),
                           static_cast<float>(rng.Uniform(0.0, 2 * core::geometry::kPi)));
  }
  return a;
}

void ApplyAppearance(const Appearance& a, HeadInstance* head) {
  const core::io::Mesh& mesh = head->mesh;
  const int n = mesh.NumVertices();
  if (head->part_tissue.size() != mesh.parts.size())
    throw core::MakeError("{}: {} parts but {} tissues", head->source, mesh.parts.size(),
                          head->part_tissue.size());
  head->part_material.resize(mesh.parts.size());
  std::vector<Tissue> tissue(n, Tissue::kHelper);
  std::vector<char> assigned(n, 0);
  for (size_t p = 0; p < mesh.parts.size(); ++p) {
    const Tissue t = head->part_tissue[p];
    head->part_material[p] = MaterialOf(a, t);
    for (int tri = mesh.parts[p].triangle_begin; tri < mesh.parts[p].triangle_end; ++tri)
      for (int k = 0; k < 3; ++k) {
        const int v = mesh.triangles[tri][k];
        if (!assigned[v] || Priority(t) > Priority(tissue[v])) tissue[v] = t;
        assigned[v] = 1;
      }
  }

  // Iris and pupil about each eye's gaze axis (side 0: the subject's left, +x).
  const Eigen::Vector3f centres[2] = {head->left_eye_centre, head->right_eye_centre};
  const Eigen::Vector3f gaze[2] = {head->left_gaze.normalized(), head->right_gaze.normalized()};
  auto iris_colour = [&](const Eigen::Vector3f& p, bool whole_eyeball) -> Vec3 {
    const int side = p.x() > 0.5f * (centres[0].x() + centres[1].x()) ? 0 : 1;
    const Eigen::Vector3f d = p - centres[side];
    const float along = d.dot(gaze[side]);
    const float radial = (d - along * gaze[side]).norm();
    // Behind the eye centre: the inside of the eye, seen only through a pupil (the ICT iris
    // layer is a sphere with a pupil hole).
    if (along <= 0.0f) return whole_eyeball ? a.sclera_albedo : Vec3(0.01f, 0.008f, 0.008f);
    if (radial > head->iris_radius) return a.sclera_albedo;
    const Eigen::Vector3f u = gaze[side].unitOrthogonal(), w = gaze[side].cross(u);
    return IrisAt(a, radial / head->iris_radius, std::atan2(d.dot(w), d.dot(u)));
  };

  const auto& reg = head->regions;
  head->vertex_albedo.assign(n, Vec3::Zero());
  for (int v = 0; v < n; ++v) {
    const Eigen::Vector3f& p = mesh.positions[v];
    Vec3 c = Vec3::Zero();
    switch (tissue[v]) {
      case Tissue::kSkin: {
        float wave = 0.0f;
        for (const auto& w : a.mottling_waves) wave += std::sin(w.head<3>().dot(p) + w[3]);
        const float mottle = 1.0f + a.mottling * wave / static_cast<float>(a.mottling_waves.size());
        c = a.skin_albedo * mottle;
        if (!reg.cheeks.empty())
          c += (a.cheek_albedo * mottle - c) * (a.cheek_redness * reg.cheeks[v]);
        if (!reg.lips.empty()) c += (a.lip_albedo * mottle - c) * reg.lips[v];
        if (!reg.brows.empty()) c += (a.brow_albedo - c) * (a.brow_density * reg.brows[v]);
        break;
      }
      case Tissue::kIris:
        c = iris_colour(p, false);
        break;
      case Tissue::kEye:
        c = iris_colour(p, true);
        break;
      case Tissue::kSclera: {
        // The back half of an eyeball shell shows only through a pupil (the ICT iris layer has
        // a hole there): dark, as the inside of an eye looks.
        const int side = p.x() > 0.5f * (centres[0].x() + centres[1].x()) ? 0 : 1;
        c = (p - centres[side]).dot(gaze[side]) < 0 ? Vec3(0.01f, 0.008f, 0.008f) : a.sclera_albedo;
        break;
      }
      case Tissue::kTeeth:
        c = a.teeth_albedo;
        break;
      case Tissue::kGums:
        c = a.gum_albedo;
        break;
      case Tissue::kMouthInterior:
        c = a.mouth_interior_albedo;
        break;
      case Tissue::kEyelashes:
        c = a.hair_albedo * 0.5f;
        break;
      case Tissue::kEyebrows:
        c = a.brow_albedo;
        break;
      case Tissue::kHair: {
        const float streak = 1.0f + 0.08f * std::sin(900.0f * p.x() + 300.0f * p.z());
        c = a.hair_albedo * streak;
        break;
      }
      case Tissue::kHelper:
        c = Vec3(0.5f, 0.5f, 0.5f);
        break;
    }
    head->vertex_albedo[v] = c.cwiseMax(0.0f).cwiseMin(1.0f);
  }
}

}  // namespace synface::synth::heads
