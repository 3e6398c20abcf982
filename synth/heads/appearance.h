// The look of a head, drawn from the sample's random stream: skin albedo over a wide range of
// tones, regional tints (lips, brows, cheeks), roughness/specular, iris, sclera, teeth, hair
// colours; and the per-vertex painting of any HeadInstance with it.
//
// Skin albedo model (linear RGB), two chromophore axes in the Beer-Lambert form
//     albedo(m, h) = A_light * exp(-(m - m_light) * s_mel) * exp(-(h - 0.5) * s_hb)
//   melanin index m = 0.1 + 0.9 * tone, tone in [0, 1] (0 = very light, 1 = very deep);
//   A_light and s_mel are fixed by two measured skin reflectances: the "light skin" and "dark skin"
//   patches of the X-Rite ColorChecker (designed to match human skin reflectance spectra),
//   BabelColor's averaged sRGB (194, 150, 130) and (115, 82, 68), decoded to linear RGB, placed at
//   m = 0.2 and m = 0.6. tone 0 then gives linear (0.72, 0.42, 0.31) (sRGB 221, 173, 151), tone 1
//   gives (0.054, 0.023, 0.015) (sRGB 65, 42, 32). haemoglobin index h in [0, 1] (0.5 typical) with
//   s_hb = (0.05, 0.60, 0.40): blood absorbs strongly in green, less in blue (where melanin already
//   absorbs) and hardly in red, the shape of oxy-haemoglobin's absorption (Prahl's tabulated molar
//   extinction) seen through the RGB bands.
#pragma once

#include <Eigen/Core>
#include <array>
#include <optional>

#include "core/data/seed.h"
#include "synth/heads/head.h"

namespace synface::synth::heads {

enum class IrisColour { kDarkBrown, kBrown, kHazel, kGreen, kBlue, kGrey };
enum class HairColour { kBlack, kDarkBrown, kBrown, kBlond, kRed, kGrey };
const char* IrisColourName(IrisColour c);
const char* HairColourName(HairColour c);

struct AppearanceOptions {
  float tone_min = 0.0f, tone_max = 1.0f;  // skin tone drawn uniformly in this range
  float haemoglobin_min = 0.3f, haemoglobin_max = 0.7f;
  // Probabilities in enum order (normalised when drawn). Unset: iris {dark brown .35, brown .20,
  // hazel .10, green .08, blue .17, grey .10} for tone <= 0.5 (roughly the world's mix, with the
  // lighter colours a little over-represented for variety) and {.60, .30, .07, .01, .01, .01}
  // above; hair {black .20, dark brown .30, brown .20, blond .15, red .07, grey .08} for
  // tone <= 0.5 and {.60, .30, .07, 0, 0, .03} above.
  std::optional<std::array<float, 6>> iris_probabilities;
  std::optional<std::array<float, 6>> hair_probabilities;
};

struct Appearance {
  float tone = 0.5f;                                      // 0 (very light) .. 1 (very deep)
  float haemoglobin = 0.5f;                               // 0 .. 1
  Eigen::Vector3f skin_albedo = Eigen::Vector3f::Zero();  // linear RGB
  Eigen::Vector3f lip_albedo = Eigen::Vector3f::Zero();
  Eigen::Vector3f cheek_albedo = Eigen::Vector3f::Zero();  // flushed skin
  float cheek_redness = 0.0f;                              // blend at the cheek centre, 0..1
  Eigen::Vector3f brow_albedo = Eigen::Vector3f::Zero();
  float brow_density = 0.8f;  // opacity of brows painted on skin
  HairColour hair_colour = HairColour::kBlack;
  Eigen::Vector3f hair_albedo = Eigen::Vector3f::Zero();
  IrisColour iris_colour = IrisColour::kBrown;
  Eigen::Vector3f iris_albedo = Eigen::Vector3f::Zero();
  float pupil_fraction = 0.35f;  // pupil radius / iris radius
  Eigen::Vector3f sclera_albedo = Eigen::Vector3f::Zero();
  Eigen::Vector3f teeth_albedo = Eigen::Vector3f::Zero();
  Eigen::Vector3f gum_albedo = Eigen::Vector3f::Zero();
  Eigen::Vector3f mouth_interior_albedo = Eigen::Vector3f::Zero();
  // Materials by tissue.
  SurfaceMaterial skin, sclera, cornea, teeth, gums, mouth_interior, hair, eyelashes;
  // Low-frequency multiplicative skin colour variation: 1 + mottling * mean_k sin(w_k . p + phi_k)
  // with the wave vectors (rad/m) and phases below.
  float mottling = 0.0f;
  std::array<Eigen::Vector4f, 6> mottling_waves;  // (w_x, w_y, w_z, phase)
};

// The skin model above.
Eigen::Vector3f SkinAlbedo(float tone, float haemoglobin);

// Everything drawn from `rng` in a fixed order (deterministic for a seed).
Appearance SampleAppearance(core::data::Rng& rng, const AppearanceOptions& options = {});

// Fills head->vertex_albedo and head->part_material. A vertex shared by parts of several tissues
// takes the most specific one (hair > eyebrows > iris > other > skin). Skin vertices get the skin
// albedo with mottling, then lip / cheek / brow tints from head->regions where present. Iris and
// whole-eyeball parts are painted about each eye's gaze axis (head->left_gaze / right_gaze):
// pupil, iris with a lighter collarette and a dark limbal ring within head->iris_radius, sclera
// colour outside it.
void ApplyAppearance(const Appearance& appearance, HeadInstance* head);

}  // namespace synface::synth::heads
