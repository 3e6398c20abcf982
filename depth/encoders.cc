#include "depth/encoders.h"

#include <algorithm>
#include <cmath>

#include "core/nn/op_count.h"
#include "core/nn/registry.h"
#include "core/util/error.h"

namespace synface::depth {
namespace {

using core::MakeError;

void RecordActivation(const void* module, const torch::Tensor& y, bool relu_family) {
  if (nn::ActiveOpCounter() == nullptr) return;
  nn::OpRecord r;
  r.kind = relu_family ? nn::OpKind::kActivation : nn::OpKind::kOtherActivation;
  r.module = module;
  r.macs_ptflops = relu_family ? y.numel() : 0;
  r.has_thop_rule = relu_family;
  r.elements = y.numel();
  nn::RecordOp(r);
}

// torchvision's _make_divisible (also used by MobileNetV2 in core/nn).
int64_t MakeDivisible(double value, int64_t divisor) {
  int64_t v =
      std::max<int64_t>(divisor, static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor);
  if (static_cast<double>(v) < 0.9 * value) v += divisor;
  return v;
}

}  // namespace

// ---- Activations ---------------------------------------------------------------------------

torch::Tensor SiLUImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::silu(x);
  RecordActivation(this, y, false);
  return y;
}

torch::Tensor ELUImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::elu(x, alpha);
  RecordActivation(this, y, true);
  return y;
}

void ELUImpl::pretty_print(std::ostream& s) const { s << "ELU(alpha=" << alpha << ")"; }

// ---- DenseNet ------------------------------------------------------------------------------

DenseNetOptions DenseNetOptions::DenseNet121() { return {}; }

DenseNetOptions DenseNetOptions::DenseNet161() {
  DenseNetOptions o;
  o.growth_rate = 48;
  o.block_config = {6, 12, 36, 24};
  o.num_init_features = 96;
  o.name = "densenet161";
  return o;
}

DenseNetOptions DenseNetOptions::DenseNet169() {
  DenseNetOptions o;
  o.block_config = {6, 12, 32, 32};
  o.name = "densenet169";
  return o;
}

DenseNetOptions DenseNetOptions::DenseNet201() {
  DenseNetOptions o;
  o.block_config = {6, 12, 48, 32};
  o.name = "densenet201";
  return o;
}

DenseNetOptions DenseNetOptions::ByName(const std::string& name) {
  if (name == "densenet121") return DenseNet121();
  if (name == "densenet161") return DenseNet161();
  if (name == "densenet169") return DenseNet169();
  if (name == "densenet201") return DenseNet201();
  throw MakeError("unknown DenseNet '{}' (densenet121, densenet161, densenet169, densenet201)",
                  name);
}

DenseLayerImpl::DenseLayerImpl(int64_t in, int64_t growth_rate, int64_t bn_size) {
  const int64_t mid = bn_size * growth_rate;
  norm1 = register_module("norm1", nn::BatchNorm2d(in));
  relu1 = register_module("relu1", nn::ReLU());
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(in, mid, 1).bias(false)));
  norm2 = register_module("norm2", nn::BatchNorm2d(mid));
  relu2 = register_module("relu2", nn::ReLU());
  conv2 = register_module(
      "conv2", nn::Conv2d(nn::Conv2dOptions(mid, growth_rate, 3).padding(1).bias(false)));
}

torch::Tensor DenseLayerImpl::forward(const std::vector<torch::Tensor>& inputs) {
  torch::Tensor x = inputs.size() == 1 ? inputs[0] : torch::cat(inputs, 1);
  x = conv1->forward(relu1->forward(norm1->forward(x)));
  return conv2->forward(relu2->forward(norm2->forward(x)));
}

DenseBlockImpl::DenseBlockImpl(int64_t n, int64_t in, int64_t growth_rate, int64_t bn_size) {
  for (int64_t i = 0; i < n; ++i) {
    layers.push_back(register_module("denselayer" + std::to_string(i + 1),
                                     DenseLayer(in + i * growth_rate, growth_rate, bn_size)));
  }
}

torch::Tensor DenseBlockImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> maps{x};
  maps.reserve(layers.size() + 1);
  for (auto& layer : layers) maps.push_back(layer->forward(maps));
  return torch::cat(maps, 1);
}

TransitionImpl::TransitionImpl(int64_t in, int64_t out) {
  norm = register_module("norm", nn::BatchNorm2d(in));
  relu = register_module("relu", nn::ReLU());
  conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, 1).bias(false)));
  pool = register_module("pool", nn::AvgPool2d(nn::Pool2dOptions(2).stride(2)));
}

torch::Tensor TransitionImpl::forward(const torch::Tensor& x) {
  return pool->forward(conv->forward(relu->forward(norm->forward(x))));
}

DenseNetFeaturesImpl::DenseNetFeaturesImpl(const DenseNetOptions& o) {
  if (o.in_channels <= 0 || o.growth_rate <= 0 || o.num_init_features <= 0) {
    throw MakeError("{}: invalid options", o.name);
  }
  conv0 =
      register_module("conv0", nn::Conv2d(nn::Conv2dOptions(o.in_channels, o.num_init_features, 7)
                                              .stride(2)
                                              .padding(3)
                                              .bias(false)));
  norm0 = register_module("norm0", nn::BatchNorm2d(o.num_init_features));
  relu0 = register_module("relu0", nn::ReLU());
  pool0 = register_module("pool0", nn::MaxPool2d(nn::Pool2dOptions(3).stride(2).padding(1)));
  int64_t channels = o.num_init_features;
  tap_channels_[0] = tap_channels_[1] = channels;
  for (int i = 0; i < 4; ++i) {
    blocks[i] = register_module("denseblock" + std::to_string(i + 1),
                                DenseBlock(o.block_config[i], channels, o.growth_rate, o.bn_size));
    channels += o.block_config[i] * o.growth_rate;
    if (i < 3) {
      transitions[i] =
          register_module("transition" + std::to_string(i + 1), Transition(channels, channels / 2));
      channels /= 2;
      if (i < 2) tap_channels_[i + 2] = channels;
    }
  }
  norm5 = register_module("norm5", nn::BatchNorm2d(channels));
  tap_channels_[4] = channels;
}

std::vector<torch::Tensor> DenseNetFeaturesImpl::ForwardTaps(const torch::Tensor& input) {
  std::vector<torch::Tensor> taps;
  torch::Tensor x = relu0->forward(norm0->forward(conv0->forward(input)));
  taps.push_back(x);
  x = pool0->forward(x);
  taps.push_back(x);
  for (int i = 0; i < 4; ++i) {
    x = blocks[i]->forward(x);
    if (i < 3) {
      x = transitions[i]->forward(x);
      if (i < 2) taps.push_back(x);
    }
  }
  taps.push_back(norm5->forward(x));
  return taps;
}

torch::Tensor DenseNetFeaturesImpl::forward(const torch::Tensor& x) {
  return ForwardTaps(x).back();
}

DenseNet::DenseNet(const DenseNetOptions& options) : options_(options) {
  features = register_module("features", DenseNetFeatures(options));
  num_features_ = features->tap_channels()[4];
  pool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(1));
  // torchvision: kaiming_normal_ (fan_in) on convs, BN 1/0, Linear bias 0.
  torch::NoGradGuard no_grad;
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2dImpl>()) torch::nn::init::kaiming_normal_(conv->weight);
  }
  ResetHead(options.num_outputs);
}

void DenseNet::ResetHead(int64_t num_outputs) {
  if (num_outputs < 0) throw MakeError("{}: num_outputs must be >= 0", options_.name);
  options_.num_outputs = num_outputs;
  if (num_outputs == 0) {
    if (classifier) unregister_module("classifier");
    classifier = nn::Linear(nullptr);
    return;
  }
  nn::Linear head(num_features_, num_outputs);
  {
    torch::NoGradGuard no_grad;
    head->bias.zero_();
  }
  classifier =
      classifier ? replace_module("classifier", head) : register_module("classifier", head);
}

torch::Tensor DenseNet::ForwardPooled(torch::Tensor x) {
  return torch::flatten(pool_->forward(final_relu_->forward(features->forward(x))), 1);
}

torch::Tensor DenseNet::forward(torch::Tensor x) {
  torch::Tensor pooled = ForwardPooled(std::move(x));
  return classifier ? classifier->forward(pooled) : pooled;
}

std::vector<torch::Tensor> DenseNet::ForwardFeatures(torch::Tensor x) {
  return features->ForwardTaps(x);
}

std::vector<nn::FeatureInfo> DenseNet::feature_info() const {
  const auto c = features->tap_channels();
  return {{"features.relu0", c[0], 2},
          {"features.pool0", c[1], 4},
          {"features.transition1", c[2], 8},
          {"features.transition2", c[3], 16},
          {"features.norm5", c[4], 32}};
}

// ---- EfficientNet --------------------------------------------------------------------------

EfficientNetOptions EfficientNetOptions::B0() { return {}; }

EfficientNetOptions EfficientNetOptions::B7() {
  EfficientNetOptions o;
  o.width_mult = 2.0;
  o.depth_mult = 3.1;
  o.dropout = 0.5;
  o.bn_eps = 1e-3;
  o.name = "efficientnet_b7";
  return o;
}

EfficientNetOptions EfficientNetOptions::ByName(const std::string& name) {
  if (name == "efficientnet_b0") return B0();
  if (name == "efficientnet_b7") return B7();
  throw MakeError("unknown EfficientNet '{}' (efficientnet_b0, efficientnet_b7)", name);
}

namespace {

// Conv (no bias) - BN - optional SiLU, as torchvision's Conv2dNormActivation: keys .0 .1 (.2).
nn::Sequential ConvBnAct(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
                         double eps, bool activation) {
  nn::Sequential s(nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                  .stride(stride)
                                  .padding((kernel - 1) / 2)
                                  .groups(groups)
                                  .bias(false)),
                   nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(eps)));
  if (activation) s->push_back(SiLU());
  return s;
}

struct MBConvStage {
  int64_t expand, kernel, stride, in, out, layers;
};
// torchvision's EfficientNet-B0 table (MBConvConfig before width/depth scaling).
constexpr MBConvStage kStages[] = {
    {1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},   {6, 5, 2, 24, 40, 2},   {6, 3, 2, 40, 80, 3},
    {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1},
};

}  // namespace

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t channels, int64_t squeeze) {
  avgpool = register_module("avgpool", nn::AdaptiveAvgPool2d(1));
  fc1 = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(channels, squeeze, 1)));
  fc2 = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze, channels, 1)));
  activation = register_module("activation", SiLU());
  scale_activation = register_module("scale_activation", nn::Sigmoid());
}

torch::Tensor SqueezeExcitationImpl::forward(const torch::Tensor& x) {
  torch::Tensor s = fc2->forward(activation->forward(fc1->forward(avgpool->forward(x))));
  return scale_activation->forward(s) * x;
}

MBConvImpl::MBConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                       int64_t expand_ratio, double sd_prob, double eps)
    : use_residual(stride == 1 && in == out), stochastic_depth_prob(sd_prob) {
  const int64_t expanded = MakeDivisible(static_cast<double>(in * expand_ratio), 8);
  nn::Sequential layers;
  if (expanded != in) layers->push_back(ConvBnAct(in, expanded, 1, 1, 1, eps, true));
  layers->push_back(ConvBnAct(expanded, expanded, kernel, stride, expanded, eps, true));
  layers->push_back(SqueezeExcitation(expanded, std::max<int64_t>(1, in / 4)));
  layers->push_back(ConvBnAct(expanded, out, 1, 1, 1, eps, false));
  block = register_module("block", layers);
}

torch::Tensor MBConvImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = block->forward(x);
  if (!use_residual) return y;
  if (is_training() && stochastic_depth_prob > 0.0) {
    // torchvision.ops.stochastic_depth, mode "row": drop whole samples' residual branches.
    const double survival = 1.0 - stochastic_depth_prob;
    torch::Tensor keep = torch::empty({y.size(0), 1, 1, 1}, y.options()).bernoulli_(survival);
    if (survival > 0.0) keep.div_(survival);
    y = y * keep;
  }
  return y + x;
}

EfficientNet::EfficientNet(const EfficientNetOptions& o) : options_(o) {
  if (o.width_mult <= 0 || o.depth_mult <= 0 || o.in_channels <= 0) {
    throw MakeError("{}: invalid options", o.name);
  }
  auto channels = [&](int64_t c) { return MakeDivisible(c * o.width_mult, 8); };
  auto depth = [&](int64_t n) {
    return static_cast<int64_t>(std::ceil(static_cast<double>(n) * o.depth_mult));
  };
  nn::Sequential f;
  const int64_t stem = channels(kStages[0].in);
  f->push_back(ConvBnAct(o.in_channels, stem, 3, 2, 1, o.bn_eps, true));
  std::vector<int64_t> stride_after{2}, channels_after{stem};
  int64_t total_blocks = 0;
  for (const auto& s : kStages) total_blocks += depth(s.layers);
  int64_t block_id = 0, stride = 2;
  for (const auto& s : kStages) {
    nn::Sequential stage;
    int64_t in = channels(s.in);
    const int64_t out = channels(s.out);
    for (int64_t i = 0; i < depth(s.layers); ++i) {
      const int64_t block_stride = i == 0 ? s.stride : 1;
      const double sd = o.stochastic_depth_prob * static_cast<double>(block_id) /
                        static_cast<double>(total_blocks);
      stage->push_back(MBConv(in, out, s.kernel, block_stride, s.expand, sd, o.bn_eps));
      in = out;
      ++block_id;
    }
    f->push_back(stage);
    stride *= s.stride;
    stride_after.push_back(stride);
    channels_after.push_back(out);
  }
  num_features_ = 4 * channels(kStages[6].out);
  f->push_back(ConvBnAct(channels(kStages[6].out), num_features_, 1, 1, 1, o.bn_eps, true));
  stride_after.push_back(stride);
  channels_after.push_back(num_features_);
  features = register_module("features", f);
  pool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(1));
  for (size_t i = 1; i < stride_after.size(); ++i) {
    if (i + 1 == stride_after.size() || stride_after[i + 1] != stride_after[i]) {
      taps_.push_back(i);
      feature_info_.push_back(
          {"features." + std::to_string(i), channels_after[i], stride_after[i]});
    }
  }
  // torchvision: kaiming_normal_(fan_out) on convs, zero conv biases; BN 1/0.
  torch::NoGradGuard no_grad;
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
      if (conv->bias.defined()) conv->bias.zero_();
    }
  }
  ResetHead(o.num_outputs);
}

void EfficientNet::ResetHead(int64_t num_outputs) {
  if (num_outputs < 0) throw MakeError("{}: num_outputs must be >= 0", options_.name);
  options_.num_outputs = num_outputs;
  if (num_outputs == 0) {
    if (classifier) unregister_module("classifier");
    classifier = nn::Sequential(nullptr);
    return;
  }
  nn::Sequential head(nn::Dropout(options_.dropout), nn::Linear(num_features_, num_outputs));
  {
    // torchvision: U(-1/sqrt(out), 1/sqrt(out)) weights, zero bias.
    torch::NoGradGuard no_grad;
    auto* linear = head[1]->as<nn::LinearImpl>();
    const double range = 1.0 / std::sqrt(static_cast<double>(num_outputs));
    linear->weight.uniform_(-range, range);
    linear->bias.zero_();
  }
  classifier =
      classifier ? replace_module("classifier", head) : register_module("classifier", head);
}

torch::Tensor EfficientNet::ForwardPooled(torch::Tensor x) {
  return torch::flatten(pool_->forward(features->forward(x)), 1);
}

torch::Tensor EfficientNet::forward(torch::Tensor x) {
  torch::Tensor pooled = ForwardPooled(std::move(x));
  return classifier ? classifier->forward(pooled) : pooled;
}

std::vector<torch::Tensor> EfficientNet::ForwardFeatures(torch::Tensor x) {
  std::vector<torch::Tensor> maps;
  size_t index = 0, next = 0;
  for (auto& layer : *features) {
    if (next == taps_.size()) break;
    x = layer.forward(x);
    if (index == taps_[next]) {
      maps.push_back(x);
      ++next;
    }
    ++index;
  }
  return maps;
}

// ---- Registration --------------------------------------------------------------------------

void RegisterEncoders() {
  static const bool done = [] {
    for (const char* name : {"densenet121", "densenet161", "densenet169", "densenet201"}) {
      if (nn::IsModelRegistered(name)) continue;  // another package got there first
      nn::RegisterModel(
          name,
          [name](const nn::ModelOptions& mo) -> std::shared_ptr<nn::Model> {
            if (mo.width_multiplier != 1.0) {
              throw MakeError("{}: width_multiplier is not supported", name);
            }
            DenseNetOptions o = DenseNetOptions::ByName(name);
            o.num_outputs = mo.num_outputs;
            o.in_channels = mo.in_channels;
            return std::make_shared<DenseNet>(o);
          },
          "DenseNet (torchvision layout and keys); maps at relu0, pool0, transition1/2, norm5");
    }
    for (const char* name : {"efficientnet_b0", "efficientnet_b7"}) {
      if (nn::IsModelRegistered(name)) continue;
      nn::RegisterModel(
          name,
          [name](const nn::ModelOptions& mo) -> std::shared_ptr<nn::Model> {
            if (mo.width_multiplier != 1.0) {
              throw MakeError("{}: width_multiplier is not supported", name);
            }
            EfficientNetOptions o = EfficientNetOptions::ByName(name);
            o.num_outputs = mo.num_outputs;
            o.in_channels = mo.in_channels;
            if (mo.dropout >= 0.0) o.dropout = mo.dropout;
            return std::make_shared<EfficientNet>(o);
          },
          "EfficientNet (torchvision layout and keys); last map at each stride");
    }
    return true;
  }();
  (void)done;
}

}  // namespace synface::depth
