// Process-wide LibTorch settings: seeding, intra-op threads, and the random-number state a
// checkpoint must carry for a resumed run to repeat an uninterrupted one exactly.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>
#include <string>

namespace synface::core::nn {

// Seeds torch's default CPU generator (weight init, dropout, torch::rand*), the CUDA generators
// when CUDA is present, and std::rand.
void SeedEverything(uint64_t seed);

// An independent std::mt19937_64 per (seed, stream), via SplitMix64 so nearby seeds and streams
// give unrelated sequences. For loop-level randomness (augmentation, sampling).
std::mt19937_64 MakeRng(uint64_t seed, uint64_t stream = 0);

// at::set_num_threads (= torch::set_num_threads); n = 0 means every core
// (std::thread::hardware_concurrency). Returns the number now in effect. LibTorch's default on this
// project's machines is 1.
int SetThreads(int n);

// Prefer deterministic kernels (at::Context::setDeterministicAlgorithms, warn-only).
void SetDeterministic(bool on);

// The default CPU generator's full state (a uint8 tensor) and its restoration.
at::Tensor GetTorchRngState();
void SetTorchRngState(const at::Tensor& state);

// std::mt19937_64 state as text (the standard's stream format) and back.
std::string SerializeRng(const std::mt19937_64& rng);
void DeserializeRng(const std::string& text, std::mt19937_64& rng);

}  // namespace synface::core::nn
