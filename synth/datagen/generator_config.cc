#include "synth/datagen/generator_config.h"

#include <fmt/format.h>

#include "core/io/exr.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::synth::datagen {
namespace fs = std::filesystem;
using scene::ConfigError;
using scene::DeclareRange;
using scene::ReadRange;

const std::vector<std::string>& RunOnlyKeys() {
  static const std::vector<std::string> keys = {"count",   "out",        "shard",
                                                "threads", "stop_after", "progress"};
  return keys;
}

std::vector<std::string> GeneratorConfig::Files() const {
  std::vector<std::string> files;
  if (output.rgb) files.push_back("rgb." + output.rgb_format);
  if (output.depth) files.push_back("depth.exr");
  if (output.mask) files.push_back("mask.png");
  files.push_back("json");  // written last: marks the sample as done
  return files;
}

std::vector<std::string> GeneratorConfig::Labels() const {
  std::vector<std::string> labels;
  if (output.rgb) labels.push_back("rgb");
  if (output.depth) {
    labels.push_back("depth");
    labels.push_back("distance");
  }
  if (output.mask) labels.push_back("mask");
  for (const char* l : {"pose", "intrinsics", "landmarks68", "landmarks68_3d", "dense_landmarks",
                        "eyes", "identity", "expression", "appearance", "background", "lights"}) {
    labels.push_back(l);
  }
  return labels;
}

core::config::Schema GeneratorSchema() {
  core::config::Schema s;
  // Run-only keys (normally given on the command line).
  s.Optional<int64_t>("count", 0, "number of samples of the dataset (ids 0 .. count-1)");
  s.Range("count", 0, 1e15);
  s.Optional<std::string>("out", "", "dataset folder");
  s.Optional<std::string>("shard", "0/1", "this run's shard i/N (ids with id % N == i)");
  s.Optional<int64_t>("threads", 0, "worker threads; 0 = all cores");
  s.Range("threads", 0, 4096);
  s.Optional<int64_t>("stop_after", 0,
                      "debug: stop after committing this many samples (0 = run to the end)");
  s.Range("stop_after", 0, 1e15);
  s.Optional<bool>("progress", true, "show a progress line");
  // The dataset.
  s.Optional<int64_t>("seed", 0, "dataset seed; sample i draws from SampleRng(seed, i)");
  s.Range("seed", 0, 9.2e18);
  // Head.
  s.Choice("head.source", {"auto", "ict", "procedural", "rigged"}, std::string("auto"),
           "head model: the ICT Face Model, the built-in procedural head, a rigged model file "
           "(head.rigged_file), or auto (ICT when its files are present, else procedural)");
  s.Optional<std::string>("head.rigged_file", "", "rigged model (FBX, glTF, Collada, ...)");
  s.Optional<std::string>("head.neck_bone", "NeckTwist01", "rigged: bone rotated to pose the head");
  s.Optional<std::string>("head.head_bone", "Head", "rigged: bone carrying the eyes");
  s.Optional<std::vector<double>>("head.rigged_up", {0.0, 1.0, 0.0}, "rigged: up axis in the file");
  s.Optional<std::vector<double>>("head.rigged_forward", {0.0, 0.0, 1.0},
                                  "rigged: facing direction in the file");
  s.Optional<double>("head.rigged_scale", 0.0, "rigged: file units to metres (0: declared unit)");
  s.Range("head.rigged_scale", 0.0, 1e6);
  s.Optional<int64_t>("head.samples_per_subject", 1,
                      "consecutive sample ids sharing one identity and appearance (a subject)");
  s.Range("head.samples_per_subject", 1, 1e12);
  s.Optional<std::vector<std::string>>("head.expressions",
                                       {"neutral", "angry", "happy", "sad", "scared"},
                                       "expression presets drawn per sample");
  s.Optional<std::vector<double>>("head.expression_weights", {},
                                  "relative weights of head.expressions (empty: equal)");
  DeclareRange(s, "head.expression_intensity", {1.0, 1.0}, "preset intensity");
  s.Optional<double>("head.random_mix_probability", 0.0,
                     "probability of a randomly mixed expression (ICT) instead of a preset");
  s.Range("head.random_mix_probability", 0.0, 1.0);
  DeclareRange(s, "head.jaw_open", {0.0, 0.0}, "extra jaw opening added to the expression");
  s.Optional<double>("head.identity_sigma", 1.0, "identity coefficients ~ N(0, sigma)");
  s.Range("head.identity_sigma", 0.0, 3.0);
  DeclareRange(s, "head.skin_tone", {0.0, 1.0}, "skin tone, 0 very light .. 1 very deep");
  DeclareRange(s, "head.haemoglobin", {0.3, 0.7}, "skin haemoglobin index");
  s.Optional<int64_t>("head.ict_identity_modes", -1, "ICT identity modes used (-1: all)");
  s.Range("head.ict_identity_modes", -1, 100000);
  s.Optional<int64_t>("head.dense_count", 520, "dense landmark subset size");
  s.Range("head.dense_count", 1, 1000000);
  // Scene.
  scene::DeclarePoseKeys(s);
  scene::DeclareCameraKeys(s);
  s.Optional<double>("camera.far_complex_m", 15.0, "far clip for complex backgrounds (C3)");
  scene::DeclareLightKeys(s);
  scene::DeclareBackgroundKeys(s);
  // Render.
  s.Optional<int64_t>("render.samples_per_pixel", 4, "anti-aliasing samples per pixel");
  s.Range("render.samples_per_pixel", 1, 65536);
  s.Optional<bool>("render.shadows", true, "trace shadow rays");
  s.Optional<bool>("render.ambient_occlusion", false, "ambient occlusion on the ambient light");
  s.Optional<int64_t>("render.ao_rays", 4, "ambient-occlusion rays per camera sample");
  s.Range("render.ao_rays", 1, 1024);
  s.Optional<double>("render.ao_distance_m", 0.1, "ambient-occlusion reach, metres");
  s.Range("render.ao_distance_m", 0.0, 100.0);
  s.Optional<bool>("render.indirect_diffuse", false, "one diffuse bounce");
  s.Optional<double>("render.exposure", 0.0, "exposure, stops");
  s.Range("render.exposure", -20.0, 20.0);
  s.Optional<int64_t>("render.tile_size", 16, "tile side, pixels");
  s.Range("render.tile_size", 1, 4096);
  // Outputs.
  s.Optional<bool>("output.rgb", true, "write the RGB image");
  s.Choice("output.rgb_format", {"png", "jpg"}, std::string("png"), "RGB file format");
  s.Optional<int64_t>("output.jpeg_quality", 95, "JPEG quality");
  s.Range("output.jpeg_quality", 0, 100);
  s.Optional<int64_t>("output.png_compression", 3, "PNG compression level (lossless)");
  s.Range("output.png_compression", 0, 9);
  s.Optional<bool>("output.depth", true, "write depth EXR (Z + distance)");
  s.Optional<bool>("output.mask", true, "write the part mask PNG");
  s.Choice("output.exr_compression", {"none", "rle", "zips", "zip", "piz"}, std::string("zip"),
           "depth EXR compression (lossless choices)");
  return s;
}

core::config::Config LoadGeneratorConfig(const std::vector<fs::path>& files,
                                         const std::vector<std::string>& overrides) {
  return core::config::LoadConfig(files, overrides, GeneratorSchema());
}

GeneratorConfig ReadGeneratorConfig(const core::config::Config& config, bool require_run_keys) {
  GeneratorConfig g;
  g.seed = config.Get<uint64_t>("seed");
  // Head.
  HeadConfig& h = g.head;
  h.source = config.Get<std::string>("head.source");
  h.samples_per_subject = config.Get<int64_t>("head.samples_per_subject");
  h.expressions = scene::ReadWeightedChoice(config, "head.expressions", "head.expression_weights",
                                            {"neutral", "angry", "happy", "sad", "scared"});
  h.expression_intensity = ReadRange(config, "head.expression_intensity", 0.0, 2.0);
  h.random_mix_probability = config.Get<double>("head.random_mix_probability");
  h.jaw_open = ReadRange(config, "head.jaw_open", 0.0, 1.0);
  h.identity_sigma = config.Get<double>("head.identity_sigma");
  h.tone = ReadRange(config, "head.skin_tone", 0.0, 1.0);
  h.haemoglobin = ReadRange(config, "head.haemoglobin", 0.0, 1.0);
  h.ict_identity_modes = config.Get<int>("head.ict_identity_modes");
  h.dense_count = config.Get<int>("head.dense_count");
  h.neck_bone = config.Get<std::string>("head.neck_bone");
  h.head_bone = config.Get<std::string>("head.head_bone");
  h.rigged_scale = config.Get<double>("head.rigged_scale");
  for (const char* key : {"head.rigged_up", "head.rigged_forward"}) {
    const std::vector<double> v = config.Get<std::vector<double>>(key);
    if (v.size() != 3 || Eigen::Vector3d(v[0], v[1], v[2]).norm() < 1e-9) {
      throw ConfigError(config, key, "must be a non-zero vector of 3 numbers");
    }
    (std::string(key) == "head.rigged_up" ? h.rigged_up : h.rigged_forward) =
        Eigen::Vector3f(static_cast<float>(v[0]), static_cast<float>(v[1]),
                        static_cast<float>(v[2]))
            .normalized();
  }
  if (h.source == "rigged") {
    const std::string file = config.Get<std::string>("head.rigged_file");
    if (file.empty()) {
      throw ConfigError(config, "head.rigged_file", "must be set when head.source = \"rigged\"");
    }
    h.rigged_file = core::ResolveUserPath(file);
    if (!fs::is_regular_file(h.rigged_file)) {
      throw ConfigError(config, "head.rigged_file",
                        fmt::format("names '{}', which does not exist", h.rigged_file.string()));
    }
  }
  if (h.source == "ict" && !core::IctFacekitAvailable()) {
    throw ConfigError(config, "head.source",
                      "= \"ict\", but the ICT Face Model files are missing (set "
                      "SYNFACE_ICT_FACEKIT to the folder holding FaceXModel/, or use "
                      "head.source = \"auto\" / \"procedural\")");
  }
  // Scene.
  g.pose = scene::ReadPoseConfig(config);
  g.camera = scene::ReadCameraConfig(config);
  g.far_complex = config.Get<double>("camera.far_complex_m");
  if (!(g.far_complex > g.camera.near)) {
    throw ConfigError(config, "camera.far_complex_m", "must exceed camera.near_m");
  }
  g.lights = scene::ReadLightConfig(config);
  g.background = scene::ReadBackgroundConfig(config);
  // Render.
  RenderConfig& r = g.render;
  r.samples_per_pixel = config.Get<int>("render.samples_per_pixel");
  r.shadows = config.Get<bool>("render.shadows");
  r.ambient_occlusion = config.Get<bool>("render.ambient_occlusion");
  r.ao_rays = config.Get<int>("render.ao_rays");
  r.ao_distance = config.Get<double>("render.ao_distance_m");
  r.indirect_diffuse = config.Get<bool>("render.indirect_diffuse");
  r.exposure = config.Get<double>("render.exposure");
  r.tile_size = config.Get<int>("render.tile_size");
  // Outputs.
  OutputConfig& o = g.output;
  o.rgb = config.Get<bool>("output.rgb");
  o.rgb_format = config.Get<std::string>("output.rgb_format");
  o.jpeg_quality = config.Get<int>("output.jpeg_quality");
  o.png_compression = config.Get<int>("output.png_compression");
  o.depth = config.Get<bool>("output.depth");
  o.mask = config.Get<bool>("output.mask");
  o.exr_compression = config.Get<std::string>("output.exr_compression");
  // Run-only.
  g.count = config.Get<uint64_t>("count");
  const std::string out = config.Get<std::string>("out");
  if (require_run_keys) {
    if (g.count == 0)
      throw ConfigError(config, "count", "must be set to a positive number (count=N)");
    if (out.empty()) throw ConfigError(config, "out", "must name the dataset folder (out=DIR)");
  }
  if (!out.empty()) g.out = core::ResolveUserPath(out);
  try {
    g.shard = core::data::Shard::Parse(config.Get<std::string>("shard"));
  } catch (const core::Error& e) {
    throw ConfigError(config, "shard", e.what());
  }
  g.threads = config.Get<int>("threads");
  g.stop_after = config.Get<int64_t>("stop_after");
  g.progress = config.Get<bool>("progress");
  return g;
}

}  // namespace synface::synth::datagen
