// The chapter's training strategies as library functions on core/nn's resumable Trainer (seeded;
// a killed run started again with the same arguments continues from its newest checkpoint and
// ends identical to an uninterrupted one):
//
//   TrainSupervised    synthetic-only training (P1/P2): Adam, lr 1e-4, x0.1 every 30 epochs,
//                      90 epochs at paper scale, batch 8 (the authors' loader, drop_last), optional
//                      zero-mean Gaussian pixel noise (P1's only augmentation; sigma is not
//                      printed, so it is a parameter), best model on a held-out set when one is
//                      given.
//   FineTune           transfer learning with data fusion (P1 Table 4): a pre-trained model file,
//                      then N labelled target images (thesis: ~1k; the authors' run: 1,344 images,
//                      50 epochs).
//   TrainAdversarial   the three-step DA strategy (P1 §VI; digest ch3 §3): (1) train on source
//                      split 1 (70 epochs), (2) predict every target image and take the nearest
//                      source sample of split 2 by pose, (3) 30 epochs of joint training with the
//                      gradient reversal layer (DANN schedule) and the domain classifier on the
//                      primary capsules, loss 0.2 L1 + 1.5 NLL_source + 1.5 NLL_target.
//
// Run folder layout: <run_dir>/checkpoints/, train_log.csv, eval_log.csv, model.ckpt (final model
// file, inference.h), best.ckpt (best on the validation set). TrainAdversarial uses
// <run_dir>/step1/, <run_dir>/step2_pairs.csv and <run_dir>/step3/.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/nn/distributed.h"
#include "core/nn/model.h"
#include "hpe/adversarial.h"
#include "hpe/da_sampling.h"
#include "hpe/evaluation.h"
#include "hpe/fsanet.h"
#include "hpe/inference.h"
#include "hpe/pose_data.h"

namespace synface::hpe {

struct TrainOptions {
  std::filesystem::path run_dir;
  int epochs = 90;
  int batch_size = 8;
  bool drop_last = true;  // the authors' DataLoader(drop_last=True)
  double lr = 1e-4;
  int lr_step_epochs = 30;  // StepLR step; 0 = constant rate (the authors' code as run)
  double lr_gamma = 0.1;
  double noise_std = 0.0;  // Gaussian pixel noise, on the [0, 1] input scale, clamped to [0, 1]
  int input_size = 224;    // 6DRepNet-style models (FSA-Net always takes its image_size)
  uint64_t seed = 0;
  int threads = 0;  // LibTorch intra-op threads; 0 = every core
  // Best-model selection (P1: a held-out synthetic set), evaluated every `eval_every_epochs`.
  const PoseSet* validation = nullptr;
  AngleLimits validation_filter = NoFilter();
  int eval_every_epochs = 1;
  // "Precise BN": before every validation and before the model files are written, re-estimate
  // every BatchNorm's running statistics as the plain average over this many training batches
  // (no gradient; weights unchanged). 0 = off (the thesis's runs). Short runs need it: Keras's
  // BN momentum 0.99 leaves the running statistics far from the trained weights' after a few
  // hundred steps, and the eval-mode network then outputs a near-constant pose.
  int precise_bn_batches = 0;
  int checkpoint_every_epochs = 1;
  int64_t stop_after_steps = 0;  // > 0: return after this many steps of this call (tests)
  bool show_progress = true;
  std::string label = "train";
  std::map<std::string, std::string> metadata;  // copied into the model files
  // Data-parallel training (core/nn/distributed.h): each rank trains on its ShardRange of every
  // batch (batch_size is the global batch); rank 0 writes the run folder and model files.
  std::shared_ptr<core::nn::ProcessGroup> process_group;
};

// P1's synthetic-only recipe: the defaults above plus Gaussian pixel noise of sigma 0.02
// (~5/255 on the [0, 1] input). P1 names the augmentation but prints no sigma (digest ch3 §7.9):
// 0.02 is our choice, not a thesis value, and is written into the model files' metadata.
TrainOptions SyntheticOnlyOptions();

struct TrainReport {
  bool finished = false;
  int64_t steps = 0;
  int64_t steps_per_epoch = 0;
  double last_loss = 0.0;
  double seconds = 0.0;  // training time over all calls
  std::optional<PoseMae> best_validation;
  int64_t best_step = -1;
  std::optional<PoseMae> last_validation;
  std::filesystem::path model_file;       // set when finished
  std::filesystem::path best_model_file;  // set when a validation set was given
};

// Re-estimates the running statistics of every BatchNorm in `model` from `batches` batches of
// `set` (a seeded random subset; cumulative average, not momentum), in training mode without
// gradient; restores the momentum and the training flag. Throws core::Error for an empty set.
void PreciseBatchNorm(core::nn::Model& model, const PoseSet& set, const InputSpec& spec,
                      int batches, int batch_size, uint64_t seed);

// Trains `model` (FSA-Net or 6DRepNet-style; not the fusion, whose members train separately) on
// `train` in place. Throws core::Error for an empty set or a batch larger than the set.
TrainReport TrainSupervised(const std::shared_ptr<core::nn::Model>& model, const PoseSet& train,
                            const TrainOptions& options);

struct FineTuneOptions {
  TrainOptions train;        // defaults below are the authors' fine-tune run
  size_t num_images = 1000;  // labelled target images used (0 = all)
  uint64_t subset_seed = 0;
  FineTuneOptions() {
    train.epochs = 50;
    train.lr_step_epochs = 0;
  }
};

struct FineTuneReport {
  TrainReport train;
  std::vector<size_t> used;  // indices into the target set (exclude them from its test split)
};

// Loads `pretrained_model_file`, then trains it on `num_images` samples of `target`.
FineTuneReport FineTune(const std::filesystem::path& pretrained_model_file, const PoseSet& target,
                        const FineTuneOptions& options);

struct AdversarialOptions {
  std::filesystem::path run_dir;
  TrainOptions source_training;  // step 1 (run_dir/label ignored); paper: 70 epochs
  // When set, step 1 is not trained: this model file (inference.h) is loaded into `model` as the
  // source model instead (a cached synthetic-only model shared with other experiments). Split 1 is
  // then still left out of the step-2 pool, whatever data that model was trained on.
  std::filesystem::path step1_model_file;
  size_t split1_count = 0;        // source samples in split 1; 0 = half
  bool drop_last_source = true;   // the authors' poseData[50000:-1]
  NearestSourceOptions sampling;  // step 2
  int adaptation_epochs = 30;     // step 3
  int batch_size = 8;
  double lr = 1e-4;
  double dann_gamma = 10.0;
  AdversarialLossWeights weights;
  uint64_t seed = 0;
  int threads = 0;
  int checkpoint_every_epochs = 1;
  const PoseSet* validation = nullptr;  // evaluated after every epoch of step 3 (reporting only)
  AngleLimits validation_filter = NoFilter();
  int64_t stop_after_steps = 0;  // step 3 only (tests)
  bool show_progress = true;
};

struct AdversarialReport {
  TrainReport step1;
  std::vector<size_t> split2;          // source indices of split 2
  std::vector<size_t> sampled_source;  // per target image: index into the source set
  TrainReport step3;                   // model_file = the adapted model
};

// `model` must be an FSA-Net (the discriminator reads its primary capsules). Source samples are
// labelled; target samples' labels are never read.
AdversarialReport TrainAdversarial(const std::shared_ptr<FsaNet>& model, const PoseSet& source,
                                   const PoseSet& target, const AdversarialOptions& options);

}  // namespace synface::hpe
