// A generic, resumable training loop. The caller owns the models, optimizers and data; the loop
// owns the step counter, learning-rate schedules, logging, evaluation cadence and checkpoints:
//
//   Trainer trainer(options);                       // options.run_dir, total_steps, ...
//   trainer.AddModule("model", model);
//   trainer.AddOptimizer("opt", optimizer, LrSchedule(poly));
//   trainer.SetStep([&](StepContext& ctx) {         // one optimizer step's worth of work
//     Batch b = data.Batch(ctx.epoch, ctx.step_in_epoch, ctx.rng);
//     return StepOutput{loss_fn(model->forward(b.x), b.y), {{"nme", ...}}};
//   });
//   trainer.SetEval([&](const StepContext& ctx) { return Metrics{{"val_nme", Evaluate()}}; });
//   TrainResult r = trainer.Run();                  // resumes from run_dir/checkpoints if any
//
// Run folder: checkpoints/ckpt-<step>.pt (checkpoint.h), train_log.csv (step, epoch, lr, loss,
// the step's scalars, elapsed_s), eval_log.csv (step, epoch, metrics), weights[_<module>].pt
// (state dicts after the last step), curves.png (the logs drawn against the step). A run killed at
// any point and started again with the same code and options continues from its newest checkpoint
// and ends bit-identical to a run that was never interrupted, provided the step function draws
// randomness only from ctx.rng and torch's default generator, and data order depends only on the
// step/epoch (see EpochPermutation).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/nn/schedule.h"

namespace synface::core::nn {

class ProcessGroup;  // core/nn/distributed.h

using Metrics = std::vector<std::pair<std::string, double>>;

struct TrainerOptions {
  std::filesystem::path run_dir;
  int64_t total_steps = 0;          // optimizer steps in the whole run
  int64_t steps_per_epoch = 0;      // for epoch numbering and per-epoch schedules; 0 = no epochs
  int64_t log_every = 1;            // train_log.csv row every N steps (and after the last)
  int64_t eval_every = 0;           // steps between evaluations; 0 = after the last step only
  int64_t checkpoint_every = 0;     // steps between checkpoints; 0 = after the last step only
  int keep_checkpoints = 2;         // newest checkpoints kept
  bool resume = true;               // false: the run folder must hold no checkpoint
  bool schedule_per_epoch = false;  // schedules see the epoch index instead of the step
  double grad_clip_norm = 0.0;      // > 0: clip the global gradient norm per optimizer
  uint64_t seed = 0;                // seeds ctx.rng on a fresh start (checkpoints carry it after)
  // > 0: return after this many steps in this call, as if killed there (nothing more is written).
  // For tests and time-boxed jobs; the next Run() resumes from the newest checkpoint.
  int64_t stop_after_steps = 0;
  bool save_final_weights = true;
  bool plot_curves = true;  // curves.png (train/eval logs against the step) after the last step
  bool show_progress = true;
  std::string label = "train";
  // Data-parallel training (core/nn/distributed.h): every rank runs the same loop on its part of
  // the data; gradients are averaged over the ranks after backward (the step function does it
  // itself when the step is manual, through ctx.process_group), rank 0's parameters start every
  // replica, and only rank 0 writes logs, checkpoints and weights. run_dir must be on a
  // filesystem all ranks see, so that a resume starts every rank from the same checkpoint.
  std::shared_ptr<ProcessGroup> process_group;
};

struct StepContext {
  int64_t step = 0;  // 0-based index of the step being made
  int64_t epoch = 0;
  int64_t step_in_epoch = 0;       // = step when there are no epochs
  double lr = 0.0;                 // first optimizer's first group, after the schedule
  std::mt19937_64* rng = nullptr;  // the loop's checkpointed generator (same on every rank)
  int rank = 0;                    // this process's rank and the number of ranks: a step trains
  int world_size = 1;              // on ShardRange(batch, rank, world_size) of its global batch
  ProcessGroup* process_group = nullptr;  // null when not distributed
};

struct StepOutput {
  // Scalar loss. Unless the step is manual (SetStep(fn, true)) the trainer zeroes gradients
  // before the call, then runs loss.backward(), clipping and every optimizer's step().
  torch::Tensor loss;
  Metrics scalars;  // extra train_log.csv columns (same keys every step)
};

using StepFn = std::function<StepOutput(StepContext&)>;
using EvalFn = std::function<Metrics(const StepContext&)>;

struct TrainResult {
  int64_t start_step = 0;  // where this call began (> 0 after a resume)
  int64_t steps_done = 0;  // total steps completed so far
  bool finished = false;   // steps_done == total_steps
  double last_loss = 0.0;
  Metrics last_eval;
  std::filesystem::path last_checkpoint;
  double elapsed_seconds = 0.0;  // training time over all calls, evaluation excluded
};

class Trainer {
 public:
  explicit Trainer(TrainerOptions options);

  void AddModule(const std::string& name, std::shared_ptr<torch::nn::Module> module);
  // Base learning rates are the groups' rates now, before any schedule (restored on resume).
  void AddOptimizer(const std::string& name, std::shared_ptr<torch::optim::Optimizer> optimizer,
                    std::optional<LrSchedule> schedule = std::nullopt);
  void SetStep(StepFn step, bool manual_optimization = false);
  void SetEval(EvalFn eval);
  void SetMetadata(const std::string& key, const std::string& value);

  std::mt19937_64& rng() { return rng_; }
  const TrainerOptions& options() const { return options_; }
  std::filesystem::path checkpoint_dir() const { return options_.run_dir / "checkpoints"; }

  TrainResult Run();

 private:
  struct OptimizerEntry {
    std::string name;
    std::shared_ptr<torch::optim::Optimizer> optimizer;
    std::optional<LrSchedule> schedule;
    std::vector<double> base_lrs;
  };
  void ApplySchedules(int64_t step, int64_t epoch);
  void SaveState(int64_t step, int64_t epoch, double elapsed);

  TrainerOptions options_;
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> modules_;
  std::vector<OptimizerEntry> optimizers_;
  StepFn step_;
  bool manual_ = false;
  EvalFn eval_;
  std::map<std::string, std::string> metadata_;
  std::mt19937_64 rng_;
};

// A deterministic shuffle of 0..n-1 for `epoch` (Fisher-Yates over MakeRng(seed, epoch)): data
// order as a pure function of the epoch, so resuming mid-epoch needs no loader state.
std::vector<int64_t> EpochPermutation(uint64_t seed, int64_t epoch, int64_t n);

}  // namespace synface::core::nn
