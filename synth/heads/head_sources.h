// One entry point over the head sources for the scene generator: open a source by name, then draw
// heads (identity, then expression) from a sample's random stream.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/data/seed.h"
#include "synth/heads/head.h"
#include "synth/heads/ict_face_model.h"
#include "synth/heads/procedural_head.h"
#include "synth/heads/rigged_head.h"

namespace synface::synth::heads {

struct HeadSourceOptions {
  // "auto" (the ICT Face Model when it is available, else the procedural head), "ict",
  // "procedural", or the path of a rigged model file (anything Assimp reads).
  std::string source = "auto";
  std::filesystem::path ict_root;  // empty: core::IctFacekitRoot()
  IctLoadOptions ict;
  ProceduralHeadOptions procedural;
  RiggedHeadOptions rigged;
  float identity_sigma = 1.0f;  // ICT: N(0, sigma) per mode; procedural: per shape z-score
};

class HeadSource {
 public:
  // Loads what the source needs (the ICT model: ~1 s); throws core::Error naming what is missing.
  static HeadSource Open(const HeadSourceOptions& options);

  const std::string& Name() const { return name_; }  // "ict", "procedural" or "rigged:<file>"

  // A head drawn from `rng`: the identity from rng.Fork("identity"), the expression from
  // rng.Fork("expression") (so changing one never shifts the other). `expression` is one of the
  // five presets, "random" (a random preset mixed with small random changes) or, for rigged
  // models (which have no identity space), "neutral".
  HeadInstance Sample(core::data::Rng& rng, const std::string& expression = "random") const;

 private:
  std::string name_;
  HeadSourceOptions options_;
  std::shared_ptr<const IctFaceModel> ict_;
  std::shared_ptr<const RiggedHead> rigged_;
};

}  // namespace synface::synth::heads
