// P3 Table I experiment at toy size: the smoke path (toy data written into the run folder,
// subject split, training, full and facial-crop evaluation, pictures) and the paper path's
// refusal without data. Values are not asserted (a few steps learn little); their presence,
// provenance and ranges are.
#include "experiments/p3_table1_simple_cnn.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/results/results.h"
#include "core/util/error.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

TEST(P3Table1SimpleCnn, SmokeRunOnStandInData) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  const auto experiment = P3Table1SimpleCnnExperiment("p3_table1_simple_cnn");
  const fs::path path = RunExperiment(
      experiment, {"--runs", runs.string(), "smoke.data.source=toy", "smoke.steps=3",
                   "smoke.data.count=12", "smoke.data.width=64", "smoke.data.height=48",
                   "smoke.width=64", "smoke.height=48", "smoke.batch_size=2", "scale.threads=1"});
  const auto r = core::results::ReadResult(path);
  EXPECT_EQ(r.scale, "smoke");
  EXPECT_EQ(r.data.kind, "synthetic-stand-in");
  ASSERT_GE(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].row, "simple_cnn_full");
  for (const auto& row : r.rows) {
    const double d1 = row.values.at("delta1").value.get<double>();
    EXPECT_GE(d1, 0.0);
    EXPECT_LE(d1, 1.0);
    EXPECT_GT(row.values.at("rmse").value.get<double>(), 0.0);
  }
  EXPECT_TRUE(fs::exists(fs::path(r.extra["model_dir"].get<std::string>()) / "model.pt"));
  EXPECT_TRUE(fs::exists(path.parent_path() / "predictions" / "metrics.json"));
  EXPECT_EQ(r.extra["train"]["steps"].get<int64_t>(), 3);
}

TEST(P3Table1SimpleCnn, PaperScaleNeedsTheDataset) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs_paper";
  try {
    RunExperiment(P3Table1SimpleCnnExperiment("p3_table1_simple_cnn"),
                  {"--scale=paper", "--runs", runs.string(), "data.root=/nonexistent/c3i_depth"});
    FAIL() << "ran without data";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/c3i_depth"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace synface::experiments
