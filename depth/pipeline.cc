#include "depth/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/nn/checkpoint.h"
#include "core/nn/runtime.h"
#include "core/nn/schedule.h"
#include "core/nn/state_dict.h"
#include "core/nn/trainer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/util/runfiles.h"
#include "depth/losses.h"
#include "depth/predict_cli.h"
#include "depth/visualize.h"

namespace synface::depth {
namespace fs = std::filesystem;
using core::MakeError;

namespace {

constexpr char kModelFormat[] = "synface.depth_model/1";

void CheckNorm(const std::string& norm) {
  if (norm != "imagenet" && norm != "bgr255") {
    throw MakeError("input normalisation must be 'imagenet' or 'bgr255', got '{}'", norm);
  }
}

std::map<std::string, std::string> SpecMetadata(const DepthModelSpec& s) {
  return {{"format", kModelFormat},
          {"architecture", s.architecture},
          {"max_depth", fmt::format("{:.17g}", s.max_depth)},
          {"input_norm", s.input_norm},
          {"input_width", std::to_string(s.input_width)},
          {"input_height", std::to_string(s.input_height)}};
}

std::optional<DepthModelSpec> SpecFromMetadata(const std::map<std::string, std::string>& m,
                                               const fs::path& path) {
  auto it = m.find("architecture");
  if (it == m.end() || it->second.empty()) return std::nullopt;
  DepthModelSpec s;
  s.architecture = it->second;
  try {
    if (m.count("max_depth")) s.max_depth = std::stod(m.at("max_depth"));
    if (m.count("input_norm")) s.input_norm = m.at("input_norm");
    if (m.count("input_width")) s.input_width = std::stoi(m.at("input_width"));
    if (m.count("input_height")) s.input_height = std::stoi(m.at("input_height"));
  } catch (const std::exception&) {
    throw MakeError("{}: malformed depth-model metadata", path.string());
  }
  return s;
}

cv::Mat TensorToMat(const torch::Tensor& t) {  // (H, W) float -> CV_32FC1 copy
  torch::Tensor c = t.detach().to(torch::kFloat).contiguous();
  return cv::Mat(static_cast<int>(c.size(0)), static_cast<int>(c.size(1)), CV_32F,
                 c.data_ptr<float>())
      .clone();
}

torch::Tensor MatToTensor(const cv::Mat& m) {  // CV_32FC1 -> (1, H, W)
  cv::Mat c = m.isContinuous() ? m : m.clone();
  return torch::from_blob(c.data, {1, c.rows, c.cols}, torch::kFloat).clone();
}

std::string FileId(std::string id) {
  std::replace(id.begin(), id.end(), '/', '_');
  return id;
}

core::nn::LrSchedule MakeSchedule(const std::string& name, int64_t steps) {
  core::nn::ScheduleOptions o;
  o.kind = core::nn::ParseScheduleKind(name);
  o.total_steps = steps;
  o.step_size = std::max<int64_t>(1, steps / 3);
  o.power = 0.9;  // BTS's polynomial decay
  o.milestones = {std::max<int64_t>(1, steps / 2), std::max<int64_t>(2, 3 * steps / 4)};
  return core::nn::LrSchedule(o);
}

}  // namespace

std::shared_ptr<DepthModel> BuildDepthModel(const DepthModelSpec& spec) {
  CheckNorm(spec.input_norm);
  if (spec.architecture.rfind("bts_", 0) == 0) {
    BtsOptions b;
    b.encoder = spec.architecture.substr(4);
    b.max_depth = spec.max_depth;
    return std::make_shared<Bts>(b);
  }
  auto model = CreateDepthModel(spec.architecture);
  model->set_max_depth(spec.max_depth);
  return model;
}

void SaveDepthModel(const fs::path& path, DepthModel& model, const DepthModelSpec& spec) {
  core::nn::CheckpointParts parts;
  parts.AddModule("model", model);
  parts.include_torch_rng = false;
  core::nn::CheckpointState state;
  state.metadata = SpecMetadata(spec);
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  core::nn::SaveCheckpoint(path, parts, state);
}

LoadedDepthModel LoadDepthModel(const fs::path& path, const DepthModelSpec& fallback) {
  if (!fs::is_regular_file(path)) throw MakeError("{}: model file not found", path.string());
  std::optional<DepthModelSpec> spec;
  bool is_checkpoint = false;
  try {
    core::nn::CheckpointParts none;
    none.include_torch_rng = false;
    const core::nn::CheckpointState state = core::nn::LoadCheckpoint(path, none);
    is_checkpoint = true;
    spec = SpecFromMetadata(state.metadata, path);
  } catch (const core::Error&) {
    is_checkpoint = false;  // not a checkpoint archive: maybe a plain state dict
  }
  LoadedDepthModel out;
  if (spec) {
    if (!fallback.architecture.empty() && fallback.architecture != spec->architecture) {
      throw MakeError("{}: holds a '{}' model, not '{}'", path.string(), spec->architecture,
                      fallback.architecture);
    }
    out.spec = *spec;
    out.model = BuildDepthModel(out.spec);
    core::nn::LoadModuleFromCheckpoint(path, "model", *out.model);
    return out;
  }
  if (fallback.architecture.empty()) {
    throw MakeError(
        "{}: {}; name the architecture (model=<name>) to load it", path.string(),
        is_checkpoint ? "checkpoint without depth-model metadata" : "not a synface model file");
  }
  out.spec = fallback;
  out.model = BuildDepthModel(out.spec);
  if (is_checkpoint) {
    core::nn::LoadModuleFromCheckpoint(path, "model", *out.model);
  } else {
    core::nn::LoadStateDict(*out.model, path);
  }
  return out;
}

torch::Tensor ImageToTensor(const cv::Mat& bgr, const std::string& norm) {
  CheckNorm(norm);
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw MakeError("ImageToTensor: need an 8-bit BGR image");
  cv::Mat src = bgr;
  if (norm == "imagenet") cv::cvtColor(bgr, src, cv::COLOR_BGR2RGB);
  cv::Mat f;
  src.convertTo(f, CV_32FC3, 1.0 / 255.0);
  torch::Tensor t =
      torch::from_blob(f.data, {f.rows, f.cols, 3}, torch::kFloat).permute({2, 0, 1}).clone();
  if (norm == "imagenet") {
    const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({3, 1, 1});
    const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}).view({3, 1, 1});
    t = (t - mean) / std;
  }
  return t.unsqueeze(0).contiguous();
}

cv::Mat PredictDepth(DepthModel& model, const DepthModelSpec& spec, const cv::Mat& bgr) {
  cv::Mat input = bgr;
  if (spec.input_width > 0 && spec.input_height > 0 &&
      (bgr.cols != spec.input_width || bgr.rows != spec.input_height)) {
    cv::resize(bgr, input, cv::Size(spec.input_width, spec.input_height), 0, 0, cv::INTER_AREA);
  }
  model.eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor y = model.forward(ImageToTensor(input, spec.input_norm));
  return TensorToMat(model.ToMetres(y)[0][0]);
}

// ---- Training ------------------------------------------------------------------------------

namespace {

struct Prepared {
  torch::Tensor image, target, mask;  // (3, H, W), (1, h, w), (1, h, w) bool
};

class BatchMaker {
 public:
  BatchMaker(const DepthSource& source, std::vector<size_t> indices, const DepthModel& model,
             const DepthTrainConfig& c)
      : source_(source), indices_(std::move(indices)), model_(model), config_(c) {
    const DepthSample first = source_.Read(indices_.at(0));
    if (first.depth.empty()) {
      throw MakeError("training sample {} ({}) has no ground-truth depth", first.id, first.source);
    }
    width_ = c.spec.input_width > 0 ? c.spec.input_width : first.rgb.cols;
    height_ = c.spec.input_height > 0 ? c.spec.input_height : first.rgb.rows;
    const int64_t s = model.output_stride();
    if (width_ % s || height_ % s) {
      throw MakeError("training resolution {}x{} must be divisible by the output stride {}", width_,
                      height_, s);
    }
    out_w_ = static_cast<int>(width_ / s);
    out_h_ = static_cast<int>(height_ / s);
    const int64_t bytes = (3LL * width_ * height_ + 2LL * out_w_ * out_h_) * 4;
    cache_enabled_ =
        bytes * static_cast<int64_t>(indices_.size()) <= c.cache_megabytes * 1024 * 1024;
    cache_.resize(indices_.size());
  }

  size_t size() const { return indices_.size(); }

  const Prepared& Get(size_t k) {
    if (cache_enabled_ && cache_[k]) return *cache_[k];
    Prepared p = Prepare(source_.Read(indices_[k]));
    if (cache_enabled_) {
      cache_[k] = std::move(p);
      return *cache_[k];
    }
    scratch_ = std::move(p);
    return scratch_;
  }

 private:
  Prepared Prepare(const DepthSample& s) const {
    if (s.rgb.empty() || s.depth.empty()) {
      throw MakeError("training sample {} ({}) lacks an RGB image or depth", s.id, s.source);
    }
    if (!s.registered) {
      throw MakeError("training sample {} ({}): RGB and depth are not registered", s.id, s.source);
    }
    cv::Mat rgb = s.rgb, depth = s.depth;
    if (rgb.cols != width_ || rgb.rows != height_) {
      cv::resize(rgb, rgb, cv::Size(width_, height_), 0, 0, cv::INTER_AREA);
    }
    if (depth.cols != out_w_ || depth.rows != out_h_) {
      const int interp = config_.resize_depth == "bilinear" ? cv::INTER_LINEAR : cv::INTER_NEAREST;
      cv::resize(depth, depth, cv::Size(out_w_, out_h_), 0, 0, interp);
    }
    Prepared p;
    p.image = ImageToTensor(rgb, config_.spec.input_norm)[0];
    const torch::Tensor d = MatToTensor(depth);
    p.mask = d > 0;
    p.target = model_.TargetFromMetres(d);
    return p;
  }

  const DepthSource& source_;
  std::vector<size_t> indices_;
  const DepthModel& model_;
  DepthTrainConfig config_;
  int width_ = 0, height_ = 0, out_w_ = 0, out_h_ = 0;
  bool cache_enabled_ = false;
  std::vector<std::optional<Prepared>> cache_;
  Prepared scratch_;
};

}  // namespace

DepthTrainResult TrainDepthModel(const DepthSource& source, const std::vector<size_t>& indices,
                                 const DepthTrainConfig& c) {
  if (indices.empty()) throw MakeError("TrainDepthModel: no training samples");
  if (c.batch_size < 1 || c.steps < 1 || !(c.lr > 0)) {
    throw MakeError("TrainDepthModel: batch_size, steps and lr must be positive");
  }
  if (c.run_dir.empty()) throw MakeError("TrainDepthModel: run_dir is required");
  if (c.resize_depth != "nearest" && c.resize_depth != "bilinear") {
    throw MakeError("resize_depth must be 'nearest' or 'bilinear', got '{}'", c.resize_depth);
  }
  core::nn::SetThreads(c.threads);
  core::nn::SeedEverything(c.seed);
  auto model = BuildDepthModel(c.spec);
  DepthModelSpec spec = c.spec;
  auto batches = std::make_shared<BatchMaker>(source, indices, *model, c);
  const DepthLossFn loss_fn = MakeDepthLoss(c.loss, spec.max_depth, c.loss_weights);

  const int64_t n = static_cast<int64_t>(batches->size());
  const int64_t steps_per_epoch = (n + c.batch_size - 1) / c.batch_size;
  core::nn::TrainerOptions to;
  to.run_dir = c.run_dir;
  to.total_steps = c.steps;
  to.steps_per_epoch = steps_per_epoch;
  to.checkpoint_every = c.checkpoint_every;
  to.seed = c.seed;
  to.show_progress = c.show_progress;
  to.log_every = std::max<int64_t>(1, c.steps / 50);
  to.label = "train " + spec.architecture;
  core::nn::Trainer trainer(to);
  auto adam = std::make_shared<torch::optim::Adam>(
      model->parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  trainer.AddModule("model", model);
  trainer.AddOptimizer("adam", adam, MakeSchedule(c.schedule, c.steps));
  for (const auto& [k, v] : SpecMetadata(spec)) trainer.SetMetadata(k, v);
  trainer.SetMetadata("loss", c.loss);

  auto first_loss = std::make_shared<std::optional<double>>();
  const uint64_t seed = c.seed;
  const int batch_size = c.batch_size;
  const bool mask_invalid = c.mask_invalid;
  trainer.SetStep([=, &model](core::nn::StepContext& ctx) {
    const std::vector<int64_t> perm = core::nn::EpochPermutation(seed, ctx.epoch, n);
    const int64_t begin = ctx.step_in_epoch * batch_size;
    const int64_t end = std::min<int64_t>(n, begin + batch_size);
    std::vector<torch::Tensor> images, targets, masks;
    for (int64_t k = begin; k < end; ++k) {
      const Prepared& p = batches->Get(static_cast<size_t>(perm[k]));
      images.push_back(p.image);
      targets.push_back(p.target);
      masks.push_back(p.mask);
    }
    model->train();
    const torch::Tensor pred = model->forward(torch::stack(images));
    const torch::Tensor mask = mask_invalid ? torch::stack(masks) : torch::Tensor();
    const LossTerms terms = loss_fn(pred, torch::stack(targets), mask);
    if (!*first_loss) *first_loss = terms.total.item<double>();
    core::nn::StepOutput out;
    out.loss = terms.total;
    for (const auto& [name, t] : {std::pair<const char*, torch::Tensor>{"l_depth", terms.depth},
                                  {"l_ssim", terms.ssim},
                                  {"l_grad", terms.grad},
                                  {"l_normal", terms.normal}}) {
      if (t.defined()) out.scalars.emplace_back(name, t.item<double>());
    }
    return out;
  });
  const core::nn::TrainResult r = trainer.Run();
  if (!r.finished) throw MakeError("training stopped at step {} of {}", r.steps_done, c.steps);
  DepthTrainResult result;
  result.model_path = c.run_dir / "model.pt";
  SaveDepthModel(result.model_path, *model, spec);
  result.steps = r.steps_done;
  result.first_loss = first_loss->value_or(r.last_loss);
  result.last_loss = r.last_loss;
  result.seconds = r.elapsed_seconds;
  result.samples_per_second =
      r.elapsed_seconds > 0
          ? static_cast<double>((r.steps_done - r.start_step) * c.batch_size) / r.elapsed_seconds
          : 0.0;
  return result;
}

// ---- Evaluation ------------------------------------------------------------------------------

DepthMetrics EvaluateDepthModel(DepthModel& model, const DepthModelSpec& spec,
                                const DepthSource& source, const std::vector<size_t>& indices,
                                const EvalOptions& options, const SampleCallback& on_sample) {
  DepthEvaluator evaluator(options);
  for (size_t i : indices) {
    const DepthSample s = source.Read(i);
    if (s.depth.empty() || s.rgb.empty()) {
      throw MakeError("evaluation sample {} ({}) lacks an RGB image or depth", s.id, s.source);
    }
    if (!s.registered) {
      throw MakeError("evaluation sample {} ({}): RGB and depth are not registered", s.id,
                      s.source);
    }
    const cv::Mat pred = PredictDepth(model, spec, s.rgb);
    evaluator.Add(pred, s.depth);
    if (on_sample) on_sample(s, pred);
  }
  return evaluator.Result();
}

// ---- Prediction ------------------------------------------------------------------------------

PredictSummary PredictSource(const LoadedDepthModel& m, const DepthSource& source,
                             const PredictOptions& o) {
  if (o.out_dir.empty()) throw MakeError("PredictSource: no output folder");
  if (o.ply_stride < 1) throw MakeError("ply_stride must be >= 1");
  fs::create_directories(o.out_dir);
  DepthEvaluator evaluator(o.eval);
  PredictSummary summary;
  const size_t n = o.limit > 0 ? std::min(o.limit, source.size()) : source.size();
  core::Progress progress("predict", static_cast<int64_t>(n), "images");
  for (size_t i = 0; i < n; ++i) {
    const DepthSample s = source.Read(i);
    if (s.rgb.empty()) throw MakeError("sample {} ({}) has no RGB image", s.id, s.source);
    const std::string id = FileId(s.id);
    const cv::Mat pred = PredictDepth(*m.model, m.spec, s.rgb);
    cv::Mat pred_full;
    cv::resize(pred, pred_full, s.rgb.size(), 0, 0, cv::INTER_LINEAR);
    const bool gt = !s.depth.empty() && s.registered;
    const auto range = gt ? DepthRange(s.depth) : DepthRange(pred_full);
    core::io::WriteImage(o.out_dir / (id + ".rgb.png"), s.rgb);
    core::io::WriteImage(o.out_dir / (id + ".pred.png"),
                         ColorizeDepth(pred_full, range.first, range.second));
    core::io::WriteDepthExr(o.out_dir / (id + ".pred.exr"), pred_full);
    if (!s.depth.empty()) {
      core::io::WriteImage(o.out_dir / (id + ".gt.png"), ColorizeDepth(s.depth));
    }
    core::io::WriteImage(o.out_dir / (id + ".panel.png"),
                         DepthPanel(s.rgb, gt ? s.depth : cv::Mat(), pred_full));
    if (o.write_ply) {
      const core::geometry::Intrinsics k =
          (s.has_intrinsics && s.registered)
              ? s.intrinsics
              : core::geometry::Intrinsics::FromHorizontalFov(o.default_hfov_deg * M_PI / 180.0,
                                                              s.rgb.cols, s.rgb.rows);
      WriteDepthPly(o.out_dir / (id + ".pred.ply"), pred_full, k, s.rgb, o.ply_stride);
      if (!s.depth.empty() && s.has_intrinsics) {
        WriteDepthPly(o.out_dir / (id + ".gt.ply"), s.depth, s.intrinsics,
                      gt && s.depth.size() == s.rgb.size() ? s.rgb : cv::Mat(), o.ply_stride);
      }
    }
    if (gt) {
      evaluator.Add(pred, s.depth);
      summary.has_metrics = true;
    }
    ++summary.samples;
    progress.Update(static_cast<int64_t>(summary.samples));
  }
  progress.Finish();
  if (summary.has_metrics) {
    summary.metrics = evaluator.Result();
    nlohmann::json j;
    j["samples"] = summary.metrics.images;
    j["pixels"] = summary.metrics.pixels;
    j["mode"] = o.eval.legacy.Any() ? "legacy" : "correct";
    j["facial_crop"] = o.eval.facial_crop;
    j["architecture"] = m.spec.architecture;
    for (const auto& [k, v] : MetricList(summary.metrics)) {
      j["metrics"][k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    }
    summary.metrics_file = o.out_dir / "metrics.json";
    core::WriteFileAtomic(summary.metrics_file, j.dump(2) + "\n");
  }
  return summary;
}

namespace {

bool ParseBool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  throw MakeError("{}: expected true or false, got '{}'", key, v);
}

double ParseDouble(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    const double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  throw MakeError("{}: expected a number, got '{}'", key, v);
}

int RunPredict(int argc, char** argv) {
  core::InitRunfiles(argv[0]);
  std::string model_path;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: predict MODEL in=DIR out=DIR [kind= model= eval= fc= fov= ply_stride= "
          "limit= threads= max_depth= input_norm= width= height=]\n");
      return 0;
    }
    const auto eq = a.find('=');
    if (eq == std::string::npos) {
      if (!model_path.empty())
        throw MakeError("more than one model path: '{}', '{}'", model_path, a);
      model_path = a;
    } else {
      kv[a.substr(0, eq)] = a.substr(eq + 1);
    }
  }
  static const char* kKeys[] = {"in",      "out",        "kind",  "model",      "max_depth",
                                "eval",    "fc",         "fov",   "ply_stride", "limit",
                                "threads", "input_norm", "width", "height"};
  for (const auto& [k, v] : kv) {
    bool known = false;
    for (const char* key : kKeys) known = known || k == key;
    if (!known) throw MakeError("unknown argument '{}' (see --help)", k);
  }
  if (model_path.empty() || !kv.count("in") || !kv.count("out")) {
    throw MakeError("usage: predict MODEL in=DIR out=DIR [key=value ...] (see --help)");
  }
  auto get = [&](const std::string& k, const std::string& def) {
    return kv.count(k) ? kv.at(k) : def;
  };
  core::nn::SetThreads(static_cast<int>(ParseDouble("threads", get("threads", "0"))));
  DepthModelSpec fallback;
  fallback.architecture = get("model", "");
  fallback.max_depth = ParseDouble("max_depth", get("max_depth", "5"));
  fallback.input_norm = get("input_norm", "imagenet");
  fallback.input_width = static_cast<int>(ParseDouble("width", get("width", "0")));
  fallback.input_height = static_cast<int>(ParseDouble("height", get("height", "0")));
  const auto model = LoadDepthModel(core::ResolveUserPath(model_path), fallback);
  const auto source = OpenDepthSource(get("kind", "auto"), core::ResolveUserPath(kv.at("in")));
  PredictOptions o;
  o.out_dir = core::ResolveUserPath(kv.at("out"));
  o.eval = EvalOptions::ForMode(get("eval", "correct"));
  o.eval.facial_crop = ParseBool("fc", get("fc", "false"));
  o.default_hfov_deg = ParseDouble("fov", get("fov", "60"));
  o.ply_stride = static_cast<int>(ParseDouble("ply_stride", get("ply_stride", "1")));
  o.limit = static_cast<size_t>(ParseDouble("limit", get("limit", "0")));
  const auto summary = PredictSource(model, *source, o);
  std::printf("%zu images -> %s\n", summary.samples, o.out_dir.string().c_str());
  if (summary.has_metrics) {
    std::printf("%s evaluation%s: AbsRel %.4f  RMSE %.4f  delta1 %.4f  (%s)\n",
                o.eval.legacy.Any() ? "legacy" : "correct", o.eval.facial_crop ? " (FC)" : "",
                summary.metrics.abs_rel, summary.metrics.rmse, summary.metrics.delta1,
                summary.metrics_file.string().c_str());
  }
  return 0;
}

}  // namespace

int PredictMain(int argc, char** argv) {
  try {
    return RunPredict(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict: %s\n", e.what());
    return 1;
  }
}

}  // namespace synface::depth
