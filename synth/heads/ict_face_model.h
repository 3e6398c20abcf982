// The ICT Face Model (ICT-FaceKit, MIT; /work/shared/assets/ict-facekit/MANIFEST.md) as a head
// source: neutral topology + UVs, identity and expression deltas, the 68 Multi-PIE landmark
// vertices, part classes, and instances in the head frame (head.h).
//
// mesh = neutral + sum_k w_k (identity_k - neutral) + sum_j e_j (expression_j - neutral), on every
// vertex (the eye overlays and eyelashes move with the eyelid shapes). Identity weights are in
// standard deviations (N(0, 1) draws are plausible faces); expression weights are ARKit
// activations in [0, 1]. Each eyeball is an outer shell (sclera + transparent cornea) around an
// inner iris layer; without refraction the cornea is split off as a hidden part so the iris shows.
// The model is in centimetres, +Y up, +Z forward, +X the subject's left;
// instances are in metres in the head frame (origin = midpoint of the two eyeball centres, which
// are sphere fits to each sclera after the identity is applied).
#pragma once

#include <Eigen/Core>
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "core/data/seed.h"
#include "synth/heads/head.h"

namespace synface::synth::heads {

struct IctLoadOptions {
  int max_identity_modes = -1;           // use at most this many (-1: every identityNNN.obj found)
  std::vector<std::string> expressions;  // load exactly these (error if one is missing); empty:
                                         // every expression OBJ found on disk
  // Dense landmark subset: these vertex indices when given; else `dense_count` vertices of the
  // README's "narrow face area" (vertices 0-6705) chosen by farthest-point sampling on the neutral
  // head from the nose tip (an even spread; 520 = the thesis's dense landmark count, ch5).
  std::vector<int> dense_vertices;
  int dense_count = 520;
  int threads = 0;  // parallel file reads; 0 = all cores
  // The eyelashes are cards meant for an alpha texture (which the model does not ship); rendered
  // opaque they are grey skirts around the eyes, so by default they are hidden.
  bool render_eyelashes = false;
};

// Optional random-expression mixing (RandomExpression).
struct IctRandomExpressionOptions {
  float intensity_min = 0.4f, intensity_max = 1.0f;  // scale of the base preset
  float asymmetry = 0.15f;          // +- relative difference between _L and _R weights
  float extra_probability = 0.15f;  // each available shape gets an extra U(0, extra_max) ...
  float extra_max = 0.3f;
  float jaw_open_probability = 0.3f;  // ... jawOpen an extra U(0, jaw_open_max) ...
  float jaw_open_max = 0.5f;
  float blink_probability = 0.05f;  // ... and a blink (both eyes, U(0.5, 1)) with these odds
};

class IctFaceModel {
 public:
  // `root` = the folder holding FaceXModel/ (e.g. core::IctFacekitRoot()) or FaceXModel/ itself.
  // Throws core::Error naming the missing / malformed file.
  static IctFaceModel Load(const std::filesystem::path& root, const IctLoadOptions& options = {});

  int NumVertices() const { return static_cast<int>(neutral_.size() / 3); }
  int NumIdentityModes() const { return static_cast<int>(identity_deltas_.cols()); }
  const std::vector<std::string>& ExpressionNames() const { return expression_names_; }
  bool HasExpression(const std::string& name) const;
  const std::filesystem::path& Folder() const { return folder_; }
  const std::array<int, 68>& LandmarkVertices() const { return landmarks_; }
  const std::vector<int>& DenseVertices() const { return dense_; }

  // A head: `identity` weights for the first modes (longer vectors: the extra values are ignored,
  // as upstream's loader does; shorter: the rest are 0); `expression` by blendshape name (an
  // unknown name throws, listing the available ones; weights outside [-1, 2] throw).
  HeadInstance Instantiate(const std::vector<float>& identity, const ExpressionWeights& expression,
                           const std::string& expression_label = "custom") const;

  // N(0, sigma) per mode, clamped to +-clamp (the MANIFEST: keep |w| within about 3).
  std::vector<float> RandomIdentity(core::data::Rng& rng, float sigma = 1.0f,
                                    float clamp = 3.0f) const;

  // The thesis's expressions as blendshape weights (shapes the loaded model lacks are dropped).
  ExpressionWeights Preset(Expression expression, float intensity = 1.0f) const;
  // A random base preset at random intensity, mixed with small random shapes (options above).
  ExpressionWeights RandomExpression(core::data::Rng& rng, Expression* base = nullptr,
                                     const IctRandomExpressionOptions& options = {}) const;

 private:
  std::filesystem::path folder_;
  core::io::Mesh topology_;  // neutral mesh (metres, ICT axes) with the 17 parts (eyeballs split)
  std::vector<PartClass> part_class_;
  std::vector<Tissue> part_tissue_;
  Eigen::VectorXf neutral_;            // 3N, metres, ICT axes
  Eigen::MatrixXf identity_deltas_;    // 3N x K
  Eigen::MatrixXf expression_deltas_;  // 3N x E
  std::vector<std::string> identity_names_;
  std::vector<std::string> expression_names_;
  std::array<int, 68> landmarks_{};
  std::vector<int> dense_;
  FaceRegions regions_;  // painted once on the neutral head; they follow the vertices
  // The flat front disc of each iris layer (vertex indices): its centre gives the gaze, its rim
  // the iris radius. 0: left (+x), 1: right.
  std::vector<int> iris_disc_[2];
};

// Preset weights over the full ARKit-named ICT expression set (before filtering by what is
// loaded): built from the MANIFEST's FACS table (happy = AU6/7 + AU12, sad = AU1 + AU4 + AU15,
// angry = AU4 + AU5 + AU7, scared = AU1 + AU2 + AU5 + AU26), plus shapes only the full model has
// (cheekSquint, noseSneer, mouthStretch, ...), each scaled by `intensity`.
ExpressionWeights IctPresetWeights(Expression expression, float intensity = 1.0f);
// jawOpen alone / eyeBlink_L + eyeBlink_R.
ExpressionWeights IctJawOpen(float amount);
ExpressionWeights IctBlink(float amount);

}  // namespace synface::synth::heads
