#include "core/nn/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "core/nn/checkpoint.h"
#include "core/nn/csv_log.h"
#include "core/nn/distributed.h"
#include "core/nn/runtime.h"
#include "core/nn/state_dict.h"
#include "core/plot/plot.h"
#include "core/util/error.h"
#include "core/util/progress.h"

namespace synface::core::nn {
namespace fs = std::filesystem;

namespace {

CheckpointParts PartsOf(
    const std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>& modules,
    const std::vector<std::pair<std::string, torch::optim::Optimizer*>>& optimizers,
    std::mt19937_64& rng) {
  CheckpointParts parts;
  for (const auto& [name, module] : modules) parts.AddModule(name, *module);
  for (const auto& [name, optimizer] : optimizers) parts.AddOptimizer(name, *optimizer);
  parts.AddRng("loop", rng);
  return parts;
}

// curves.png beside the logs: the train log's columns (loss, lr, step scalars) and the eval log's
// metrics against the step. A picture is a convenience: a failure is reported, not fatal, since
// the weights are already written.
void PlotCurves(const fs::path& run_dir, const std::string& label) {
  try {
    plot::Figure figure;
    figure.title = label + ": " + run_dir.filename().string();
    figure.panels = plot::PanelsFromCsvLog(run_dir / "train_log.csv", {"epoch", "elapsed_s"});
    if (fs::exists(run_dir / "eval_log.csv")) {
      for (auto& panel : plot::PanelsFromCsvLog(run_dir / "eval_log.csv", {"epoch"})) {
        panel.title = "eval: " + panel.title;
        figure.panels.push_back(std::move(panel));
      }
    }
    figure.panel_height = 240;
    plot::WriteFigure(run_dir / "curves.png", figure);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: training curves not drawn: {}\n", label, e.what());
  }
}

}  // namespace

Trainer::Trainer(TrainerOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  if (o.run_dir.empty()) throw MakeError("Trainer: run_dir is required");
  if (o.total_steps <= 0) throw MakeError("Trainer: total_steps must be > 0");
  if (o.steps_per_epoch < 0 || o.log_every < 0 || o.eval_every < 0 || o.checkpoint_every < 0 ||
      o.stop_after_steps < 0) {
    throw MakeError("Trainer: step counts must be >= 0");
  }
  if (o.keep_checkpoints < 1) throw MakeError("Trainer: keep_checkpoints must be >= 1");
  if (o.schedule_per_epoch && o.steps_per_epoch == 0) {
    throw MakeError("Trainer: schedule_per_epoch needs steps_per_epoch");
  }
  rng_ = MakeRng(o.seed, /*stream=*/0x7472616e);
}

void Trainer::AddModule(const std::string& name, std::shared_ptr<torch::nn::Module> module) {
  if (!module) throw MakeError("Trainer::AddModule('{}'): null module", name);
  modules_.emplace_back(name, std::move(module));
}

void Trainer::AddOptimizer(const std::string& name,
                           std::shared_ptr<torch::optim::Optimizer> optimizer,
                           std::optional<LrSchedule> schedule) {
  if (!optimizer) throw MakeError("Trainer::AddOptimizer('{}'): null optimizer", name);
  // Base rates are taken now, before any schedule has scaled the groups.
  std::vector<double> base_lrs;
  for (auto& group : optimizer->param_groups()) base_lrs.push_back(group.options().get_lr());
  optimizers_.push_back({name, std::move(optimizer), std::move(schedule), std::move(base_lrs)});
}

void Trainer::SetStep(StepFn step, bool manual_optimization) {
  step_ = std::move(step);
  manual_ = manual_optimization;
}

void Trainer::SetEval(EvalFn eval) { eval_ = std::move(eval); }

void Trainer::SetMetadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

void Trainer::ApplySchedules(int64_t step, int64_t epoch) {
  const int64_t at = options_.schedule_per_epoch ? epoch : step;
  for (auto& entry : optimizers_) {
    if (!entry.schedule) continue;
    const double factor = entry.schedule->Factor(at);
    auto& groups = entry.optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      groups[g].options().set_lr(entry.base_lrs[g] * factor);
    }
  }
}

void Trainer::SaveState(int64_t step, int64_t epoch, double elapsed) {
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers;
  for (auto& e : optimizers_) optimizers.emplace_back(e.name, e.optimizer.get());
  CheckpointState state;
  state.step = step;
  state.epoch = epoch;
  state.elapsed_seconds = elapsed;
  state.metadata = metadata_;
  for (auto& e : optimizers_) {
    state.base_lrs[e.name] = e.base_lrs;
    if (e.schedule) state.metadata["schedule." + e.name] = e.schedule->Describe();
  }
  ProcessGroup* group = options_.process_group.get();
  if (group == nullptr || group->is_root()) {
    SaveCheckpoint(CheckpointPath(checkpoint_dir(), step), PartsOf(modules_, optimizers, rng_),
                   state);
    PruneCheckpoints(checkpoint_dir(), options_.keep_checkpoints);
  }
  // No rank runs ahead of a checkpoint that is not yet on disk.
  if (group != nullptr) group->Barrier();
}

TrainResult Trainer::Run() {
  const auto& o = options_;
  if (!step_) throw MakeError("Trainer: no step function (SetStep)");
  if (modules_.empty()) throw MakeError("Trainer: no module to train (AddModule)");
  if (!manual_ && optimizers_.empty()) {
    throw MakeError("Trainer: no optimizer (AddOptimizer), and the step is not manual");
  }
  fs::create_directories(checkpoint_dir());

  TrainResult result;
  double elapsed = 0.0;

  // Resume: everything from the newest checkpoint; logs cut back to its step.
  int64_t start = 0;
  const auto latest = LatestCheckpoint(checkpoint_dir());
  if (latest && !o.resume) {
    throw MakeError("{}: holds checkpoints but resume is off; use another run folder",
                    o.run_dir.string());
  }
  if (latest) {
    std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers;
    for (auto& e : optimizers_) optimizers.emplace_back(e.name, e.optimizer.get());
    const CheckpointState state = LoadCheckpoint(*latest, PartsOf(modules_, optimizers, rng_));
    start = state.step;
    elapsed = state.elapsed_seconds;
    for (auto& e : optimizers_) {
      auto it = state.base_lrs.find(e.name);
      if (it == state.base_lrs.end() || it->second.size() != e.base_lrs.size()) {
        throw MakeError("{}: no base learning rates for optimizer '{}' with {} groups",
                        latest->string(), e.name, e.base_lrs.size());
      }
      e.base_lrs = it->second;
    }
    result.last_checkpoint = *latest;
  }
  result.start_step = start;
  result.steps_done = start;

  ProcessGroup* group = o.process_group.get();
  const bool root = group == nullptr || group->is_root();
  if (group != nullptr) {
    if (group->AllReduceMean(static_cast<double>(start)) != static_cast<double>(start)) {
      throw MakeError(
          "{}: rank {} would resume from step {} but other ranks from another step; run_dir "
          "must be one folder that every rank sees",
          o.run_dir.string(), group->rank(), start);
    }
    for (auto& [name, module] : modules_) group->BroadcastModule(*module);
  }

  std::optional<CsvLog> train_log;
  std::optional<CsvLog> eval_log;
  if (root) {
    train_log.emplace(o.run_dir / "train_log.csv", latest ? start : -1);
    if (eval_) eval_log.emplace(o.run_dir / "eval_log.csv", latest ? start : -1);
  }

  std::optional<Progress> progress;
  if (o.show_progress && root) {
    progress.emplace(o.label, o.total_steps, "steps");
    progress->Update(start);
  }
  auto set_training = [&](bool on) {
    for (auto& [name, module] : modules_) module->train(on);
  };

  StepContext ctx;
  ctx.rng = &rng_;
  ctx.process_group = group;
  ctx.rank = group != nullptr ? group->rank() : 0;
  ctx.world_size = group != nullptr ? group->world_size() : 1;
  int64_t steps_this_call = 0;
  for (int64_t step = start; step < o.total_steps; ++step) {
    if (o.stop_after_steps > 0 && steps_this_call == o.stop_after_steps) {
      result.elapsed_seconds = elapsed;
      return result;  // as if killed: nothing more written
    }
    const auto t0 = std::chrono::steady_clock::now();
    ctx.step = step;
    ctx.epoch = o.steps_per_epoch > 0 ? step / o.steps_per_epoch : 0;
    ctx.step_in_epoch = o.steps_per_epoch > 0 ? step % o.steps_per_epoch : step;
    ApplySchedules(step, ctx.epoch);
    ctx.lr =
        optimizers_.empty() ? 0.0 : optimizers_[0].optimizer->param_groups()[0].options().get_lr();
    set_training(true);
    if (!manual_) {
      for (auto& e : optimizers_) e.optimizer->zero_grad();
    }
    StepOutput out = step_(ctx);
    if (!out.loss.defined() || out.loss.numel() != 1) {
      throw MakeError("{}: step {}: the step function must return a scalar loss", o.label, step);
    }
    if (!manual_) {
      if (!out.loss.requires_grad()) {
        throw MakeError("{}: step {}: the loss does not require grad (nothing to optimise)",
                        o.label, step);
      }
      out.loss.backward();
      if (group != nullptr) {
        for (auto& [name, module] : modules_) group->AllReduceGradients(*module);
      }
      for (auto& e : optimizers_) {
        if (o.grad_clip_norm > 0.0) {
          std::vector<torch::Tensor> params;
          for (auto& group : e.optimizer->param_groups()) {
            for (auto& p : group.params()) params.push_back(p);
          }
          torch::nn::utils::clip_grad_norm_(params, o.grad_clip_norm);
        }
        e.optimizer->step();
      }
    }
    if (group != nullptr) {
      for (auto& [name, module] : modules_) group->BroadcastBuffers(*module);
    }
    const double loss =
        group != nullptr ? group->AllReduceMean(out.loss.item<double>()) : out.loss.item<double>();
    if (!std::isfinite(loss)) {
      throw MakeError("{}: step {}: loss is {}; stopping (the newest checkpoint is intact)",
                      o.label, step, loss);
    }
    elapsed += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++steps_this_call;
    const int64_t done = step + 1;
    const bool last = done == o.total_steps;
    result.steps_done = done;
    result.last_loss = loss;

    if (o.log_every > 0 && (done % o.log_every == 0 || last)) {
      CsvLog::Row row{{"epoch", static_cast<double>(ctx.epoch)}, {"lr", ctx.lr}, {"loss", loss}};
      row.insert(row.end(), out.scalars.begin(), out.scalars.end());
      row.emplace_back("elapsed_s", elapsed);
      if (train_log) train_log->Append(done, row);
    }
    if (progress) progress->Update(done, fmt::format("loss {:.4g}  lr {:.3g}", loss, ctx.lr));

    if (eval_ && ((o.eval_every > 0 && done % o.eval_every == 0) || last)) {
      set_training(false);
      {
        torch::NoGradGuard no_grad;
        result.last_eval = eval_(ctx);
      }
      set_training(true);
      CsvLog::Row row{{"epoch", static_cast<double>(ctx.epoch)}};
      row.insert(row.end(), result.last_eval.begin(), result.last_eval.end());
      if (eval_log) eval_log->Append(done, row);
    }
    if ((o.checkpoint_every > 0 && done % o.checkpoint_every == 0) || last) {
      SaveState(done, ctx.epoch, elapsed);
      result.last_checkpoint = CheckpointPath(checkpoint_dir(), done);
    }
  }

  result.finished = true;
  result.elapsed_seconds = elapsed;
  if (o.save_final_weights && root) {
    for (const auto& [name, module] : modules_) {
      const std::string file = modules_.size() == 1 ? "weights.pt" : "weights_" + name + ".pt";
      SaveStateDict(*module, o.run_dir / file);
    }
  }
  if (root && o.plot_curves) PlotCurves(o.run_dir, o.label);
  if (group != nullptr) group->Barrier();  // every rank returns with the weights on disk
  if (progress) progress->Finish(fmt::format("loss {:.4g}", result.last_loss));
  return result;
}

std::vector<int64_t> EpochPermutation(uint64_t seed, int64_t epoch, int64_t n) {
  if (n < 0) throw MakeError("EpochPermutation: n must be >= 0");
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng = MakeRng(seed, static_cast<uint64_t>(epoch));
  // Fisher-Yates with an explicit modulo draw: std::uniform_int_distribution is not specified
  // identically across standard libraries, and the order must be reproducible everywhere.
  for (int64_t i = n - 1; i > 0; --i) {
    const uint64_t bound = static_cast<uint64_t>(i) + 1;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do {
      r = rng();
    } while (r >= limit);
    std::swap(order[i], order[r % bound]);
  }
  return order;
}

}  // namespace synface::core::nn
