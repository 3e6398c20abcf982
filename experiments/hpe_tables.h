// The chapter-3 head-pose tables (P1 Tables 2-4, P2 Table I) as named experiments, and the
// logic they share:
//   - a synthetic SOURCE set and a synthetic TARGET-domain stand-in, generated in-process through
//     synth's library into <runs root>/_datasets/<name>_<config hash>/ (resumable, reused by every
//     experiment with the same generator config);
//   - the target stand-in differs from the source as real data would: another seed range
//     (disjoint identities), real photographs as backgrounds, another pose distribution, fewer
//     render samples, and camera-like degradation of the loaded crops (sensor noise, blur, JPEG);
//   - FSA-Net trained on the source, cached in <runs root>/_models/<key>/ keyed by the source
//     dataset and the training config, so Tables 3 and 4 evaluate / fine-tune the same model.
// Paper scale needs the real datasets (BIWI): those runs fail at once naming `data.biwi_root`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/results/results.h"
#include "experiments/runner.h"
#include "experiments/synth_datasets.h"
#include "hpe/evaluation.h"
#include "hpe/pose_data.h"

namespace synface::experiments {

// Camera-like degradation of 64x64 face crops (BGR, in place): Gaussian blur (sigma in pixels of
// the crop; 0 = none), additive Gaussian sensor noise (std on the 0-255 scale), then JPEG
// re-encoding (quality 1-100; 0 = none). Deterministic in `seed` and the sample index.
struct Degradation {
  double blur_sigma_px = 0;
  double noise_std = 0;
  int jpeg_quality = 0;
  uint64_t seed = 0;
};
void DegradeSet(hpe::PoseSet& set, const Degradation& degradation);

// Reads a synth dataset's samples (synth's label JSON fields) and loads 64x64 FSA-Net crops.
hpe::PoseSet LoadSynthPoseSet(const std::filesystem::path& dataset_dir, int threads);

// A synthetic target-domain stand-in configured under `<prefix>.*` ("target" = the BIWI
// stand-in every table shares, "sase" = P1 Table 5's second, differently degraded stand-in).
struct StandInSpec {
  std::string prefix = "target";
  std::string stands_in_for = "BIWI";  // the real set it replaces, named in every row
  std::vector<std::string> configs = {"synth/configs/p1_real.toml"};
  int64_t count = 600;
  int64_t seed = 7000001;
  std::vector<double> yaw_deg = {-75.0, 75.0}, pitch_deg = {-45.0, 45.0}, roll_deg = {-30.0, 30.0};
  int64_t samples_per_pixel = 1;
  Degradation degradation{0.7, 6.0, 40, 0};  // seed = `seed`
};
// Declares <spec.prefix>.configs/count/seed/yaw_deg/pitch_deg/roll_deg/samples_per_pixel/
// blur_sigma_px/noise_std/jpeg_quality with `defaults` as default values.
void DeclareStandInKeys(core::config::Schema& schema, const StandInSpec& defaults);
// Reads them back; throws core::Error naming the key for a bad [min, max] range.
StandInSpec ReadStandInSpec(const core::config::Config& config, const std::string& prefix,
                            const std::string& stands_in_for);
// The synth overrides that render the stand-in at width x height (part of its cache key).
std::vector<std::string> StandInOverrides(const StandInSpec& spec, int64_t width, int64_t height);

struct StandIn {
  std::filesystem::path dir;
  hpe::PoseSet set;         // degraded 64x64 crops
  std::string description;  // "a synthetic TARGET-DOMAIN STAND-IN for <real set> ..."
};
// Generates (or reuses, tag `hpe_<prefix>`) and degrades the stand-in at the source resolution.
StandIn PrepareStandIn(const ExperimentContext& ctx, const StandInSpec& spec);

// The synthetic training source: synth `configs` rendered at source.width x source.height with
// source.seed, split into train / held-out validation by source.validation_fraction.
struct SourceData {
  std::filesystem::path dir;
  hpe::PoseSet train, validation;
  std::string description;
};
SourceData PrepareSource(const ExperimentContext& ctx, const std::vector<std::string>& configs,
                         int64_t count);

// Declares the keys every hpe table experiment shares (data.*, source.*, target.*, train.*).
void DeclareHpeDataKeys(core::config::Schema& schema);

// Paper scale: throws core::Error naming data.biwi_root when it is unset or absent.
void RequireRealDataOrThrow(const ExperimentContext& ctx);

// <runs root> = the folder holding runs/<experiment>/<run id>/.
std::filesystem::path RunsRoot(const ExperimentContext& ctx);

struct HpeData {
  std::filesystem::path source_dir, target_dir;
  hpe::PoseSet source;             // training part of the synthetic source set
  hpe::PoseSet validation;         // held-out part of the source (best-model selection, as P1)
  hpe::PoseSet target;             // the degraded target-domain stand-in
  core::results::DataSource data;  // description naming what stands in for what
};
// Generates / loads both sets as configured.
HpeData PrepareHpeData(const ExperimentContext& ctx);

struct CachedModel {
  std::filesystem::path model_file;
  std::string key;
  double train_seconds = 0;  // of the run that trained it
  int64_t steps = 0;
  bool reused = false;
};
// Trains FSA-Net (train.architecture) on data.source with best-model selection on
// data.validation, or reuses the model cached for the same source dataset and training keys.
// Smoke scale uses smoke.epochs/batch_size/lr and smoke.noise_std when >= 0 (else
// train.noise_std).
CachedModel EnsureSyntheticModel(const ExperimentContext& ctx, const HpeData& data);
CachedModel EnsureSyntheticModel(const ExperimentContext& ctx, const SourceData& source);

// P1 Table 6's background variants: name (config value) -> row id and synth config.
struct BackgroundVariant {
  std::string name;    // "plain", "textured", "real", "textured_real"
  std::string row_id;  // papers/tables/14_p1_table6.toml row
  std::string label;   // "Textured + Real"
  std::string synth_config;
};
// Throws core::Error listing the known names for an unknown one.
BackgroundVariant BackgroundVariantByName(const std::string& name);

// A result row with yaw/pitch/roll (and mae when `with_mae`) columns.
core::results::ResultRow MaeRow(const std::string& id, const hpe::PoseMae& mae, bool with_mae,
                                const std::string& note);

Experiment P1Table2SyntheticExperiment(const std::string& name);
Experiment P1Table3NarrowRangeExperiment(const std::string& name);
Experiment P1Table4TransferExperiment(const std::string& name);
// P1 Table 5: without / with the three-step adversarial DA, on the BIWI and the SASE stand-ins.
Experiment P1Table5DomainAdaptationExperiment(const std::string& name);
// P1 Table 6: one model per background variant, each tested on the BIWI stand-in.
Experiment P1Table6BackgroundsExperiment(const std::string& name);
// P2 Table I: the synthetic-only FSA-Net on the BIWI stand-in, full and narrow range.
Experiment P2Table1Experiment(const std::string& name);

}  // namespace synface::experiments
