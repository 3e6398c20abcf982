#include "core/nn/distributed.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/nn/state_dict.h"
#include "core/nn/trainer.h"
#include "core/util/error.h"

extern char** environ;

namespace synface::core::nn {
namespace {
namespace fs = std::filesystem;

constexpr int64_t kGlobalBatch = 8;
constexpr int64_t kSteps = 6;

struct Net : torch::nn::Module {
  Net() {
    fc1 = register_module("fc1", torch::nn::Linear(4, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::tanh(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

// The global batch of a step: a pure function of the step, identical on every rank.
std::pair<torch::Tensor, torch::Tensor> GlobalBatch(int64_t step) {
  auto gen = at::detail::createCPUGenerator(1000 + step);
  torch::Tensor x = at::randn({kGlobalBatch, 4}, gen);
  torch::Tensor y = (x.sum(1, true) * 0.5).sin();
  return {x, y};
}

// Trains Net for kSteps with Adam; each rank sees ShardRange of the global batch. Returns the
// final parameters (rank 0's run folder holds the checkpoints and weights).
void Train(const fs::path& run_dir, std::shared_ptr<ProcessGroup> group, int64_t stop_after) {
  torch::manual_seed(group && !group->is_root() ? 99 : 7);  // rank 0's init must win
  auto net = std::make_shared<Net>();
  auto adam =
      std::make_shared<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(0.05));
  TrainerOptions o;
  o.run_dir = run_dir;
  o.total_steps = kSteps;
  o.checkpoint_every = 1;
  o.show_progress = false;
  o.process_group = group;
  o.stop_after_steps = stop_after;
  Trainer trainer(o);
  trainer.AddModule("net", net);
  trainer.AddOptimizer("adam", adam);
  trainer.SetStep([&](StepContext& ctx) {
    auto [x, y] = GlobalBatch(ctx.step);
    const auto [begin, end] = ShardRange(kGlobalBatch, ctx.rank, ctx.world_size);
    x = x.slice(0, begin, end);
    y = y.slice(0, begin, end);
    return StepOutput{torch::mse_loss(net->forward(x), y), {}};
  });
  trainer.Run();
}

// Worker mode: the test binary re-executed with RANK / WORLD_SIZE set (a fresh process per rank,
// as a launcher would start them).
TEST(DistributedWorker, TrainsItsShard) {
  const auto options = DistributedOptionsFromEnv();
  if (!options) GTEST_SKIP() << "not started as a rank";
  const fs::path run_dir = std::getenv("SYNFACE_TEST_RUN_DIR");
  const int64_t stop_after = std::atoll(std::getenv("SYNFACE_TEST_STOP_AFTER"));
  auto group = std::make_shared<ProcessGroup>(*options);
  Train(run_dir, group, stop_after);
  // Every replica ends identical: compare this rank's weights with rank 0's via the group.
  auto probe = std::make_shared<Net>();
  if (stop_after == 0) {
    LoadStateDict(*probe, run_dir / "weights.pt");
    std::vector<torch::Tensor> mine;
    for (auto& p : probe->parameters()) mine.push_back(p.detach().clone());
    std::vector<torch::Tensor> roots;
    for (auto& t : mine) roots.push_back(t.clone());
    group->Broadcast(roots);
    for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(torch::equal(mine[i], roots[i]));
  }
}

// Runs the worker test as `world` processes and waits for them; returns their exit codes.
std::vector<int> RunRanks(int world, const fs::path& store, const fs::path& run_dir,
                          int64_t stop_after) {
  std::vector<pid_t> pids;
  for (int rank = 0; rank < world; ++rank) {
    std::vector<std::string> env_strings = {
        "RANK=" + std::to_string(rank),
        "WORLD_SIZE=" + std::to_string(world),
        "SYNFACE_STORE_FILE=" + store.string(),
        "SYNFACE_TEST_RUN_DIR=" + run_dir.string(),
        "SYNFACE_TEST_STOP_AFTER=" + std::to_string(stop_after),
        "OMP_NUM_THREADS=1",
    };
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv = *e;
      // The ranks must not write the parent's test report files.
      if (kv.rfind("GTEST_", 0) == 0 || kv.rfind("XML_OUTPUT_FILE=", 0) == 0 ||
          kv.rfind("TEST_PREMATURE_EXIT_FILE=", 0) == 0) {
        continue;
      }
      env_strings.push_back(kv);
    }
    std::vector<char*> env;
    for (auto& s : env_strings) env.push_back(s.data());
    env.push_back(nullptr);
    std::string self = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=DistributedWorker.TrainsItsShard";
    char* argv[] = {self.data(), filter.data(), nullptr};
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, self.c_str(), nullptr, nullptr, argv, env.data()), 0);
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

std::vector<torch::Tensor> Weights(const fs::path& file) {
  Net net;
  LoadStateDict(net, file);
  std::vector<torch::Tensor> w;
  for (auto& p : net.parameters()) w.push_back(p.detach().clone());
  return w;
}

void ExpectClose(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-5, 1e-6))
        << "parameter " << i << " differs by " << (a[i] - b[i]).abs().max().item<double>();
  }
}

TEST(Distributed, TwoRanksMakeTheSameUpdatesAsOneProcessOnTheWholeBatch) {
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  torch::set_num_threads(1);
  Train(tmp / "single", nullptr, 0);
  const auto single = Weights(tmp / "single" / "weights.pt");

  const auto codes = RunRanks(2, tmp / "store_a", tmp / "ddp", 0);
  EXPECT_EQ(codes, (std::vector<int>{0, 0}));
  ASSERT_TRUE(fs::exists(tmp / "ddp" / "weights.pt"));
  ExpectClose(Weights(tmp / "ddp" / "weights.pt"), single);
  // The first step moved the weights: the comparison is not between two untouched inits.
  ASSERT_TRUE(fs::exists(tmp / "ddp" / "train_log.csv"));
}

TEST(Distributed, AKilledRunResumesOnEveryRankFromRootsCheckpoint) {
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  torch::set_num_threads(1);
  Train(tmp / "single_r", nullptr, 0);
  const auto single = Weights(tmp / "single_r" / "weights.pt");

  EXPECT_EQ(RunRanks(2, tmp / "store_b", tmp / "ddp_r", 3), (std::vector<int>{0, 0}));
  EXPECT_FALSE(fs::exists(tmp / "ddp_r" / "weights.pt"));
  EXPECT_EQ(RunRanks(2, tmp / "store_c", tmp / "ddp_r", 0), (std::vector<int>{0, 0}));
  ExpectClose(Weights(tmp / "ddp_r" / "weights.pt"), single);
}

TEST(Distributed, ShardRangeTilesTheBatchInRankOrder) {
  for (int64_t n : {0, 1, 7, 8, 9}) {
    for (int world : {1, 2, 3, 5}) {
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        const auto [b, e] = ShardRange(n, r, world);
        EXPECT_EQ(b, next);
        EXPECT_LE(e - b, n / world + 1);
        EXPECT_GE(e - b, n / world);
        next = e;
      }
      EXPECT_EQ(next, n);
    }
  }
  EXPECT_THROW(ShardRange(4, 2, 2), Error);
}

TEST(Distributed, EnvironmentIsCheckedWithTheVariableNamed) {
  unsetenv("WORLD_SIZE");
  EXPECT_FALSE(DistributedOptionsFromEnv().has_value());
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "two", 1);
  try {
    DistributedOptionsFromEnv();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RANK='two'"), std::string::npos) << e.what();
  }
  setenv("RANK", "2", 1);
  EXPECT_THROW(DistributedOptionsFromEnv(), Error);
  setenv("RANK", "1", 1);
  setenv("MASTER_PORT", "70000", 1);
  EXPECT_THROW(DistributedOptionsFromEnv(), Error);
  setenv("MASTER_PORT", "29511", 1);
  const auto o = DistributedOptionsFromEnv();
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->rank, 1);
  EXPECT_EQ(o->world_size, 2);
  EXPECT_EQ(o->master_port, 29511);
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  unsetenv("MASTER_PORT");
}

}  // namespace
}  // namespace synface::core::nn
