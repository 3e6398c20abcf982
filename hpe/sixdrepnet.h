// A 6DRepNet-style head-pose model (Hempel et al., ICIP 2022; thohemp/6DRepNet), beside FSA-Net
// on the same data: a core/nn backbone (ResNet-18/50 or MobileNetV2 from the registry) regresses
// 6 numbers, Gram-Schmidt turns them into a rotation matrix, the loss is the geodesic distance.
//
// The regressed matrix is 6DRepNet's own, M = get_R(pitch, yaw, roll) = Rz(roll) Ry(yaw) Rx(pitch)
// (sixdrepnet/utils.py), which relates to synface's cam_from_head rotation by M = F R^T F
// (core/geometry/pose_formats.h; docs/conventions.md). Labels go in and predictions come out
// through those converters, so the angles are the same quantity FSA-Net reports. The geodesic
// distance is invariant under that change of frame.
#pragma once

#include <torch/torch.h>

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "core/geometry/head_pose.h"
#include "core/nn/model.h"

namespace synface::hpe {

// compute_rotation_matrix_from_ortho6d: (N, 6) -> (N, 3, 3) with columns x, y, z where
// x = a1 / |a1|, z = (x × a2) / |x × a2|, y = z × x (norms clamped below at 1e-8).
torch::Tensor RotationFrom6d(const torch::Tensor& x6);

// Per-sample angle (radians) of m1 m2^T: acos(clamp((trace - 1) / 2, -1 + eps, 1 - eps)).
torch::Tensor GeodesicAngles(const torch::Tensor& m1, const torch::Tensor& m2, double eps = 1e-7);
// Their mean: 6DRepNet's GeodesicLoss.
torch::Tensor GeodesicLoss(const torch::Tensor& m1, const torch::Tensor& m2, double eps = 1e-7);

// Labels (degrees, [yaw, pitch, roll], synface convention) -> 6DRepNet matrices (N, 3, 3), float.
torch::Tensor SixDRepNetMatricesFromLabels(const std::vector<Eigen::Vector3d>& labels_deg);
// Predicted matrices -> labels in degrees, via core/geometry (RotationFromSixDRepNetMatrix then
// HeadPoseFromRotation).
std::vector<Eigen::Vector3d> LabelsFromSixDRepNetMatrices(const torch::Tensor& m);

struct SixDRepNetOptions {
  std::string backbone = "resnet18";  // any registry backbone with a linear head
  std::string backbone_weights;       // optional ImageNet state dict (its head is skipped)
  std::string name;                   // architecture name (default "sixdrepnet_<backbone>")
};

class SixDRepNet : public core::nn::Model {
 public:
  explicit SixDRepNet(SixDRepNetOptions options);

  // (N, 3, 3) rotation matrices (6DRepNet's frame).
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override;
  int64_t num_outputs() const override { return 9; }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  void ResetHead(int64_t num_outputs) override;  // re-initialises the 6-value head
  std::string architecture() const override { return name_; }
  const SixDRepNetOptions& options() const { return options_; }

 private:
  SixDRepNetOptions options_;
  std::string name_;
  std::shared_ptr<core::nn::Model> backbone_;
};

// Registers sixdrepnet_resnet18, sixdrepnet_resnet50 and sixdrepnet_mobilenet_v2 (idempotent).
void RegisterSixDRepNetModels();

}  // namespace synface::hpe
