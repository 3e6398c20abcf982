// Gloo support in LibTorch's c10d headers is compiled in only with this macro; Debian's
// libtorch_cpu is built with it (the symbols are there) and libgloo-dev supplies gloo's headers.
#define USE_C10D_GLOO 1

#include "core/nn/distributed.h"

#include <cstdlib>
#include <string>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/util/error.h"

namespace synface::core::nn {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int EnvInt(const char* name, int min_value, int max_value) {
  const std::string text = *Env(name);
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < min_value || value > max_value) {
    throw MakeError("environment variable {}='{}': expected an integer in [{}, {}]", name, text,
                    min_value, max_value);
  }
  return static_cast<int>(value);
}

// Flattens `tensors` into one float64 buffer (exact for float32 values and integer counters
// below 2^53), so one collective moves them all; Unflatten copies the result back.
torch::Tensor Flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.detach().reshape({-1}).to(torch::kFloat64));
  return torch::cat(flat);
}

void Unflatten(const torch::Tensor& buffer, const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(buffer.narrow(0, offset, n).view(t.sizes()).to(t.scalar_type()));
    offset += n;
  }
}

}  // namespace

std::optional<DistributedOptions> DistributedOptionsFromEnv() {
  if (!Env("WORLD_SIZE")) return std::nullopt;
  DistributedOptions o;
  o.world_size = EnvInt("WORLD_SIZE", 1, 1 << 16);
  if (o.world_size == 1) return std::nullopt;
  if (!Env("RANK")) throw MakeError("environment variable RANK is required with WORLD_SIZE");
  o.rank = EnvInt("RANK", 0, o.world_size - 1);
  if (auto f = Env("SYNFACE_STORE_FILE")) o.store_file = *f;
  if (auto a = Env("MASTER_ADDR")) o.master_addr = *a;
  if (Env("MASTER_PORT")) o.master_port = EnvInt("MASTER_PORT", 1, 65535);
  if (auto h = Env("SYNFACE_GLOO_HOSTNAME")) o.hostname = *h;
  return o;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

ProcessGroup::ProcessGroup(const DistributedOptions& o)
    : impl_(std::make_unique<Impl>()), rank_(o.rank), world_size_(o.world_size) {
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size) {
    throw MakeError("ProcessGroup: rank {} is outside a world of size {}", o.rank, o.world_size);
  }
  try {
    if (!o.store_file.empty()) {
      impl_->store = c10::make_intrusive<c10d::FileStore>(o.store_file.string(), o.world_size);
    } else {
      c10d::TCPStoreOptions tcp;
      tcp.port = static_cast<uint16_t>(o.master_port);
      tcp.isServer = o.rank == 0;
      tcp.numWorkers = o.world_size;
      tcp.timeout = o.timeout;
      impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, tcp);
    }
    impl_->store->setTimeout(o.timeout);
    auto gloo = c10d::ProcessGroupGloo::Options::create();
    gloo->timeout = o.timeout;
    gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o.hostname));
    impl_->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o.rank, o.world_size, gloo);
  } catch (const std::exception& e) {
    throw MakeError("ProcessGroup: rank {} of {} could not join ({}): {}", o.rank, o.world_size,
                    o.store_file.empty()
                        ? "tcp store " + o.master_addr + ":" + std::to_string(o.master_port)
                        : "file store " + o.store_file.string(),
                    e.what());
  }
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::Barrier() { impl_->group->barrier()->wait(); }

void ProcessGroup::Broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  if (tensors.empty() || world_size_ == 1) return;
  std::vector<at::Tensor> buffer{Flatten(tensors)};
  c10d::BroadcastOptions options;
  options.rootRank = root;
  impl_->group->broadcast(buffer, options)->wait();
  Unflatten(buffer[0], tensors);
}

void ProcessGroup::AllReduceMean(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty() || world_size_ == 1) return;
  std::vector<at::Tensor> buffer{Flatten(tensors)};
  impl_->group->allreduce(buffer)->wait();
  buffer[0].div_(world_size_);
  Unflatten(buffer[0], tensors);
}

double ProcessGroup::AllReduceMean(double value) {
  torch::Tensor t = torch::full({1}, value, torch::kFloat64);
  AllReduceMean(std::vector<torch::Tensor>{t});
  return t.item<double>();
}

void ProcessGroup::BroadcastModule(torch::nn::Module& module, int root) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  Broadcast(tensors, root);
}

void ProcessGroup::BroadcastBuffers(torch::nn::Module& module, int root) {
  std::vector<torch::Tensor> tensors;
  for (const auto& b : module.buffers()) tensors.push_back(b);
  Broadcast(tensors, root);
}

void ProcessGroup::AllReduceGradients(torch::nn::Module& module) {
  std::vector<torch::Tensor> grads;
  for (auto& p : module.parameters()) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  AllReduceMean(grads);
}

std::pair<int64_t, int64_t> ShardRange(int64_t n, int rank, int world_size) {
  if (n < 0 || world_size < 1 || rank < 0 || rank >= world_size) {
    throw MakeError("ShardRange: n={} rank={} world_size={} is not a valid split", n, rank,
                    world_size);
  }
  const int64_t base = n / world_size, extra = n % world_size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace synface::core::nn
