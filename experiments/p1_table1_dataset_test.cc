#include "experiments/p1_table1_dataset.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/results/results.h"
#include "core/util/error.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

TEST(P1Table1Dataset, MeasuresTheSynfaceRowFromAGeneratedDataset) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  const fs::path result = RunExperiment(
      P1Table1DatasetExperiment("p1_table1_dataset"),
      {"--runs", runs.string(), "smoke.count=6", "smoke.samples_per_subject=2",
       "smoke.overrides=[\"camera.width=64\", \"camera.height=48\", \"head.source=procedural\", "
       "\"render.samples_per_pixel=1\", \"background.types=[\\\"textured\\\"]\", "
       "\"background.textured.texture_size=16\"]"});
  const auto record = core::results::ReadResult(result);
  EXPECT_EQ(record.table, "p1_table1");
  EXPECT_EQ(record.data.kind, "synthetic");
  EXPECT_FALSE(record.data.hash.empty());
  ASSERT_EQ(record.rows.size(), 1u);
  const auto& row = record.rows[0];
  EXPECT_EQ(row.row, "synface");
  EXPECT_EQ(row.label, "synface (ours)");
  EXPECT_EQ(row.values.at("samples").value, 6);
  EXPECT_EQ(row.values.at("subjects").value, 3);
  EXPECT_EQ(row.values.at("subjects").display, "3 Synthetic Heads (procedural)");
  EXPECT_EQ(row.values.at("facial_landmarks").value, 68);
  EXPECT_NE(row.values.at("pose_descriptions").display.find("Continuous Yaw: from "),
            std::string::npos);
  // The dataset is in the run folder, and can be measured again by path.
  const fs::path dataset = result.parent_path() / "dataset";
  EXPECT_TRUE(fs::exists(dataset / "manifest.csv"));
  const auto again = MeasureSynfaceRow(dataset);
  EXPECT_EQ(again.values.at("pose_descriptions").display,
            row.values.at("pose_descriptions").display);
  EXPECT_THROW(MeasureSynfaceRow(runs / "nowhere"), core::Error);
}

}  // namespace
}  // namespace synface::experiments
