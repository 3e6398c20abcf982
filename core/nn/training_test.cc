// Checkpoints, runtime helpers and the training loop, ending with the "Done means" check: a run
// killed mid-way (SIGKILL in a forked child) and resumed ends bit-identical to an uninterrupted
// run, and its CSV logs hold each step exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <sstream>
#include <string>

#include "core/nn/checkpoint.h"
#include "core/nn/layers.h"
#include "core/nn/runtime.h"
#include "core/nn/schedule.h"
#include "core/nn/state_dict.h"
#include "core/nn/trainer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace {
namespace fs = std::filesystem;

fs::path FreshDir(const std::string& name) {
  const char* env = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(env ? env : "/tmp") / "core_nn_training_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void ExpectSameState(const torch::nn::Module& a, const torch::nn::Module& b) {
  const StateDict sa = GetStateDict(a), sb = GetStateDict(b);
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& item : sa) {
    ASSERT_TRUE(sb.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(item.value(), sb[item.key()])) << item.key();
  }
}

// ---- Runtime -----------------------------------------------------------------------------------

TEST(Runtime, RngStreamsAndStates) {
  std::mt19937_64 a = MakeRng(5, 0), b = MakeRng(5, 0), c = MakeRng(5, 1), d = MakeRng(6, 0);
  const uint64_t first = a();
  EXPECT_EQ(first, b());
  EXPECT_NE(first, c());
  EXPECT_NE(first, d());
  a.discard(10);
  std::mt19937_64 restored;
  DeserializeRng(SerializeRng(a), restored);
  EXPECT_EQ(a(), restored());
  EXPECT_THROW(DeserializeRng("not a state", restored), Error);

  SeedEverything(11);
  const torch::Tensor state = GetTorchRngState();
  const torch::Tensor x = torch::rand({4});
  SetTorchRngState(state);
  EXPECT_TRUE(torch::equal(x, torch::rand({4})));
  SeedEverything(11);
  EXPECT_TRUE(torch::equal(x, torch::rand({4})));

  EXPECT_EQ(SetThreads(1), 1);
  EXPECT_GE(SetThreads(0), 1);
  SetThreads(1);
  EXPECT_THROW(SetThreads(-1), Error);
}

TEST(Runtime, EpochPermutation) {
  const auto p0 = EpochPermutation(3, 0, 50), p1 = EpochPermutation(3, 1, 50);
  EXPECT_EQ(p0, EpochPermutation(3, 0, 50));
  EXPECT_NE(p0, p1);
  EXPECT_EQ(std::set<int64_t>(p0.begin(), p0.end()).size(), 50u);
  EXPECT_EQ(*std::max_element(p0.begin(), p0.end()), 49);
  EXPECT_TRUE(EpochPermutation(3, 0, 0).empty());
}

// ---- Checkpoints -------------------------------------------------------------------------------

struct TinyNet : torch::nn::Module {
  TinyNet() {
    conv = register_module("conv", Conv2d(Conv2dOptions(1, 4, 3).padding(1)));
    bn = register_module("bn", BatchNorm2d(4));
    drop = register_module("drop", Dropout(0.2));
    head = register_module("head", Linear(4, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = drop(torch::relu(bn(conv(x))));
    return head(torch::adaptive_avg_pool2d(h, {1, 1}).flatten(1));
  }
  Conv2d conv{nullptr};
  BatchNorm2d bn{nullptr};
  Dropout drop{nullptr};
  Linear head{nullptr};
};

TEST(Checkpoint, RestoresModulesOptimizersAndRngs) {
  SeedEverything(1);
  auto net = std::make_shared<TinyNet>();
  auto lin = std::make_shared<LinearImpl>(3, 2);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
  torch::optim::SGD sgd(lin->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::mt19937_64 rng = MakeRng(9);
  auto train_step = [&] {
    adam.zero_grad();
    sgd.zero_grad();
    torch::Tensor loss = net->forward(torch::randn({2, 1, 4, 4})).pow(2).mean() +
                         lin->forward(torch::randn({2, 3})).pow(2).mean();
    loss.backward();
    adam.step();
    sgd.step();
  };
  for (int i = 0; i < 3; ++i) train_step();
  rng.discard(5);

  CheckpointParts parts;
  parts.AddModule("net", *net);
  parts.AddModule("lin", *lin);
  parts.AddOptimizer("adam", adam);
  parts.AddOptimizer("sgd", sgd);
  parts.AddRng("loop", rng);
  CheckpointState state;
  state.step = 3;
  state.epoch = 1;
  state.elapsed_seconds = 1.5;
  state.metadata["config"] = "a=1";
  state.base_lrs["adam"] = {1e-2};
  const fs::path dir = FreshDir("checkpoint");
  SaveCheckpoint(CheckpointPath(dir, 3), parts, state);

  // The reference continues for two steps.
  const uint64_t next_loop_value = rng();
  train_step();
  train_step();
  const StateDict after_net = GetStateDict(*net), after_lin = GetStateDict(*lin);

  // A fresh set of objects restored from the checkpoint continues identically.
  SeedEverything(99);
  auto net2 = std::make_shared<TinyNet>();
  auto lin2 = std::make_shared<LinearImpl>(3, 2);
  torch::optim::Adam adam2(net2->parameters(), torch::optim::AdamOptions(1e-2));
  torch::optim::SGD sgd2(lin2->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::mt19937_64 rng2;
  CheckpointParts parts2;
  parts2.AddModule("net", *net2);
  parts2.AddModule("lin", *lin2);
  parts2.AddOptimizer("adam", adam2);
  parts2.AddOptimizer("sgd", sgd2);
  parts2.AddRng("loop", rng2);
  const CheckpointState loaded = LoadCheckpoint(*LatestCheckpoint(dir), parts2);
  EXPECT_EQ(loaded.step, 3);
  EXPECT_EQ(loaded.epoch, 1);
  EXPECT_DOUBLE_EQ(loaded.elapsed_seconds, 1.5);
  EXPECT_EQ(loaded.metadata.at("config"), "a=1");
  EXPECT_EQ(loaded.base_lrs.at("adam"), std::vector<double>{1e-2});
  EXPECT_EQ(rng2(), next_loop_value);
  // Adam step counts and SGD momentum buffers came back.
  const auto& adam_state = adam2.state();
  ASSERT_EQ(adam_state.size(), net2->parameters().size());
  for (const auto& [key, value] : adam_state) {
    EXPECT_EQ(static_cast<torch::optim::AdamParamState&>(*value).step(), 3);
  }
  for (const auto& [key, value] : sgd2.state()) {
    EXPECT_TRUE(static_cast<torch::optim::SGDParamState&>(*value).momentum_buffer().defined());
  }
  auto train_step2 = [&] {
    adam2.zero_grad();
    sgd2.zero_grad();
    torch::Tensor loss = net2->forward(torch::randn({2, 1, 4, 4})).pow(2).mean() +
                         lin2->forward(torch::randn({2, 3})).pow(2).mean();
    loss.backward();
    adam2.step();
    sgd2.step();
  };
  train_step2();
  train_step2();
  for (const auto& item : after_net) {
    EXPECT_TRUE(torch::equal(item.value(), GetStateDict(*net2)[item.key()])) << item.key();
  }
  ExpectSameState(*lin, *lin2);

  // One module only, e.g. for evaluation.
  auto lin3 = std::make_shared<LinearImpl>(3, 2);
  LoadModuleFromCheckpoint(CheckpointPath(dir, 3), "lin", *lin3);
  EXPECT_FALSE(torch::equal(lin3->weight, lin->weight));  // lin trained two more steps
}

TEST(Checkpoint, ErrorsNameWhatIsWrong) {
  const fs::path dir = FreshDir("checkpoint_errors");
  auto lin = std::make_shared<LinearImpl>(3, 2);
  CheckpointParts parts;
  parts.AddModule("lin", *lin);
  SaveCheckpoint(CheckpointPath(dir, 5), parts, {});

  auto wrong = std::make_shared<LinearImpl>(4, 2);
  CheckpointParts wrong_parts;
  wrong_parts.AddModule("lin", *wrong);
  try {
    LoadCheckpoint(CheckpointPath(dir, 5), wrong_parts);
    FAIL() << "shape mismatch not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("module 'lin': weight: checkpoint has shape (2, 3), the "
                                         "model (2, 4)"),
              std::string::npos)
        << e.what();
  }
  CheckpointParts other;
  other.AddModule("model", *lin);
  try {
    LoadCheckpoint(CheckpointPath(dir, 5), other);
    FAIL() << "missing module not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no modules 'model' in the checkpoint (it has: lin)"),
              std::string::npos)
        << e.what();
  }
  WriteFileAtomic(dir / "ckpt-000000009.pt", "garbage");
  EXPECT_THROW(LoadCheckpoint(*LatestCheckpoint(dir), parts), Error);
  EXPECT_THROW(parts.AddModule("bad.name", *lin), Error);

  SaveCheckpoint(CheckpointPath(dir, 7), parts, {});
  SaveCheckpoint(CheckpointPath(dir, 12), parts, {});
  EXPECT_EQ(ListCheckpointSteps(dir), (std::vector<int64_t>{5, 7, 9, 12}));
  PruneCheckpoints(dir, 2);
  EXPECT_EQ(ListCheckpointSteps(dir), (std::vector<int64_t>{9, 12}));
  EXPECT_EQ(LatestCheckpoint(dir)->filename(), "ckpt-000000012.pt");
}

// ---- Trainer -----------------------------------------------------------------------------------

// One training setup, rebuilt from scratch for every run exactly as a fresh process would.
struct Setup {
  std::shared_ptr<TinyNet> net;
  std::shared_ptr<LinearImpl> lin;
  std::shared_ptr<torch::optim::Adam> adam;
  std::shared_ptr<torch::optim::SGD> sgd;
  torch::Tensor x, y;
  std::unique_ptr<Trainer> trainer;
};

constexpr int64_t kSamples = 64, kBatch = 8, kSteps = 40;

std::unique_ptr<Setup> BuildSetup(const fs::path& run_dir, int64_t stop_after = 0,
                                  int64_t kill_at_step = -1) {
  SetThreads(1);
  SeedEverything(7);
  auto s = std::make_unique<Setup>();
  s->net = std::make_shared<TinyNet>();
  s->lin = std::make_shared<LinearImpl>(16, 1);
  s->adam =
      std::make_shared<torch::optim::Adam>(s->net->parameters(), torch::optim::AdamOptions(1e-2));
  s->sgd = std::make_shared<torch::optim::SGD>(
      s->lin->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-4));
  auto gen = at::detail::createCPUGenerator(123);
  s->x = torch::randn({kSamples, 1, 4, 4}, gen);
  s->y = s->x.sum({1, 2, 3}).unsqueeze(1) * 0.25;

  TrainerOptions o;
  o.run_dir = run_dir;
  o.total_steps = kSteps;
  o.steps_per_epoch = kSamples / kBatch;
  o.checkpoint_every = 10;
  o.eval_every = 10;
  o.keep_checkpoints = 2;
  o.seed = 42;
  o.stop_after_steps = stop_after;
  o.show_progress = false;
  s->trainer = std::make_unique<Trainer>(o);
  s->trainer->AddModule("net", s->net);
  s->trainer->AddModule("lin", s->lin);
  ScheduleOptions cosine;
  cosine.kind = ScheduleKind::kCosine;
  cosine.total_steps = kSteps;
  cosine.warmup_steps = 5;
  ScheduleOptions poly;
  poly.kind = ScheduleKind::kPoly;
  poly.total_steps = kSteps;
  s->trainer->AddOptimizer("adam", s->adam, LrSchedule(cosine));
  s->trainer->AddOptimizer("sgd", s->sgd, LrSchedule(poly));
  Setup* raw = s.get();
  s->trainer->SetStep([raw, kill_at_step](StepContext& ctx) {
    if (ctx.step == kill_at_step) ::kill(::getpid(), SIGKILL);  // dies mid-run, no cleanup
    const auto order = EpochPermutation(5, ctx.epoch, kSamples);
    const torch::Tensor index =
        torch::tensor(std::vector<int64_t>(order.begin() + ctx.step_in_epoch * kBatch,
                                           order.begin() + (ctx.step_in_epoch + 1) * kBatch));
    // Loop randomness (noise level) and torch randomness (noise, dropout) both in play.
    const double noise = std::uniform_real_distribution<double>(0.0, 0.1)(*ctx.rng);
    torch::Tensor xb = raw->x.index_select(0, index);
    xb = xb + noise * torch::randn_like(xb);
    const torch::Tensor yb = raw->y.index_select(0, index);
    torch::Tensor loss = torch::mse_loss(raw->net->forward(xb), yb) +
                         torch::mse_loss(raw->lin->forward(xb.flatten(1)), yb);
    return StepOutput{loss, {{"noise", noise}}};
  });
  s->trainer->SetEval([raw](const StepContext&) {
    const double val = torch::mse_loss(raw->net->forward(raw->x), raw->y).item<double>();
    return Metrics{{"val_mse", val}};
  });
  return s;
}

// Adam (exp_avg, exp_avg_sq, step) and SGD (momentum buffer) state in parameter order.
std::vector<torch::Tensor> OptimizerTensors(torch::optim::Adam& adam, torch::optim::SGD& sgd) {
  std::vector<torch::Tensor> out;
  for (auto& p : adam.param_groups()[0].params()) {
    auto& st = static_cast<torch::optim::AdamParamState&>(
        *adam.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
    out.push_back(st.exp_avg());
    out.push_back(st.exp_avg_sq());
    out.push_back(torch::tensor(st.step()));
  }
  for (auto& p : sgd.param_groups()[0].params()) {
    auto& st = static_cast<torch::optim::SGDParamState&>(
        *sgd.state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
    out.push_back(st.momentum_buffer());
  }
  return out;
}

// CSV rows without the timing column (the only one that may differ between runs).
std::vector<std::string> RowsWithoutElapsed(const fs::path& csv) {
  std::vector<std::string> rows;
  std::istringstream in(ReadFile(csv));
  std::string line;
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

TEST(Trainer, KilledAndResumedRunEqualsUninterruptedRun) {
  // Reference: one uninterrupted run.
  const fs::path ref_dir = FreshDir("uninterrupted");
  auto ref = BuildSetup(ref_dir);
  const TrainResult ref_result = ref->trainer->Run();
  ASSERT_TRUE(ref_result.finished);
  EXPECT_EQ(ref_result.steps_done, kSteps);
  EXPECT_EQ(ListCheckpointSteps(ref_dir / "checkpoints"), (std::vector<int64_t>{30, 40}));
  EXPECT_TRUE(fs::exists(ref_dir / "weights_net.pt"));
  EXPECT_LT(ref_result.last_eval.at(0).second, 10.0);

  // A child process trains in a second folder and is SIGKILLed during step 25 (after the
  // checkpoint at step 20 and 5 more logged steps).
  const fs::path run_dir = FreshDir("killed");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = BuildSetup(run_dir, 0, /*kill_at_step=*/25);
    s->trainer->Run();
    ::_exit(3);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(ListCheckpointSteps(run_dir / "checkpoints"), (std::vector<int64_t>{10, 20}));
  EXPECT_EQ(RowsWithoutElapsed(run_dir / "train_log.csv").size(), 1u + 25u);  // header + 25 rows

  // Start again: resumes at 20 and finishes.
  auto resumed = BuildSetup(run_dir);
  const TrainResult result = resumed->trainer->Run();
  EXPECT_EQ(result.start_step, 20);
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.last_loss, ref_result.last_loss);
  ExpectSameState(*ref->net, *resumed->net);
  ExpectSameState(*ref->lin, *resumed->lin);
  // Optimizer state too (Adam moments and step counts; SGD momentum buffers).
  const auto ref_state = OptimizerTensors(*ref->adam, *ref->sgd);
  const auto resumed_state = OptimizerTensors(*resumed->adam, *resumed->sgd);
  ASSERT_EQ(ref_state.size(), resumed_state.size());
  for (size_t i = 0; i < ref_state.size(); ++i) {
    EXPECT_TRUE(torch::equal(ref_state[i], resumed_state[i])) << i;
  }

  // Logs: every step exactly once, identical to the reference apart from timing.
  const auto ref_rows = RowsWithoutElapsed(ref_dir / "train_log.csv");
  const auto rows = RowsWithoutElapsed(run_dir / "train_log.csv");
  EXPECT_EQ(ref_rows.size(), 1u + kSteps);
  EXPECT_EQ(rows, ref_rows);
  EXPECT_EQ(ref_rows[0], "step,epoch,lr,loss,noise");
  EXPECT_EQ(ReadFile(run_dir / "eval_log.csv"), ReadFile(ref_dir / "eval_log.csv"));
  EXPECT_EQ(std::count(ref_rows.begin(), ref_rows.end(), ref_rows.back()), 1);

  // Final weights files are the same state dicts.
  auto a = std::make_shared<TinyNet>(), b = std::make_shared<TinyNet>();
  LoadStateDict(*a, ref_dir / "weights_net.pt");
  LoadStateDict(*b, run_dir / "weights_net.pt");
  ExpectSameState(*a, *b);

  // The same through stop_after_steps (the in-process interruption), stopping between
  // checkpoints at step 13, then resuming from 10.
  const fs::path stop_dir = FreshDir("stopped");
  auto first = BuildSetup(stop_dir, /*stop_after=*/13);
  const TrainResult partial = first->trainer->Run();
  EXPECT_FALSE(partial.finished);
  EXPECT_EQ(partial.steps_done, 13);
  auto second = BuildSetup(stop_dir);
  EXPECT_EQ(second->trainer->Run().start_step, 10);
  ExpectSameState(*ref->net, *second->net);
  ExpectSameState(*ref->lin, *second->lin);
  EXPECT_EQ(RowsWithoutElapsed(stop_dir / "train_log.csv"), ref_rows);

  // A finished run started again does nothing more.
  auto again = BuildSetup(run_dir);
  const TrainResult noop = again->trainer->Run();
  EXPECT_EQ(noop.start_step, kSteps);
  EXPECT_TRUE(noop.finished);
  ExpectSameState(*ref->net, *again->net);
}

TEST(Trainer, SchedulesDriveTheLearningRate) {
  const fs::path dir = FreshDir("schedule");
  SeedEverything(3);
  auto lin = std::make_shared<LinearImpl>(2, 1);
  auto sgd = std::make_shared<torch::optim::SGD>(lin->parameters(), torch::optim::SGDOptions(0.1));
  TrainerOptions o;
  o.run_dir = dir;
  o.total_steps = 6;
  o.steps_per_epoch = 2;
  o.schedule_per_epoch = true;
  o.show_progress = true;  // exercise the progress line once
  o.label = "schedule-test";
  Trainer trainer(o);
  trainer.AddModule("model", lin);
  ScheduleOptions step;
  step.kind = ScheduleKind::kStep;
  step.step_size = 1;
  step.gamma = 0.5;
  trainer.AddOptimizer("sgd", sgd, LrSchedule(step));
  std::vector<double> lrs;
  trainer.SetStep([&](StepContext& ctx) {
    lrs.push_back(ctx.lr);
    return StepOutput{lin->forward(torch::ones({1, 2})).pow(2).sum(), {}};
  });
  trainer.Run();
  EXPECT_EQ(lrs, (std::vector<double>{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}));
  EXPECT_TRUE(fs::exists(dir / "weights.pt"));
  EXPECT_FALSE(fs::exists(dir / "eval_log.csv"));
  // The curves picture: one panel per logged column but epoch/elapsed (lr, loss).
  ASSERT_TRUE(fs::exists(dir / "curves.png"));
  EXPECT_EQ(cv::imread((dir / "curves.png").string()).rows, 34 + 2 * 240);

  // Bad configurations fail before any work.
  TrainerOptions bad = o;
  bad.total_steps = 0;
  EXPECT_THROW(Trainer{bad}, Error);
  bad = o;
  bad.resume = false;  // the folder has checkpoints now
  Trainer fresh(bad);
  fresh.AddModule("model", lin);
  fresh.AddOptimizer("sgd", sgd);
  fresh.SetStep([&](StepContext&) {
    return StepOutput{lin->forward(torch::ones({1, 2})).sum(), {}};
  });
  EXPECT_THROW(fresh.Run(), Error);

  // A non-finite loss stops with an error.
  Trainer nan_run([&] {
    TrainerOptions n = o;
    n.run_dir = FreshDir("nan");
    return n;
  }());
  nan_run.AddModule("model", lin);
  nan_run.AddOptimizer("sgd", sgd);
  nan_run.SetStep([&](StepContext&) {
    return StepOutput{lin->forward(torch::ones({1, 2})).sum() * std::nan(""), {}};
  });
  EXPECT_THROW(nan_run.Run(), Error);
}

}  // namespace
}  // namespace synface::core::nn
