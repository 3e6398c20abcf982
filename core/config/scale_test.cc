#include "core/config/scale.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/config/config.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::config {
namespace {
namespace fs = std::filesystem;

TEST(Scale, PresetsValidateAgainstTheScaleKeys) {
  Schema schema;
  AddScaleKeys(schema);
  const Scale smoke = ReadScale(LoadConfig({ScalePresetPath("smoke")}, {}, schema));
  EXPECT_EQ(smoke.name, "smoke");
  EXPECT_EQ(smoke.threads, 2);
  EXPECT_GT(smoke.max_minutes, 0);
  EXPECT_FALSE(smoke.real_data);
  EXPECT_EQ(smoke.ResolvedThreads(), 2);

  const Scale paper = ReadScale(LoadConfig({ScalePresetPath("paper")}, {}, schema));
  EXPECT_EQ(paper.name, "paper");
  EXPECT_TRUE(paper.real_data);
  EXPECT_EQ(paper.threads, 0);
  EXPECT_GE(paper.ResolvedThreads(), 1);
}

TEST(Scale, ExperimentsExtendAPresetAndOverrideIt) {
  const fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / "scale_exp";
  const fs::path preset = ScalePresetPath("smoke");
  WriteFileAtomic(dir / "exp.toml", "extends = [\"" + fs::relative(preset, dir).string() +
                                        "\"]\n[train]\nepochs = 2\n");
  Schema schema;
  AddScaleKeys(schema).Optional<int64_t>("train.epochs", 90);
  const Config config = LoadConfig({dir / "exp.toml"}, {"scale.threads=1"}, schema);
  EXPECT_EQ(ReadScale(config).threads, 1);
  EXPECT_EQ(config.Get<int>("train.epochs"), 2);
  EXPECT_NE(config.Source("scale.name").find("smoke.toml:"), std::string::npos);

  try {
    LoadConfig({dir / "exp.toml"}, {"scale.name=huge"}, schema);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'huge' is not one of: smoke, paper"), std::string::npos);
  }
  EXPECT_THROW(ScalePresetPath("huge"), Error);
}

}  // namespace
}  // namespace synface::core::config
