// Speed of the portrait-depth models on this CPU: FaceDepth and U-Net-simple inference at
// 640x480, batch 1, on 1 and 2 threads, and training throughput (one Adam step on the hybrid loss,
// batch 2) — frames/s beside MAC/s. The thesis calls FaceDepth real-time at 16.41 GMac (P5 Table 2)
// without any timing; this measures it.
//
//   bazel run -c opt //depth:depth_benchmark -- --benchmark_out=depth.json
//       --benchmark_out_format=json --benchmark_repetitions=5
//   SYNFACE_DEPTH_BENCHMARK_TINY=1 shrinks every input to 64x48 (the short test's mode).
// MACs are core/nn's conv + linear count for the very input benchmarked (complexity.h).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>
#include <string>

#include "core/nn/complexity.h"
#include "depth/losses.h"
#include "depth/models.h"

namespace synface::depth {
namespace {

bool Tiny() {
  const char* v = std::getenv("SYNFACE_DEPTH_BENCHMARK_TINY");
  return v != nullptr && std::string(v) == "1";
}

const char* const kModels[] = {"facedepth", "unet_simple"};

struct Setup {
  std::shared_ptr<DepthModel> model;
  int64_t macs = 0;  // per image, conv + linear
};

Setup Make(const std::string& name, int64_t h, int64_t w) {
  torch::manual_seed(0);
  Setup s;
  s.model = CreateDepthModel(name);
  s.macs = core::nn::MeasureComplexity(*s.model, {1, 3, h, w}).macs_conv_linear;
  return s;
}

void BM_DepthInference(benchmark::State& state) {
  const std::string name = kModels[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const int64_t h = Tiny() ? 48 : 480, w = Tiny() ? 64 : 640;
  torch::set_num_threads(threads);
  Setup s = Make(name, h, w);
  s.model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::rand({1, 3, h, w});
  s.model->forward(input);  // warm-up: oneDNN primitive caches
  for (auto _ : state) benchmark::DoNotOptimize(s.model->forward(input));
  state.SetLabel(name + " " + std::to_string(w) + "x" + std::to_string(h));
  state.counters["threads"] = threads;
  state.counters["GMAC_per_frame"] = static_cast<double>(s.macs) / 1e9;
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GMAC_per_s"] = benchmark::Counter(
      static_cast<double>(s.macs) / 1e9 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DepthInference)
    ->ArgNames({"model", "threads"})
    ->Args({0, 1})
    ->Args({0, 2})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// One optimizer step: forward, hybrid loss (as coded, as the authors trained), backward, Adam.
// FaceDepth at the thesis's 640x480; U-Net-simple at 320x240 (a 640x480 step needs ~4 GB).
void BM_DepthTrainStep(benchmark::State& state) {
  const std::string name = kModels[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const bool unet = name == "unet_simple";
  const int64_t h = Tiny() ? 48 : (unet ? 240 : 480), w = Tiny() ? 64 : (unet ? 320 : 640);
  const int64_t batch = 2;
  torch::set_num_threads(threads);
  Setup s = Make(name, h, w);
  s.model->train();
  torch::optim::Adam adam(s.model->parameters(), torch::optim::AdamOptions(1e-4));
  const torch::Tensor input = torch::rand({batch, 3, h, w});
  const int64_t st = s.model->output_stride();
  const torch::Tensor target = 1.0 + 4.0 * torch::rand({batch, 1, h / st, w / st});
  HybridLossOptions loss;
  loss.variant = HybridVariant::kAsCoded;
  auto step = [&] {
    adam.zero_grad();
    torch::Tensor l = HybridLoss(s.model->forward(input), target, loss).total;
    l.backward();
    adam.step();
    return l;
  };
  step();  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.SetLabel(name + " " + std::to_string(w) + "x" + std::to_string(h) + " batch 2");
  state.counters["threads"] = threads;
  state.counters["samples_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  // Forward MACs only (backward costs about twice as much again).
  state.counters["forward_GMAC_per_s"] = benchmark::Counter(
      static_cast<double>(s.macs) / 1e9 * batch * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DepthTrainStep)
    ->ArgNames({"model", "threads"})
    ->Args({0, 2})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace synface::depth

BENCHMARK_MAIN();
