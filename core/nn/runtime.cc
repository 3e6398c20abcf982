#include "core/nn/runtime.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/util/error.h"

namespace synface::core::nn {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void SeedEverything(uint64_t seed) {
  at::manual_seed(seed);  // CPU generator, and every CUDA generator when CUDA is present
  std::srand(static_cast<unsigned>(seed));
}

std::mt19937_64 MakeRng(uint64_t seed, uint64_t stream) {
  const uint64_t a = SplitMix64(seed);
  const uint64_t b = SplitMix64(a ^ SplitMix64(stream + 0x632be59bd9b4e019ULL));
  std::seed_seq seq{static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32),
                    static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32)};
  return std::mt19937_64(seq);
}

int SetThreads(int n) {
  if (n < 0) throw MakeError("SetThreads: thread count must be >= 0, got {}", n);
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return at::get_num_threads();
}

void SetDeterministic(bool on) {
  at::globalContext().setDeterministicAlgorithms(on, /*warn_only=*/true);
}

at::Tensor GetTorchRngState() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void SetTorchRngState(const at::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

std::string SerializeRng(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

void DeserializeRng(const std::string& text, std::mt19937_64& rng) {
  std::istringstream in(text);
  std::mt19937_64 restored;
  in >> restored;
  if (in.fail()) throw MakeError("random-number state is corrupt ({} characters)", text.size());
  rng = restored;
}

}  // namespace synface::core::nn
