#include "experiments/p3_table1_simple_cnn.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "depth/pipeline.h"
#include "depth/readers.h"
#include "experiments/depth_tables.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;
using core::results::FormatFixed;
using core::results::ResultRecord;
using core::results::ResultRow;
using core::results::Value;

ResultRow MetricsRow(const std::string& id, const depth::DepthMetrics& m, const std::string& note) {
  return DepthMetricsRow(id, m, MetricColumns{true, false}, note);
}

}  // namespace

Experiment P3Table1SimpleCnnExperiment(const std::string& name) {
  Experiment e;
  e.name = name;
  e.table = "p3_table1";
  e.description = "P3 Table I rows 3-4: U-Net-simple (MSE) on synthetic facial depth, full / FC";
  e.declare_keys = [](core::config::Schema& s) {
    s.Choice("variant", {"default", "as_run"}, std::string("default"),
             "default = correct evaluation; as_run = the authors' loader + legacy evaluation");
    DeclareDepthDataKeys(s);
    s.Optional<std::string>("model.architecture", "unet_simple", "registered depth model");
    s.Optional<int64_t>("model.width", 640, "training / inference width (paper scale)");
    s.Optional<int64_t>("model.height", 480, "training / inference height (paper scale)");
    s.Choice("train.loss", {"l2", "l1", "hybrid", "hybrid_as_coded", "p4", "p4_as_coded", "berhu"},
             std::string("l2"), "training loss (P3: MSE)");
    s.Optional<double>("train.lr", 1e-3, "Adam learning rate");
    s.Optional<int64_t>("train.batch_size", 6, "batch size (paper scale)");
    s.Optional<int64_t>("train.epochs", 20, "epochs (paper scale)");
    s.Optional<int64_t>("smoke.width", 48, "smoke-scale width");
    s.Optional<int64_t>("smoke.height", 32, "smoke-scale height");
    s.Optional<int64_t>("smoke.batch_size", 4, "smoke-scale batch size");
    s.Optional<int64_t>("smoke.steps", 200, "smoke-scale optimizer steps");
  };
  e.run = [](const ExperimentContext& ctx) {
    const auto& cfg = ctx.config;
    const bool smoke = ctx.scale.name == "smoke";
    const std::string variant = cfg.Get<std::string>("variant");
    const bool as_run = variant == "as_run";
    const int width = static_cast<int>(cfg.Get<int64_t>(smoke ? "smoke.width" : "model.width"));
    const int height = static_cast<int>(cfg.Get<int64_t>(smoke ? "smoke.height" : "model.height"));

    ResultRecord record;
    record.variant = variant;
    const DepthTableData data = OpenDepthTableData(ctx);
    record.data = data.source;
    const std::vector<size_t>& train = data.train;
    const auto& split = data;  // .test

    DepthModelJob job;
    job.architecture = cfg.Get<std::string>("model.architecture");
    job.width = width;
    job.height = height;
    job.as_run = as_run;
    job.loss = cfg.Get<std::string>("train.loss");
    job.lr = cfg.Get<double>("train.lr");
    job.batch_size =
        static_cast<int>(cfg.Get<int64_t>(smoke ? "smoke.batch_size" : "train.batch_size"));
    const int64_t steps_per_epoch =
        (static_cast<int64_t>(train.size()) + job.batch_size - 1) / job.batch_size;
    job.steps = smoke ? cfg.Get<int64_t>("smoke.steps")
                      : cfg.Get<int64_t>("train.epochs") * steps_per_epoch;
    const TrainedDepthModel tr = EnsureTrainedDepthModel(ctx, data, job);
    const depth::LoadedDepthModel& model = tr.model;
    const FullAndFc ev = EvaluateFullAndFc(tr, data, as_run);
    const depth::DepthMetrics& mf = ev.full;
    const depth::DepthMetrics& mc = ev.fc;
    depth::EvalOptions full = depth::EvalOptions::ForMode(as_run ? "legacy" : "correct");

    // Pictures and point clouds of a few test samples for people to look at.
    std::vector<size_t> shown(split.test.begin(),
                              split.test.begin() + std::min<size_t>(4, split.test.size()));
    depth::SubsetSource subset(*data.data, shown);
    depth::PredictOptions po;
    po.out_dir = ctx.run_dir / "predictions";
    po.eval = full;
    po.ply_stride = width > 256 ? 2 : 1;
    depth::PredictSource(model, subset, po);

    const std::string setup =
        fmt::format("{}; {} evaluation, tested on {} samples", DepthJobText(job, tr, train.size()),
                    as_run ? "legacy" : "correct", split.test.size());
    record.rows.push_back(MetricsRow("simple_cnn_full", mf, setup + ", full image"));
    if (mc.pixels > 0) {
      record.rows.push_back(
          MetricsRow("simple_cnn_face", mc, setup + ", facial crop (ground truth < 0.5 m)"));
    }
    record.notes = fmt::format(
        "Rows 1-2 (pre-trained DenseDepth / MiDaS) need released weights: not run. {}{} Training "
        "loss {:.4g} -> {:.4g}, {:.1f} s on {} thread(s). Pictures and PLY clouds: {}.",
        smoke ? "SMOKE SCALE: a few minutes of training at reduced resolution, not a "
                "reproduction. "
              : "",
        mc.pixels > 0 ? "" : "No test pixel lies closer than 0.5 m: the FC row is not reported.",
        tr.first_loss, tr.last_loss, tr.seconds, ctx.threads, po.out_dir.string());
    record.extra = {{"train",
                     {{"steps", tr.steps},
                      {"first_loss", tr.first_loss},
                      {"last_loss", tr.last_loss},
                      {"seconds", tr.seconds},
                      {"reused", tr.reused},
                      {"samples", train.size()}}},
                    {"test_samples", split.test.size()},
                    {"full", DepthMetricsJson(mf)},
                    {"facial_crop", DepthMetricsJson(mc)},
                    {"model_dir", tr.dir.string()}};
    std::fprintf(stderr,
                 "full image: AbsRel %.4f RMSE %.4f d1 %.4f | FC: AbsRel %.4f RMSE %.4f "
                 "(%lld px)\n",
                 mf.abs_rel, mf.rmse, mf.delta1, mc.abs_rel, mc.rmse,
                 static_cast<long long>(mc.pixels));
    return record;
  };
  return e;
}

}  // namespace synface::experiments
