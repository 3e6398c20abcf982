// Shared machinery of the chapter-3 depth tables (P3 Table I, P4 Table 1, P5 Tables 1 and 3):
//
//   * one synthetic depth dataset for all of them: at smoke scale synth's c3i_depth preset at a
//     reduced resolution, generated once through EnsureSynthDataset (same generator config ->
//     same cache folder runs/_datasets/depth_c3i_<hash>/); at paper scale the folder named by
//     data.root (a c3i_depth dataset at 640x480), refused at once when absent;
//   * a subject-disjoint train / test split (depth::SplitByGroup on synth's subject);
//   * trained models cached by everything that determines them (dataset manifest hash, split,
//     architecture, loss and weights, resolution, steps, batch, lr, input handling, seed) under
//     runs/_depth_models/<architecture>_<hash>/, so rows the thesis shares between tables (P4
//     Table 1 rows 1-13 = P5 Table 1; P5 Table 3 row 7 = P5 Table 1 row 16) are trained once;
//   * one evaluation pass per model giving the full-image and the facial-crop (ground truth
//     < 0.5 m) metrics with the correct evaluator (the legacy one for variant as_run);
//   * result rows in the column ids of the papers/ tables.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/config/schema.h"
#include "core/results/results.h"
#include "depth/metrics.h"
#include "depth/pipeline.h"
#include "depth/readers.h"
#include "experiments/runner.h"

namespace synface::experiments {

// ---- data ------------------------------------------------------------------------------------

// Declares data.root, data.test_fraction, data.max_samples, data.source and the smoke.data.*
// keys (synth config, overrides, count, resolution).
void DeclareDepthDataKeys(core::config::Schema& s);

struct DepthTableData {
  std::unique_ptr<depth::SynthDepthDataset> data;
  std::vector<size_t> train, test;   // subject-disjoint
  core::results::DataSource source;  // for the result record
};

// Opens (smoke: generates or reuses) the dataset and splits it by subject. Throws core::Error
// naming data.root when the paper-scale dataset is absent, or when the split leaves a side empty.
DepthTableData OpenDepthTableData(const ExperimentContext& ctx);

// The synth overrides of the smoke dataset (camera size, then smoke.data.overrides), in order.
std::vector<std::string> SmokeDatasetOverrides(const core::config::Config& config);

// ---- models ----------------------------------------------------------------------------------

// What determines one trained model.
struct DepthModelJob {
  std::string architecture;          // depth model registry name
  std::string loss;                  // depth::MakeDepthLoss name
  std::vector<double> loss_weights;  // empty = the loss's default
  int width = 0, height = 0;
  int64_t steps = 0;  // optimizer steps
  int batch_size = 1;
  double lr = 1e-4;
  std::string schedule = "constant";
  bool as_run = false;  // the authors' loader (BGR / 255, bilinear depth resize, no mask)
};

// Stable text of the job plus the data it trains on (the cache key's preimage).
std::string DepthModelKey(const DepthModelJob& job, const std::string& manifest_hash,
                          const std::vector<size_t>& train, uint64_t seed);

struct TrainedDepthModel {
  depth::LoadedDepthModel model;
  std::filesystem::path dir;  // runs/_depth_models/<architecture>_<hash>
  bool reused = false;        // an earlier run (of any depth table) trained it
  int64_t steps = 0;
  double first_loss = 0, last_loss = 0, seconds = 0;
};

// Trains the model of `job` on data.train, or reuses the cached one (resuming an interrupted run).
TrainedDepthModel EnsureTrainedDepthModel(const ExperimentContext& ctx, const DepthTableData& data,
                                          const DepthModelJob& job);

// One sentence on how the model was trained (for row notes).
std::string DepthJobText(const DepthModelJob& job, const TrainedDepthModel& t,
                         size_t train_samples);

// ---- evaluation and rows -----------------------------------------------------------------------

struct FullAndFc {
  depth::DepthMetrics full, fc;
};
// One prediction pass over data.test scored twice: full image and facial crop (g < 0.5 m).
FullAndFc EvaluateFullAndFc(const TrainedDepthModel& model, const DepthTableData& data,
                            bool legacy);

// Column naming of the target table: P3 prints "abs_rel"/"sq_rel", P4/P5 "absrel"/"sqrel";
// with_nrmse_r2 adds P5 Table 1's NRMSE and R^2 columns.
struct MetricColumns {
  bool underscored = false;
  bool with_nrmse_r2 = false;
};
core::results::ResultRow DepthMetricsRow(const std::string& row_id, const depth::DepthMetrics& m,
                                         const MetricColumns& columns, const std::string& note);
nlohmann::json DepthMetricsJson(const depth::DepthMetrics& m);

// ---- the P5 Table 3 sweep ----------------------------------------------------------------------

struct LossWeightSetting {
  std::string printed;      // as the thesis prints it, e.g. "1.00, 0.1, 0.1, 1.00"
  std::string row_id;       // papers/tables/20_p5_table3.toml id, e.g. "w_100_01_01_100"
  std::array<double, 4> w;  // (w1, w2, w3, w4) in the printed order (L1, SSIM, grad, normal)
};
// Parses one printed setting: four comma-separated non-negative numbers, not all zero. The row id
// keeps the printed digits ("0.1" -> "01", "1.00" -> "100"). Throws core::Error naming `where`.
LossWeightSetting ParseLossWeightSetting(const std::string& printed, const std::string& where);

// ---- the experiments ---------------------------------------------------------------------------

// P4 Table 1 (table "p4_table1") or P5 Table 1 ("p5_table1"): the thesis's models trained on the
// shared synthetic set and scored on its subject-disjoint test split, full image and facial crop.
// Every row maps to one model (a row and its "(FC)" twin share it); smoke.models lists the models
// trained at smoke scale (the others are reported as not run, with the reason); paper scale
// trains every row's model with the thesis's settings (P5 Table 2: resolution, lr, epochs).
Experiment DepthComparisonExperiment(const std::string& name, const std::string& table);

// P5 Table 3: FaceDepth trained once per loss-weight setting (sweep.weights, as printed), each
// scored on the facial crop. The setting (0.28, 0.22, 0.30, 0.20) is P5 Table 1's FaceDepth model.
Experiment LossWeightSweepExperiment(const std::string& name);

// The model of a table row key ("unet_simple", "densedepth_169", "bts", "facedepth", ...).
struct DepthRowModel {
  std::string key;           // model key (config table model.<key>)
  std::string architecture;  // depth registry name
  std::string loss;          // default loss (variant default; the as_run loss differs for some)
  std::string as_run_loss;
  double lr;
  int64_t epochs;
  int batch_size;
  int width, height;  // paper-scale input (P5 Table 2: 640 x 480 for all)
  std::string schedule;
};
const std::vector<DepthRowModel>& DepthModelCatalogue();
// (row id, model key, facial crop) of a table's rows, in the table's order.
struct DepthTableRow {
  std::string row, model;
  bool fc;
};
std::vector<DepthTableRow> DepthTableRows(const std::string& table);

}  // namespace synface::experiments
