// Running head-pose models: self-describing model files, the input pipeline, prediction,
// evaluation and the `predict` command's folder mode. This header includes no torch header (the
// types are forward-declared) so that thin entry points compile fast; the implementation links
// LibTorch.
//
// Input pipeline (both model families): the PoseSet crop (BGR uint8) -> RGB, / 255 — the
// authors' port — then, for 6DRepNet-style models, ImageNet mean/std. Crops of another size are
// resized bilinearly to the model's input size.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hpe/evaluation.h"
#include "hpe/pose_data.h"

namespace at {
class Tensor;
}
namespace synface::core::nn {
class Model;
}

namespace synface::hpe {

// Registers every hpe model (FSA-Net variants, fusion, 6DRepNet-style) with core/nn's registry.
// Idempotent.
void RegisterHpeModels();

struct InputSpec {
  int size = 64;
  bool imagenet_normalize = false;
};

// FSA-Net: its image_size, no normalisation. 6DRepNet-style: `size` (its backbone takes any),
// ImageNet normalisation.
InputSpec InputSpecFor(const core::nn::Model& model, int size = 224);

// (N, 3, S, S) float tensor of the samples at `indices`.
at::Tensor BatchImages(const PoseSet& set, const std::vector<size_t>& indices,
                       const InputSpec& spec);
at::Tensor ImagesToTensor(const std::vector<cv::Mat>& bgr_images, const InputSpec& spec);
// The normalisation step alone, on an RGB / 255 tensor (identity unless imagenet_normalize).
at::Tensor NormalizeInput(const at::Tensor& unit_rgb, const InputSpec& spec);
// (N, 3) float labels in degrees.
at::Tensor BatchLabels(const PoseSet& set, const std::vector<size_t>& indices);

// Model output -> [yaw, pitch, roll] degrees ((N, 3) angles or (N, 3, 3) 6DRepNet matrices).
std::vector<Eigen::Vector3d> OutputToDegrees(const at::Tensor& output);
// The training loss for a model's output: L1 on degrees (FSA-Net, as P1/P2 and the code) or the
// geodesic distance (6DRepNet-style, labels converted through core/geometry).
at::Tensor PoseLoss(const core::nn::Model& model, const at::Tensor& output,
                    const at::Tensor& labels_deg);

// Predicts every sample (eval mode, no gradients; the training flag is restored).
std::vector<Eigen::Vector3d> Predict(core::nn::Model& model, const PoseSet& set,
                                     const InputSpec& spec, int batch_size = 64);
PoseMae Evaluate(core::nn::Model& model, const PoseSet& set, const InputSpec& spec,
                 const AngleLimits& limits = NoFilter(), int batch_size = 64);

// ---- model files
// --------------------------------------------------------------------------------- A model file is
// a core/nn checkpoint holding the module "model" and metadata: architecture (registry name),
// input_size, input_normalization ("unit" / "imagenet"), plus `extra`.
struct ModelFile {
  std::shared_ptr<core::nn::Model> model;
  InputSpec input;
  std::map<std::string, std::string> metadata;
};

void SaveModelFile(const std::filesystem::path& path, core::nn::Model& model,
                   const InputSpec& input, const std::map<std::string, std::string>& extra = {});
// Builds the architecture from the registry and loads the weights; throws core::Error naming the
// file for an unreadable file or an unknown architecture.
ModelFile LoadModelFile(const std::filesystem::path& path);

// ---- predict command
// -----------------------------------------------------------------------------

struct PredictOptions {
  int batch_size = 32;
  int threads = 0;                    // 0 = every core
  double axis_length_fraction = 0.4;  // drawn axis length / min(image width, height)
  int min_drawing_size = 256;         // small crops are enlarged before drawing
};

struct PredictSummary {
  size_t images = 0;
  std::filesystem::path csv;
};

// Every image in `in_dir` (png, jpg, jpeg, bmp, tif, tiff, webp; sorted; not recursive) is taken
// as a face crop: out_dir/poses.csv gets `file,yaw,pitch,roll` (degrees, synface convention) and
// out_dir/<stem>_pose.png (<stem>_<ext>_pose.png when stems repeat) the image with the head axes
// drawn (x red towards the subject's left, y green towards the chin, the facing direction blue;
// orthographic, as Hopenet/6DRepNet draw).
PredictSummary PredictFolder(const std::filesystem::path& model_file,
                             const std::filesystem::path& in_dir,
                             const std::filesystem::path& out_dir,
                             const PredictOptions& options = {});

// Draws the pose axes centred at `centre` (pixels) with `length` pixels on a BGR image.
void DrawPoseAxes(cv::Mat& image, const Eigen::Vector3d& pose_deg, const Eigen::Vector2d& centre,
                  double length);

}  // namespace synface::hpe
