#include "core/nn/mobilenet_v2.h"

#include <algorithm>
#include <array>

#include "core/util/error.h"

namespace synface::core::nn {
namespace {

// torchvision's _make_divisible: round to the nearest multiple of `divisor`, never going more
// than 10% below `value`.
int64_t MakeDivisible(double value, int64_t divisor) {
  int64_t v =
      std::max<int64_t>(divisor, static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(v) < 0.9 * value) v += divisor;
  return v;
}

struct StageSetting {
  int64_t expand, channels, repeats, stride;
};
constexpr std::array<StageSetting, 7> kStages = {{
    {1, 16, 1, 1},
    {6, 24, 2, 2},
    {6, 32, 3, 2},
    {6, 64, 4, 2},
    {6, 96, 3, 1},
    {6, 160, 3, 2},
    {6, 320, 1, 1},
}};

Sequential MakeClassifier(int64_t in, int64_t out, double dropout) {
  Sequential head(Dropout(dropout), Linear(in, out));
  // torchvision: normal(0, 0.01) weights, zero bias.
  torch::NoGradGuard no_grad;
  auto* linear = head[1]->as<LinearImpl>();
  linear->weight.normal_(0.0, 0.01);
  linear->bias.zero_();
  return head;
}

}  // namespace

Sequential ConvBnReLU6(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups) {
  return Sequential(Conv2d(Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding((kernel - 1) / 2)
                               .groups(groups)
                               .bias(false)),
                    BatchNorm2d(out), ReLU6());
}

InvertedResidualImpl::InvertedResidualImpl(int64_t in, int64_t out, int64_t stride,
                                           int64_t expand_ratio)
    : use_residual(stride == 1 && in == out) {
  if (stride != 1 && stride != 2) throw MakeError("InvertedResidual: stride must be 1 or 2");
  const int64_t hidden = static_cast<int64_t>(std::llround(static_cast<double>(in * expand_ratio)));
  Sequential layers;
  if (expand_ratio != 1) layers->push_back(ConvBnReLU6(in, hidden, 1, 1));  // pointwise expand
  layers->push_back(ConvBnReLU6(hidden, hidden, 3, stride, hidden));        // depthwise
  layers->push_back(Conv2d(Conv2dOptions(hidden, out, 1).bias(false)));     // linear bottleneck
  layers->push_back(BatchNorm2d(out));
  conv = register_module("conv", layers);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  return use_residual ? x + conv->forward(x) : conv->forward(x);
}

MobileNetV2::MobileNetV2(const MobileNetV2Options& options) : options_(options) {
  if (options.width_multiplier <= 0.0) throw MakeError("MobileNetV2: width_multiplier must be > 0");
  if (options.in_channels <= 0) throw MakeError("MobileNetV2: in_channels must be > 0");
  if (options.num_outputs < 0) throw MakeError("MobileNetV2: num_outputs must be >= 0");
  const double w = options.width_multiplier;
  int64_t channels = MakeDivisible(32 * w, options.round_nearest);
  last_channels_ = MakeDivisible(1280 * std::max(1.0, w), options.round_nearest);

  Sequential f;
  f->push_back(ConvBnReLU6(options.in_channels, channels, 3, 2));
  int64_t stride = 2;
  std::vector<int64_t> stride_after{2};
  std::vector<int64_t> channels_after{channels};
  for (const StageSetting& s : kStages) {
    const int64_t out = MakeDivisible(static_cast<double>(s.channels) * w, options.round_nearest);
    for (int64_t i = 0; i < s.repeats; ++i) {
      const int64_t block_stride = i == 0 ? s.stride : 1;
      f->push_back(InvertedResidual(channels, out, block_stride, s.expand));
      channels = out;
      stride *= block_stride;
      stride_after.push_back(stride);
      channels_after.push_back(channels);
    }
  }
  f->push_back(ConvBnReLU6(channels, last_channels_, 1, 1));
  stride_after.push_back(stride);
  channels_after.push_back(last_channels_);
  features = register_module("features", f);
  pool_ = register_module("avgpool", AdaptiveAvgPool2d(1));

  // A map is tapped after the last layer at each stride (1, 3, 6, 13, 18 for width 1.0).
  for (size_t i = 0; i < stride_after.size(); ++i) {
    if (i + 1 == stride_after.size() || stride_after[i + 1] != stride_after[i]) {
      feature_taps_.push_back(i);
      feature_info_.push_back(
          {"features." + std::to_string(i), channels_after[i], stride_after[i]});
    }
  }

  InitTorchvisionStyle(*this);
  ResetHead(options.num_outputs);
}

void MobileNetV2::ResetHead(int64_t num_outputs) {
  if (num_outputs < 0) throw MakeError("MobileNetV2: num_outputs must be >= 0");
  options_.num_outputs = num_outputs;
  if (num_outputs == 0) {
    if (classifier) unregister_module("classifier");
    classifier = Sequential(nullptr);
    return;
  }
  auto head = MakeClassifier(last_channels_, num_outputs, options_.dropout);
  if (classifier) {
    classifier = replace_module("classifier", head);
  } else {
    classifier = register_module("classifier", head);
  }
}

torch::Tensor MobileNetV2::ForwardPooled(torch::Tensor x) {
  return torch::flatten(pool_->forward(features->forward(x)), 1);
}

torch::Tensor MobileNetV2::forward(torch::Tensor x) {
  torch::Tensor pooled = ForwardPooled(std::move(x));
  return classifier ? classifier->forward(pooled) : pooled;
}

std::vector<torch::Tensor> MobileNetV2::ForwardFeatures(torch::Tensor x) {
  std::vector<torch::Tensor> maps;
  size_t index = 0, next_tap = 0;
  for (auto& layer : *features) {
    if (next_tap == feature_taps_.size()) break;
    x = layer.forward(x);
    if (index == feature_taps_[next_tap]) {
      maps.push_back(x);
      ++next_tap;
    }
    ++index;
  }
  return maps;
}

std::vector<FeatureInfo> MobileNetV2::feature_info() const { return feature_info_; }

}  // namespace synface::core::nn
