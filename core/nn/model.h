// The common base of synface's image models: a torch::nn::Module with a virtual forward, so a
// registry can hand out any architecture and experiments, complexity counting and the trainer
// treat them alike. Backbones expose classifier/regression output, pooled features and
// multi-scale feature maps (for decoders such as U-Nets).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace synface::core::nn {

// Options understood by the registry's factories; architectures ignore what they do not use
// and reject values they cannot honour.
struct ModelOptions {
  int64_t num_outputs = 1000;  // head size; 0 = no head: forward() returns pooled features
  int64_t in_channels = 3;
  double width_multiplier = 1.0;  // MobileNetV2 only
  double dropout = -1.0;          // before the head; < 0 = the architecture's default
  std::string weights;            // optional state-dict file loaded (strictly) after construction
};

// One multi-scale feature map: channels and stride relative to the input.
struct FeatureInfo {
  std::string name;  // module the map is taken after, e.g. "layer3", "features.13"
  int64_t channels = 0;
  int64_t stride = 0;
};

class Model : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;
  ~Model() override = default;

  // Head output (N, num_outputs), or pooled features (N, num_features()) when there is no head.
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // Globally pooled features before the head: (N, num_features()).
  virtual torch::Tensor ForwardPooled(torch::Tensor x) = 0;
  // Feature maps at increasing strides, as described by feature_info().
  virtual std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) = 0;

  virtual int64_t num_features() const = 0;
  virtual int64_t num_outputs() const = 0;  // 0 when headless
  virtual std::vector<FeatureInfo> feature_info() const = 0;
  // Replaces the head by a freshly initialised one with `num_outputs` outputs (0 removes it),
  // e.g. after loading ImageNet weights for a 1560-value landmark regressor.
  virtual void ResetHead(int64_t num_outputs) = 0;
  // Registry name of the architecture, e.g. "mobilenet_v2".
  virtual std::string architecture() const = 0;
};

}  // namespace synface::core::nn
