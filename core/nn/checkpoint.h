// Training checkpoints: everything a run needs to continue bit-identically after a kill, written
// atomically (temporary file + rename) in LibTorch's torch::save archive format:
//   modules     parameters and buffers (BatchNorm statistics and counters included)
//   optimizers  per-parameter state (Adam moments and step counts, SGD momentum buffers, ...)
//   schedule    base learning rate of every parameter group (schedules are pure functions of the
//               step, schedule.h) and the schedule's description
//   rng         torch's default CPU generator and any named std::mt19937_64 of the loop
//   progress    step, epoch, accumulated training time, and a string metadata map
// Model weights for use elsewhere go to state-dict files instead (state_dict.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace synface::core::nn {

struct CheckpointState {
  int64_t step = 0;  // optimizer steps completed
  int64_t epoch = 0;
  double elapsed_seconds = 0.0;
  std::map<std::string, std::string> metadata;
  // Per optimizer name: base learning rate of each parameter group.
  std::map<std::string, std::vector<double>> base_lrs;
};

// What a checkpoint covers. Names: letters, digits, underscores. The objects are referenced,
// not owned; they must outlive Save/Load calls.
class CheckpointParts {
 public:
  void AddModule(const std::string& name, torch::nn::Module& module);
  void AddOptimizer(const std::string& name, torch::optim::Optimizer& optimizer);
  void AddRng(const std::string& name, std::mt19937_64& rng);
  // Off only for callers that manage torch's generator themselves.
  bool include_torch_rng = true;

  const std::vector<std::pair<std::string, torch::nn::Module*>>& modules() const {
    return modules_;
  }
  const std::vector<std::pair<std::string, torch::optim::Optimizer*>>& optimizers() const {
    return optimizers_;
  }
  const std::vector<std::pair<std::string, std::mt19937_64*>>& rngs() const { return rngs_; }

 private:
  std::vector<std::pair<std::string, torch::nn::Module*>> modules_;
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers_;
  std::vector<std::pair<std::string, std::mt19937_64*>> rngs_;
};

void SaveCheckpoint(const std::filesystem::path& path, const CheckpointParts& parts,
                    const CheckpointState& state);

// Restores every part in place (module tensors keep their identity, so optimizers built on them
// stay valid) and returns the saved state. Throws core::Error when the file is unreadable or
// lacks a part (listing what it has).
CheckpointState LoadCheckpoint(const std::filesystem::path& path, const CheckpointParts& parts);

// Only one module's weights, e.g. to evaluate or export a trained model.
void LoadModuleFromCheckpoint(const std::filesystem::path& path, const std::string& name,
                              torch::nn::Module& module);

// Checkpoints of a run live in one folder as ckpt-<step, 9 digits>.pt.
std::filesystem::path CheckpointPath(const std::filesystem::path& dir, int64_t step);
// Steps of the checkpoints in `dir`, ascending (temporary files are ignored).
std::vector<int64_t> ListCheckpointSteps(const std::filesystem::path& dir);
std::optional<std::filesystem::path> LatestCheckpoint(const std::filesystem::path& dir);
// Deletes all but the newest `keep` (>= 1) checkpoints.
void PruneCheckpoints(const std::filesystem::path& dir, int keep);

}  // namespace synface::core::nn
