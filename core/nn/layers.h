// The layer set synface models are built from. Parameter and buffer names match PyTorch's
// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`), so state dicts move
// between Python and C++ unchanged, and initialisation follows PyTorch's defaults. Unlike
// torch::nn's layers, each reports its cost to the active OpCounter (op_count.h) while counting is
// on, which is how complexity.h measures parameters and MACs of any model built from these
// layers. All are Cloneable and usable inside torch::nn::Sequential.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

namespace synface::core::nn {

// ---- Convolution -------------------------------------------------------------------------------

struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, torch::ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(torch::ExpandingArray<2>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<2>, stride) = 1;
  TORCH_ARG(torch::ExpandingArray<2>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<2>, dilation) = 1;
  TORCH_ARG(torch::ExpandingArray<2>, output_padding) = 0;  // ConvTranspose2d only
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(bool, bias) = true;
};

// 2-D convolution, zero padding. weight: (out, in/groups, kh, kw).
class Conv2dImpl : public torch::nn::Cloneable<Conv2dImpl> {
 public:
  explicit Conv2dImpl(Conv2dOptions options);
  void reset() override;
  void reset_parameters();  // PyTorch default: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in))
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  Conv2dOptions options;
  torch::Tensor weight, bias;  // bias undefined (and not registered) when options.bias() is false
};
TORCH_MODULE(Conv2d);

// Transposed 2-D convolution. weight: (in, out/groups, kh, kw).
class ConvTranspose2dImpl : public torch::nn::Cloneable<ConvTranspose2dImpl> {
 public:
  explicit ConvTranspose2dImpl(Conv2dOptions options);
  void reset() override;
  void reset_parameters();
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  Conv2dOptions options;
  torch::Tensor weight, bias;
};
TORCH_MODULE(ConvTranspose2d);

// ---- Linear ------------------------------------------------------------------------------------

class LinearImpl : public torch::nn::Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  void reset() override;
  void reset_parameters();
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  int64_t in_features, out_features;
  bool with_bias;
  torch::Tensor weight, bias;  // weight: (out, in)
};
TORCH_MODULE(Linear);

// ---- Normalisation -----------------------------------------------------------------------------

struct BatchNorm2dOptions {
  /* implicit */ BatchNorm2dOptions(int64_t num_features) : num_features_(num_features) {}
  TORCH_ARG(int64_t, num_features);
  TORCH_ARG(double, eps) = 1e-5;
  // Running-average factor; nullopt = cumulative average (PyTorch's momentum=None).
  TORCH_ARG(std::optional<double>, momentum) = 0.1;
  TORCH_ARG(bool, affine) = true;
  TORCH_ARG(bool, track_running_stats) = true;
};

class BatchNorm2dImpl : public torch::nn::Cloneable<BatchNorm2dImpl> {
 public:
  explicit BatchNorm2dImpl(BatchNorm2dOptions options);
  void reset() override;
  void reset_parameters();  // weight 1, bias 0, running stats 0 / 1, count 0
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  BatchNorm2dOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};
TORCH_MODULE(BatchNorm2d);

class LayerNormImpl : public torch::nn::Cloneable<LayerNormImpl> {
 public:
  explicit LayerNormImpl(std::vector<int64_t> normalized_shape, double eps = 1e-5,
                         bool elementwise_affine = true);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  std::vector<int64_t> normalized_shape;
  double eps;
  bool elementwise_affine;
  torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm);

// ---- Activations -------------------------------------------------------------------------------

class ReLUImpl : public torch::nn::Cloneable<ReLUImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "ReLU()"; }
};
TORCH_MODULE(ReLU);

class ReLU6Impl : public torch::nn::Cloneable<ReLU6Impl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "ReLU6()"; }
};
TORCH_MODULE(ReLU6);

class LeakyReLUImpl : public torch::nn::Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  double negative_slope;
};
TORCH_MODULE(LeakyReLU);

class GELUImpl : public torch::nn::Cloneable<GELUImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "GELU()"; }
};
TORCH_MODULE(GELU);

class SigmoidImpl : public torch::nn::Cloneable<SigmoidImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "Sigmoid()"; }
};
TORCH_MODULE(Sigmoid);

// ---- Pooling, resampling -----------------------------------------------------------------------

struct Pool2dOptions {
  /* implicit */ Pool2dOptions(torch::ExpandingArray<2> kernel_size)
      : kernel_size_(kernel_size), stride_(kernel_size) {}
  TORCH_ARG(torch::ExpandingArray<2>, kernel_size);
  TORCH_ARG(torch::ExpandingArray<2>, stride);  // defaults to kernel_size, as in PyTorch
  TORCH_ARG(torch::ExpandingArray<2>, padding) = 0;
  TORCH_ARG(torch::ExpandingArray<2>, dilation) = 1;  // MaxPool2d only
  TORCH_ARG(bool, ceil_mode) = false;
  TORCH_ARG(bool, count_include_pad) = true;  // AvgPool2d only
};

class MaxPool2dImpl : public torch::nn::Cloneable<MaxPool2dImpl> {
 public:
  explicit MaxPool2dImpl(Pool2dOptions options) : options(options) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  Pool2dOptions options;
};
TORCH_MODULE(MaxPool2d);

class AvgPool2dImpl : public torch::nn::Cloneable<AvgPool2dImpl> {
 public:
  explicit AvgPool2dImpl(Pool2dOptions options) : options(options) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  Pool2dOptions options;
};
TORCH_MODULE(AvgPool2d);

class AdaptiveAvgPool2dImpl : public torch::nn::Cloneable<AdaptiveAvgPool2dImpl> {
 public:
  explicit AdaptiveAvgPool2dImpl(torch::ExpandingArray<2> output_size = 1)
      : output_size(output_size) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  torch::ExpandingArray<2> output_size;
};
TORCH_MODULE(AdaptiveAvgPool2d);

enum class UpsampleMode { kNearest, kBilinear };

class UpsampleImpl : public torch::nn::Cloneable<UpsampleImpl> {
 public:
  // Scale by `scale_factor` (output = floor(input * scale)); align_corners only for bilinear.
  UpsampleImpl(double scale_factor, UpsampleMode mode = UpsampleMode::kNearest,
               bool align_corners = false);
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  // Resize to an explicit size (e.g. a skip connection's) with this layer's mode.
  torch::Tensor forward_to(const torch::Tensor& x, std::vector<int64_t> size);
  void pretty_print(std::ostream& stream) const override;
  double scale_factor;
  UpsampleMode mode;
  bool align_corners;
};
TORCH_MODULE(Upsample);

// ---- Shape and regularisation ------------------------------------------------------------------

class DropoutImpl : public torch::nn::Cloneable<DropoutImpl> {
 public:
  explicit DropoutImpl(double p = 0.5);
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  double p;
};
TORCH_MODULE(Dropout);

class IdentityImpl : public torch::nn::Cloneable<IdentityImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override { stream << "Identity()"; }
};
TORCH_MODULE(Identity);

class FlattenImpl : public torch::nn::Cloneable<FlattenImpl> {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1)
      : start_dim(start_dim), end_dim(end_dim) {}
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  int64_t start_dim, end_dim;
};
TORCH_MODULE(Flatten);

// ---- Containers --------------------------------------------------------------------------------

// torch::nn::Sequential with a concrete forward(Tensor), so Sequentials nest (torch's own has a
// templated forward and cannot be stored inside another). Same child names: "0", "1", ...
class SequentialImpl : public torch::nn::SequentialImpl {
 public:
  using torch::nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) {
    return torch::nn::SequentialImpl::forward(std::move(x));
  }
  std::shared_ptr<torch::nn::Module> clone(
      const c10::optional<torch::Device>& device = c10::nullopt) const override;
};
TORCH_MODULE(Sequential);

// ---- Initialisation helpers (torchvision's choices) --------------------------------------------

// kaiming_normal_(mode=fan_out, nonlinearity=relu) on every Conv2d weight, zero conv biases,
// BatchNorm weight 1 / bias 0, LayerNorm weight 1 / bias 0. Linear layers are left alone.
void InitTorchvisionStyle(torch::nn::Module& module);

}  // namespace synface::core::nn
