#include "core/nn/resnet.h"

#include "core/util/error.h"

namespace synface::core::nn {
namespace {

Conv2d Conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return Conv2d(Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

Conv2d Conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return Conv2d(Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

// Projection shortcut. torchvision: [1x1 conv (strided), BN]. avg_down (ResNet-D, timm
// downsample_avg): [AvgPool2d(2, stride, ceil, no pad counting) or Identity, 1x1 conv, BN].
Sequential Downsample(int64_t in, int64_t out, int64_t stride, bool avg_down) {
  if (!avg_down) return Sequential(Conv1x1(in, out, stride), BatchNorm2d(out));
  Sequential seq;
  if (stride == 1) {
    seq->push_back(Identity());
  } else {
    seq->push_back(
        AvgPool2d(Pool2dOptions(2).stride(stride).ceil_mode(true).count_include_pad(false)));
  }
  seq->push_back(Conv1x1(in, out, 1));
  seq->push_back(BatchNorm2d(out));
  return seq;
}

}  // namespace

ResNetOptions ResNetOptions::ResNet18() {
  ResNetOptions o;
  o.layers = {2, 2, 2, 2};
  o.name = "resnet18";
  return o;
}

ResNetOptions ResNetOptions::ResNet34() {
  ResNetOptions o;
  o.layers = {3, 4, 6, 3};
  o.name = "resnet34";
  return o;
}

ResNetOptions ResNetOptions::ResNet50() {
  ResNetOptions o;
  o.block = ResNetBlock::kBottleneck;
  o.layers = {3, 4, 6, 3};
  o.name = "resnet50";
  return o;
}

ResNetOptions ResNetOptions::ResNet101() {
  ResNetOptions o = ResNet50();
  o.layers = {3, 4, 23, 3};
  o.name = "resnet101";
  return o;
}

ResNetOptions ResNetOptions::ResNet152() {
  ResNetOptions o = ResNet50();
  o.layers = {3, 8, 36, 3};
  o.name = "resnet152";
  return o;
}

ResNetOptions ResNetOptions::Jmlr() {
  ResNetOptions o;
  o.layers = {5, 3, 4, 2};
  o.widths = {64, 160, 272, 512};
  o.deep_stem = true;
  o.stem_width = 32;
  o.avg_down = true;
  o.zero_init_last = true;
  o.name = "resnet_jmlr";
  return o;
}

// ---- Blocks ------------------------------------------------------------------------------------

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t planes, int64_t stride, Sequential downsample_) {
  conv1 = register_module("conv1", Conv3x3(in, planes, stride));
  bn1 = register_module("bn1", BatchNorm2d(planes));
  relu = register_module("relu", ReLU());
  conv2 = register_module("conv2", Conv3x3(planes, planes));
  bn2 = register_module("bn2", BatchNorm2d(planes));
  if (downsample_) downsample = register_module("downsample", downsample_);
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  out = out + (downsample ? downsample->forward(x) : x);
  return relu(out);
}

BottleneckImpl::BottleneckImpl(int64_t in, int64_t planes, int64_t stride, Sequential downsample_) {
  conv1 = register_module("conv1", Conv1x1(in, planes));
  bn1 = register_module("bn1", BatchNorm2d(planes));
  conv2 = register_module("conv2", Conv3x3(planes, planes, stride));
  bn2 = register_module("bn2", BatchNorm2d(planes));
  conv3 = register_module("conv3", Conv1x1(planes, planes * 4));
  bn3 = register_module("bn3", BatchNorm2d(planes * 4));
  relu = register_module("relu", ReLU());
  if (downsample_) downsample = register_module("downsample", downsample_);
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = relu(bn1(conv1(x)));
  out = relu(bn2(conv2(out)));
  out = bn3(conv3(out));
  out = out + (downsample ? downsample->forward(x) : x);
  return relu(out);
}

// ---- ResNet ------------------------------------------------------------------------------------

ResNet::ResNet(const ResNetOptions& options) : options_(options) {
  if (options.in_channels <= 0) throw MakeError("{}: in_channels must be > 0", options.name);
  if (options.num_outputs < 0) throw MakeError("{}: num_outputs must be >= 0", options.name);
  for (int i = 0; i < 4; ++i) {
    if (options.layers[i] <= 0 || options.widths[i] <= 0) {
      throw MakeError("{}: stage {} needs >= 1 block and width > 0", options.name, i + 1);
    }
  }
  if (options.deep_stem) {
    const int64_t w = options.stem_width;
    stem_channels_ = 2 * w;
    conv1_deep = register_module(
        "conv1",
        Sequential(
            Conv2d(Conv2dOptions(options.in_channels, w, 3).stride(2).padding(1).bias(false)),
            BatchNorm2d(w), ReLU(), Conv3x3(w, w), BatchNorm2d(w), ReLU(),
            Conv3x3(w, stem_channels_)));
  } else {
    stem_channels_ = 64;
    conv1 = register_module(
        "conv1",
        Conv2d(Conv2dOptions(options.in_channels, 64, 7).stride(2).padding(3).bias(false)));
  }
  bn1 = register_module("bn1", BatchNorm2d(stem_channels_));
  relu = register_module("relu", ReLU());
  maxpool = register_module("maxpool", MaxPool2d(Pool2dOptions(3).stride(2).padding(1)));

  const int64_t expansion = options.block == ResNetBlock::kBottleneck ? 4 : 1;
  int64_t in = stem_channels_;
  for (int i = 0; i < 4; ++i) {
    const int64_t planes = options.widths[i];
    const int64_t stride = i == 0 ? 1 : 2;
    Sequential stage;
    for (int64_t b = 0; b < options.layers[i]; ++b) {
      const int64_t s = b == 0 ? stride : 1;
      Sequential down{nullptr};
      if (b == 0 && (s != 1 || in != planes * expansion)) {
        down = Downsample(in, planes * expansion, s, options.avg_down);
      }
      if (options.block == ResNetBlock::kBasic) {
        stage->push_back(BasicBlock(in, planes, s, down));
      } else {
        stage->push_back(Bottleneck(in, planes, s, down));
      }
      in = planes * expansion;
    }
    stages[i] = register_module("layer" + std::to_string(i + 1), stage);
  }
  num_features_ = in;
  avgpool = register_module("avgpool", AdaptiveAvgPool2d(1));

  InitTorchvisionStyle(*this);
  if (options.zero_init_last) {
    torch::NoGradGuard no_grad;
    for (const auto& m : modules(/*include_self=*/false)) {
      if (auto* basic = m->as<BasicBlockImpl>()) basic->bn2->weight.zero_();
      if (auto* bottleneck = m->as<BottleneckImpl>()) bottleneck->bn3->weight.zero_();
    }
  }
  ResetHead(options.num_outputs);
}

void ResNet::ResetHead(int64_t num_outputs) {
  if (num_outputs < 0) throw MakeError("{}: num_outputs must be >= 0", options_.name);
  options_.num_outputs = num_outputs;
  if (num_outputs == 0) {
    if (fc) unregister_module("fc");
    fc = Linear(nullptr);
    return;
  }
  Linear head(num_features_, num_outputs);  // PyTorch default init, as torchvision and timm
  fc = fc ? replace_module("fc", head) : register_module("fc", head);
}

torch::Tensor ResNet::Stem(torch::Tensor x) {
  x = conv1 ? conv1(x) : conv1_deep->forward(x);
  return relu(bn1(x));
}

torch::Tensor ResNet::ForwardPooled(torch::Tensor x) {
  x = maxpool(Stem(std::move(x)));
  for (auto& stage : stages) x = stage->forward(x);
  return torch::flatten(avgpool(x), 1);
}

torch::Tensor ResNet::forward(torch::Tensor x) {
  torch::Tensor pooled = ForwardPooled(std::move(x));
  if (!fc) return pooled;
  if (options_.dropout > 0.0) pooled = torch::dropout(pooled, options_.dropout, is_training());
  return fc(pooled);
}

std::vector<torch::Tensor> ResNet::ForwardFeatures(torch::Tensor x) {
  std::vector<torch::Tensor> maps;
  x = Stem(std::move(x));
  maps.push_back(x);
  x = maxpool(x);
  for (auto& stage : stages) {
    x = stage->forward(x);
    maps.push_back(x);
  }
  return maps;
}

std::vector<FeatureInfo> ResNet::feature_info() const {
  const int64_t expansion = options_.block == ResNetBlock::kBottleneck ? 4 : 1;
  std::vector<FeatureInfo> info{{"relu", stem_channels_, 2}};
  for (int i = 0; i < 4; ++i) {
    info.push_back(
        {"layer" + std::to_string(i + 1), options_.widths[i] * expansion, int64_t{4} << i});
  }
  return info;
}

}  // namespace synface::core::nn
