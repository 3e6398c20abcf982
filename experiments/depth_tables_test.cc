// The depth tables' own logic: sweep settings (parsing, row ids), row ids against the papers/
// table files, the model cache key, and a toy-size end-to-end run of the comparison and the sweep
// (toy data, two steps: values are not asserted, their presence, sharing and provenance are).
#include "experiments/depth_tables.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/results/results.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

std::set<std::string> TableRowIds(const std::string& file) {
  const auto path = core::FindRunfile("synface/papers/tables/" + file);
  EXPECT_TRUE(path.has_value()) << file;
  std::set<std::string> ids;
  if (!path) return ids;
  const toml::table t = toml::parse_file(path->string());
  for (const auto& row : *t["rows"].as_array()) {
    ids.insert(std::string(*row.as_table()->get("id")->value<std::string>()));
  }
  return ids;
}

TEST(DepthTables, LossWeightSettingsKeepThePrintedDigits) {
  const auto a = ParseLossWeightSetting("1.00, 0.1, 0.1, 1.00", "w");
  EXPECT_EQ(a.row_id, "w_100_01_01_100");
  EXPECT_DOUBLE_EQ(a.w[0], 1.0);
  EXPECT_DOUBLE_EQ(a.w[1], 0.1);
  EXPECT_DOUBLE_EQ(a.w[3], 1.0);
  const auto b = ParseLossWeightSetting(" 0.28,0.22 , 0.30, 0.20", "w");
  EXPECT_EQ(b.row_id, "w_028_022_030_020");
  EXPECT_DOUBLE_EQ(b.w[2], 0.30);
  for (const char* bad : {"1, 2, 3", "1, 2, 3, 4, 5", "1, x, 0, 0", "0, 0, 0, 0", "1, -1, 0, 0",
                          "1, , 0, 0", "1e400, 0, 0, 0"}) {
    EXPECT_THROW(ParseLossWeightSetting(bad, "sweep.weights[2]"), core::Error) << bad;
  }
  try {
    ParseLossWeightSetting("1, x, 0, 0", "sweep.weights[2]");
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("sweep.weights[2]"), std::string::npos);
  }
}

TEST(DepthTables, RowIdsMatchThePaperTables) {
  const auto p5t3 = TableRowIds("20_p5_table3.toml");
  ASSERT_EQ(p5t3.size(), 7u);
  for (const char* printed :
       {"1.00, 0.1, 0.1, 1.00", "1.00, 0.00, 0.00, 0.00", "0.00, 1.00, 0.00, 0.00",
        "0.00, 0.00, 1.00, 0.00", "0.00, 0.00, 0.00, 1.00", "0.25, 0.25, 0.25, 0.25",
        "0.28, 0.22, 0.30, 0.20"}) {
    EXPECT_TRUE(p5t3.count(ParseLossWeightSetting(printed, "w").row_id)) << printed;
  }
  for (const auto& [table, file] : std::vector<std::pair<std::string, std::string>>{
           {"p4_table1", "17_p4_table1.toml"}, {"p5_table1", "18_p5_table1.toml"}}) {
    const auto ids = TableRowIds(file);
    const auto rows = DepthTableRows(table);
    EXPECT_EQ(rows.size(), ids.size()) << table;  // every row of the table has a model
    for (const auto& r : rows) {
      EXPECT_TRUE(ids.count(r.row)) << table << " " << r.row;
      bool known = false;
      for (const auto& m : DepthModelCatalogue()) known |= m.key == r.model;
      EXPECT_TRUE(known) << r.model;
      EXPECT_EQ(r.fc, r.row.find("fc") != std::string::npos) << r.row;
    }
  }
  EXPECT_THROW(DepthTableRows("p9_table9"), core::Error);
}

TEST(DepthTables, ModelKeyChangesWithWhatDeterminesTheModel) {
  DepthModelJob job;
  job.architecture = "facedepth";
  job.loss = "hybrid";
  job.loss_weights = {0.28, 0.22, 0.30, 0.20};
  job.width = 64;
  job.height = 48;
  job.steps = 40;
  const std::vector<size_t> train = {0, 1, 2};
  const std::string base = DepthModelKey(job, "abc", train, 7);
  EXPECT_EQ(base, DepthModelKey(job, "abc", train, 7));
  EXPECT_NE(base, DepthModelKey(job, "abd", train, 7));
  EXPECT_NE(base, DepthModelKey(job, "abc", {0, 1, 3}, 7));
  EXPECT_NE(base, DepthModelKey(job, "abc", train, 8));
  DepthModelJob other = job;
  other.loss_weights[0] = 1.0;
  EXPECT_NE(base, DepthModelKey(other, "abc", train, 7));
  other = job;
  other.as_run = true;
  EXPECT_NE(base, DepthModelKey(other, "abc", train, 7));
  other = job;
  other.lr = 2e-4;
  EXPECT_NE(base, DepthModelKey(other, "abc", train, 7));
}

std::vector<std::string> ToyArgs(const fs::path& runs) {
  return {"--runs",
          runs.string(),
          "smoke.data.source=toy",
          "smoke.data.count=12",
          "smoke.data.width=32",
          "smoke.data.height=32",
          "smoke.width=32",
          "smoke.height=32",
          "smoke.steps=2",
          "smoke.batch_size=2",
          "scale.threads=1",
          "data.test_fraction=0.3"};
}

TEST(DepthTables, ComparisonAndSweepShareModels) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  auto args = ToyArgs(runs);
  args.push_back("smoke.models=[\"facedepth\"]");
  const auto p5 = core::results::ReadResult(
      RunExperiment(DepthComparisonExperiment("p5_table1_facedepth", "p5_table1"), args));
  EXPECT_EQ(p5.data.kind, "synthetic-stand-in");
  ASSERT_EQ(p5.rows.size(), 1u);  // FaceDepth is scored on the facial crop only
  EXPECT_EQ(p5.rows[0].row, "our_facedepth_fc");
  EXPECT_TRUE(p5.rows[0].values.count("nrmse"));
  EXPECT_TRUE(p5.rows[0].values.count("r2"));
  EXPECT_FALSE(p5.extra["models"]["facedepth"]["reused"].get<bool>());
  EXPECT_NE(p5.notes.find("unet_simple"), std::string::npos);  // reported as not run

  auto sweep_args = ToyArgs(runs);
  sweep_args.push_back("sweep.weights=[\"1.00, 0.00, 0.00, 0.00\", \"0.28, 0.22, 0.30, 0.20\"]");
  sweep_args.push_back("smoke.weights=[\"0.28, 0.22, 0.30, 0.20\", \"1.00, 0.00, 0.00, 0.00\"]");
  const auto t3 = core::results::ReadResult(
      RunExperiment(LossWeightSweepExperiment("p5_table3_loss_weights"), sweep_args));
  ASSERT_EQ(t3.rows.size(), 2u);
  EXPECT_EQ(t3.rows[0].row, "w_028_022_030_020");  // smoke.weights' order
  EXPECT_EQ(t3.rows[1].row, "w_100_000_000_000");
  EXPECT_TRUE(t3.extra["runs"][0]["reused"].get<bool>());  // P5 Table 1's FaceDepth
  EXPECT_EQ(t3.extra["runs"][0]["model_dir"], p5.extra["models"]["facedepth"]["model_dir"]);
  EXPECT_FALSE(t3.extra["runs"][1]["reused"].get<bool>());
  // A smoke subset naming a setting outside the sweep is refused.
  auto bad = sweep_args;
  bad.push_back("smoke.weights=[\"0.50, 0.50, 0.00, 0.00\"]");
  EXPECT_THROW(RunExperiment(LossWeightSweepExperiment("p5_table3_loss_weights"), bad),
               core::Error);
  for (const auto& row : t3.rows) {
    const double d1 = row.values.at("delta1").value.get<double>();
    EXPECT_GE(d1, 0.0);
    EXPECT_LE(d1, 1.0);
  }
}

TEST(DepthTables, PaperScaleNeedsTheDataset) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs_paper";
  for (const auto& e : {DepthComparisonExperiment("p4_table1_encoders", "p4_table1"),
                        LossWeightSweepExperiment("p5_table3_loss_weights")}) {
    try {
      RunExperiment(e, {"--scale=paper", "--runs", runs.string(), "data.root=/nonexistent/d"});
      FAIL() << e.name << " ran without data";
    } catch (const core::Error& err) {
      const std::string what = err.what();
      EXPECT_NE(what.find("/nonexistent/d"), std::string::npos) << what;
      EXPECT_NE(what.find("data.root"), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace synface::experiments
