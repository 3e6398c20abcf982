#include "depth/models.h"

#include <cmath>

#include "core/nn/registry.h"
#include "core/nn/resnet.h"
#include "core/util/error.h"

namespace synface::depth {
namespace {

using core::MakeError;
namespace cnn = core::nn;

cnn::Conv2d Conv(int64_t in, int64_t out, int64_t k, int64_t padding, bool bias = true,
                 int64_t dilation = 1) {
  return cnn::Conv2d(cnn::Conv2dOptions(in, out, k).padding(padding).dilation(dilation).bias(bias));
}

void CheckInput(const torch::Tensor& x, int64_t channels, const std::string& model) {
  if (x.dim() != 4 || x.size(1) != channels) {
    throw MakeError("{}: expected an (N, {}, H, W) input, got {}", model, channels,
                    c10::str(x.sizes()));
  }
}

// The encoder's maps must be five, at strides 2, 4, 8, 16 and 32 (what the decoders consume).
void CheckFiveMaps(const std::vector<cnn::FeatureInfo>& info, const std::string& encoder) {
  bool ok = info.size() == 5;
  for (size_t i = 0; ok && i < info.size(); ++i) ok = info[i].stride == (int64_t{2} << i);
  if (!ok) {
    throw MakeError("encoder '{}' does not give five feature maps at strides 2..32", encoder);
  }
}

}  // namespace

// ---- DepthModel ----------------------------------------------------------------------------

torch::Tensor DepthModel::ToMetres(const torch::Tensor& y, double max_range) const {
  const double range = max_range > 0.0 ? max_range : max_depth();
  if (output_kind() == DepthOutputKind::kMetric) return y.clamp(0.0, range);
  return max_depth() / y.clamp_min(max_depth() / range);
}

torch::Tensor DepthModel::TargetFromMetres(const torch::Tensor& d) const {
  if (output_kind() == DepthOutputKind::kMetric) return d.clamp_min(0.0);
  const torch::Tensor valid = d > 0;
  return torch::where(valid, max_depth() / d.clamp_min(1e-6), torch::zeros_like(d));
}

void DepthModel::set_max_depth(double max_depth) {
  if (!(max_depth > 0) || !std::isfinite(max_depth)) {
    throw MakeError("{}: max_depth must be > 0, got {}", architecture(), max_depth);
  }
  max_depth_ = max_depth;
}

void DepthModel::ResetHead(int64_t) {
  throw MakeError("{}: a depth model has no classification head to reset", architecture());
}

// ---- U-Net-simple --------------------------------------------------------------------------

DoubleConvImpl::DoubleConvImpl(int64_t in, int64_t out, int64_t mid) {
  if (mid <= 0) mid = out;
  double_conv = register_module(
      "double_conv", cnn::Sequential(Conv(in, mid, 3, 1), cnn::BatchNorm2d(mid), cnn::ReLU(),
                                     Conv(mid, out, 3, 1), cnn::BatchNorm2d(out), cnn::ReLU()));
}

UNetDownImpl::UNetDownImpl(int64_t in, int64_t out) {
  maxpool_conv = register_module(
      "maxpool_conv", cnn::Sequential(cnn::MaxPool2d(cnn::Pool2dOptions(2)), DoubleConv(in, out)));
}

UNetUpImpl::UNetUpImpl(int64_t in, int64_t out) {
  up = register_module("up", cnn::Upsample(2.0, cnn::UpsampleMode::kBilinear, true));
  conv = register_module("conv", DoubleConv(in, out, in / 2));
}

torch::Tensor UNetUpImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  torch::Tensor y = up->forward(x);
  const int64_t dy = skip.size(2) - y.size(2), dx = skip.size(3) - y.size(3);
  if (dy != 0 || dx != 0) {
    y = torch::constant_pad_nd(y, {dx / 2, dx - dx / 2, dy / 2, dy - dy / 2}, 0.0);
  }
  return conv->forward(torch::cat({skip, y}, 1));
}

OutConvImpl::OutConvImpl(int64_t in, int64_t out) {
  conv = register_module("conv", Conv(in, out, 1, 0));
}

UNetSimple::UNetSimple(const UNetSimpleOptions& o) : options_(o) {
  if (o.in_channels <= 0 || o.base_width <= 0) throw MakeError("unet_simple: invalid options");
  const int64_t w = o.base_width;
  inc = register_module("inc", DoubleConv(o.in_channels, w));
  down1 = register_module("down1", UNetDown(w, 2 * w));
  down2 = register_module("down2", UNetDown(2 * w, 4 * w));
  down3 = register_module("down3", UNetDown(4 * w, 8 * w));
  down4 = register_module("down4", UNetDown(8 * w, 8 * w));  // 1024 // 2 with bilinear
  up1 = register_module("up1", UNetUp(16 * w, 4 * w));
  up2 = register_module("up2", UNetUp(8 * w, 2 * w));
  up3 = register_module("up3", UNetUp(4 * w, w));
  up4 = register_module("up4", UNetUp(2 * w, w));
  outc = register_module("outc", OutConv(w, 1));
}

std::vector<torch::Tensor> UNetSimple::ForwardFeatures(torch::Tensor x) {
  CheckInput(x, options_.in_channels, "unet_simple");
  std::vector<torch::Tensor> maps;
  maps.push_back(inc->forward(x));
  maps.push_back(down1->forward(maps.back()));
  maps.push_back(down2->forward(maps.back()));
  maps.push_back(down3->forward(maps.back()));
  maps.push_back(down4->forward(maps.back()));
  return maps;
}

torch::Tensor UNetSimple::forward(torch::Tensor x) {
  auto m = ForwardFeatures(std::move(x));
  torch::Tensor y = up1->forward(m[4], m[3]);
  y = up2->forward(y, m[2]);
  y = up3->forward(y, m[1]);
  y = up4->forward(y, m[0]);
  return outc->forward(y);
}

torch::Tensor UNetSimple::ForwardPooled(torch::Tensor x) {
  return ForwardFeatures(std::move(x)).back().mean({2, 3});
}

int64_t UNetSimple::num_features() const { return 8 * options_.base_width; }

std::vector<cnn::FeatureInfo> UNetSimple::feature_info() const {
  const int64_t w = options_.base_width;
  return {{"inc", w, 1},
          {"down1", 2 * w, 2},
          {"down2", 4 * w, 4},
          {"down3", 8 * w, 8},
          {"down4", 8 * w, 16}};
}

// ---- DenseDepth ----------------------------------------------------------------------------

UpSampleBlockImpl::UpSampleBlockImpl(int64_t in, int64_t out, bool after_a)
    : activation_after_a(after_a) {
  // Functional in the reference code (F.interpolate): not registered, no parameters.
  resize = cnn::Upsample(2.0, cnn::UpsampleMode::kBilinear, true);
  convA = register_module("convA", Conv(in, out, 3, 1));
  leakyreluA = register_module("leakyreluA", cnn::LeakyReLU(0.2));
  convB = register_module("convB", Conv(out, out, 3, 1));
  leakyreluB = register_module("leakyreluB", cnn::LeakyReLU(0.2));
}

torch::Tensor UpSampleBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  torch::Tensor up = resize->forward_to(x, {skip.size(2), skip.size(3)});
  torch::Tensor y = convA->forward(torch::cat({up, skip}, 1));
  if (activation_after_a) y = leakyreluA->forward(y);
  return leakyreluB->forward(convB->forward(y));
}

EncoderHolderImpl::EncoderHolderImpl(const std::string& attribute,
                                     std::shared_ptr<torch::nn::Module> m)
    : model(std::move(m)) {
  register_module(attribute, model);
}

DenseDepthDecoderImpl::DenseDepthDecoderImpl(std::array<int64_t, 4> skip, int64_t bottom,
                                             const DenseDepthOptions& o) {
  const auto f = static_cast<int64_t>(static_cast<double>(bottom) * o.decoder_width);
  if (f < 16) throw MakeError("DenseDepth decoder: width {} too small", o.decoder_width);
  conv2 = register_module("conv2", Conv(bottom, f, 1, o.bottleneck_padding));
  up1 = register_module("up1", UpSampleBlock(f + skip[3], f / 2, o.activation_after_a));
  up2 = register_module("up2", UpSampleBlock(f / 2 + skip[2], f / 4, o.activation_after_a));
  up3 = register_module("up3", UpSampleBlock(f / 4 + skip[1], f / 8, o.activation_after_a));
  up4 = register_module("up4", UpSampleBlock(f / 8 + skip[0], f / 16, o.activation_after_a));
  conv3 = register_module("conv3", Conv(f / 16, 1, 3, 1));
}

torch::Tensor DenseDepthDecoderImpl::forward(const std::vector<torch::Tensor>& m) {
  torch::Tensor y = conv2->forward(relu->forward(m[4]));
  y = up1->forward(y, m[3]);
  y = up2->forward(y, m[2]);
  y = up3->forward(y, m[1]);
  y = up4->forward(y, m[0]);
  return conv3->forward(y);
}

DenseDepth::DenseDepth(const DenseDepthOptions& o) {
  RegisterEncoders();
  cnn::ModelOptions mo;
  mo.num_outputs = o.encoder_head ? 1000 : 0;
  mo.in_channels = o.in_channels;
  encoder_model_ = cnn::CreateModel(o.encoder, mo);
  const auto info = encoder_model_->feature_info();
  CheckFiveMaps(info, o.encoder);
  encoder = register_module("encoder", EncoderHolder("original_model", encoder_model_));
  const std::array<int64_t, 4> skips = {info[0].channels, info[1].channels, info[2].channels,
                                        info[3].channels};
  decoder = register_module("decoder", DenseDepthDecoder(skips, info[4].channels, o));
  architecture_ = "densedepth_" + o.encoder;
}

std::vector<torch::Tensor> DenseDepth::ForwardFeatures(torch::Tensor x) {
  return encoder_model_->ForwardFeatures(std::move(x));
}

torch::Tensor DenseDepth::forward(torch::Tensor x) {
  return decoder->forward(ForwardFeatures(std::move(x)));
}

torch::Tensor DenseDepth::ForwardPooled(torch::Tensor x) {
  return encoder_model_->ForwardPooled(std::move(x));
}

std::vector<cnn::FeatureInfo> DenseDepth::feature_info() const {
  return encoder_model_->feature_info();
}

// ---- FaceDepth -----------------------------------------------------------------------------

namespace {
// MobileNetV2 module indices whose outputs FaceDepth taps (features[k] = output of module k-1).
constexpr std::array<size_t, 7> kFaceDepthTaps = {1, 3, 5, 8, 14, 17, 18};
constexpr std::array<int64_t, 7> kFaceDepthTapChannels = {16, 24, 32, 64, 160, 320, 1280};
constexpr std::array<int64_t, 7> kFaceDepthTapStrides = {2, 4, 8, 16, 32, 32, 32};
}  // namespace

FaceDepthDecoderImpl::FaceDepthDecoderImpl(double width) {
  const auto f = static_cast<int64_t>(1280.0 * width);
  if (f < 32) throw MakeError("facedepth: decoder width {} too small", width);
  conv2 = register_module("conv2", Conv(1280, f, 1, /*padding=*/1));
  const std::array<std::pair<int64_t, int64_t>, 6> io = {{{f + 320, f / 2},
                                                          {f / 2 + 160, f / 2},
                                                          {f / 2 + 64, f / 4},
                                                          {f / 4 + 32, f / 8},
                                                          {f / 8 + 24, f / 8},
                                                          {f / 8 + 16, f / 16}}};
  for (size_t i = 0; i < io.size(); ++i) {
    ups[i] = register_module("up" + std::to_string(i),
                             UpSampleBlock(io[i].first, io[i].second, /*after_a=*/true));
  }
  conv3 = register_module("conv3", Conv(f / 16, 1, 3, 1));
}

torch::Tensor FaceDepthDecoderImpl::forward(const std::vector<torch::Tensor>& t) {
  torch::Tensor y = conv2->forward(t[6]);
  for (size_t i = 0; i < ups.size(); ++i) y = ups[i]->forward(y, t[5 - i]);
  return conv3->forward(y);
}

FaceDepth::FaceDepth(const FaceDepthOptions& o) {
  cnn::MobileNetV2Options mo;
  mo.num_outputs = o.encoder_head ? 1000 : 0;
  mo.in_channels = o.in_channels;
  mobilenet_ = std::make_shared<cnn::MobileNetV2>(mo);
  encoder = register_module("encoder", EncoderHolder("original_model", mobilenet_));
  decoder = register_module("decoder", FaceDepthDecoder(o.decoder_width));
}

std::vector<torch::Tensor> FaceDepth::ForwardFeatures(torch::Tensor x) {
  std::vector<torch::Tensor> taps;
  size_t index = 0, next = 0;
  for (auto& layer : *mobilenet_->features) {
    x = layer.forward(x);
    if (index == kFaceDepthTaps[next]) {
      taps.push_back(x);
      if (++next == kFaceDepthTaps.size()) break;
    }
    ++index;
  }
  return taps;
}

torch::Tensor FaceDepth::forward(torch::Tensor x) {
  return decoder->forward(ForwardFeatures(std::move(x)));
}

torch::Tensor FaceDepth::ForwardPooled(torch::Tensor x) {
  return mobilenet_->ForwardPooled(std::move(x));
}

std::vector<cnn::FeatureInfo> FaceDepth::feature_info() const {
  std::vector<cnn::FeatureInfo> info;
  for (size_t i = 0; i < kFaceDepthTaps.size(); ++i) {
    info.push_back({"features." + std::to_string(kFaceDepthTaps[i]), kFaceDepthTapChannels[i],
                    kFaceDepthTapStrides[i]});
  }
  return info;
}

// ---- BTS -----------------------------------------------------------------------------------

BtsUpConvImpl::BtsUpConvImpl(int64_t in, int64_t out) {
  elu = register_module("elu", ELU());
  conv = register_module("conv", Conv(in, out, 3, 1, /*bias=*/false));
  up = cnn::Upsample(2.0, cnn::UpsampleMode::kNearest);  // functional in BTS
}

torch::Tensor BtsUpConvImpl::forward(const torch::Tensor& x) {
  return elu->forward(conv->forward(up->forward(x)));
}

namespace {
cnn::BatchNorm2d BtsBn(int64_t channels, double eps = 1.1e-5) {
  return cnn::BatchNorm2d(cnn::BatchNorm2dOptions(channels).momentum(0.01).eps(eps));
}
cnn::Sequential ConvElu(int64_t in, int64_t out) {
  return cnn::Sequential(Conv(in, out, 3, 1, false), ELU());
}
}  // namespace

AtrousConvImpl::AtrousConvImpl(int64_t in, int64_t out, int64_t dilation, bool bn_first) {
  cnn::Sequential seq;
  cnn::Sequential inner(cnn::ReLU(), Conv(in, 2 * out, 1, 0, false), BtsBn(2 * out, 1e-5),
                        cnn::ReLU(), Conv(2 * out, out, 3, dilation, false, dilation));
  if (bn_first) seq->push_back("first_bn", BtsBn(in));
  seq->push_back("aconv_sequence", inner);
  atrous_conv = register_module("atrous_conv", seq);
}

Reduction1x1Impl::Reduction1x1Impl(int64_t in, int64_t out, double max_depth_, bool final_)
    : max_depth(max_depth_), is_final(final_) {
  sigmoid = register_module("sigmoid", cnn::Sigmoid());
  cnn::Sequential seq;
  while (out >= 4) {
    if (out < 8) {
      if (is_final) {
        seq->push_back("final", cnn::Sequential(Conv(in, 1, 1, 0, false), cnn::Sigmoid()));
      } else {
        seq->push_back("plane_params", Conv(in, 3, 1, 0, false));
      }
      break;
    }
    seq->push_back("inter_" + std::to_string(in) + "_" + std::to_string(out),
                   cnn::Sequential(Conv(in, out, 1, 0, false), ELU()));
    in = out;
    out /= 2;
  }
  reduc = register_module("reduc", seq);
}

torch::Tensor Reduction1x1Impl::forward(const torch::Tensor& x) {
  torch::Tensor net = reduc->forward(x);
  if (is_final) return net;
  const torch::Tensor theta = sigmoid->forward(net.select(1, 0)) * (M_PI / 3.0);
  const torch::Tensor phi = sigmoid->forward(net.select(1, 1)) * (M_PI * 2.0);
  const torch::Tensor dist = sigmoid->forward(net.select(1, 2)) * max_depth;
  return torch::stack({torch::sin(theta) * torch::cos(phi), torch::sin(theta) * torch::sin(phi),
                       torch::cos(theta), dist},
                      1);
}

torch::Tensor LocalPlanarGuidance(const torch::Tensor& plane, int64_t r) {
  if (plane.dim() != 4 || plane.size(1) != 4) {
    throw MakeError("LocalPlanarGuidance: expected (N, 4, H, W), got {}", c10::str(plane.sizes()));
  }
  torch::Tensor p = plane.repeat_interleave(r, 2).repeat_interleave(r, 3);
  const int64_t h = p.size(2), w = p.size(3);
  const double centre = (static_cast<double>(r) - 1.0) * 0.5;
  // Position inside each r x r cell, centred and divided by r (BTS's u along x, v along y).
  torch::Tensor cell = (torch::arange(r, p.options()) - centre) / static_cast<double>(r);
  torch::Tensor u = cell.repeat({w / r}).view({1, 1, w}).expand({p.size(0), h, w});
  torch::Tensor v = cell.repeat({h / r}).view({1, h, 1}).expand({p.size(0), h, w});
  return p.select(1, 3) / (p.select(1, 0) * u + p.select(1, 1) * v + p.select(1, 2));
}

BtsDecoderImpl::BtsDecoderImpl(std::array<int64_t, 5> c, int64_t nf, double max_depth_)
    : max_depth(max_depth_) {
  upconv5 = register_module("upconv5", BtsUpConv(c[4], nf));
  bn5 = register_module("bn5", BtsBn(nf));
  conv5 = register_module("conv5", ConvElu(nf + c[3], nf));
  upconv4 = register_module("upconv4", BtsUpConv(nf, nf / 2));
  bn4 = register_module("bn4", BtsBn(nf / 2));
  conv4 = register_module("conv4", ConvElu(nf / 2 + c[2], nf / 2));
  bn4_2 = register_module("bn4_2", BtsBn(nf / 2));
  daspp_3 = register_module("daspp_3", AtrousConv(nf / 2, nf / 4, 3, false));
  daspp_6 = register_module("daspp_6", AtrousConv(nf / 2 + nf / 4 + c[2], nf / 4, 6, true));
  daspp_12 = register_module("daspp_12", AtrousConv(nf + c[2], nf / 4, 12, true));
  daspp_18 = register_module("daspp_18", AtrousConv(nf + nf / 4 + c[2], nf / 4, 18, true));
  daspp_24 = register_module("daspp_24", AtrousConv(nf + nf / 2 + c[2], nf / 4, 24, true));
  daspp_conv = register_module("daspp_conv", ConvElu(nf + nf / 2 + nf / 4, nf / 4));
  reduc8x8 = register_module("reduc8x8", Reduction1x1(nf / 4, nf / 4, max_depth, false));
  upconv3 = register_module("upconv3", BtsUpConv(nf / 4, nf / 4));
  bn3 = register_module("bn3", BtsBn(nf / 4));
  conv3 = register_module("conv3", ConvElu(nf / 4 + c[1] + 1, nf / 4));
  reduc4x4 = register_module("reduc4x4", Reduction1x1(nf / 4, nf / 8, max_depth, false));
  upconv2 = register_module("upconv2", BtsUpConv(nf / 4, nf / 8));
  bn2 = register_module("bn2", BtsBn(nf / 8));
  conv2 = register_module("conv2", ConvElu(nf / 8 + c[0] + 1, nf / 8));
  reduc2x2 = register_module("reduc2x2", Reduction1x1(nf / 8, nf / 16, max_depth, false));
  upconv1 = register_module("upconv1", BtsUpConv(nf / 8, nf / 16));
  reduc1x1 = register_module("reduc1x1", Reduction1x1(nf / 16, nf / 32, max_depth, true));
  conv1 = register_module("conv1", ConvElu(nf / 16 + 4, nf / 16));
  get_depth =
      register_module("get_depth", cnn::Sequential(Conv(nf / 16, 1, 3, 1, false), cnn::Sigmoid()));
  down4 = cnn::Upsample(0.25, cnn::UpsampleMode::kNearest);
  down2 = cnn::Upsample(0.5, cnn::UpsampleMode::kNearest);
  // BTS's weights_init_xavier on the decoder's convolutions.
  torch::NoGradGuard no_grad;
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<cnn::Conv2dImpl>()) {
      torch::nn::init::xavier_uniform_(conv->weight);
      if (conv->bias.defined()) conv->bias.zero_();
    }
  }
}

torch::Tensor BtsDecoderImpl::forward(const std::vector<torch::Tensor>& f) {
  auto plane_depth = [&](Reduction1x1& reduc, const torch::Tensor& x, int64_t ratio) {
    torch::Tensor p = reduc->forward(x);
    torch::Tensor normal = torch::nn::functional::normalize(
        p.slice(1, 0, 3), torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
    torch::Tensor eq = torch::cat({normal, p.slice(1, 3, 4)}, 1);
    return LocalPlanarGuidance(eq, ratio).unsqueeze(1) / max_depth;
  };
  torch::Tensor dense = relu->forward(f[4]);
  torch::Tensor u5 = bn5->forward(upconv5->forward(dense));
  torch::Tensor iconv5 = conv5->forward(torch::cat({u5, f[3]}, 1));
  torch::Tensor u4 = bn4->forward(upconv4->forward(iconv5));
  torch::Tensor concat4 = torch::cat({u4, f[2]}, 1);
  torch::Tensor iconv4 = bn4_2->forward(conv4->forward(concat4));
  torch::Tensor d3 = daspp_3->forward(iconv4);
  torch::Tensor c42 = torch::cat({concat4, d3}, 1);
  torch::Tensor d6 = daspp_6->forward(c42);
  torch::Tensor c43 = torch::cat({c42, d6}, 1);
  torch::Tensor d12 = daspp_12->forward(c43);
  torch::Tensor c44 = torch::cat({c43, d12}, 1);
  torch::Tensor d18 = daspp_18->forward(c44);
  torch::Tensor c45 = torch::cat({c44, d18}, 1);
  torch::Tensor d24 = daspp_24->forward(c45);
  torch::Tensor daspp = daspp_conv->forward(torch::cat({iconv4, d3, d6, d12, d18, d24}, 1));

  torch::Tensor depth8 = plane_depth(reduc8x8, daspp, 8);
  torch::Tensor u3 = bn3->forward(upconv3->forward(daspp));
  torch::Tensor iconv3 = conv3->forward(torch::cat({u3, f[1], down4->forward(depth8)}, 1));

  torch::Tensor depth4 = plane_depth(reduc4x4, iconv3, 4);
  torch::Tensor u2 = bn2->forward(upconv2->forward(iconv3));
  torch::Tensor iconv2 = conv2->forward(torch::cat({u2, f[0], down2->forward(depth4)}, 1));

  torch::Tensor depth2 = plane_depth(reduc2x2, iconv2, 2);
  torch::Tensor u1 = upconv1->forward(iconv2);
  torch::Tensor r1 = reduc1x1->forward(u1);
  torch::Tensor iconv1 = conv1->forward(torch::cat({u1, r1, depth2, depth4, depth8}, 1));
  return max_depth * get_depth->forward(iconv1);
}

Bts::Bts(const BtsOptions& o) : options_(o) {
  if (o.max_depth <= 0) throw MakeError("bts: max_depth must be > 0");
  if (o.bts_size < 64 || o.bts_size % 32 != 0) {
    throw MakeError("bts: bts_size must be a multiple of 32, >= 64 (got {})", o.bts_size);
  }
  max_depth_ = o.max_depth;
  if (o.encoder == "densenet121" || o.encoder == "densenet161") {
    DenseNetOptions d = DenseNetOptions::ByName(o.encoder);
    d.in_channels = o.in_channels;
    DenseNet full(d);  // torchvision's initialisation, then only `.features` is kept
    densenet_ = full.features;
    feat_channels_ = densenet_->tap_channels();
    encoder = register_module("encoder", EncoderHolder("base_model", densenet_.ptr()));
  } else if (o.encoder == "resnet50" || o.encoder == "resnet101") {
    cnn::ResNetOptions r =
        o.encoder == "resnet50" ? cnn::ResNetOptions::ResNet50() : cnn::ResNetOptions::ResNet101();
    r.in_channels = o.in_channels;
    resnet_ = std::make_shared<cnn::ResNet>(r);
    const auto info = resnet_->feature_info();
    for (int i = 0; i < 5; ++i) feat_channels_[i] = info[i].channels;
    encoder = register_module("encoder", EncoderHolder("base_model", resnet_));
  } else {
    throw MakeError("bts: unknown encoder '{}' (densenet121, densenet161, resnet50, resnet101)",
                    o.encoder);
  }
  decoder = register_module("decoder", BtsDecoder(feat_channels_, o.bts_size, o.max_depth));
}

void Bts::set_max_depth(double max_depth) {
  if (std::abs(max_depth - options_.max_depth) > 1e-12) {
    throw MakeError("{}: built for max_depth {}; build a new model for {}", architecture(),
                    options_.max_depth, max_depth);
  }
}

std::vector<torch::Tensor> Bts::ForwardFeatures(torch::Tensor x) {
  CheckInput(x, options_.in_channels, architecture());
  if (x.size(2) % 32 != 0 || x.size(3) % 32 != 0) {
    throw MakeError("{}: input height and width must be multiples of 32, got {}x{}", architecture(),
                    x.size(2), x.size(3));
  }
  return densenet_ ? densenet_->ForwardTaps(x) : resnet_->ForwardFeatures(x);
}

torch::Tensor Bts::forward(torch::Tensor x) {
  return decoder->forward(ForwardFeatures(std::move(x)));
}

torch::Tensor Bts::ForwardPooled(torch::Tensor x) {
  return ForwardFeatures(std::move(x)).back().mean({2, 3});
}

std::vector<cnn::FeatureInfo> Bts::feature_info() const {
  const char* dn[] = {"relu0", "pool0", "transition1", "transition2", "norm5"};
  const char* rn[] = {"relu", "layer1", "layer2", "layer3", "layer4"};
  std::vector<cnn::FeatureInfo> info;
  for (int i = 0; i < 5; ++i) {
    info.push_back({std::string("base_model.") + (densenet_ ? dn[i] : rn[i]), feat_channels_[i],
                    int64_t{2} << i});
  }
  return info;
}

// ---- Registry ------------------------------------------------------------------------------

namespace {

const char* const kDenseDepthEncoders[] = {"densenet121",     "densenet161",     "densenet169",
                                           "densenet201",     "resnet50",        "resnet101",
                                           "efficientnet_b0", "efficientnet_b7", "mobilenet_v2"};
const char* const kBtsEncoders[] = {"densenet121", "densenet161", "resnet50", "resnet101"};

void RejectWidth(const cnn::ModelOptions& o, const std::string& name) {
  if (o.width_multiplier != 1.0) throw MakeError("{}: width_multiplier is not supported", name);
}

}  // namespace

std::vector<std::string> DepthModelNames() {
  std::vector<std::string> names{"unet_simple", "facedepth", "densedepth161_authors"};
  for (const char* e : kDenseDepthEncoders) names.push_back(std::string("densedepth_") + e);
  for (const char* e : kBtsEncoders) names.push_back(std::string("bts_") + e);
  return names;
}

void RegisterDepthModels() {
  static const bool done = [] {
    RegisterEncoders();
    cnn::RegisterModel(
        "unet_simple",
        [](const cnn::ModelOptions& o) -> std::shared_ptr<cnn::Model> {
          RejectWidth(o, "unet_simple");
          UNetSimpleOptions u;
          u.in_channels = o.in_channels;
          return std::make_shared<UNetSimple>(u);
        },
        "U-Net-simple (P3-P5): bilinear milesial U-Net, 17,267,393 parameters, inverse depth");
    cnn::RegisterModel(
        "facedepth",
        [](const cnn::ModelOptions& o) -> std::shared_ptr<cnn::Model> {
          RejectWidth(o, "facedepth");
          FaceDepthOptions f;
          f.in_channels = o.in_channels;
          return std::make_shared<FaceDepth>(f);
        },
        "FaceDepth (P5): MobileNetV2 + six up-blocks, 14,424,057 parameters, half resolution");
    cnn::RegisterModel(
        "densedepth161_authors",
        [](const cnn::ModelOptions& o) -> std::shared_ptr<cnn::Model> {
          RejectWidth(o, "densedepth161_authors");
          DenseDepthOptions d;
          d.encoder = "densenet161";
          d.decoder_width = 0.5;
          d.bottleneck_padding = 1;
          d.activation_after_a = true;
          d.encoder_head = true;
          d.in_channels = o.in_channels;
          return std::make_shared<DenseDepth>(d);
        },
        "the authors' DenseDepth-161 variant (width 0.5, padded bottleneck)");
    for (const char* e : kDenseDepthEncoders) {
      const std::string encoder = e;
      cnn::RegisterModel(
          "densedepth_" + encoder,
          [encoder](const cnn::ModelOptions& o) -> std::shared_ptr<cnn::Model> {
            RejectWidth(o, "densedepth_" + encoder);
            DenseDepthOptions d;
            d.encoder = encoder;
            d.in_channels = o.in_channels;
            return std::make_shared<DenseDepth>(d);
          },
          "DenseDepth decoder (ialhashim PyTorch) on " + encoder + ", half resolution");
    }
    for (const char* e : kBtsEncoders) {
      const std::string encoder = e;
      cnn::RegisterModel(
          "bts_" + encoder,
          [encoder](const cnn::ModelOptions& o) -> std::shared_ptr<cnn::Model> {
            RejectWidth(o, "bts_" + encoder);
            BtsOptions b;
            b.encoder = encoder;
            b.in_channels = o.in_channels;
            return std::make_shared<Bts>(b);
          },
          "BTS (local planar guidance, bts_size 512) on " + encoder + ", metric depth");
    }
    return true;
  }();
  (void)done;
}

std::shared_ptr<DepthModel> CreateDepthModel(const std::string& name,
                                             const cnn::ModelOptions& options) {
  RegisterDepthModels();
  auto model = std::dynamic_pointer_cast<DepthModel>(cnn::CreateModel(name, options));
  if (!model)
    throw MakeError("'{}' is not a depth model (known: unet_simple, facedepth, ...)", name);
  return model;
}

}  // namespace synface::depth
