#include "experiments/dib_table1_rendering.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/results/results.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

const core::results::ResultRow& Row(const core::results::ResultRecord& r, const std::string& id) {
  for (const auto& row : r.rows) {
    if (row.row == id) return row;
  }
  ADD_FAILURE() << "no row " << id;
  static core::results::ResultRow none;
  return none;
}

TEST(DibTable1Rendering, FillsEveryRowFromTheC3iDepthPreset) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  const auto record = core::results::ReadResult(RunExperiment(
      DibTable1RenderingExperiment("dib_table1_rendering"), {"--runs", runs.string()}));
  EXPECT_EQ(record.table, "dib_table1");
  EXPECT_EQ(record.scale, "exact");
  EXPECT_EQ(record.rows.size(), 18u);  // every row of the table
  EXPECT_EQ(Row(record, "camera_distance").values.at("values").display, "30 centimeters");
  EXPECT_EQ(Row(record, "camera_near_clip").values.at("values").display, "0.01 meter");
  EXPECT_EQ(Row(record, "camera_far_clip").values.at("values").display,
            "5.0 meters (15.0 in complex scenes)");
  EXPECT_EQ(Row(record, "camera_fov").values.at("values").display,
            "77.32 degrees horizontal (61.93 vertical)");
  EXPECT_EQ(Row(record, "resolution_x").values.at("values").value, 640);
  EXPECT_EQ(Row(record, "resolution_y").values.at("values").value, 480);
  EXPECT_EQ(Row(record, "cycles_aa_samples").values.at("values").value, 4);
  EXPECT_EQ(Row(record, "cycles_progression").values.at("values").display.rfind("n/a: ", 0), 0u);
  // Another preset gives other values: the rows are read, not hard-coded.
  const auto thesis = core::results::ReadResult(
      RunExperiment(DibTable1RenderingExperiment("dib_table1_rendering"),
                    {"--runs", runs.string(), "synth_config=synth/configs/base.toml"}));
  EXPECT_EQ(Row(thesis, "camera_far_clip").values.at("values").value, 5.0);
}

}  // namespace
}  // namespace synface::experiments
