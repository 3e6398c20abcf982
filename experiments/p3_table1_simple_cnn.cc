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
#include "depth/toy_data.h"

namespace synface::experiments {
namespace {
namespace fs = std::filesystem;
using core::results::FormatFixed;
using core::results::ResultRecord;
using core::results::ResultRow;
using core::results::Value;

ResultRow MetricsRow(const std::string& id, const depth::DepthMetrics& m, const std::string& note) {
  ResultRow row;
  row.row = id;
  auto put = [&](const char* column, double v) {
    row.values[column] = Value{v, FormatFixed(v, 4)};
  };
  put("abs_rel", m.abs_rel);
  put("sq_rel", m.sq_rel);
  put("rmse", m.rmse);
  put("rmselog", m.rmse_log);
  put("delta1", m.delta1);
  put("delta2", m.delta2);
  put("delta3", m.delta3);
  row.note = note;
  return row;
}

nlohmann::json MetricsJson(const depth::DepthMetrics& m) {
  nlohmann::json j;
  for (const auto& [k, v] : depth::MetricList(m)) {
    j[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  }
  j["pixels"] = m.pixels;
  j["images"] = m.images;
  return j;
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
    s.Optional<std::string>("data.root", "runs/data/c3i_depth", "synface depth dataset folder");
    s.Optional<bool>("data.stand_in", true, "smoke: toy procedural stand-in when root is absent");
    s.Optional<double>("data.test_fraction", 0.2, "subject-disjoint test fraction");
    s.Range("data.test_fraction", 0.01, 0.99);
    s.Optional<int64_t>("data.max_samples", 0, "training samples used (0 = all)");
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
    s.Optional<int64_t>("smoke.stand_in_samples", 48, "toy stand-in dataset size");
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
    const fs::path root = core::ResolveUserPath(cfg.Get<std::string>("data.root"));
    std::unique_ptr<depth::SynthDepthDataset> data;
    if (fs::exists(root / "dataset.toml")) {
      data = std::make_unique<depth::SynthDepthDataset>(root);
      record.data.kind = "synthetic";
      record.data.path = root.string();
      record.data.hash = data->ManifestHash();
      record.data.description = fmt::format("synface depth dataset, {} samples", data->size());
    } else if (smoke && cfg.Get<bool>("data.stand_in")) {
      depth::ToyDatasetOptions toy;
      toy.count = static_cast<int>(cfg.Get<int64_t>("smoke.stand_in_samples"));
      toy.width = width;
      toy.height = height;
      toy.seed = ctx.seed + 1;
      toy.subjects = 8;
      const fs::path dir = ctx.run_dir / "stand_in_data";
      depth::WriteToyDepthDataset(dir, toy);
      data = std::make_unique<depth::SynthDepthDataset>(dir);
      record.data.kind = "synthetic-stand-in";
      record.data.path = dir.string();
      record.data.hash = data->ManifestHash();
      record.data.description = fmt::format(
          "{} toy procedural scenes (depth/toy_data: ellipsoid head 0.35-0.45 m before a plane at "
          "1.6-2.0 m, {}x{}), standing in for the synth c3i_depth dataset absent at {}",
          toy.count, width, height, root.string());
    } else {
      throw core::MakeError(
          "depth dataset not found: {} (generate it with synth's c3i_depth "
          "preset or set data.root)",
          root.string());
    }

    const depth::DepthSplit split =
        depth::SplitByGroup(*data, cfg.Get<double>("data.test_fraction"));
    std::vector<size_t> train = split.train;
    const auto max_samples = static_cast<size_t>(cfg.Get<int64_t>("data.max_samples"));
    if (max_samples > 0 && train.size() > max_samples) train.resize(max_samples);
    if (train.empty() || split.test.empty()) {
      throw core::MakeError(
          "{}: the subject split left {} training and {} test samples; need "
          "more subjects",
          data->dir().string(), train.size(), split.test.size());
    }

    depth::DepthTrainConfig tc;
    tc.spec.architecture = cfg.Get<std::string>("model.architecture");
    tc.spec.input_width = width;
    tc.spec.input_height = height;
    tc.spec.input_norm = as_run ? "bgr255" : "imagenet";
    tc.resize_depth = as_run ? "bilinear" : "nearest";
    tc.mask_invalid = !as_run;
    tc.loss = cfg.Get<std::string>("train.loss");
    tc.lr = cfg.Get<double>("train.lr");
    tc.batch_size =
        static_cast<int>(cfg.Get<int64_t>(smoke ? "smoke.batch_size" : "train.batch_size"));
    const int64_t steps_per_epoch =
        (static_cast<int64_t>(train.size()) + tc.batch_size - 1) / tc.batch_size;
    tc.steps = smoke ? cfg.Get<int64_t>("smoke.steps")
                     : cfg.Get<int64_t>("train.epochs") * steps_per_epoch;
    tc.checkpoint_every = std::max<int64_t>(1, tc.steps / 4);
    tc.threads = ctx.threads;
    tc.seed = ctx.seed;
    tc.run_dir = ctx.run_dir / "train";
    const depth::DepthTrainResult tr = depth::TrainDepthModel(*data, train, tc);
    const depth::LoadedDepthModel model = depth::LoadDepthModel(tr.model_path);

    depth::EvalOptions full = depth::EvalOptions::ForMode(as_run ? "legacy" : "correct");
    depth::EvalOptions fc = full;
    fc.facial_crop = true;
    const depth::DepthMetrics mf =
        depth::EvaluateDepthModel(*model.model, model.spec, *data, split.test, full);
    const depth::DepthMetrics mc =
        depth::EvaluateDepthModel(*model.model, model.spec, *data, split.test, fc);

    // Pictures and point clouds of a few test samples for people to look at.
    std::vector<size_t> shown(split.test.begin(),
                              split.test.begin() + std::min<size_t>(4, split.test.size()));
    depth::SubsetSource subset(*data, shown);
    depth::PredictOptions po;
    po.out_dir = ctx.run_dir / "predictions";
    po.eval = full;
    po.ply_stride = width > 256 ? 2 : 1;
    depth::PredictSource(model, subset, po);

    const std::string setup = fmt::format(
        "{} trained {} steps (batch {}, Adam {}, loss {}) at {}x{} on {} samples, tested on {} "
        "(subject-disjoint); {} evaluation",
        tc.spec.architecture, tr.steps, tc.batch_size, tc.lr, tc.loss, width, height, train.size(),
        split.test.size(), as_run ? "legacy" : "correct");
    record.rows.push_back(MetricsRow("simple_cnn_full", mf, setup + ", full image"));
    if (mc.pixels > 0) {
      record.rows.push_back(
          MetricsRow("simple_cnn_face", mc, setup + ", facial crop (ground truth < 0.5 m)"));
    }
    record.notes = fmt::format(
        "Rows 1-2 (pre-trained DenseDepth / MiDaS) need released weights: not run. {}{} Training "
        "loss {:.4g} -> {:.4g}, {:.1f} s, {:.1f} samples/s on {} thread(s). Pictures and PLY "
        "clouds: {}.",
        smoke ? "SMOKE SCALE: a few minutes of training at reduced resolution, not a "
                "reproduction. "
              : "",
        mc.pixels > 0 ? "" : "No test pixel lies closer than 0.5 m: the FC row is not reported.",
        tr.first_loss, tr.last_loss, tr.seconds, tr.samples_per_second, ctx.threads,
        po.out_dir.string());
    record.extra = {{"train",
                     {{"steps", tr.steps},
                      {"first_loss", tr.first_loss},
                      {"last_loss", tr.last_loss},
                      {"seconds", tr.seconds},
                      {"samples_per_second", tr.samples_per_second},
                      {"samples", train.size()}}},
                    {"test_samples", split.test.size()},
                    {"full", MetricsJson(mf)},
                    {"facial_crop", MetricsJson(mc)},
                    {"model_file", tr.model_path.string()}};
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
