#include "hpe/inference.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <opencv2/imgproc.hpp>

#include "core/geometry/head_pose.h"
#include "core/io/image.h"
#include "core/nn/checkpoint.h"
#include "core/nn/model.h"
#include "core/nn/registry.h"
#include "core/nn/runtime.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "hpe/fsanet.h"
#include "hpe/sixdrepnet.h"

namespace synface::hpe {
namespace fs = std::filesystem;
namespace nn = core::nn;
using core::MakeError;

void RegisterHpeModels() {
  RegisterFsaNetModels();
  RegisterSixDRepNetModels();
}

InputSpec InputSpecFor(const nn::Model& model, int size) {
  InputSpec spec;
  if (const auto* fsa = dynamic_cast<const FsaNet*>(&model)) {
    spec.size = fsa->options().image_size;
  } else if (const auto* fusion = dynamic_cast<const FsaNetFusion*>(&model)) {
    spec.size = fusion->members[0]->options().image_size;
  } else {
    spec.size = size;
    spec.imagenet_normalize = dynamic_cast<const SixDRepNet*>(&model) != nullptr;
  }
  return spec;
}

torch::Tensor ImagesToTensor(const std::vector<cv::Mat>& images, const InputSpec& spec) {
  const int s = spec.size;
  torch::Tensor out = torch::empty({static_cast<int64_t>(images.size()), 3, s, s});
  float* dst = out.data_ptr<float>();
  const int64_t plane = static_cast<int64_t>(s) * s;
  for (size_t n = 0; n < images.size(); ++n) {
    cv::Mat im = images[n];
    if (im.empty() || im.type() != CV_8UC3) {
      throw MakeError("input image {} is not 8-bit, 3-channel", n);
    }
    if (im.rows != s || im.cols != s) {
      cv::Mat resized;
      cv::resize(im, resized, cv::Size(s, s), 0, 0, cv::INTER_LINEAR);
      im = resized;
    }
    float* base = dst + static_cast<int64_t>(n) * 3 * plane;
    for (int y = 0; y < s; ++y) {
      const cv::Vec3b* row = im.ptr<cv::Vec3b>(y);
      for (int x = 0; x < s; ++x) {
        // BGR -> RGB planes, / 255.
        for (int c = 0; c < 3; ++c) base[c * plane + y * s + x] = row[x][2 - c] / 255.0f;
      }
    }
  }
  return NormalizeInput(out, spec);
}

torch::Tensor NormalizeInput(const torch::Tensor& unit_rgb, const InputSpec& spec) {
  if (!spec.imagenet_normalize) return unit_rgb;
  const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
  return (unit_rgb - mean) / std;
}

torch::Tensor BatchImages(const PoseSet& set, const std::vector<size_t>& indices,
                          const InputSpec& spec) {
  std::vector<cv::Mat> images;
  images.reserve(indices.size());
  for (size_t i : indices) {
    if (i >= set.count()) throw MakeError("BatchImages: index {} of {} samples", i, set.count());
    images.push_back(set.images[i]);
  }
  return ImagesToTensor(images, spec);
}

torch::Tensor BatchLabels(const PoseSet& set, const std::vector<size_t>& indices) {
  torch::Tensor out = torch::empty({static_cast<int64_t>(indices.size()), 3});
  auto a = out.accessor<float, 2>();
  for (size_t k = 0; k < indices.size(); ++k) {
    for (int c = 0; c < 3; ++c) a[k][c] = static_cast<float>(set.labels.at(indices[k])[c]);
  }
  return out;
}

std::vector<Eigen::Vector3d> OutputToDegrees(const torch::Tensor& output) {
  if (output.dim() == 3) return LabelsFromSixDRepNetMatrices(output);
  if (output.dim() != 2 || output.size(1) != 3) {
    throw MakeError("model output must be (N, 3) angles or (N, 3, 3) rotations");
  }
  const torch::Tensor c = output.detach().to(torch::kDouble).contiguous();
  auto a = c.accessor<double, 2>();
  std::vector<Eigen::Vector3d> out(c.size(0));
  for (int64_t i = 0; i < c.size(0); ++i) out[i] = Eigen::Vector3d(a[i][0], a[i][1], a[i][2]);
  return out;
}

torch::Tensor PoseLoss(const nn::Model& model, const torch::Tensor& output,
                       const torch::Tensor& labels_deg) {
  if (dynamic_cast<const SixDRepNet*>(&model) != nullptr) {
    const torch::Tensor l = labels_deg.detach().to(torch::kDouble).contiguous();
    auto a = l.accessor<double, 2>();
    std::vector<Eigen::Vector3d> labels(l.size(0));
    for (int64_t i = 0; i < l.size(0); ++i) labels[i] = Eigen::Vector3d(a[i][0], a[i][1], a[i][2]);
    return GeodesicLoss(output, SixDRepNetMatricesFromLabels(labels).to(output.dtype()));
  }
  return torch::l1_loss(output, labels_deg);
}

std::vector<Eigen::Vector3d> Predict(nn::Model& model, const PoseSet& set, const InputSpec& spec,
                                     int batch_size) {
  if (batch_size <= 0) throw MakeError("Predict: batch size must be > 0");
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::vector<Eigen::Vector3d> out;
  out.reserve(set.count());
  for (size_t start = 0; start < set.count(); start += batch_size) {
    std::vector<size_t> idx;
    for (size_t i = start; i < std::min(set.count(), start + batch_size); ++i) idx.push_back(i);
    const auto degrees = OutputToDegrees(model.forward(BatchImages(set, idx, spec)));
    out.insert(out.end(), degrees.begin(), degrees.end());
  }
  model.train(was_training);
  return out;
}

PoseMae Evaluate(nn::Model& model, const PoseSet& set, const InputSpec& spec,
                 const AngleLimits& limits, int batch_size) {
  return EvaluateFiltered(Predict(model, set, spec, batch_size), set.labels, limits);
}

// ---- model files
// ---------------------------------------------------------------------------------

void SaveModelFile(const fs::path& path, nn::Model& model, const InputSpec& input,
                   const std::map<std::string, std::string>& extra) {
  nn::CheckpointParts parts;
  parts.AddModule("model", model);
  parts.include_torch_rng = false;
  nn::CheckpointState state;
  state.metadata = extra;
  state.metadata["architecture"] = model.architecture();
  state.metadata["input_size"] = std::to_string(input.size);
  state.metadata["input_normalization"] = input.imagenet_normalize ? "imagenet" : "unit";
  state.metadata["kind"] = "synface.hpe.model";
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  nn::SaveCheckpoint(path, parts, state);
}

ModelFile LoadModelFile(const fs::path& path) {
  if (!fs::exists(path)) throw MakeError("{}: model file not found", path.string());
  nn::CheckpointParts none;
  none.include_torch_rng = false;
  const nn::CheckpointState state = nn::LoadCheckpoint(path, none);
  auto get = [&](const std::string& key) {
    auto it = state.metadata.find(key);
    if (it == state.metadata.end()) {
      throw MakeError("{}: not an hpe model file (no '{}' in its metadata)", path.string(), key);
    }
    return it->second;
  };
  RegisterHpeModels();
  ModelFile f;
  f.metadata = state.metadata;
  f.model = nn::CreateModel(get("architecture"));
  nn::LoadModuleFromCheckpoint(path, "model", *f.model);
  f.model->eval();
  try {
    f.input.size = std::stoi(get("input_size"));
  } catch (const std::logic_error&) {
    throw MakeError("{}: bad input_size '{}'", path.string(), get("input_size"));
  }
  f.input.imagenet_normalize = get("input_normalization") == "imagenet";
  return f;
}

// ---- predict command
// -----------------------------------------------------------------------------

void DrawPoseAxes(cv::Mat& image, const Eigen::Vector3d& d, const Eigen::Vector2d& centre,
                  double length) {
  const Eigen::Matrix3d r =
      core::geometry::RotationFromHeadPose(core::geometry::HeadPoseFromDegrees(d[0], d[1], d[2]));
  // Orthographic projection of the head axes (camera x right, y down): x = R e_x, y = R e_y,
  // facing direction = -R e_z.
  const auto end = [&](const Eigen::Vector3d& axis) {
    return cv::Point2d(centre.x() + length * axis.x(), centre.y() + length * axis.y());
  };
  const cv::Point2d c(centre.x(), centre.y());
  const int thickness = std::max(2, static_cast<int>(std::lround(length / 40)));
  cv::line(image, c, end(r.col(0)), cv::Scalar(0, 0, 255), thickness, cv::LINE_AA);
  cv::line(image, c, end(r.col(1)), cv::Scalar(0, 255, 0), thickness, cv::LINE_AA);
  cv::line(image, c, end(-r.col(2)), cv::Scalar(255, 0, 0), thickness, cv::LINE_AA);
}

PredictSummary PredictFolder(const fs::path& model_file, const fs::path& in_dir,
                             const fs::path& out_dir, const PredictOptions& options) {
  if (!fs::is_directory(in_dir)) throw MakeError("{}: input folder not found", in_dir.string());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(in_dir)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" ||
                                ext == ".tif" || ext == ".tiff" || ext == ".webp")) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw MakeError("{}: no image files", in_dir.string());
  // <stem>_pose.png, or <stem>_<ext>_pose.png when two inputs share a stem (a.jpg, a.png).
  std::map<std::string, int> stems;
  for (const auto& f : files) ++stems[f.stem().string()];
  std::vector<std::string> drawing_names;
  for (const auto& f : files) {
    std::string name = f.stem().string();
    if (stems[name] > 1) name += "_" + f.extension().string().substr(1);
    drawing_names.push_back(name + "_pose.png");
  }
  nn::SetThreads(options.threads);
  const ModelFile mf = LoadModelFile(model_file);
  fs::create_directories(out_dir);

  std::string csv = "file,yaw,pitch,roll\n";
  core::Progress progress("predict", static_cast<int64_t>(files.size()), "images");
  torch::NoGradGuard no_grad;
  for (size_t start = 0; start < files.size(); start += options.batch_size) {
    const size_t end = std::min(files.size(), start + options.batch_size);
    std::vector<cv::Mat> images;
    for (size_t i = start; i < end; ++i) images.push_back(core::io::ReadImage(files[i]));
    const auto poses = OutputToDegrees(mf.model->forward(ImagesToTensor(images, mf.input)));
    for (size_t k = 0; k < images.size(); ++k) {
      const fs::path& f = files[start + k];
      const Eigen::Vector3d& d = poses[k];
      csv += fmt::format("{},{:.4f},{:.4f},{:.4f}\n", f.filename().string(), d[0], d[1], d[2]);
      cv::Mat drawing = images[k];
      const int small = std::min(drawing.cols, drawing.rows);
      if (small < options.min_drawing_size) {
        const double s = static_cast<double>(options.min_drawing_size) / small;
        cv::resize(drawing, drawing, cv::Size(), s, s, cv::INTER_LINEAR);
      } else {
        drawing = drawing.clone();
      }
      DrawPoseAxes(drawing, d, Eigen::Vector2d(drawing.cols / 2.0, drawing.rows / 2.0),
                   options.axis_length_fraction * std::min(drawing.cols, drawing.rows));
      core::io::WriteImage(out_dir / drawing_names[start + k], drawing);
    }
    progress.Update(static_cast<int64_t>(end));
  }
  progress.Finish();
  PredictSummary summary;
  summary.images = files.size();
  summary.csv = out_dir / "poses.csv";
  core::WriteFileAtomic(summary.csv, csv);
  return summary;
}

}  // namespace synface::hpe
