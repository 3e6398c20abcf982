// One sample of a synth dataset, from its id to its files: head, pose, camera, background,
// lights, render, labels. Everything a sample draws comes from SampleRng(seed, id) through named
// sub-streams ("head", "pose", "camera", "background", "lights", "render"), so adding a feature to
// one stream never shifts the others, and any shard, order or restart gives the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "synth/datagen/generator_config.h"
#include "synth/datagen/head_source.h"
#include "synth/heads/head.h"
#include "synth/labels/labels.h"
#include "synth/render/renderer.h"
#include "synth/render/scene.h"
#include "synth/scene/backgrounds.h"
#include "synth/scene/pose_sampling.h"

namespace synface::synth::datagen {

// A sample's committed scene and everything drawn for it, before rendering (tests re-render or
// query it).
struct SampleScene {
  std::unique_ptr<render::Scene> scene;
  render::Camera camera;
  render::Lighting lighting;
  render::Background background;
  render::RenderSettings settings;
  HeadSample head;
  heads::PosedHead posed;
  scene::PoseCommand pose;
  std::string background_type;
  labels::SampleLabels labels;  // everything but visibility and render statistics
};

struct SampleResult {
  render::RenderOutput output;
  labels::SampleLabels labels;
};

class SampleGenerator {
 public:
  // Prepares the shared, immutable parts: head source (ICT model), pose sequence, background
  // folders, the imported scene's prototype. `threads` is used for loading only. Throws
  // core::Error for unusable assets.
  SampleGenerator(GeneratorConfig config, int threads = 1);

  const GeneratorConfig& config() const { return config_; }
  const HeadSource& head_source() const { return *heads_; }

  // The scene of sample `id` (deterministic; thread-safe).
  std::unique_ptr<SampleScene> BuildScene(uint64_t id) const;
  // Renders sample `id` with `render_threads` threads (the bytes do not depend on it) and fills
  // its labels, visibility included.
  SampleResult Generate(uint64_t id, int render_threads = 1) const;

  // File name of sample `id`'s file with `suffix` ("000012.rgb.png"), as in the dataset.
  std::string FileName(uint64_t id, const std::string& suffix) const;
  // Writes the image files and then, last and atomically, the JSON label record, into `dir`
  // (the dataset's samples folder).
  void Write(const SampleResult& result, const std::filesystem::path& dir) const;

 private:
  GeneratorConfig config_;
  std::unique_ptr<HeadSource> heads_;
  std::unique_ptr<scene::PoseSampler> poses_;
  std::unique_ptr<scene::BackgroundSampler> backgrounds_;
  std::shared_ptr<const render::Prototype> imported_;  // complex scene file, built once
  int id_digits_ = 6;
};

}  // namespace synface::synth::datagen
