// Training, evaluation and prediction of the depth models on any DepthSource (readers.h), in the
// same functions that experiments, the predict command and tests call.
//
// A trained model is saved as a core/nn checkpoint (checkpoint.h) holding the module "model" and
// metadata describing how to rebuild and feed it (DepthModelSpec); the trainer's own periodic
// checkpoints (run_dir/checkpoints/ckpt-*.pt) carry the same metadata, so any of them can be
// given to LoadDepthModel / the predict command.
//
// Inputs: "imagenet" (RGB, ImageNet mean/std: what the pretrained encoders expect; default) or
// "bgr255" (BGR / 255 without mean/std, as the authors' loader; digest ch3 §4.1 item 1).
// Targets: the model's own (DepthModel::TargetFromMetres): max_depth / d for the inverse-depth
// models, metres for BTS; pixels without depth are masked out of the loss (the authors' code has
// no mask; `mask_invalid = false` reproduces that).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "depth/metrics.h"
#include "depth/models.h"
#include "depth/readers.h"

namespace synface::depth {

struct DepthModelSpec {
  std::string architecture;  // registry name, e.g. "facedepth"
  double max_depth = kDefaultMaxDepth;
  std::string input_norm = "imagenet";    // or "bgr255"
  int input_width = 0, input_height = 0;  // the resolution it was trained at (0: any)
};

// Builds the architecture of `spec` (registered depth model; BTS gets spec.max_depth).
std::shared_ptr<DepthModel> BuildDepthModel(const DepthModelSpec& spec);

// Writes a model file (atomic): module "model" + the spec as metadata.
void SaveDepthModel(const std::filesystem::path& path, DepthModel& model,
                    const DepthModelSpec& spec);

struct LoadedDepthModel {
  std::shared_ptr<DepthModel> model;
  DepthModelSpec spec;
};
// Reads a model file or a training checkpoint (metadata gives the architecture), or a plain
// state dict (torch.save / SaveStateDict format) when `fallback.architecture` names it. Throws
// core::Error naming the file when it is missing, unreadable, or no architecture is known.
LoadedDepthModel LoadDepthModel(const std::filesystem::path& path,
                                const DepthModelSpec& fallback = {});

// (1, 3, H, W) float input for a BGR 8-bit image, normalised as `input_norm` says.
torch::Tensor ImageToTensor(const cv::Mat& bgr, const std::string& input_norm);

// Depth in metres (CV_32FC1) at the model's output resolution for one BGR image (resized to the
// spec's input size first when it has one; the caller resizes the result as needed).
cv::Mat PredictDepth(DepthModel& model, const DepthModelSpec& spec, const cv::Mat& bgr);

// ---- Training --------------------------------------------------------------------------------

struct DepthTrainConfig {
  DepthModelSpec spec;               // architecture, max depth, input normalisation, resolution
  std::string loss = "hybrid";       // MakeDepthLoss names
  std::vector<double> loss_weights;  // hybrid: (w1..w4) in the printed order; empty = default
  int64_t steps = 100;
  int batch_size = 4;
  double lr = 1e-4;
  std::string schedule = "constant";  // constant | poly (BTS: power 0.9) | step
  double weight_decay = 0.0;
  bool mask_invalid = true;
  std::string resize_depth = "nearest";  // or "bilinear" (the authors' cv2.resize default)
  int threads = 1;
  uint64_t seed = 0;
  int64_t checkpoint_every = 0;
  std::filesystem::path run_dir;
  bool show_progress = true;
  int64_t cache_megabytes = 512;  // samples prepared once and kept in memory up to this size
};

struct DepthTrainResult {
  std::filesystem::path model_path;  // run_dir / "model.pt"
  int64_t steps = 0;
  double first_loss = 0, last_loss = 0;
  double seconds = 0;  // training time (core/nn Trainer)
  double samples_per_second = 0;
};

// Trains on source[indices] (resumes from run_dir's newest checkpoint). Throws core::Error for an
// empty index list, samples without depth, or bad settings.
DepthTrainResult TrainDepthModel(const DepthSource& source, const std::vector<size_t>& indices,
                                 const DepthTrainConfig& config);

// ---- Evaluation ------------------------------------------------------------------------------

// Predicts every sample (at the spec's resolution) and scores it against its ground truth with
// `options` (metrics.h). `on_sample`, when given, sees each sample and its prediction.
using SampleCallback =
    std::function<void(const DepthSample& sample, const cv::Mat& predicted_metres)>;
DepthMetrics EvaluateDepthModel(DepthModel& model, const DepthModelSpec& spec,
                                const DepthSource& source, const std::vector<size_t>& indices,
                                const EvalOptions& options, const SampleCallback& on_sample = {});

// ---- Prediction for people
// -----------------------------------------------------------------------

struct PredictOptions {
  std::filesystem::path out_dir;
  int ply_stride = 1;  // every n-th pixel in the point clouds
  bool write_ply = true;
  double default_hfov_deg = 60;  // intrinsics for sources without any (thesis text camera)
  EvalOptions eval;              // metrics when the source has ground truth
  size_t limit = 0;              // 0 = every sample
};

struct PredictSummary {
  size_t samples = 0;
  bool has_metrics = false;
  DepthMetrics metrics;
  std::filesystem::path metrics_file;  // out_dir / "metrics.json" when has_metrics
};

// For each sample writes <id>.rgb.png, <id>.pred.png (colour map), <id>.pred.exr (metres, "Z"),
// <id>.gt.png (when ground truth exists), <id>.panel.png (RGB | GT | prediction | error) and
// <id>.pred.ply (+ <id>.gt.ply) point clouds back-projected with the sample's intrinsics ('/' in
// ids becomes '_'); then metrics.json when any sample had ground truth.
PredictSummary PredictSource(const LoadedDepthModel& model, const DepthSource& source,
                             const PredictOptions& options);

}  // namespace synface::depth
