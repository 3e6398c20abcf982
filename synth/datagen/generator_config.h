// The configuration of //synth:generate: one TOML schema for everything a dataset depends on
// (head, pose, camera, lights, background, render, outputs) plus the run-only keys (count, out,
// shard, threads, stop_after) that do not change any output byte.
//
//   bazel run //synth:generate -- synth/configs/c3i_depth.toml count=1000 out=/data/d1 shard=0/4
//
// Keys are declared (with help and defaults) in generator_config.cc; synth/README.md lists them.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/shard.h"
#include "synth/scene/backgrounds.h"
#include "synth/scene/camera_placement.h"
#include "synth/scene/config_util.h"
#include "synth/scene/lights.h"
#include "synth/scene/pose_sampling.h"

namespace synface::synth::datagen {

// Bumped whenever the bytes of a sample change for the same config and seed.
inline constexpr char kGeneratorName[] = "synth";
inline constexpr char kGeneratorVersion[] = "1.0";

// Run-only keys: recorded in dataset.toml but not compared when a run continues a dataset.
const std::vector<std::string>& RunOnlyKeys();

struct HeadConfig {
  std::string source = "auto";      // "auto" | "ict" | "procedural" | "rigged"
  int64_t samples_per_subject = 1;  // consecutive ids sharing identity and appearance
  scene::WeightedChoice expressions{{"neutral", "angry", "happy", "sad", "scared"},
                                    {0.2, 0.2, 0.2, 0.2, 0.2}};
  scene::Range expression_intensity{1.0, 1.0};
  double random_mix_probability = 0.0;  // ICT: a randomly mixed expression instead of a preset
  scene::Range jaw_open{0.0, 0.0};      // extra jaw opening
  double identity_sigma = 1.0;
  scene::Range tone{0.0, 1.0};
  scene::Range haemoglobin{0.3, 0.7};
  int ict_identity_modes = -1;  // -1: all
  // Rigged models (any Assimp format): the file, bone names, axes and units.
  std::filesystem::path rigged_file;
  std::string neck_bone = "NeckTwist01", head_bone = "Head";
  Eigen::Vector3f rigged_up = Eigen::Vector3f::UnitY();
  Eigen::Vector3f rigged_forward = Eigen::Vector3f::UnitZ();
  double rigged_scale = 0.0;  // 0: the file's declared unit
  int dense_count = 520;
};

struct RenderConfig {
  int samples_per_pixel = 4;
  bool shadows = true;
  bool ambient_occlusion = false;
  int ao_rays = 4;
  double ao_distance = 0.1;
  bool indirect_diffuse = false;
  double exposure = 0.0;
  int tile_size = 16;
};

struct OutputConfig {
  bool rgb = true;
  std::string rgb_format = "png";  // "png" | "jpg"
  int jpeg_quality = 95;
  int png_compression = 3;
  bool depth = true;
  bool mask = true;
  std::string exr_compression = "zip";
};

struct GeneratorConfig {
  uint64_t seed = 0;
  HeadConfig head;
  scene::PoseConfig pose;
  scene::CameraConfig camera;
  double far_complex = 15.0;  // far clip used for complex backgrounds (C3)
  scene::LightConfig lights;
  scene::BackgroundConfig background;
  RenderConfig render;
  OutputConfig output;
  // Run-only.
  uint64_t count = 0;
  std::filesystem::path out;
  core::data::Shard shard;
  int threads = 0;         // 0 = all cores
  int64_t stop_after = 0;  // debug: stop after committing this many samples (0 = never)
  bool progress = true;

  // The per-sample file suffixes (final file "json" last) and label names for dataset.toml.
  std::vector<std::string> Files() const;
  std::vector<std::string> Labels() const;
};

// Declares every key of the generator.
core::config::Schema GeneratorSchema();

// Reads and checks a validated config: every range, folder and file (pose file, texture folder,
// photographs, scene file) is checked here, so a bad config or missing asset is one error naming
// its key before any work. `require_run_keys`: count and out must be set (the generate command);
// false for callers that only need the sample pipeline (tests, experiments, preview).
GeneratorConfig ReadGeneratorConfig(const core::config::Config& config,
                                    bool require_run_keys = true);

// LoadConfig with GeneratorSchema(): files + key=value overrides.
core::config::Config LoadGeneratorConfig(const std::vector<std::filesystem::path>& files,
                                         const std::vector<std::string>& overrides);

}  // namespace synface::synth::datagen
