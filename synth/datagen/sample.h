// One sample of a synth dataset, from its id to its files: head, pose, camera, background,
// lights, render, labels. Everything a sample draws comes from SampleRng(seed, id) through named
// sub-streams ("head", "pose", "camera", "background", "lights", "render"), so adding a feature to
// one stream never shifts the others, and any shard, order or restart gives the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "synth/datagen/generator_config.h"
#include "synth/datagen/head_source.h"
#include "synth/heads/head.h"
#include "synth/labels/labels.h"
#include "synth/render/renderer.h"
#include "synth/render/scene.h"
#include "synth/scene/backgrounds.h"
#include "synth/scene/pose_sampling.h"

namespace synface::synth::datagen {

// Wall seconds one sample spent in each stage (profiling only: never written to a file, so the
// bytes stay independent of the run).
struct StageTimes {
  double head = 0;        // identity + expression + appearance (HeadSource::Make), posing
  double scene = 0;       // camera, background (textures, room), lights, render meshes
  double bvh = 0;         // Scene::Commit (Embree BVH build)
  double labels = 0;      // label record before rendering
  double render = 0;      // render::Render
  double visibility = 0;  // landmark visibility queries + statistics
  double encode = 0;      // PNG / EXR / JSON encoding
  double write = 0;       // temporary files + rename
  double sync = 0;        // fsync (durability)

  StageTimes& operator+=(const StageTimes& o);
  double Total() const;
  // "head 12 scene 30 ... ms/sample" for `samples` samples (the sums divided by it).
  std::string Format(uint64_t samples) const;
};

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
  StageTimes times;             // head, scene, bvh, labels
};

struct SampleResult {
  render::RenderOutput output;
  labels::SampleLabels labels;
  StageTimes times;  // head .. visibility
};

// A sample's files, encoded in memory, in the order they are written: images, then the label
// record (the dataset's final file, which marks the sample done) last.
struct EncodedSample {
  uint64_t id = 0;
  std::vector<std::pair<std::string, std::string>> files;  // file name, bytes
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
  // Encodes the sample's files (the bytes Write writes); adds the time to `times->encode`.
  EncodedSample Encode(const SampleResult& result, StageTimes* times = nullptr) const;
  // Writes the image files and then, last and atomically, the JSON label record, into `dir`
  // (the dataset's samples folder); every file is fsynced before its rename.
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
