// Heads for the samples of a dataset: the ICT Face Model or the built-in procedural head, with an
// identity and an appearance per subject and an expression per sample, all drawn from the
// dataset's seed; or a rigged model file (one identity, its file pose and morphs at rest; the
// appearance still varies per subject).
//
// Subjects: sample id belongs to subject id / head.samples_per_subject. A subject's identity and
// appearance come from its own stream, Rng(StreamSeed(SampleSeed(seed, subject), "subject")),
// so every sample of a subject shows the same person whichever shard renders it.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/data/seed.h"
#include "synth/datagen/generator_config.h"
#include "synth/heads/head.h"
#include "synth/heads/ict_face_model.h"
#include "synth/heads/rigged_head.h"

namespace synface::synth::datagen {

struct HeadSample {
  heads::HeadInstance head;  // head frame, appearance applied
  int64_t subject = 0;
  nlohmann::json params;  // source, subject, identity, expression, appearance
};

class HeadSource {
 public:
  // Resolves head.source ("auto": the ICT Face Model when its files are present, else the
  // procedural head) and loads the ICT model once when it is used. Throws core::Error.
  HeadSource(const HeadConfig& config, int threads);

  // "ict", "procedural" or "rigged".
  const std::string& resolved_source() const { return source_; }
  // A line for the user when "auto" fell back to the procedural head; empty otherwise.
  const std::string& note() const { return note_; }

  // The head of sample `id`: the subject's identity and appearance, and an expression drawn from
  // `rng` (pass the sample's "head" sub-stream).
  HeadSample Make(uint64_t dataset_seed, uint64_t id, core::data::Rng& rng) const;

 private:
  HeadConfig config_;
  std::string source_, note_;
  std::shared_ptr<const heads::IctFaceModel> ict_;
  std::shared_ptr<const heads::RiggedHead> rigged_;
};

// The random stream of a subject (see the header comment).
core::data::Rng SubjectRng(uint64_t dataset_seed, int64_t subject);

}  // namespace synface::synth::datagen
