// MobileNetV2 (Sandler et al. 2018) laid out exactly as torchvision's `mobilenet_v2`, so its
// state-dict keys and shapes are torchvision's: `features.0.0.weight` (stem conv),
// `features.0.1.*` (its BatchNorm), `features.1.conv.0.0.weight` (first block's depthwise conv),
// ..., `features.18.0.weight` (320 -> 1280 conv), `classifier.1.weight` (head; index 0 is the
// Dropout). Width 1.0 gives 3,504,872 parameters with the 1000-class head and 4,222,232 with the
// 1280 -> 1560 regression head of the thesis's dense-landmark model (Ch. 5).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/nn/model.h"

namespace synface::core::nn {

struct MobileNetV2Options {
  int64_t num_outputs = 1000;  // 0 = headless (forward returns the 1280 pooled features)
  int64_t in_channels = 3;
  double width_multiplier = 1.0;
  int64_t round_nearest = 8;  // channel counts are multiples of this (torchvision's default)
  double dropout = 0.2;       // classifier.0
};

// Conv -> BN -> ReLU6 as a Sequential (torchvision's Conv2dNormActivation): keys .0 and .1.
Sequential ConvBnReLU6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1);

class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t stride, int64_t expand_ratio);
  torch::Tensor forward(const torch::Tensor& x);

  Sequential conv;  // torchvision's `conv` attribute
  bool use_residual;
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2 : public Model {
 public:
  explicit MobileNetV2(const MobileNetV2Options& options = {});

  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  // Maps after features.1 (stride 2), .3 (4), .6 (8), .13 (16) and .18 (32).
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return last_channels_; }
  int64_t num_outputs() const override { return options_.num_outputs; }
  std::vector<FeatureInfo> feature_info() const override;
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return "mobilenet_v2"; }

  Sequential features;
  Sequential classifier{nullptr};  // Dropout, Linear; null when headless

 private:
  MobileNetV2Options options_;
  int64_t last_channels_ = 0;
  AdaptiveAvgPool2d pool_{nullptr};
  std::vector<FeatureInfo> feature_info_;
  std::vector<size_t> feature_taps_;  // indices into `features` after which a map is taken
};

}  // namespace synface::core::nn
