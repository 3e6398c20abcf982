// Benchmarks of the shared core: EXR depth write/read per compression (640x480 float32 planar
// depth of a head-like surface) and MobileNetV2 forward at 256x256, batch 1, on 1 and 2 threads
// (the Table 5.3 landmark regressor: width 1.0 with the 520x3 = 1560-value head).
//
//   bazel run -c opt //benchmarks:core_benchmark -- --benchmark_out=core.json
//       --benchmark_out_format=json --benchmark_repetitions=5
//   tools/benchmark.sh runs every benchmark this way (--short: one quick repetition each).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <opencv2/core.hpp>

#include "core/io/exr.h"
#include "core/nn/registry.h"

namespace synface {
namespace {
namespace fs = std::filesystem;
using core::io::ExrCompression;

// A smooth head-sized bump at 0.3 m in front of a wall at 1.5 m, plus sensor-like noise: about what
// a rendered portrait depth map holds (compressors see real structure, not a constant).
cv::Mat PortraitDepth(int width, int height) {
  cv::Mat depth(height, width, CV_32FC1);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 2e-4f);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float u = (x - width / 2.f) / (0.22f * width), v = (y - height / 2.f) / (0.3f * height);
      const float r2 = u * u + v * v;
      depth.at<float>(y, x) = r2 < 1.f ? 0.3f - 0.08f * std::sqrt(1.f - r2) + noise(rng) : 1.5f;
    }
  }
  return depth;
}

fs::path ScratchDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : fs::temp_directory_path().string()) / "synface_benchmark";
  fs::create_directories(dir);
  return dir;
}

void BM_ExrDepthWrite(benchmark::State& state) {
  const auto compression = static_cast<ExrCompression>(state.range(0));
  const cv::Mat depth = PortraitDepth(640, 480);
  const fs::path path = ScratchDir() / ("write_" + core::io::ExrCompressionName(compression) + ".exr");
  for (auto _ : state) core::io::WriteDepthExr(path, depth, {compression});
  state.SetLabel(core::io::ExrCompressionName(compression));
  state.counters["bytes"] = static_cast<double>(fs::file_size(path));
  state.counters["ratio"] = static_cast<double>(depth.total() * sizeof(float)) / fs::file_size(path);
  state.SetItemsProcessed(state.iterations());
}

void BM_ExrDepthRead(benchmark::State& state) {
  const auto compression = static_cast<ExrCompression>(state.range(0));
  const fs::path path = ScratchDir() / ("read_" + core::io::ExrCompressionName(compression) + ".exr");
  core::io::WriteDepthExr(path, PortraitDepth(640, 480), {compression});
  for (auto _ : state) benchmark::DoNotOptimize(core::io::ReadDepthExr(path));
  state.SetLabel(core::io::ExrCompressionName(compression));
  state.SetItemsProcessed(state.iterations());
}

void ExrCompressions(benchmark::internal::Benchmark* b) {
  for (ExrCompression c : {ExrCompression::kNone, ExrCompression::kRle, ExrCompression::kZips,
                           ExrCompression::kZip, ExrCompression::kPiz, ExrCompression::kPxr24}) {
    b->Arg(static_cast<int>(c));
  }
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_ExrDepthWrite)->Apply(ExrCompressions);
BENCHMARK(BM_ExrDepthRead)->Apply(ExrCompressions);

void BM_MobileNetV2Forward256(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  core::nn::ModelOptions options;
  options.num_outputs = 1560;
  auto model = core::nn::CreateModel("mobilenet_v2", options);
  model->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::rand({1, 3, 256, 256});
  for (int i = 0; i < 3; ++i) model->forward(input);  // warm-up: oneDNN primitive caches
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(input));
  state.counters["threads"] = threads;
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  // 393,172,992 conv + linear MACs per image (core/nn complexity; thesis Table 5.3).
  state.counters["GMAC_per_s"] = benchmark::Counter(0.393172992 * state.iterations(),
                                                    benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MobileNetV2Forward256)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace synface

BENCHMARK_MAIN();
