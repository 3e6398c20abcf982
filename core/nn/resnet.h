// ResNet (He et al. 2016) with torchvision's layout and state-dict keys (`conv1.weight`, `bn1.*`,
// `layer1.0.conv1.weight`, `layer2.0.downsample.0/1.*`, `fc.*`; Bottleneck is v1.5, stride on the
// 3x3 conv), plus the timm-style variants the thesis used: a "deep" 3-conv stem (`conv1.0/.1/.3/
// .4/.6`), average-pool projection shortcuts (`downsample.1/.2`, pool at .0) and custom stage
// widths. ResNet-18/34/50 with 1000 classes have 11,689,512 / 21,797,672 / 25,557,032 parameters.
//
// "resnet_jmlr" is the model behind thesis Table 5.3's "Resnet-18" row (insightface
// reconstruction/jmlr; digest ch4_5 §3.4): BasicBlocks [5, 3, 4, 2], widths [64, 160, 272, 512],
// deep stem of width 32, average-pool shortcuts, zero-initialised last BN of each block.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/nn/model.h"

namespace synface::core::nn {

enum class ResNetBlock { kBasic, kBottleneck };

struct ResNetOptions {
  ResNetBlock block = ResNetBlock::kBasic;
  std::array<int64_t, 4> layers{2, 2, 2, 2};
  std::array<int64_t, 4> widths{64, 128, 256, 512};  // planes per stage (x4 out for bottleneck)
  bool deep_stem = false;       // three 3x3 convs (stem_width, stem_width, 2*stem_width)
  int64_t stem_width = 32;      // deep stem only; the 7x7 stem always has 64 channels
  bool avg_down = false;        // AvgPool2d(2, ceil) + 1x1 conv shortcut instead of strided 1x1
  bool zero_init_last = false;  // last BN weight of each block = 0 (timm default, not torchvision)
  int64_t num_outputs = 1000;   // 0 = headless
  int64_t in_channels = 3;
  double dropout = 0.0;         // functional dropout before fc (timm drop_rate)
  std::string name = "resnet";  // architecture name reported by the model

  static ResNetOptions ResNet18();
  static ResNetOptions ResNet34();
  static ResNetOptions ResNet50();
  static ResNetOptions ResNet101();
  static ResNetOptions ResNet152();
  static ResNetOptions Jmlr();
};

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t planes, int64_t stride, Sequential downsample);
  torch::Tensor forward(const torch::Tensor& x);
  Conv2d conv1{nullptr}, conv2{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr};
  ReLU relu;
  Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t in, int64_t planes, int64_t stride, Sequential downsample);
  torch::Tensor forward(const torch::Tensor& x);
  Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  ReLU relu;
  Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNet : public Model {
 public:
  explicit ResNet(const ResNetOptions& options);

  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  // Maps after the stem activation (stride 2) and after layer1..layer4 (4, 8, 16, 32).
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return num_features_; }
  int64_t num_outputs() const override { return options_.num_outputs; }
  std::vector<FeatureInfo> feature_info() const override;
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return options_.name; }

  const ResNetOptions& options() const { return options_; }

  // conv1 is a Conv2d (7x7 stem) or a Sequential (deep stem); exactly one is non-null.
  Conv2d conv1{nullptr};
  Sequential conv1_deep{nullptr};
  BatchNorm2d bn1{nullptr};
  ReLU relu;
  MaxPool2d maxpool{nullptr};
  std::array<Sequential, 4> stages;  // registered as layer1..layer4
  AdaptiveAvgPool2d avgpool{nullptr};
  Linear fc{nullptr};  // null when headless

 private:
  torch::Tensor Stem(torch::Tensor x);
  ResNetOptions options_;
  int64_t stem_channels_ = 64;
  int64_t num_features_ = 0;
};

}  // namespace synface::core::nn
