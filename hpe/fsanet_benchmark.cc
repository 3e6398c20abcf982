// FSA-Net speed on this machine's CPU (issue "hpe", item 10): inference at batch 1 on 1 thread and
// at batch 64 on 2 threads, training throughput (Adam step, L1 loss) at batch 16 on 2 threads, for
// the Keras original (separable convolutions, ~14.8 M MACs per face) and the authors' port (full
// convolutions, ~91.6 M MACs per face). Each benchmark reports faces/s and the model's MACs per
// face measured by core/nn's complexity counter.
//
//   bazel run -c opt //hpe:fsanet_benchmark -- --benchmark_out=fsanet.json
//   --benchmark_out_format=json tools/benchmark.sh runs it with every other benchmark.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "core/nn/complexity.h"
#include "core/nn/registry.h"
#include "hpe/inference.h"

namespace synface::hpe {
namespace {

const char* const kModels[] = {"fsanet_capsule_1x1", "fsanet_port_1x1", "fsanet_capsule_var"};

std::shared_ptr<core::nn::Model> Build(int which) {
  RegisterHpeModels();
  torch::manual_seed(0);
  return core::nn::CreateModel(kModels[which]);
}

void SetCounters(benchmark::State& state, core::nn::Model& model, int batch, int threads) {
  const core::nn::ComplexityReport c = core::nn::MeasureComplexity(model, {1, 3, 64, 64});
  state.SetLabel(model.architecture());
  state.counters["threads"] = threads;
  state.counters["batch"] = batch;
  state.counters["MMAC_per_face"] = c.macs_conv_linear / 1e6;
  state.counters["params"] = static_cast<double>(c.params);
  state.counters["faces_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * batch, benchmark::Counter::kIsRate);
  state.counters["ms_per_face"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * batch,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}

// Args: model index, batch, threads.
void BM_FsaNetInference(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1)),
            threads = static_cast<int>(state.range(2));
  torch::set_num_threads(threads);
  auto model = Build(which);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({batch, 3, 64, 64});
  for (int i = 0; i < 3; ++i) model->forward(x);  // warm-up (oneDNN primitive caches)
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(x));
  SetCounters(state, *model, batch, threads);
}

void BM_FsaNetTraining(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0)), batch = static_cast<int>(state.range(1)),
            threads = static_cast<int>(state.range(2));
  torch::set_num_threads(threads);
  auto model = Build(which);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4));
  const torch::Tensor x = torch::rand({batch, 3, 64, 64});
  const torch::Tensor y = torch::rand({batch, 3}) * 120 - 60;
  auto step = [&] {
    adam.zero_grad();
    torch::Tensor loss = torch::l1_loss(model->forward(x), y);
    loss.backward();
    adam.step();
    return loss;
  };
  for (int i = 0; i < 2; ++i) step();
  for (auto _ : state) benchmark::DoNotOptimize(step());
  SetCounters(state, *model, batch, threads);
}

void InferenceArgs(benchmark::internal::Benchmark* b) {
  for (int m = 0; m < 3; ++m) {
    b->Args({m, 1, 1});
    b->Args({m, 64, 2});
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

void TrainingArgs(benchmark::internal::Benchmark* b) {
  for (int m = 0; m < 2; ++m) b->Args({m, 16, 2});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_FsaNetInference)->Apply(InferenceArgs);
BENCHMARK(BM_FsaNetTraining)->Apply(TrainingArgs);

}  // namespace
}  // namespace synface::hpe

BENCHMARK_MAIN();
