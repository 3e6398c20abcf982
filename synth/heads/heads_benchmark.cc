// Costs of making heads, per call: the procedural head's Build, the ICT model's Instantiate (random
// identity + expression), posing about the neck, painting the appearance.
//
//   bazel run -c opt //synth/heads:heads_benchmark -- --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/util/runfiles.h"
#include "synth/heads/appearance.h"
#include "synth/heads/ict_face_model.h"
#include "synth/heads/procedural_head.h"

namespace synface::synth::heads {
namespace {

void BM_ProceduralBuild(benchmark::State& state) {
  core::data::Rng rng(1);
  for (auto _ : state) {
    ProceduralHeadParams p;
    p.identity = RandomProceduralIdentity(rng);
    p.expression = RandomProceduralExpression(rng);
    benchmark::DoNotOptimize(ProceduralHead::Build(p));
  }
}
BENCHMARK(BM_ProceduralBuild)->Unit(benchmark::kMillisecond);

void BM_IctInstantiate(benchmark::State& state) {
  if (!core::IctFacekitAvailable()) {
    state.SkipWithError("ICT Face Model not available");
    return;
  }
  static const IctFaceModel model = IctFaceModel::Load(core::IctFacekitRoot());
  core::data::Rng rng(1);
  for (auto _ : state) {
    const std::vector<float> identity = model.RandomIdentity(rng);
    benchmark::DoNotOptimize(model.Instantiate(identity, model.RandomExpression(rng)));
  }
}
BENCHMARK(BM_IctInstantiate)->Unit(benchmark::kMillisecond);

void BM_PoseAboutNeck(benchmark::State& state) {
  const HeadInstance head = ProceduralHead::Build({});
  const Eigen::Matrix3d r =
      core::geometry::RotationFromHeadPose(core::geometry::HeadPoseFromDegrees(25, -10, 5));
  for (auto _ : state) benchmark::DoNotOptimize(PoseAboutNeck(head, r));
}
BENCHMARK(BM_PoseAboutNeck)->Unit(benchmark::kMillisecond);

void BM_SampleAndApplyAppearance(benchmark::State& state) {
  HeadInstance head = ProceduralHead::Build({});
  core::data::Rng rng(1);
  for (auto _ : state) ApplyAppearance(SampleAppearance(rng), &head);
}
BENCHMARK(BM_SampleAndApplyAppearance)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synface::synth::heads

int main(int argc, char** argv) {
  synface::core::InitRunfiles(argv[0]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
