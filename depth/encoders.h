// Image backbones the depth models need beyond core/nn's MobileNetV2 and ResNet, built from
// core/nn's counting layers so that complexity.h measures them, with torchvision's module layout
// and therefore torchvision's state-dict keys (ImageNet weights a user holds load unchanged):
//
//   DenseNet-121/161/169/201   `features.conv0.weight`, `features.norm0.*`,
//                              `features.denseblock1.denselayer1.norm1.*` / `.conv1.weight` /
//                              `.norm2.*` / `.conv2.weight`, `features.transition1.norm.*` /
//                              `.conv.weight`, ..., `features.norm5.*`, `classifier.*`.
//                              Parameters with the 1000-class head: 7,978,856 / 28,681,000 /
//                              14,149,480 / 20,013,928 (torchvision's figures).
//   EfficientNet-B0/B7         torchvision's `efficientnet_b0/_b7`: `features.0.0.weight` (stem),
//                              `features.<stage>.<block>.block.<i>.0.weight` (conv), `.1.*` (BN),
//                              `...block.<i>.fc1.*` / `.fc2.*` (squeeze-excitation),
//                              `features.8.0.weight` (head conv), `classifier.1.*`.
//                              5,288,548 / 66,347,960 parameters with the 1000-class head.
//
// ForwardFeatures returns five maps at strides 2, 4, 8, 16, 32, which is what the DenseDepth
// decoder consumes: for DenseNet exactly DenseDepth's taps (relu0, pool0, transition1,
// transition2, norm5); for EfficientNet the last block at each stride (features.1, .2, .3, .5, .8).
//
// Also the activations core/nn lacks (SiLU for EfficientNet, ELU for BTS), reporting to the
// operation counter like core/nn's own layers.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/nn/model.h"

namespace synface::depth {

namespace nn = ::synface::core::nn;

// ---- Activations ---------------------------------------------------------------------------

// x * sigmoid(x). Counted as an activation without a thop/ptflops rule (neither has one).
class SiLUImpl : public torch::nn::Cloneable<SiLUImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "SiLU()"; }
};
TORCH_MODULE(SiLU);

// x > 0 ? x : alpha (e^x - 1). ptflops counts it like ReLU (one op per element).
class ELUImpl : public torch::nn::Cloneable<ELUImpl> {
 public:
  explicit ELUImpl(double alpha = 1.0) : alpha(alpha) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  double alpha;
};
TORCH_MODULE(ELU);

// ---- DenseNet ------------------------------------------------------------------------------

struct DenseNetOptions {
  int64_t growth_rate = 32;
  std::array<int64_t, 4> block_config{6, 12, 24, 16};
  int64_t num_init_features = 64;
  int64_t bn_size = 4;
  int64_t num_outputs = 1000;  // 0 = headless
  int64_t in_channels = 3;
  std::string name = "densenet121";

  static DenseNetOptions DenseNet121();
  static DenseNetOptions DenseNet161();
  static DenseNetOptions DenseNet169();
  static DenseNetOptions DenseNet201();
  // "densenet121" ... "densenet201"; throws core::Error for other names.
  static DenseNetOptions ByName(const std::string& name);
};

// BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 on the concatenation of all earlier maps of the block.
class DenseLayerImpl : public torch::nn::Module {
 public:
  DenseLayerImpl(int64_t in, int64_t growth_rate, int64_t bn_size);
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);
  nn::BatchNorm2d norm1{nullptr}, norm2{nullptr};
  nn::ReLU relu1, relu2;
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(DenseLayer);

class DenseBlockImpl : public torch::nn::Module {
 public:
  DenseBlockImpl(int64_t layers, int64_t in, int64_t growth_rate, int64_t bn_size);
  torch::Tensor forward(const torch::Tensor& x);
  std::vector<DenseLayer> layers;  // registered as denselayer1..N
};
TORCH_MODULE(DenseBlock);

// BN-ReLU-Conv1x1 (channels halved)-AvgPool2.
class TransitionImpl : public torch::nn::Module {
 public:
  TransitionImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  nn::BatchNorm2d norm{nullptr};
  nn::ReLU relu;
  nn::Conv2d conv{nullptr};
  nn::AvgPool2d pool{nullptr};
};
TORCH_MODULE(Transition);

// torchvision's `densenet.features`: conv0, norm0, relu0, pool0, denseblock1, transition1, ...,
// denseblock4, norm5. BTS uses this module alone as its encoder (`encoder.base_model`).
class DenseNetFeaturesImpl : public torch::nn::Module {
 public:
  explicit DenseNetFeaturesImpl(const DenseNetOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  // relu0 (stride 2), pool0 (4), transition1 (8), transition2 (16), norm5 (32).
  std::vector<torch::Tensor> ForwardTaps(const torch::Tensor& x);
  // Channels of those five maps.
  std::array<int64_t, 5> tap_channels() const { return tap_channels_; }

  nn::Conv2d conv0{nullptr};
  nn::BatchNorm2d norm0{nullptr}, norm5{nullptr};
  nn::ReLU relu0;
  nn::MaxPool2d pool0{nullptr};
  std::array<DenseBlock, 4> blocks{nullptr, nullptr, nullptr, nullptr};
  std::array<Transition, 3> transitions{nullptr, nullptr, nullptr};

 private:
  std::array<int64_t, 5> tap_channels_{};
};
TORCH_MODULE(DenseNetFeatures);

class DenseNet : public nn::Model {
 public:
  explicit DenseNet(const DenseNetOptions& options);

  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;  // relu(norm5) pooled, as torchvision
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return num_features_; }
  int64_t num_outputs() const override { return options_.num_outputs; }
  std::vector<nn::FeatureInfo> feature_info() const override;
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return options_.name; }

  DenseNetFeatures features{nullptr};
  nn::Linear classifier{nullptr};  // null when headless

 private:
  DenseNetOptions options_;
  int64_t num_features_ = 0;
  nn::ReLU final_relu_;
  nn::AdaptiveAvgPool2d pool_{nullptr};
};

// ---- EfficientNet --------------------------------------------------------------------------

struct EfficientNetOptions {
  double width_mult = 1.0;
  double depth_mult = 1.0;
  double dropout = 0.2;
  double stochastic_depth_prob = 0.2;  // torchvision default, scaled linearly over the blocks
  double bn_eps = 1e-5;                // B5-B7 use 1e-3 (weights ported from TensorFlow)
  int64_t num_outputs = 1000;
  int64_t in_channels = 3;
  std::string name = "efficientnet_b0";

  static EfficientNetOptions B0();
  static EfficientNetOptions B7();
  static EfficientNetOptions ByName(const std::string& name);  // "efficientnet_b0" / "_b7"
};

// torchvision.ops.SqueezeExcitation: x * sigmoid(fc2(act(fc1(avgpool(x))))).
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(int64_t channels, int64_t squeeze_channels);
  torch::Tensor forward(const torch::Tensor& x);
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Conv2d fc1{nullptr}, fc2{nullptr};
  SiLU activation;
  nn::Sigmoid scale_activation;
};
TORCH_MODULE(SqueezeExcitation);

// MBConv: [1x1 expand] - depthwise kxk - SE - 1x1 project, residual with stochastic depth.
class MBConvImpl : public torch::nn::Module {
 public:
  MBConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t expand_ratio,
             double stochastic_depth_prob, double bn_eps);
  torch::Tensor forward(const torch::Tensor& x);
  nn::Sequential block{nullptr};
  bool use_residual = false;
  double stochastic_depth_prob = 0.0;
};
TORCH_MODULE(MBConv);

class EfficientNet : public nn::Model {
 public:
  explicit EfficientNet(const EfficientNetOptions& options);

  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return num_features_; }
  int64_t num_outputs() const override { return options_.num_outputs; }
  std::vector<nn::FeatureInfo> feature_info() const override { return feature_info_; }
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return options_.name; }

  nn::Sequential features{nullptr};
  nn::Sequential classifier{nullptr};  // Dropout, Linear; null when headless

 private:
  EfficientNetOptions options_;
  int64_t num_features_ = 0;
  nn::AdaptiveAvgPool2d pool_{nullptr};
  std::vector<nn::FeatureInfo> feature_info_;
  std::vector<size_t> taps_;  // indices into `features` after which a map is taken
};

// Registers densenet121/161/169/201 and efficientnet_b0/b7 in core/nn's registry (idempotent).
void RegisterEncoders();

}  // namespace synface::depth
