#include "experiments/runner.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::experiments {
namespace fs = std::filesystem;

// A toy experiment: sums 1..toy.count, so the record's value follows from the config.
Experiment Toy() {
  Experiment e;
  e.name = "runner_test_toy";
  e.table = "table5_3";
  e.description = "toy";
  e.declare_keys = [](core::config::Schema& s) { s.Optional<int64_t>("toy.count", 1, "terms"); };
  e.run = [](const ExperimentContext& ctx) {
    EXPECT_TRUE(fs::exists(ctx.run_dir / "config.resolved.toml"));
    const int64_t n = ctx.config.Get<int64_t>("toy.count");
    if (n < 0) throw core::Error("toy.count must be >= 0");
    core::results::ResultRecord r;
    core::results::ResultRow row;
    row.row = "synface";
    row.label = "toy";
    row.values["sum"] = {n * (n + 1) / 2, std::to_string(n * (n + 1) / 2)};
    r.rows.push_back(row);
    return r;
  };
  return e;
}

fs::path Runs(const std::string& name) { return fs::path(std::getenv("TEST_TMPDIR")) / name; }

TEST(Runner, ComposesScaleConfigAndOverridesAndWritesRecord) {
  const fs::path path = RunExperiment(Toy(), {"--runs", Runs("a").string(), "toy.count=4"});
  ASSERT_TRUE(fs::exists(path));
  auto record = core::results::ReadResult(path);
  EXPECT_EQ(record.experiment, "runner_test_toy");
  EXPECT_EQ(record.scale, "smoke");
  EXPECT_EQ(record.rows.at(0).values.at("sum").value, 10);
  EXPECT_FALSE(record.started_at.empty());
  EXPECT_GT(record.hardware.cores, 0);
  EXPECT_NE(record.config.get<std::string>().find("count = 4"), std::string::npos);
  EXPECT_EQ(path.parent_path().parent_path(), Runs("a") / "runner_test_toy");
}

TEST(Runner, PaperScaleIsRecorded) {
  const fs::path path = RunExperiment(Toy(), {"--scale=paper", "--runs", Runs("b").string()});
  EXPECT_EQ(core::results::ReadResult(path).scale, "paper");
}

TEST(Runner, BadOverrideIsOneClearErrorAndNoRunFolder) {
  try {
    RunExperiment(Toy(), {"--runs", Runs("c").string(), "toy.cuont=4"});
    FAIL() << "unknown key accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("toy.cuont"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(Runs("c")));
}

TEST(Runner, FailedRunLeavesNoResult) {
  EXPECT_THROW(RunExperiment(Toy(), {"--runs", Runs("d").string(), "toy.count=-1"}), core::Error);
  for (auto& entry : fs::recursive_directory_iterator(Runs("d")))
    EXPECT_NE(entry.path().filename(), "result.json");
}

TEST(Runner, UnknownScaleNamesThePresets) {
  EXPECT_THROW(RunExperiment(Toy(), {"--scale", "huge", "--runs", Runs("e").string()}),
               core::Error);
}

}  // namespace synface::experiments
