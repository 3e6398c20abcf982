#include "core/nn/layers.h"

#include <algorithm>
#include <cmath>

#include "core/nn/op_count.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace {

int64_t OwnParams(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters(/*recurse=*/false)) n += p.numel();
  return n;
}

int64_t KernelArea(const torch::ExpandingArray<2>& k) { return (*k)[0] * (*k)[1]; }

void PrintPair(std::ostream& s, const char* name, const torch::ExpandingArray<2>& v) {
  s << ", " << name << "=(" << (*v)[0] << ", " << (*v)[1] << ")";
}

void CheckInput4d(const torch::Tensor& x, const char* layer) {
  if (x.dim() != 4) {
    throw MakeError("{}: expected a 4-D (N, C, H, W) input, got {} dimensions", layer, x.dim());
  }
}

// PyTorch's default for conv and linear layers: kaiming_uniform(a = sqrt(5)) on the weight and
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) on the bias.
void DefaultInit(torch::Tensor& weight, torch::Tensor& bias) {
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto fans = torch::nn::init::_calculate_fan_in_and_fan_out(weight);
    const double bound = std::get<0>(fans) > 0 ? 1.0 / std::sqrt(std::get<0>(fans)) : 0.0;
    bias.uniform_(-bound, bound);
  }
}

// Registers a (transposed) convolution's weight and optional bias on `module` and initialises
// them; dim0 and dim1 are the weight's leading dimensions, which differ between the two kinds.
void RegisterConvParameters(torch::nn::Module& module, const Conv2dOptions& o, const char* layer,
                            int64_t dim0, int64_t dim1, torch::Tensor& weight,
                            torch::Tensor& bias) {
  if (o.in_channels() <= 0 || o.out_channels() <= 0 || o.groups() <= 0 ||
      o.in_channels() % o.groups() != 0 || o.out_channels() % o.groups() != 0) {
    throw MakeError("{}: invalid channels in={} out={} groups={}", layer, o.in_channels(),
                    o.out_channels(), o.groups());
  }
  weight = module.register_parameter(
      "weight", torch::empty({dim0, dim1, (*o.kernel_size())[0], (*o.kernel_size())[1]}));
  bias = o.bias() ? module.register_parameter("bias", torch::empty({o.out_channels()}))
                  : torch::Tensor();
  DefaultInit(weight, bias);
}

// PyTorch-like summary shared by both convolution kinds.
void PrintConv(std::ostream& s, const char* layer, const Conv2dOptions& o) {
  s << layer << "(" << o.in_channels() << ", " << o.out_channels();
  PrintPair(s, "kernel_size", o.kernel_size());
  PrintPair(s, "stride", o.stride());
  PrintPair(s, "padding", o.padding());
  if (o.groups() != 1) s << ", groups=" << o.groups();
  if (!o.bias()) s << ", bias=false";
  s << ")";
}

}  // namespace

// ---- Conv2d ------------------------------------------------------------------------------------

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(std::move(options_)) { reset(); }

void Conv2dImpl::reset() {
  const auto& o = options;
  RegisterConvParameters(*this, o, "Conv2d", o.out_channels(),
                         o.in_channels() / std::max<int64_t>(o.groups(), 1), weight, bias);
}

void Conv2dImpl::reset_parameters() { DefaultInit(weight, bias); }

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  CheckInput4d(x, "Conv2d");
  torch::Tensor y = torch::conv2d(x, weight, bias, options.stride(), options.padding(),
                                  options.dilation(), options.groups());
  if (ActiveOpCounter() != nullptr) {
    const int64_t per_output =
        options.in_channels() / options.groups() * KernelArea(options.kernel_size());
    OpRecord r;
    r.kind = OpKind::kConv;
    r.module = this;
    r.params = OwnParams(*this);
    r.macs_conv_linear = y.numel() * per_output;
    r.macs_thop =
        r.macs_conv_linear;  // thop: output elements x (C_in/groups) x k, bias not counted
    // ptflops: the same product, plus one addition per output element when there is a bias.
    r.macs_ptflops = r.macs_conv_linear + (options.bias() ? y.numel() : 0);
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void Conv2dImpl::pretty_print(std::ostream& s) const { PrintConv(s, "Conv2d", options); }

// ---- ConvTranspose2d ---------------------------------------------------------------------------

ConvTranspose2dImpl::ConvTranspose2dImpl(Conv2dOptions options_) : options(std::move(options_)) {
  reset();
}

void ConvTranspose2dImpl::reset() {
  const auto& o = options;
  RegisterConvParameters(*this, o, "ConvTranspose2d", o.in_channels(),
                         o.out_channels() / std::max<int64_t>(o.groups(), 1), weight, bias);
}

void ConvTranspose2dImpl::reset_parameters() { DefaultInit(weight, bias); }

torch::Tensor ConvTranspose2dImpl::forward(const torch::Tensor& x) {
  CheckInput4d(x, "ConvTranspose2d");
  torch::Tensor y =
      torch::conv_transpose2d(x, weight, bias, options.stride(), options.padding(),
                              options.output_padding(), options.groups(), options.dilation());
  if (ActiveOpCounter() != nullptr) {
    const int64_t k = KernelArea(options.kernel_size());
    OpRecord r;
    r.kind = OpKind::kConvTranspose;
    r.module = this;
    r.params = OwnParams(*this);
    // Each input element is scattered to C_out/groups x k outputs: the true MAC count.
    r.macs_conv_linear = x.numel() * (options.out_channels() / options.groups()) * k;
    // thop >= 0.1 applies its convolution rule unchanged (output elements x C_in/groups x k).
    r.macs_thop = y.numel() * (options.in_channels() / options.groups()) * k;
    // ptflops: output positions x k x C_in x C_out/groups (+ bias per output element).
    const int64_t positions = y.numel() / options.out_channels();
    r.macs_ptflops =
        positions * k * options.in_channels() * (options.out_channels() / options.groups()) +
        (options.bias() ? y.numel() : 0);
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void ConvTranspose2dImpl::pretty_print(std::ostream& s) const {
  PrintConv(s, "ConvTranspose2d", options);
}

// ---- Linear ------------------------------------------------------------------------------------

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool bias)
    : in_features(in_features), out_features(out_features), with_bias(bias) {
  reset();
}

void LinearImpl::reset() {
  if (in_features <= 0 || out_features <= 0) {
    throw MakeError("Linear: invalid features in={} out={}", in_features, out_features);
  }
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  bias = with_bias ? register_parameter("bias", torch::empty({out_features})) : torch::Tensor();
  reset_parameters();
}

void LinearImpl::reset_parameters() { DefaultInit(weight, bias); }

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != in_features) {
    throw MakeError("Linear({}, {}): input's last dimension is {}", in_features, out_features,
                    x.dim() < 1 ? 0 : x.size(-1));
  }
  torch::Tensor y = torch::linear(x, weight, bias);
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kLinear;
    r.module = this;
    r.params = OwnParams(*this);
    r.macs_conv_linear = y.numel() * in_features;  // = thop's in_features x output elements
    r.macs_thop = r.macs_conv_linear;
    // ptflops: input elements x out_features, plus out_features once for the bias.
    r.macs_ptflops = x.numel() * out_features + (with_bias ? out_features : 0);
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void LinearImpl::pretty_print(std::ostream& s) const {
  s << "Linear(in_features=" << in_features << ", out_features=" << out_features
    << ", bias=" << (with_bias ? "true" : "false") << ")";
}

// ---- BatchNorm2d -------------------------------------------------------------------------------

BatchNorm2dImpl::BatchNorm2dImpl(BatchNorm2dOptions options_) : options(std::move(options_)) {
  reset();
}

void BatchNorm2dImpl::reset() {
  const int64_t n = options.num_features();
  if (n <= 0) throw MakeError("BatchNorm2d: invalid num_features {}", n);
  if (options.affine()) {
    weight = register_parameter("weight", torch::empty({n}));
    bias = register_parameter("bias", torch::empty({n}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", torch::zeros({n}));
    running_var = register_buffer("running_var", torch::ones({n}));
    num_batches_tracked =
        register_buffer("num_batches_tracked", torch::tensor(int64_t{0}, torch::kLong));
  }
  reset_parameters();
}

void BatchNorm2dImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  if (options.affine()) {
    weight.fill_(1.0);
    bias.zero_();
  }
  if (options.track_running_stats()) {
    running_mean.zero_();
    running_var.fill_(1.0);
    num_batches_tracked.zero_();
  }
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& x) {
  CheckInput4d(x, "BatchNorm2d");
  if (x.size(1) != options.num_features()) {
    throw MakeError("BatchNorm2d({}): input has {} channels", options.num_features(), x.size(1));
  }
  // Same semantics as PyTorch's _BatchNorm.forward.
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    num_batches_tracked.add_(1);
    if (!options.momentum().has_value()) {
      factor = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
    }
  }
  const bool use_batch_stats = is_training() || !options.track_running_stats();
  torch::Tensor y = torch::batch_norm(x, weight, bias, running_mean, running_var, use_batch_stats,
                                      factor, options.eps(), /*cudnn_enabled=*/true);
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kBatchNorm;
    r.module = this;
    r.params = OwnParams(*this);
    r.macs_thop = 2 * x.numel() * (options.affine() ? 2 : 1);
    r.macs_ptflops = x.numel() * (options.affine() ? 2 : 1);
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void BatchNorm2dImpl::pretty_print(std::ostream& s) const {
  s << "BatchNorm2d(" << options.num_features() << ", eps=" << options.eps() << ")";
}

// ---- LayerNorm ---------------------------------------------------------------------------------

LayerNormImpl::LayerNormImpl(std::vector<int64_t> normalized_shape_, double eps_,
                             bool elementwise_affine_)
    : normalized_shape(std::move(normalized_shape_)),
      eps(eps_),
      elementwise_affine(elementwise_affine_) {
  reset();
}

void LayerNormImpl::reset() {
  if (normalized_shape.empty()) throw MakeError("LayerNorm: empty normalized_shape");
  if (elementwise_affine) {
    weight = register_parameter("weight", torch::ones(normalized_shape));
    bias = register_parameter("bias", torch::zeros(normalized_shape));
  }
}

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::layer_norm(x, normalized_shape, weight, bias, eps);
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kLayerNorm;
    r.module = this;
    r.params = OwnParams(*this);
    r.macs_thop = 2 * x.numel() * (elementwise_affine ? 2 : 1);
    r.macs_ptflops = x.numel() * (elementwise_affine ? 2 : 1);
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void LayerNormImpl::pretty_print(std::ostream& s) const {
  s << "LayerNorm(" << torch::IntArrayRef(normalized_shape) << ", eps=" << eps << ")";
}

// ---- Activations -------------------------------------------------------------------------------

namespace {
// ReLU family: thop counts 0 (zero_ops), ptflops one op per output element.
torch::Tensor RecordActivation(const void* module, torch::Tensor y, bool relu_family) {
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = relu_family ? OpKind::kActivation : OpKind::kOtherActivation;
    r.module = module;
    r.macs_ptflops = relu_family ? y.numel() : 0;
    r.has_thop_rule = relu_family;
    r.elements = y.numel();
    RecordOp(r);
  }
  return y;
}
}  // namespace

torch::Tensor ReLUImpl::forward(const torch::Tensor& x) {
  return RecordActivation(this, torch::relu(x), true);
}

torch::Tensor ReLU6Impl::forward(const torch::Tensor& x) {
  return RecordActivation(this, torch::hardtanh(x, 0.0, 6.0), true);
}

torch::Tensor LeakyReLUImpl::forward(const torch::Tensor& x) {
  return RecordActivation(this, torch::leaky_relu(x, negative_slope), true);
}

void LeakyReLUImpl::pretty_print(std::ostream& s) const {
  s << "LeakyReLU(negative_slope=" << negative_slope << ")";
}

torch::Tensor GELUImpl::forward(const torch::Tensor& x) {
  return RecordActivation(this, torch::gelu(x), false);
}

torch::Tensor SigmoidImpl::forward(const torch::Tensor& x) {
  return RecordActivation(this, torch::sigmoid(x), false);
}

// ---- Pooling -----------------------------------------------------------------------------------

torch::Tensor MaxPool2dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::max_pool2d(x, options.kernel_size(), options.stride(), options.padding(),
                                      options.dilation(), options.ceil_mode());
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kMaxPool;
    r.module = this;
    r.macs_ptflops = x.numel();  // thop: zero_ops
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void MaxPool2dImpl::pretty_print(std::ostream& s) const {
  s << "MaxPool2d(";
  s << "kernel_size=(" << (*options.kernel_size())[0] << ", " << (*options.kernel_size())[1] << ")";
  PrintPair(s, "stride", options.stride());
  PrintPair(s, "padding", options.padding());
  s << ")";
}

torch::Tensor AvgPool2dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::avg_pool2d(x, options.kernel_size(), options.stride(), options.padding(),
                                      options.ceil_mode(), options.count_include_pad());
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kAvgPool;
    r.module = this;
    r.macs_thop = y.numel();     // thop count_avgpool: one op per output element
    r.macs_ptflops = x.numel();  // ptflops pool hook: input elements
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void AvgPool2dImpl::pretty_print(std::ostream& s) const {
  s << "AvgPool2d(";
  s << "kernel_size=(" << (*options.kernel_size())[0] << ", " << (*options.kernel_size())[1] << ")";
  PrintPair(s, "stride", options.stride());
  if (options.ceil_mode()) s << ", ceil_mode=true";
  if (!options.count_include_pad()) s << ", count_include_pad=false";
  s << ")";
}

torch::Tensor AdaptiveAvgPool2dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::adaptive_avg_pool2d(x, output_size);
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kAdaptiveAvgPool;
    r.module = this;
    // thop count_adap_avgpool: kernel = prod(in_size / out_size) (in doubles), then
    // int((kernel + 1) x output elements).
    double kernel = 1.0;
    for (int64_t d = 2; d < x.dim(); ++d) {
      kernel *= static_cast<double>(x.size(d)) / static_cast<double>(y.size(d));
    }
    r.macs_thop = static_cast<int64_t>((kernel + 1.0) * static_cast<double>(y.numel()));
    r.macs_ptflops = x.numel();
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}

void AdaptiveAvgPool2dImpl::pretty_print(std::ostream& s) const {
  s << "AdaptiveAvgPool2d(output_size=(" << (*output_size)[0] << ", " << (*output_size)[1] << "))";
}

// ---- Upsample ----------------------------------------------------------------------------------

UpsampleImpl::UpsampleImpl(double scale_factor_, UpsampleMode mode_, bool align_corners_)
    : scale_factor(scale_factor_), mode(mode_), align_corners(align_corners_) {
  if (!(scale_factor > 0.0)) throw MakeError("Upsample: scale_factor must be > 0");
}

namespace {
torch::Tensor Resample(const void* module, const torch::Tensor& x, std::vector<int64_t> size,
                       UpsampleMode mode, bool align_corners) {
  CheckInput4d(x, "Upsample");
  namespace F = torch::nn::functional;
  auto options = F::InterpolateFuncOptions().size(size);
  torch::Tensor y;
  if (mode == UpsampleMode::kNearest) {
    y = F::interpolate(x, options.mode(torch::kNearest));
  } else {
    y = F::interpolate(x, options.mode(torch::kBilinear).align_corners(align_corners));
  }
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kUpsample;
    r.module = module;
    // thop calculate_upsample: output elements, x11 for bilinear; ptflops: output elements.
    r.macs_thop = y.numel() * (mode == UpsampleMode::kBilinear ? 11 : 1);
    r.macs_ptflops = y.numel();
    r.elements = x.numel();
    RecordOp(r);
  }
  return y;
}
}  // namespace

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  CheckInput4d(x, "Upsample");
  const auto h = static_cast<int64_t>(std::floor(static_cast<double>(x.size(2)) * scale_factor));
  const auto w = static_cast<int64_t>(std::floor(static_cast<double>(x.size(3)) * scale_factor));
  return Resample(this, x, {h, w}, mode, align_corners);
}

torch::Tensor UpsampleImpl::forward_to(const torch::Tensor& x, std::vector<int64_t> size) {
  if (size.size() != 2) throw MakeError("Upsample::forward_to: size must be (H, W)");
  return Resample(this, x, std::move(size), mode, align_corners);
}

void UpsampleImpl::pretty_print(std::ostream& s) const {
  s << "Upsample(scale_factor=" << scale_factor
    << ", mode=" << (mode == UpsampleMode::kNearest ? "nearest" : "bilinear") << ")";
}

// ---- Dropout, Identity, Flatten ----------------------------------------------------------------

namespace {
void RecordZero(const void* module, const torch::Tensor& x) {
  if (ActiveOpCounter() != nullptr) {
    OpRecord r;
    r.kind = OpKind::kZero;
    r.module = module;
    r.elements = x.numel();
    RecordOp(r);
  }
}
}  // namespace

DropoutImpl::DropoutImpl(double p_) : p(p_) {
  if (p < 0.0 || p > 1.0) throw MakeError("Dropout: p must be in [0, 1], got {}", p);
}

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  RecordZero(this, x);
  return torch::dropout(x, p, is_training());
}

void DropoutImpl::pretty_print(std::ostream& s) const { s << "Dropout(p=" << p << ")"; }

torch::Tensor IdentityImpl::forward(const torch::Tensor& x) {
  RecordZero(this, x);
  return x;
}

torch::Tensor FlattenImpl::forward(const torch::Tensor& x) {
  RecordZero(this, x);
  return torch::flatten(x, start_dim, end_dim);
}

void FlattenImpl::pretty_print(std::ostream& s) const {
  s << "Flatten(start_dim=" << start_dim << ", end_dim=" << end_dim << ")";
}

// ---- Sequential --------------------------------------------------------------------------------

std::shared_ptr<torch::nn::Module> SequentialImpl::clone(
    const c10::optional<torch::Device>& device) const {
  auto copy = std::make_shared<SequentialImpl>();
  for (const auto& module : *this) copy->push_back(module.clone(device));
  return copy;
}

// ---- Initialisation ----------------------------------------------------------------------------

void InitTorchvisionStyle(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  // modules(include_self=true) needs the module in a shared_ptr, which it is not yet inside a
  // constructor; handle the module itself separately.
  std::vector<torch::nn::Module*> all{&module};
  for (const auto& m : module.modules(/*include_self=*/false)) all.push_back(m.get());
  for (torch::nn::Module* m : all) {
    if (auto* conv = m->as<Conv2dImpl>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* bn = m->as<BatchNorm2dImpl>()) {
      if (bn->options.affine()) {
        bn->weight.fill_(1.0);
        bn->bias.zero_();
      }
    } else if (auto* ln = m->as<LayerNormImpl>()) {
      if (ln->elementwise_affine) {
        ln->weight.fill_(1.0);
        ln->bias.zero_();
      }
    }
  }
}

}  // namespace synface::core::nn
