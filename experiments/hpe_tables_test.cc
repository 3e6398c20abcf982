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

TEST(HpeTables, BackgroundVariantsMapToTable6RowsAndSynthConfigs) {
  EXPECT_EQ(BackgroundVariantByName("plain").synth_config, "synth/configs/p1_plain.toml");
  EXPECT_EQ(BackgroundVariantByName("real").row_id, "real");
  const BackgroundVariant tr = BackgroundVariantByName("textured_real");
  EXPECT_EQ(tr.row_id, "textured_plus_real");
  EXPECT_EQ(tr.synth_config, "synth/configs/p1_textured_real.toml");
  try {
    BackgroundVariantByName("brodatz");
    FAIL() << "unknown variant accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("brodatz"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("textured_real"), std::string::npos);
  }
}

TEST(HpeTables, StandInOverridesKeepTheCacheKeyOrder) {
  StandInSpec s;  // the BIWI stand-in defaults
  const std::vector<std::string> expected = {"camera.width=192",
                                             "camera.height=144",
                                             "output.depth=false",
                                             "output.mask=false",
                                             "output.rgb_format=\"png\"",
                                             "seed=7000001",
                                             "pose.mode=\"uniform\"",
                                             "pose.yaw_deg=[-75.000, 75.000]",
                                             "pose.pitch_deg=[-45.000, 45.000]",
                                             "pose.roll_deg=[-30.000, 30.000]",
                                             "render.samples_per_pixel=1"};
  EXPECT_EQ(StandInOverrides(s, 192, 144), expected);
}

// The three new experiments at toy size, sharing Table 2's cached data and model.
TEST(HpeTables, Tables5And6AndP2Table1AtToySize) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs_more";
  const auto r2 = core::results::ReadResult(
      RunExperiment(P1Table2SyntheticExperiment("p1_table2_synthetic"), Toy(runs)));

  std::vector<std::string> a5 = Toy(runs);
  for (const char* kv : {"sase.count=12", "smoke.da_epochs=1", "smoke.da_batch_size=4"}) {
    a5.push_back(kv);
  }
  const auto r5 = core::results::ReadResult(
      RunExperiment(P1Table5DomainAdaptationExperiment("p1_table5_domain_adaptation"), a5));
  ASSERT_EQ(r5.rows.size(), 4u);
  EXPECT_EQ(r5.rows[0].row, "biwi_without_da");
  EXPECT_EQ(r5.rows[1].row, "biwi_with_da");
  EXPECT_EQ(r5.rows[2].row, "sase_without_da");
  EXPECT_EQ(r5.rows[3].row, "sase_with_da");
  for (const auto& row : r5.rows) {
    EXPECT_NE(row.note.find("STAND-IN"), std::string::npos) << row.row;
    EXPECT_EQ(row.values.count("mae"), 1u);
  }
  EXPECT_TRUE(r5.extra["model_key"] == r2.extra["model_key"]);  // no retraining
  // "Without" on the BIWI stand-in is Table 2's measurement of the same model on the same data.
  EXPECT_DOUBLE_EQ(r5.rows[0].values.at("mae").value.get<double>(),
                   r2.rows[0].values.at("mae").value.get<double>());
  EXPECT_EQ(r5.extra["sase"]["da_steps"].get<int>(), 3);  // 12 images / 4, one epoch
  EXPECT_NE(r5.data.description.find("STAND-IN for SASE"), std::string::npos);

  const auto rp2 = core::results::ReadResult(
      RunExperiment(P2Table1Experiment("p2_table1_synthetic"), Toy(runs)));
  ASSERT_EQ(rp2.rows.size(), 2u);
  EXPECT_EQ(rp2.rows[1].row, "ours_synthetic_biwi_narrow");
  EXPECT_LE(rp2.extra["narrow"]["count"].get<int>(), rp2.extra["full"]["count"].get<int>());
  EXPECT_TRUE(rp2.extra["model_key"] == r2.extra["model_key"]);

  std::vector<std::string> a6 = Toy(runs);
  a6.push_back("backgrounds.variants=[\"plain\", \"textured_real\"]");
  a6.push_back("smoke.background_count=24");  // = source.count: textured_real is Table 2's set
  const auto r6 = core::results::ReadResult(
      RunExperiment(P1Table6BackgroundsExperiment("p1_table6_backgrounds"), a6));
  ASSERT_EQ(r6.rows.size(), 2u);
  EXPECT_EQ(r6.rows[0].row, "plain");
  EXPECT_EQ(r6.rows[1].row, "textured_plus_real");
  EXPECT_TRUE(r6.extra["textured_plus_real"]["model_key"] == r2.extra["model_key"]);
  EXPECT_FALSE(r6.extra["plain"]["model_key"] == r2.extra["model_key"]);
  EXPECT_NE(r6.rows[0].note.find("p1_plain.toml"), std::string::npos);
}

TEST(HpeTables, NewTablesAtPaperScaleNameTheMissingData) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs_paper_more";
  auto expect_named = [&](const Experiment& e, const std::string& key) {
    try {
      RunExperiment(e, {"--scale=paper", "--runs", runs.string()});
      FAIL() << e.name << " ran without real data";
    } catch (const core::Error& err) {
      EXPECT_NE(std::string(err.what()).find(key), std::string::npos) << err.what();
    }
  };
  expect_named(P1Table5DomainAdaptationExperiment("p1_table5_domain_adaptation"), "data.sase_root");
  expect_named(P1Table6BackgroundsExperiment("p1_table6_backgrounds"), "data.biwi_root");
  expect_named(P2Table1Experiment("p2_table1_synthetic"), "data.biwi_root");
  EXPECT_FALSE(fs::exists(runs / "_datasets"));
}

}  // namespace
}  // namespace synface::experiments
