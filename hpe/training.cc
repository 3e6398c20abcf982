#include "hpe/training.h"

#include <cmath>
#include <limits>

#include "core/nn/checkpoint.h"
#include "core/nn/layers.h"
#include "core/nn/runtime.h"
#include "core/nn/schedule.h"
#include "core/nn/trainer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::hpe {
namespace fs = std::filesystem;
namespace nn = core::nn;
using core::MakeError;

namespace {

// The best validation result so far, as buffers: the trainer checkpoints it with the model, so a
// resumed run knows the best of the evaluations before the kill exactly.
class BestTrackerImpl : public torch::nn::Module {
 public:
  BestTrackerImpl() {
    mae = register_buffer("mae", torch::full({4}, std::numeric_limits<double>::infinity(),
                                             torch::TensorOptions().dtype(torch::kDouble)));
    step =
        register_buffer("step", torch::full({1}, -1, torch::TensorOptions().dtype(torch::kLong)));
    count = register_buffer("count", torch::zeros({1}, torch::TensorOptions().dtype(torch::kLong)));
  }
  bool has_best() const { return step.item<int64_t>() >= 0; }
  PoseMae best() const {
    PoseMae m;
    m.mean = mae[0].item<double>();
    m.yaw = mae[1].item<double>();
    m.pitch = mae[2].item<double>();
    m.roll = mae[3].item<double>();
    m.count = static_cast<size_t>(count.item<int64_t>());
    return m;
  }
  // True when `m` improves on the best so far (strictly; the earliest of equal results wins).
  bool Offer(const PoseMae& m, int64_t at_step) {
    if (!(m.mean < mae[0].item<double>())) return false;
    torch::NoGradGuard no_grad;
    mae.copy_(torch::tensor({m.mean, m.yaw, m.pitch, m.roll}, torch::kDouble));
    step.fill_(at_step);
    count.fill_(static_cast<int64_t>(m.count));
    return true;
  }
  torch::Tensor mae, step, count;
};

int64_t StepsPerEpoch(size_t n, int batch, bool drop_last, const std::string& what) {
  if (batch <= 0) throw MakeError("{}: batch size must be > 0", what);
  if (n == 0) throw MakeError("{}: the training set is empty", what);
  const int64_t spe =
      drop_last ? static_cast<int64_t>(n / batch) : static_cast<int64_t>((n + batch - 1) / batch);
  if (spe == 0) {
    throw MakeError("{}: {} samples make no full batch of {} (drop_last)", what, n, batch);
  }
  return spe;
}

// Batch `step_in_epoch` of `epoch` under a per-epoch permutation; the permutation is cached.
class EpochBatches {
 public:
  EpochBatches(uint64_t seed, size_t n, int batch) : seed_(seed), n_(n), batch_(batch) {}
  std::vector<size_t> Get(int64_t epoch, int64_t step_in_epoch) {
    if (epoch != epoch_) {
      perm_ = nn::EpochPermutation(seed_, epoch, static_cast<int64_t>(n_));
      epoch_ = epoch;
    }
    std::vector<size_t> idx;
    const size_t begin = static_cast<size_t>(step_in_epoch) * batch_;
    for (size_t i = begin; i < std::min(n_, begin + batch_); ++i) idx.push_back(perm_[i]);
    return idx;
  }

 private:
  uint64_t seed_;
  size_t n_;
  size_t batch_;
  int64_t epoch_ = -1;
  std::vector<int64_t> perm_;
};

nn::Metrics MaeMetrics(const PoseMae& m) {
  return {{"val_mae", m.mean}, {"val_yaw", m.yaw}, {"val_pitch", m.pitch}, {"val_roll", m.roll}};
}

}  // namespace

void PreciseBatchNorm(nn::Model& model, const PoseSet& set, const InputSpec& spec, int batches,
                      int batch_size, uint64_t seed) {
  if (set.count() == 0) throw MakeError("precise BN: the set is empty");
  if (batches <= 0 || batch_size <= 0) throw MakeError("precise BN: batches and size must be > 0");
  // core/nn's BatchNorm2d (FSA-Net, core/nn backbones) and LibTorch's own (anything else).
  std::vector<std::pair<nn::BatchNorm2dImpl*, std::optional<double>>> ours;
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, c10::optional<double>>> bn2;
  std::vector<std::pair<torch::nn::BatchNorm1dImpl*, c10::optional<double>>> bn1;
  for (const auto& m : model.modules()) {
    if (auto* b = dynamic_cast<nn::BatchNorm2dImpl*>(m.get())) {
      if (!b->options.track_running_stats()) continue;
      ours.emplace_back(b, b->options.momentum());
      torch::NoGradGuard no_grad;
      b->running_mean.zero_();
      b->running_var.fill_(1.0);
      b->num_batches_tracked.zero_();
      b->options.momentum(std::nullopt);  // cumulative average over the batches below
    } else if (auto* t2 = dynamic_cast<torch::nn::BatchNorm2dImpl*>(m.get())) {
      bn2.emplace_back(t2, t2->options.momentum());
      t2->reset_running_stats();
      t2->options.momentum(c10::nullopt);
    } else if (auto* t1 = dynamic_cast<torch::nn::BatchNorm1dImpl*>(m.get())) {
      bn1.emplace_back(t1, t1->options.momentum());
      t1->reset_running_stats();
      t1->options.momentum(c10::nullopt);
    }
  }
  const bool was_training = model.is_training();
  model.train();
  {
    torch::NoGradGuard no_grad;
    InputSpec unit = spec;
    unit.imagenet_normalize = false;
    const std::vector<int64_t> perm =
        nn::EpochPermutation(seed, 0, static_cast<int64_t>(set.count()));
    size_t pos = 0;
    for (int b = 0; b < batches && pos < perm.size(); ++b) {
      std::vector<size_t> idx;
      for (; idx.size() < static_cast<size_t>(batch_size) && pos < perm.size(); ++pos) {
        idx.push_back(static_cast<size_t>(perm[pos]));
      }
      if (idx.size() < 2) break;  // BatchNorm needs two samples in training mode
      model.forward(NormalizeInput(BatchImages(set, idx, unit), spec));
    }
  }
  model.train(was_training);
  for (auto& [b, mom] : ours) b->options.momentum(mom);
  for (auto& [b, mom] : bn2) b->options.momentum(mom);
  for (auto& [b, mom] : bn1) b->options.momentum(mom);
}

TrainOptions SyntheticOnlyOptions() {
  TrainOptions o;
  o.noise_std = 0.02;
  o.label = "synthetic-only";
  o.metadata["strategy"] = "synthetic_only";
  o.metadata["noise_std"] = "0.02";
  return o;
}

TrainReport TrainSupervised(const std::shared_ptr<nn::Model>& model, const PoseSet& train,
                            const TrainOptions& o) {
  if (!model) throw MakeError("{}: no model", o.label);
  if (dynamic_cast<FsaNetFusion*>(model.get()) != nullptr) {
    throw MakeError(
        "{}: FSA-Caps-Fusion averages three separately trained models; train "
        "fsanet_capsule_1x1, _var and _nos one by one",
        o.label);
  }
  if (o.run_dir.empty()) throw MakeError("{}: run_dir is required", o.label);
  if (o.epochs <= 0) throw MakeError("{}: epochs must be > 0", o.label);
  const int64_t spe = StepsPerEpoch(train.count(), o.batch_size, o.drop_last, o.label);
  nn::SetThreads(o.threads);
  nn::SeedEverything(o.seed);  // the noise draws; a resumed run restores the generator instead
  const InputSpec spec = InputSpecFor(*model, o.input_size);
  InputSpec unit = spec;
  unit.imagenet_normalize = false;

  nn::TrainerOptions to;
  to.run_dir = o.run_dir;
  to.total_steps = spe * o.epochs;
  to.steps_per_epoch = spe;
  to.log_every = std::max<int64_t>(1, spe / 4);
  to.eval_every = o.validation ? spe * std::max(1, o.eval_every_epochs) : 0;
  to.checkpoint_every = spe * std::max(1, o.checkpoint_every_epochs);
  to.schedule_per_epoch = true;
  to.seed = o.seed;
  to.stop_after_steps = o.stop_after_steps;
  to.save_final_weights = false;
  to.show_progress = o.show_progress;
  to.label = o.label;
  to.process_group = o.process_group;
  const bool root = !o.process_group || o.process_group->is_root();
  nn::Trainer trainer(to);
  auto tracker = std::make_shared<BestTrackerImpl>();
  trainer.AddModule("model", model);
  trainer.AddModule("best", tracker);
  auto adam =
      std::make_shared<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(o.lr));
  std::optional<nn::LrSchedule> schedule;
  if (o.lr_step_epochs > 0) {
    nn::ScheduleOptions so;
    so.kind = nn::ScheduleKind::kStep;
    so.step_size = o.lr_step_epochs;
    so.gamma = o.lr_gamma;
    schedule = nn::LrSchedule(so);
  }
  trainer.AddOptimizer("adam", adam, schedule);
  trainer.SetMetadata("strategy", "supervised");
  trainer.SetMetadata("architecture", model->architecture());

  EpochBatches batches(o.seed, train.count(), o.batch_size);
  trainer.SetStep([&](nn::StepContext& ctx) {
    std::vector<size_t> idx = batches.Get(ctx.epoch, ctx.step_in_epoch);
    if (ctx.world_size > 1) {  // this rank's part of the global batch
      const auto [begin, end] =
          nn::ShardRange(static_cast<int64_t>(idx.size()), ctx.rank, ctx.world_size);
      idx = std::vector<size_t>(idx.begin() + begin, idx.begin() + end);
    }
    torch::Tensor x = BatchImages(train, idx, unit);
    if (o.noise_std > 0) x = (x + o.noise_std * torch::randn_like(x)).clamp(0.0, 1.0);
    const torch::Tensor out = model->forward(NormalizeInput(x, spec));
    return nn::StepOutput{PoseLoss(*model, out, BatchLabels(train, idx)), {}};
  });

  const fs::path best_file = o.run_dir / "best.ckpt";
  std::optional<PoseMae> last_validation;
  if (o.validation) {
    trainer.SetEval([&](const nn::StepContext& ctx) {
      if (o.precise_bn_batches > 0) {
        PreciseBatchNorm(*model, train, spec, o.precise_bn_batches, o.batch_size, o.seed + 7);
      }
      const PoseMae m = EvaluateFiltered(Predict(*model, *o.validation, spec), o.validation->labels,
                                         o.validation_filter);
      last_validation = m;
      if (tracker->Offer(m, ctx.step + 1) && root) {
        auto meta = o.metadata;
        meta["selected_at_step"] = std::to_string(ctx.step + 1);
        meta["validation_mae"] = fmt::format("{:.6f}", m.mean);
        SaveModelFile(best_file, *model, spec, meta);
      }
      return MaeMetrics(m);
    });
  }

  const nn::TrainResult r = trainer.Run();
  TrainReport report;
  report.finished = r.finished;
  report.steps = r.steps_done;
  report.steps_per_epoch = spe;
  report.last_loss = r.last_loss;
  report.seconds = r.elapsed_seconds;
  report.last_validation = last_validation;
  if (tracker->has_best()) {
    report.best_validation = tracker->best();
    report.best_step = tracker->step.item<int64_t>();
    report.best_model_file = best_file;
  }
  if (r.finished) {
    report.model_file = o.run_dir / "model.ckpt";
    if (o.precise_bn_batches > 0) {
      PreciseBatchNorm(*model, train, spec, o.precise_bn_batches, o.batch_size, o.seed + 7);
    }
    if (root) SaveModelFile(report.model_file, *model, spec, o.metadata);
  }
  return report;
}

FineTuneReport FineTune(const fs::path& pretrained_model_file, const PoseSet& target,
                        const FineTuneOptions& o) {
  ModelFile mf = LoadModelFile(pretrained_model_file);
  FineTuneReport report;
  if (o.num_images == 0 || o.num_images >= target.count()) {
    for (size_t i = 0; i < target.count(); ++i) report.used.push_back(i);
  } else {
    report.used = SampleIndices(target.count(), o.num_images, o.subset_seed);
  }
  TrainOptions t = o.train;
  t.input_size = mf.input.size;
  if (t.label == "train") t.label = "fine-tune";
  t.metadata["strategy"] = "fine_tune";
  t.metadata["pretrained"] = pretrained_model_file.string();
  t.metadata["fine_tune_images"] = std::to_string(report.used.size());
  report.train = TrainSupervised(mf.model, target.Subset(report.used), t);
  return report;
}

// ---- adversarial domain adaptation
// -----------------------------------------------------------------

namespace {

// step2_pairs.csv: target,source,pred_yaw,pred_pitch,pred_roll.
std::vector<size_t> ReadPairs(const fs::path& path, size_t targets, size_t sources) {
  const std::string text = core::ReadFile(path);
  std::vector<size_t> out;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (++line_no == 1 || line.empty()) continue;
    size_t t = 0, s = 0;
    if (std::sscanf(line.c_str(), "%zu,%zu", &t, &s) != 2 || t != out.size() || s >= sources) {
      throw MakeError("{}: line {}: bad pair '{}'", path.string(), line_no, line);
    }
    out.push_back(s);
  }
  if (out.size() != targets) {
    throw MakeError("{}: {} pairs for {} target images (delete it to sample again)", path.string(),
                    out.size(), targets);
  }
  return out;
}

}  // namespace

AdversarialReport TrainAdversarial(const std::shared_ptr<FsaNet>& model, const PoseSet& source,
                                   const PoseSet& target, const AdversarialOptions& o) {
  if (!model) throw MakeError("adversarial DA: no model");
  if (o.run_dir.empty()) throw MakeError("adversarial DA: run_dir is required");
  if (target.count() == 0) throw MakeError("adversarial DA: the target set is empty");
  AdversarialReport report;
  const size_t first = o.split1_count > 0 ? o.split1_count : source.count() / 2;
  const IndexSplit split = SplitSourceForAdaptation(source.count(), first, o.drop_last_source);
  report.split2 = split.second;
  const InputSpec spec = InputSpecFor(*model);

  // Step 1: the source model on split 1.
  if (!o.step1_model_file.empty()) {
    if (!fs::exists(o.step1_model_file)) {
      throw MakeError("adversarial DA: step1_model_file {} does not exist",
                      o.step1_model_file.string());
    }
    nn::LoadModuleFromCheckpoint(o.step1_model_file, "model", *model);
    report.step1.finished = true;
    report.step1.model_file = o.step1_model_file;
  } else {
    TrainOptions s1 = o.source_training;
    s1.run_dir = o.run_dir / "step1";
    s1.label = "DA step 1";
    s1.metadata["strategy"] = "adversarial_step1";
    report.step1 = TrainSupervised(model, source.Subset(split.first), s1);
    if (!report.step1.finished) return report;
    if (!report.step1.best_model_file.empty()) {  // P1: the best model on the held-out set
      nn::LoadModuleFromCheckpoint(report.step1.best_model_file, "model", *model);
    }
  }

  // Step 2: nearest source sample (split 2) for every target image's predicted pose.
  const fs::path pairs_file = o.run_dir / "step2_pairs.csv";
  if (fs::exists(pairs_file)) {
    report.sampled_source = ReadPairs(pairs_file, target.count(), source.count());
  } else {
    const std::vector<Eigen::Vector3d> predicted = Predict(*model, target, spec);
    std::vector<Eigen::Vector3d> pool;
    for (size_t i : split.second) pool.push_back(source.labels[i]);
    const std::vector<size_t> nearest = NearestSourceIndices(predicted, pool, o.sampling);
    std::string csv = "target,source,pred_yaw,pred_pitch,pred_roll\n";
    for (size_t t = 0; t < nearest.size(); ++t) {
      report.sampled_source.push_back(split.second[nearest[t]]);
      csv += fmt::format("{},{},{:.6f},{:.6f},{:.6f}\n", t, report.sampled_source.back(),
                         predicted[t][0], predicted[t][1], predicted[t][2]);
    }
    core::WriteFileAtomic(pairs_file, csv);
  }

  // Step 3: joint training with the gradient reversal layer.
  nn::SetThreads(o.threads);
  nn::SeedEverything(o.seed);
  const int64_t spe = StepsPerEpoch(target.count(), o.batch_size, true, "DA step 3");
  auto discriminator = std::make_shared<DomainClassifierImpl>(
      static_cast<int64_t>(model->options().num_primcaps()) * 64, 100);
  nn::TrainerOptions to;
  to.run_dir = o.run_dir / "step3";
  to.total_steps = spe * o.adaptation_epochs;
  to.steps_per_epoch = spe;
  to.log_every = std::max<int64_t>(1, spe / 4);
  to.eval_every = o.validation ? spe : 0;
  to.checkpoint_every = spe * std::max(1, o.checkpoint_every_epochs);
  to.seed = o.seed;
  to.stop_after_steps = o.stop_after_steps;
  to.save_final_weights = false;
  to.show_progress = o.show_progress;
  to.label = "DA step 3";
  if (to.total_steps <= 0) throw MakeError("DA step 3: adaptation_epochs must be > 0");
  nn::Trainer trainer(to);
  auto tracker = std::make_shared<BestTrackerImpl>();
  trainer.AddModule("model", model);
  trainer.AddModule("discriminator", discriminator);
  trainer.AddModule("best", tracker);
  std::vector<torch::Tensor> params = model->parameters();
  for (const auto& p : discriminator->parameters()) params.push_back(p);
  trainer.AddOptimizer(
      "adam", std::make_shared<torch::optim::Adam>(params, torch::optim::AdamOptions(o.lr)));
  trainer.SetMetadata("strategy", "adversarial_step3");

  EpochBatches batches(o.seed, target.count(), o.batch_size);
  const int64_t total = to.total_steps;
  trainer.SetStep([&](nn::StepContext& ctx) {
    const std::vector<size_t> t_idx = batches.Get(ctx.epoch, ctx.step_in_epoch);
    std::vector<size_t> s_idx;
    for (size_t t : t_idx) s_idx.push_back(report.sampled_source[t]);
    const double lambda =
        DannLambda(static_cast<double>(ctx.step) / static_cast<double>(total), o.dann_gamma);
    // Two forward passes (source, then target), as the authors' loop: BatchNorm statistics come
    // from single-domain batches.
    const FsaNetOutputs src = model->ForwardAll(BatchImages(source, s_idx, spec));
    const torch::Tensor src_domain =
        discriminator->forward(GradientReversal(src.primcaps.flatten(1), lambda));
    const FsaNetOutputs tgt = model->ForwardAll(BatchImages(target, t_idx, spec));
    const torch::Tensor tgt_domain =
        discriminator->forward(GradientReversal(tgt.primcaps.flatten(1), lambda));
    const AdversarialLoss l = ComputeAdversarialLoss(src.pose, BatchLabels(source, s_idx),
                                                     src_domain, tgt_domain, o.weights);
    return nn::StepOutput{l.total,
                          {{"pose_l1", l.pose_l1.item<double>()},
                           {"nll_source", l.source_nll.item<double>()},
                           {"nll_target", l.target_nll.item<double>()},
                           {"lambda", lambda}}};
  });
  std::optional<PoseMae> last_validation;
  const fs::path best_file = to.run_dir / "best.ckpt";
  if (o.validation) {
    trainer.SetEval([&](const nn::StepContext& ctx) {
      const PoseMae m = EvaluateFiltered(Predict(*model, *o.validation, spec), o.validation->labels,
                                         o.validation_filter);
      last_validation = m;
      if (tracker->Offer(m, ctx.step + 1)) SaveModelFile(best_file, *model, spec);
      return MaeMetrics(m);
    });
  }
  const nn::TrainResult r = trainer.Run();
  TrainReport& s3 = report.step3;
  s3.finished = r.finished;
  s3.steps = r.steps_done;
  s3.steps_per_epoch = spe;
  s3.last_loss = r.last_loss;
  s3.seconds = r.elapsed_seconds;
  s3.last_validation = last_validation;
  if (tracker->has_best()) {
    s3.best_validation = tracker->best();
    s3.best_step = tracker->step.item<int64_t>();
    s3.best_model_file = best_file;
  }
  if (r.finished) {
    s3.model_file = to.run_dir / "model.ckpt";
    SaveModelFile(s3.model_file, *model, spec, {{"strategy", "adversarial"}});
  }
  return report;
}

}  // namespace synface::hpe
