// P5 Table 2 experiment at a small input (the counts that do not depend on the input size are
// checked exactly; MACs at 640x480 are pinned in depth/models_test).
#include "experiments/p5_table2_properties.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/results/results.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;

std::map<std::string, core::results::ResultRow> Rows(const fs::path& path) {
  std::map<std::string, core::results::ResultRow> rows;
  for (const auto& r : core::results::ReadResult(path).rows) rows[r.row] = r;
  return rows;
}

TEST(P5Table2Properties, DefaultAndAsRunVariants) {
  const fs::path runs = fs::path(std::getenv("TEST_TMPDIR")) / "runs";
  const auto experiment = P5Table2PropertiesExperiment("p5_table2_properties");
  const fs::path a = RunExperiment(experiment, {"--runs", runs.string(), "input_width=64",
                                                "input_height=64", "scale.threads=1"});
  const auto record = core::results::ReadResult(a);
  EXPECT_EQ(record.scale, "exact");
  EXPECT_EQ(record.table, "p5_table2");
  auto rows = Rows(a);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows.at("our_facedepth").values.at("parameters").value, 13143057);  // executed
  EXPECT_EQ(rows.at("unet_simple_fc").values.at("parameters").display, "17.27M");
  EXPECT_EQ(rows.at("densedepth_169").values.at("parameters").value, 42657689);
  EXPECT_EQ(rows.at("bts").values.at("parameters").value, 47000688);
  EXPECT_EQ(rows.at("our_facedepth").values.at("output").display, "32 × 32");
  EXPECT_EQ(rows.at("bts").values.at("output").display, "64 × 64");

  const fs::path b =
      RunExperiment(experiment, {"--runs", runs.string(), "input_width=64", "input_height=64",
                                 "variant=as_run", "scale.threads=1"});
  rows = Rows(b);
  EXPECT_EQ(core::results::ReadResult(b).variant, "as_run");
  EXPECT_EQ(rows.at("our_facedepth").values.at("parameters").display, "14.42M");  // as printed
  EXPECT_EQ(rows.at("densedepth_169").values.at("parameters").value, 42657689 + 1665000);
  // ptflops on module hooks leaves out FaceDepth's functional resizes but counts U-Net's
  // nn.Upsample modules, so it is below the all-calls ptflops figure for FaceDepth only.
  const auto extra = core::results::ReadResult(b).extra;
  EXPECT_LT(extra["our_facedepth"]["macs_ptflops_module_hooks"].get<int64_t>(),
            extra["our_facedepth"]["macs_ptflops"].get<int64_t>());
  EXPECT_EQ(extra["unet_simple_fc"]["macs_ptflops_module_hooks"].get<int64_t>(),
            extra["unet_simple_fc"]["macs_ptflops"].get<int64_t>());
  EXPECT_GT(extra["unet_simple_fc"]["macs_ptflops_module_hooks"].get<int64_t>(), 0);
  EXPECT_THROW(RunExperiment(experiment, {"--runs", runs.string(), "input_width=70"}),
               std::exception);
}

}  // namespace
}  // namespace synface::experiments
