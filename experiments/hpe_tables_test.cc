// The hpe table experiments at toy size: synthetic source + degraded target stand-in generated
// through synth into the runs root's _datasets/ cache, FSA-Net trained and cached in _models/,
// Table 2 evaluated, Table 4 fine-tuning the cached model; the paper scale's refusal without BIWI.
// Values are not asserted (a few steps learn little): their presence, ranges and provenance are.
#include "experiments/hpe_tables.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/results/results.h"
#include "core/util/error.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> Toy(const fs::path& runs) {
  return {"--runs",          runs.string(),
          "source.count=24", "target.count=16",
          "source.width=96", "source.height=72",
          "smoke.epochs=1",  "smoke.batch_size=4",
          "scale.threads=2", "source.validation_fraction=0.25"};
}

TEST(HpeTables, DegradationChangesPixelsDeterministically) {
  hpe::PoseSet a;
  a.images.push_back(cv::Mat(64, 64, CV_8UC3, cv::Scalar(100, 150, 200)));
  a.labels.emplace_back(0, 0, 0);
  hpe::PoseSet b = a;
  b.images[0] = a.images[0].clone();
  a.images[0] = a.images[0].clone();
  Degradation d{0.7, 6.0, 40, 5};
  DegradeSet(a, d);
  DegradeSet(b, d);
  EXPECT_EQ(cv::norm(a.images[0], b.images[0], cv::NORM_L1), 0.0);
  EXPECT_GT(cv::norm(a.images[0], cv::Mat(64, 64, CV_8UC3, cv::Scalar(100, 150, 200)), cv::NORM_L1),
            0.0);
}

TEST(HpeTables, Table2ThenTable4ReuseDataAndModel) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  const fs::path p2 = RunExperiment(P1Table2SyntheticExperiment("p1_table2_synthetic"), Toy(runs));
  const auto r = core::results::ReadResult(p2);
  EXPECT_EQ(r.data.kind, "synthetic-stand-in");
  EXPECT_NE(r.data.description.find("STAND-IN"), std::string::npos);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].row, "fsanet_synthetic_biwi");
  for (const char* c : {"mae", "yaw", "pitch", "roll"}) {
    const double v = r.rows[0].values.at(c).value.get<double>();
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 200.0);
  }
  int datasets = 0, models = 0;
  for (const auto& e : fs::directory_iterator(runs / "_datasets")) {
    EXPECT_TRUE(fs::exists(e.path() / "manifest.csv"));
    ++datasets;
  }
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(runs / "_models")) ++models;
  EXPECT_EQ(datasets, 2);
  EXPECT_EQ(models, 1);

  std::vector<std::string> args = Toy(runs);
  args.push_back("smoke.finetune_images=8");
  args.push_back("smoke.finetune_epochs=1");
  const fs::path p4 = RunExperiment(P1Table4TransferExperiment("p1_table4_transfer"), args);
  const auto r4 = core::results::ReadResult(p4);
  ASSERT_EQ(r4.rows.size(), 1u);
  EXPECT_EQ(r4.rows[0].values.count("mae"), 0u);               // Table 4 has no MAE column
  EXPECT_TRUE(r4.extra["model_key"] == r.extra["model_key"]);  // the cached model was reused
  EXPECT_EQ(r4.extra["finetune_images"].get<int>(), 8);
  models = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(runs / "_models")) ++models;
  EXPECT_EQ(models, 1);
}

TEST(HpeTables, PaperScaleNamesTheMissingBiwiRoot) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs_paper";
  try {
    RunExperiment(P1Table2SyntheticExperiment("p1_table2_synthetic"),
                  {"--scale=paper", "--runs", runs.string(), "data.biwi_root=/nonexistent/biwi"});
    FAIL() << "ran without BIWI";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.biwi_root"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/biwi"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(runs / "_datasets"));
}

}  // namespace
}  // namespace synface::experiments
