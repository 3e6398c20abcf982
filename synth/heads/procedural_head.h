// The built-in procedural head: no external files, a plausible closed head with neck, identity and
// expression parameters, the 68 landmarks at their anatomical places and a dense landmark subset.
// It is the default head source whenever the ICT Face Model is absent, and the fast test fixture.
//
// Construction (all in an anatomical frame x = subject's left, y = up, z = forward, origin at the
// eye midpoint; converted to the head frame of head.h at the end):
//  - skin: a star-shaped surface r(direction) around a centre inside the head, sampled on a
//    latitude-longitude grid whose rows and columns are denser over the face. The base radius is a
//    smooth union of ellipsoids (cranium, midface, mandible, chin) and an elliptic neck cylinder;
//    features are added along the rays: brow ridges, cheekbones, eye sockets, a nose (dorsum, tip,
//    alae), lips, ears, and where the eyes are open the skin dives behind the eyeball (the eyelid
//    openings). Eyebrows are slightly raised strips and the hair a raised cap, both separate parts.
//  - the mouth: the grid row on the lip line is cut between the mouth corners and closed by a
//    mouth-interior "bag", so the jaw can open (rotation of the lower face about the jaw hinge)
//    onto a dark mouth with upper and lower teeth;
//  - eyeballs: spheres with a corneal bulge and an iris part, rotatable for gaze.
// ~50k triangles; a build takes a few milliseconds.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/data/seed.h"
#include "synth/heads/head.h"

namespace synface::synth::heads {

// Shape parameters as z-scores (0 = average, +-1 = one standard deviation of the adult range each
// maps to; README.md lists the physical meaning).
struct ProceduralIdentity {
  float skull_width = 0, skull_height = 0, skull_depth = 0, face_height = 0;
  float jaw_width = 0, chin_projection = 0, chin_width = 0;
  float nose_length = 0, nose_width = 0, nose_projection = 0, nose_bridge = 0;
  float eye_spacing = 0, eye_size = 0;
  float mouth_width = 0, lip_thickness = 0;
  float ear_size = 0, ear_protrusion = 0;
  float cheekbones = 0, brow_ridge = 0, neck_width = 0, hairline = 0;
  int hair_style = 1;  // 0 = none (bald), 1 = short, 2 = longer (covers the nape)
};

// (name, value) of every identity parameter in a fixed order (hair_style as a float last): the
// coefficients stored with each sample.
std::vector<std::pair<std::string, float>> IdentityCoefficients(const ProceduralIdentity& identity);

struct ProceduralExpression {
  float jaw_open = 0;       // 0 .. 1 (1 = the jaw rotated 21 degrees, ~4.5 cm at the chin)
  float smile = 0;          // -1 (mouth corners down) .. 1 (corners up and out, cheeks raised)
  float brow_raise = 0;     // -1 (lowered and drawn together, a frown) .. 1
  float brow_inner_up = 0;  // 0 .. 1 (inner brow ends raised: sad, scared)
  float eye_close_left = 0, eye_close_right = 0;  // -0.5 (wide open) .. 1 (closed); subject's
  float gaze_yaw = 0, gaze_pitch = 0;             // eyeball rotation, radians (+yaw: to image left)
};

std::vector<std::pair<std::string, float>> ExpressionControls(const ProceduralExpression& e);

struct ProceduralHeadParams {
  ProceduralIdentity identity;
  ProceduralExpression expression;
  std::string expression_label = "neutral";
};

struct ProceduralHeadOptions {
  int azimuth_steps = 192;  // grid columns around the head (even)
  int polar_steps = 120;    // grid rows from the crown to the neck base
  int dense_count = 520;    // dense landmarks: farthest-point subset of the face area
};

class ProceduralHead {
 public:
  // Throws core::Error for out-of-range parameters or a grid too coarse to hold the features.
  static HeadInstance Build(const ProceduralHeadParams& params,
                            const ProceduralHeadOptions& options = {});
};

// Every shape z-score ~ N(0, sigma) clamped to +-clamp; hair style none / short / longer with
// probabilities 0.15 / 0.55 / 0.30.
ProceduralIdentity RandomProceduralIdentity(core::data::Rng& rng, float sigma = 1.0f,
                                            float clamp = 2.5f);

// The thesis's five expressions as controls, scaled by `intensity`.
ProceduralExpression ProceduralExpressionPreset(Expression expression, float intensity = 1.0f);
// A random preset at intensity U(0.4, 1), plus small random jaw, smile, brow and gaze changes and
// an occasional blink.
ProceduralExpression RandomProceduralExpression(core::data::Rng& rng, Expression* base = nullptr);

}  // namespace synface::synth::heads
