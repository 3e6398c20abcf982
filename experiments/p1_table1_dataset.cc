#include "experiments/p1_table1_dataset.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "core/data/dataset.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/datagen/generator.h"
#include "synth/datagen/generator_config.h"
#include "synth/labels/labels.h"

namespace synface::experiments {
namespace fs = std::filesystem;
using core::results::ResultRecord;
using core::results::ResultRow;
using core::results::Value;

namespace {

fs::path SynthConfigPath(const std::string& path) {
  if (auto p = core::FindRunfile("synface/" + path)) return *p;
  const fs::path user = core::ResolveUserPath(path);
  if (fs::exists(user)) return user;
  throw core::MakeError("config key 'synth_config': '{}' is neither a runfile nor a file", path);
}

std::string Degrees(double rad) {
  return core::results::FormatFixed(core::geometry::RadToDeg(rad), 1);
}

}  // namespace

ResultRow MeasureSynfaceRow(const fs::path& dir) {
  const core::data::Dataset d = core::data::Dataset::Open(dir);
  const core::data::DatasetInfo& info = d.info();
  if (info.generator != "synth") {
    throw core::MakeError("{}: not a synth dataset (generator '{}')", dir.string(), info.generator);
  }
  std::set<std::string> subjects;
  double lo[3], hi[3];
  std::fill(lo, lo + 3, std::numeric_limits<double>::infinity());
  std::fill(hi, hi + 3, -std::numeric_limits<double>::infinity());
  size_t dense = 0, with_68 = 0;
  std::string dense_name, head_model;
  for (uint64_t id : d.Ids()) {
    subjects.insert(d.Field(id, "subject"));
    const synth::labels::SampleLabels l = synth::labels::ReadSampleLabels(d.Path(id, "json"));
    const double a[3] = {l.pose.yaw, l.pose.pitch, l.pose.roll};
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], a[k]);
      hi[k] = std::max(hi[k], a[k]);
    }
    dense = std::max(dense, l.dense.size());
    dense_name = l.dense_name;
    head_model = l.head.value("source", std::string("?"));
    bool all68 = true;
    for (int v : l.landmarks68.vertices) all68 = all68 && v >= 0;
    with_68 += all68;
  }
  const uint64_t n = d.size();
  const std::string heads = head_model == "ict"          ? "ICT Face Model"
                            : head_model == "procedural" ? "procedural"
                                                         : head_model;
  ResultRow row;
  row.row = "synface";
  row.label = "synface (ours)";
  row.values["samples"] = Value{n, std::to_string(n)};
  row.values["acquisition"] = Value{"Synthetic Rendered", "Synthetic Rendered"};
  row.values["subjects"] =
      Value{subjects.size(), fmt::format("{} Synthetic Head{} ({})", subjects.size(),
                                         subjects.size() == 1 ? "" : "s", heads)};
  row.values["facial_landmarks"] =
      Value{with_68 == n ? 68 : 0, with_68 == n ? fmt::format("68 (+{} dense)", dense)
                                                : fmt::format("68 on {} of {}", with_68, n)};
  const std::string pose = fmt::format(
      "Continuous Yaw: from {}° to {}°; Pitch: from {}° to {}°; Roll: from {}° to {}° "
      "(measured labels)",
      Degrees(lo[0]), Degrees(hi[0]), Degrees(lo[1]), Degrees(hi[1]), Degrees(lo[2]),
      Degrees(hi[2]));
  row.values["pose_descriptions"] = Value{pose, pose};
  row.note = fmt::format(
      "measured from {}: dataset.toml (generator {} {}, seed {}), manifest ({} rows, distinct "
      "subject ids) and every label record (pose range; 68 landmarks + dense subset '{}'); "
      "the dataset's labels: {}",
      dir.string(), info.generator, info.generator_version, info.seed, n, dense_name,
      fmt::join(info.labels, ", "));
  return row;
}

Experiment P1Table1DatasetExperiment(const std::string& name) {
  Experiment e;
  e.name = name;
  e.table = "p1_table1";
  e.description = "P1 TABLE 1: a synface row measured from a generated head-pose dataset";
  e.declare_keys = [](core::config::Schema& s) {
    s.Optional<std::string>("synth_config", "synth/configs/c3i_headpose.toml",
                            "synth preset of the dataset to generate");
    s.Optional<std::string>("dataset", "",
                            "measure this existing synth dataset instead of generating one");
    s.Optional<int64_t>("smoke.count", 16, "smoke scale: samples");
    s.Range("smoke.count", 1, 1e9);
    s.Optional<int64_t>("smoke.samples_per_subject", 4, "smoke scale: samples per subject");
    s.Range("smoke.samples_per_subject", 1, 1e9);
    s.Optional<std::vector<std::string>>(
        "smoke.overrides", {"camera.width=160", "camera.height=120", "render.samples_per_pixel=1"},
        "smoke scale: further synth config overrides");
    s.Optional<int64_t>("paper.count", 346900, "paper scale: samples (100 x 3469)");
    s.Range("paper.count", 1, 1e12);
    s.Optional<int64_t>("paper.samples_per_subject", 3469,
                        "paper scale: samples per subject (P1's sweep per model)");
    s.Range("paper.samples_per_subject", 1, 1e12);
    s.Optional<std::vector<std::string>>("paper.overrides", {},
                                         "paper scale: further synth config overrides");
  };
  e.run = [](const ExperimentContext& ctx) {
    fs::path dir;
    ResultRecord record;
    const std::string existing = ctx.config.Get<std::string>("dataset");
    const bool paper = ctx.scale.name == "paper";
    const std::string p = paper ? "paper." : "smoke.";
    if (!existing.empty()) {
      dir = core::ResolveUserPath(existing);
      if (!fs::exists(dir / core::data::kDatasetToml)) {
        throw core::MakeError("config key 'dataset': '{}' holds no dataset.toml", dir.string());
      }
    } else {
      dir = ctx.run_dir / "dataset";
      std::vector<std::string> overrides = {
          fmt::format("count={}", ctx.config.Get<int64_t>(p + "count")), "out=" + dir.string(),
          fmt::format("threads={}", ctx.threads), fmt::format("seed={}", ctx.seed),
          fmt::format("head.samples_per_subject={}",
                      ctx.config.Get<int64_t>(p + "samples_per_subject"))};
      for (const std::string& o : ctx.config.Get<std::vector<std::string>>(p + "overrides")) {
        overrides.push_back(o);
      }
      const fs::path preset = SynthConfigPath(ctx.config.Get<std::string>("synth_config"));
      const core::config::Config c = synth::datagen::LoadGeneratorConfig({preset}, overrides);
      const synth::datagen::GeneratorConfig g = synth::datagen::ReadGeneratorConfig(c);
      const synth::datagen::GenerateReport report = synth::datagen::GenerateDataset(g, c);
      if (!report.finalized)
        throw core::MakeError("{}: the dataset was not completed", dir.string());
    }
    record.rows.push_back(MeasureSynfaceRow(dir));
    const core::data::DatasetInfo info = core::data::ReadDatasetInfo(dir);
    record.data.kind = "synthetic";
    record.data.description =
        fmt::format("synface dataset generated by //synth ({}), {} samples{}",
                    existing.empty() ? ctx.config.Get<std::string>("synth_config") : "given folder",
                    info.count, paper ? "" : " at smoke scale (reduced resolution)");
    record.data.path = dir.string();
    record.data.hash = info.manifest_fnv1a64;
    record.notes =
        "The thesis's rows are cited from other works; only the synface row is ours. Samples and "
        "subjects come from dataset.toml and the manifest, landmarks and the pose range from "
        "the label records (our yaw/pitch/roll convention, docs/conventions.md).";
    return record;
  };
  return e;
}

}  // namespace synface::experiments
