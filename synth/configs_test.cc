// Every preset in synth/configs/ loads, validates (its folders exist) and renders a sample.
#include <gtest/gtest.h>

#include <string>

#include "core/util/runfiles.h"
#include "synth/datagen/generator_config.h"
#include "synth/datagen/sample.h"

namespace synface::synth::datagen {
namespace {

class Preset : public ::testing::TestWithParam<std::string> {};

TEST_P(Preset, LoadsAndRendersASample) {
  const auto path = core::FindRunfile("synface/synth/configs/" + GetParam() + ".toml");
  ASSERT_TRUE(path) << GetParam();
  const core::config::Config c = LoadGeneratorConfig(
      {*path}, {"head.source=procedural", "camera.width=64", "camera.height=48",
                "background.textured.texture_size=16", "background.complex.texture_size=8",
                "render.samples_per_pixel=1"});
  const GeneratorConfig g = ReadGeneratorConfig(c, /*require_run_keys=*/false);
  EXPECT_EQ(g.camera.preset, "authors_code");
  EXPECT_DOUBLE_EQ(g.camera.distance.min, 0.30);
  const SampleGenerator generator(g);
  const SampleResult r = generator.Generate(1, 1);
  EXPECT_EQ(r.output.depth.cols, 64);
  EXPECT_EQ(r.labels.landmarks68.size(), 68u);
  bool known_type = false;
  for (const std::string& t : g.background.types.names) {
    known_type = known_type || r.labels.background["type"] == t;
  }
  EXPECT_TRUE(known_type);
  if (GetParam().rfind("p1_", 0) == 0 || GetParam() == "c3i_headpose") {
    EXPECT_FALSE(g.output.depth);
    EXPECT_EQ(g.pose.mode, "p1_sweep");
  }
  if (GetParam() == "c3i_depth") {
    EXPECT_TRUE(g.output.depth);
    EXPECT_EQ(g.pose.mode, "c3i_keyframes");
    EXPECT_EQ(g.head.samples_per_subject, 70);
  }
}

INSTANTIATE_TEST_SUITE_P(Synth, Preset,
                         ::testing::Values("base", "c3i_headpose", "c3i_depth", "p1_plain",
                                           "p1_textured", "p1_real", "p1_textured_real"));

}  // namespace
}  // namespace synface::synth::datagen
