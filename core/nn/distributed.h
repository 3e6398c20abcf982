// Data-parallel training across processes (and machines) over LibTorch's own c10d layer: a Gloo
// process group on CPU. Every rank holds a full model replica; the trainer broadcasts rank 0's
// parameters at a fresh start, averages gradients over all ranks after every backward pass
// (one flat all-reduce), and re-broadcasts buffers (BatchNorm statistics) from rank 0 after each
// step, as PyTorch's DistributedDataParallel does by default. The step function trains on its
// rank's part of the global batch (ShardRange), so W ranks with batch B/W each make the same
// update as one process with batch B.
//
// Rendezvous: a file on a shared filesystem (FileStore; also what the tests use over loopback)
// or a TCP store at MASTER_ADDR:MASTER_PORT (torchrun's variables), e.g. in a Slurm job step:
//   RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS MASTER_ADDR=<first node> MASTER_PORT=29500 <cmd>
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace synface::core::nn {

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  // Rendezvous through this file when set (every rank names the same path on a shared
  // filesystem; it must not hold a previous run's store), else through a TCP store.
  std::filesystem::path store_file;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Address the Gloo transport binds to: this host's name or an interface address reachable by
  // the other ranks.
  std::string hostname = "127.0.0.1";
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// Reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (torchrun's names), SYNFACE_STORE_FILE and
// SYNFACE_GLOO_HOSTNAME. nullopt when WORLD_SIZE is unset or 1; one clear error naming the
// variable when a value is malformed or out of range.
std::optional<DistributedOptions> DistributedOptionsFromEnv();

class ProcessGroup {
 public:
  // Joins the group; blocks until all world_size ranks have joined (or the timeout passes).
  explicit ProcessGroup(const DistributedOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool is_root() const { return rank_ == 0; }

  void Barrier();
  // Copies root's values into `tensors` on every rank (in place; same shapes on all ranks).
  void Broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Replaces each tensor by its mean over the ranks (in place), in one flat all-reduce.
  void AllReduceMean(const std::vector<torch::Tensor>& tensors);
  double AllReduceMean(double value);

  // Parameters and buffers of `module` from root (a fresh start must begin from one replica).
  void BroadcastModule(torch::nn::Module& module, int root = 0);
  // Buffers only (BatchNorm running statistics): after a step, so replicas stay identical.
  void BroadcastBuffers(torch::nn::Module& module, int root = 0);
  // Averages the gradients of every parameter that has one. A parameter without a gradient on
  // this rank takes part with zeros, so ranks whose graphs differ still agree on the layout.
  void AllReduceGradients(torch::nn::Module& module);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
};

// Rank `rank`'s contiguous part [begin, end) of n items split over `world_size` ranks: sizes
// differ by at most one and the parts tile [0, n) in rank order.
std::pair<int64_t, int64_t> ShardRange(int64_t n, int rank, int world_size);

}  // namespace synface::core::nn
