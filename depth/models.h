// The portrait-depth models of thesis chapter 3 (P3-P5), built from core/nn's counting layers
// with the module layout (hence state-dict keys) of the authors' and reference PyTorch code, so
// their checkpoints load and complexity.h counts them (digest ch3 §4.2, §4.5):
//
//   unet_simple             milesial U-Net, bilinear, biased convs (khan9048 unet/): 17,267,393
//                           parameters; full-resolution inverse-depth output.
//   densedepth_<encoder>    DenseDepth decoder (ialhashim PyTorch/model.py: 1x1 bottleneck, four
//                           up-blocks of bilinear resize + concat + 2 convs, LeakyReLU 0.2 after
//                           the second, final 3x3 conv) on any five-map encoder: densenet121/161/
//                           169/201, resnet50/101, efficientnet_b0/b7 (P4/P5 encoder swaps);
//                           output at half resolution. densedepth_densenet169 = 42,657,689
//                           parameters (encoder without its unused ImageNet head) = "42.6M".
//   densedepth161_authors   the authors' DenseDepth-161 variant (khan9048 model.py): decoder width
//                           0.5, 1x1 bottleneck with padding 1, LeakyReLU after both convs;
//                           decoder 15,931,411 parameters.
//   facedepth               FaceDepth (khan9048 FaceDepth/FaceDepth_model.py): torchvision
//                           MobileNetV2 (ImageNet head kept, never run) + six up-blocks with skips
//                           at features[2,4,6,9,15,18] from features[19], 1x1 bottleneck with
//                           padding 1, decoder width 0.6; 14,424,057 parameters as the thesis
//                           counted them (13,143,057 executed); output at half resolution.
//   bts_<encoder>           BTS with local planar guidance (cleinc/bts pytorch/bts.py, bts_size
//                           512): densenet121/161, resnet50/101; metric depth at full resolution
//                           (max_depth * sigmoid). bts_densenet161 = 47,000,688 parameters.
//
// Outputs: unet_simple, densedepth_* and facedepth predict the inverse-depth target
// y = max_depth / d of the authors' loaders (digest §4.1 item 4); bts_* predicts d in metres.
// DepthModel::ToMetres converts either to metres.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/nn/mobilenet_v2.h"
#include "core/nn/model.h"
#include "depth/encoders.h"

namespace synface::depth {

// The thesis's facial data: far clip 5 m, target 5 / d (digest §4.1).
inline constexpr double kDefaultMaxDepth = 5.0;

enum class DepthOutputKind {
  kInverse,  // y = max_depth / d
  kMetric,   // y = d (metres)
};

// Common base: forward(x) gives (N, 1, H / output_stride(), W / output_stride()).
class DepthModel : public core::nn::Model {
 public:
  using core::nn::Model::Model;

  virtual DepthOutputKind output_kind() const = 0;
  // 1 (full resolution) or 2 (half resolution, as DenseDepth and FaceDepth).
  virtual int64_t output_stride() const = 0;
  // The depth range the model was built for (BTS's sigmoid scale; the inverse target's numerator).
  virtual double max_depth() const { return max_depth_; }
  // The inverse target's numerator (training data's far clip). BTS bakes its range into the
  // architecture (BtsOptions::max_depth) and refuses a different value.
  virtual void set_max_depth(double max_depth);

  // Raw network output -> metres. Inverse outputs: max_depth / clamp(y, max_depth / max_range),
  // so a near-zero or negative y maps to `max_range` rather than infinity; metric outputs are
  // clamped to [0, max_range]. max_range <= 0 means max_depth.
  torch::Tensor ToMetres(const torch::Tensor& y, double max_range = 0.0) const;
  // Metres -> the training target of this model (max_depth / d for inverse models, d otherwise);
  // invalid depths (d <= 0) become 0.
  torch::Tensor TargetFromMetres(const torch::Tensor& d) const;

  // Depth models have one output map and no classification head.
  int64_t num_outputs() const override { return 1; }
  void ResetHead(int64_t num_outputs) override;

 protected:
  double max_depth_ = kDefaultMaxDepth;
};

// ---- U-Net-simple --------------------------------------------------------------------------

// [Conv3x3 (bias) - BN - ReLU] x 2 as `double_conv` (keys .0 .1 .3 .4).
class DoubleConvImpl : public torch::nn::Module {
 public:
  DoubleConvImpl(int64_t in, int64_t out, int64_t mid = 0);
  torch::Tensor forward(const torch::Tensor& x) { return double_conv->forward(x); }
  core::nn::Sequential double_conv{nullptr};
};
TORCH_MODULE(DoubleConv);

class UNetDownImpl : public torch::nn::Module {
 public:
  UNetDownImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) { return maxpool_conv->forward(x); }
  core::nn::Sequential maxpool_conv{nullptr};  // MaxPool2d(2), DoubleConv
};
TORCH_MODULE(UNetDown);

class UNetUpImpl : public torch::nn::Module {
 public:
  UNetUpImpl(int64_t in, int64_t out);
  // Up-samples x by 2 (bilinear, align_corners), zero-pads it to skip's size, concatenates
  // [skip, x] and applies the double conv.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);
  core::nn::Upsample up{nullptr};
  DoubleConv conv{nullptr};
};
TORCH_MODULE(UNetUp);

struct UNetSimpleOptions {
  int64_t in_channels = 3;
  int64_t base_width = 64;  // 64 in the thesis; smaller only for tests
};

class OutConvImpl : public torch::nn::Module {
 public:
  OutConvImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) { return conv->forward(x); }
  core::nn::Conv2d conv{nullptr};  // 1x1 with bias
};
TORCH_MODULE(OutConv);

class UNetSimple : public DepthModel {
 public:
  explicit UNetSimple(const UNetSimpleOptions& options = {});
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;  // inc, down1..down4
  int64_t num_features() const override;
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  std::string architecture() const override { return "unet_simple"; }
  DepthOutputKind output_kind() const override { return DepthOutputKind::kInverse; }
  int64_t output_stride() const override { return 1; }

  DoubleConv inc{nullptr};
  UNetDown down1{nullptr}, down2{nullptr}, down3{nullptr}, down4{nullptr};
  UNetUp up1{nullptr}, up2{nullptr}, up3{nullptr}, up4{nullptr};
  OutConv outc{nullptr};

 private:
  UNetSimpleOptions options_;
};

// ---- DenseDepth-style decoder --------------------------------------------------------------

// Bilinear resize to the skip's size (align_corners) - concat [x, skip] - convA - (LeakyReLU) -
// convB - LeakyReLU, all 3x3 with bias.
class UpSampleBlockImpl : public torch::nn::Module {
 public:
  UpSampleBlockImpl(int64_t in, int64_t out, bool activation_after_a);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);
  core::nn::Upsample resize{nullptr};
  core::nn::Conv2d convA{nullptr}, convB{nullptr};
  core::nn::LeakyReLU leakyreluA{nullptr}, leakyreluB{nullptr};
  bool activation_after_a = false;
};
TORCH_MODULE(UpSampleBlock);

// Holds the encoder under the reference code's attribute name (`encoder.original_model` for
// DenseDepth / FaceDepth, `encoder.base_model` for BTS).
class EncoderHolderImpl : public torch::nn::Module {
 public:
  EncoderHolderImpl(const std::string& attribute, std::shared_ptr<torch::nn::Module> model);
  std::shared_ptr<torch::nn::Module> model;
};
TORCH_MODULE(EncoderHolder);

struct DenseDepthOptions {
  std::string encoder = "densenet169";  // any registered model with five maps (strides 2..32)
  double decoder_width = 1.0;           // ialhashim PyTorch: 1.0; the authors' DenseNet-161: 0.5
  int64_t bottleneck_padding = 0;       // the authors' variant: 1
  bool activation_after_a = false;      // LeakyReLU after convA too (Keras, the authors)
  bool encoder_head = false;            // keep the encoder's (unused) ImageNet head
  int64_t in_channels = 3;
};

class DenseDepthDecoderImpl : public torch::nn::Module {
 public:
  // skip_channels: maps at strides 2, 4, 8, 16; bottom_channels: the stride-32 map.
  DenseDepthDecoderImpl(std::array<int64_t, 4> skip_channels, int64_t bottom_channels,
                        const DenseDepthOptions& options);
  torch::Tensor forward(const std::vector<torch::Tensor>& maps);  // the five encoder maps
  core::nn::Conv2d conv2{nullptr}, conv3{nullptr};
  core::nn::ReLU relu;
  UpSampleBlock up1{nullptr}, up2{nullptr}, up3{nullptr}, up4{nullptr};
};
TORCH_MODULE(DenseDepthDecoder);

class DenseDepth : public DepthModel {
 public:
  explicit DenseDepth(const DenseDepthOptions& options = {});
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return encoder_model_->num_features(); }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  std::string architecture() const override { return architecture_; }
  DepthOutputKind output_kind() const override { return DepthOutputKind::kInverse; }
  int64_t output_stride() const override { return 2; }

  EncoderHolder encoder{nullptr};
  DenseDepthDecoder decoder{nullptr};

 private:
  std::shared_ptr<core::nn::Model> encoder_model_;
  std::string architecture_;
};

// ---- FaceDepth -----------------------------------------------------------------------------

struct FaceDepthOptions {
  double decoder_width = 0.6;
  bool encoder_head = true;  // the authors' model object holds torchvision's classifier
  int64_t in_channels = 3;
};

class FaceDepthDecoderImpl : public torch::nn::Module {
 public:
  explicit FaceDepthDecoderImpl(double decoder_width);
  // taps: features[2], [4], [6], [9], [15], [18], [19] of the MobileNetV2 encoder.
  torch::Tensor forward(const std::vector<torch::Tensor>& taps);
  core::nn::Conv2d conv2{nullptr}, conv3{nullptr};
  std::array<UpSampleBlock, 6> ups{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
};
TORCH_MODULE(FaceDepthDecoder);

class FaceDepth : public DepthModel {
 public:
  explicit FaceDepth(const FaceDepthOptions& options = {});
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;  // the seven taps
  int64_t num_features() const override { return 1280; }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  std::string architecture() const override { return "facedepth"; }
  DepthOutputKind output_kind() const override { return DepthOutputKind::kInverse; }
  int64_t output_stride() const override { return 2; }

  EncoderHolder encoder{nullptr};
  FaceDepthDecoder decoder{nullptr};

 private:
  std::shared_ptr<core::nn::MobileNetV2> mobilenet_;
};

// ---- BTS -----------------------------------------------------------------------------------

struct BtsOptions {
  std::string encoder = "densenet161";  // densenet121, densenet161, resnet50, resnet101
  int64_t bts_size = 512;
  double max_depth = kDefaultMaxDepth;  // official BTS: 10 (NYU), 80 (KITTI)
  int64_t in_channels = 3;
};

class BtsUpConvImpl : public torch::nn::Module {
 public:
  BtsUpConvImpl(int64_t in, int64_t out);  // nearest x2, 3x3 conv (no bias), ELU
  torch::Tensor forward(const torch::Tensor& x);
  ELU elu;
  core::nn::Conv2d conv{nullptr};
  core::nn::Upsample up{nullptr};
};
TORCH_MODULE(BtsUpConv);

class AtrousConvImpl : public torch::nn::Module {
 public:
  AtrousConvImpl(int64_t in, int64_t out, int64_t dilation, bool bn_first);
  torch::Tensor forward(const torch::Tensor& x) { return atrous_conv->forward(x); }
  core::nn::Sequential atrous_conv{nullptr};
};
TORCH_MODULE(AtrousConv);

// 1x1 convs halving the channels down to 4..7, then 3 plane parameters (or 1 sigmoid depth when
// final); non-final output: unit normal from (theta, phi) and distance, 4 channels.
class Reduction1x1Impl : public torch::nn::Module {
 public:
  Reduction1x1Impl(int64_t in, int64_t out, double max_depth, bool is_final);
  torch::Tensor forward(const torch::Tensor& x);
  core::nn::Sequential reduc{nullptr};
  core::nn::Sigmoid sigmoid;
  double max_depth;
  bool is_final;
};
TORCH_MODULE(Reduction1x1);

// Local planar guidance: per-pixel depth n4 / (n1 u + n2 v + n3) inside each r x r cell.
torch::Tensor LocalPlanarGuidance(const torch::Tensor& plane, int64_t ratio);

class BtsDecoderImpl : public torch::nn::Module {
 public:
  BtsDecoderImpl(std::array<int64_t, 5> feat_channels, int64_t num_features, double max_depth);
  torch::Tensor forward(const std::vector<torch::Tensor>& skips);  // the five encoder maps
  BtsUpConv upconv5{nullptr}, upconv4{nullptr}, upconv3{nullptr}, upconv2{nullptr},
      upconv1{nullptr};
  core::nn::BatchNorm2d bn5{nullptr}, bn4{nullptr}, bn4_2{nullptr}, bn3{nullptr}, bn2{nullptr};
  core::nn::Sequential conv5{nullptr}, conv4{nullptr}, conv3{nullptr}, conv2{nullptr},
      conv1{nullptr}, daspp_conv{nullptr}, get_depth{nullptr};
  AtrousConv daspp_3{nullptr}, daspp_6{nullptr}, daspp_12{nullptr}, daspp_18{nullptr},
      daspp_24{nullptr};
  Reduction1x1 reduc8x8{nullptr}, reduc4x4{nullptr}, reduc2x2{nullptr}, reduc1x1{nullptr};
  core::nn::ReLU relu;
  core::nn::Upsample down4{nullptr}, down2{nullptr};
  double max_depth;
};
TORCH_MODULE(BtsDecoder);

class Bts : public DepthModel {
 public:
  explicit Bts(const BtsOptions& options = {});
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return feat_channels_[4]; }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  std::string architecture() const override { return "bts_" + options_.encoder; }
  DepthOutputKind output_kind() const override { return DepthOutputKind::kMetric; }
  int64_t output_stride() const override { return 1; }
  void set_max_depth(double max_depth) override;

  EncoderHolder encoder{nullptr};
  BtsDecoder decoder{nullptr};

 private:
  BtsOptions options_;
  DenseNetFeatures densenet_{nullptr};       // DenseNet encoders
  std::shared_ptr<core::nn::Model> resnet_;  // ResNet encoders (head kept, as BTS does)
  std::array<int64_t, 5> feat_channels_{};
};

// ---- Registry ------------------------------------------------------------------------------

// Registers every depth model (and the encoders, RegisterEncoders) in core/nn's registry;
// idempotent. Names: unet_simple, facedepth, densedepth_{densenet121,densenet161,densenet169,
// densenet201,resnet50,resnet101,efficientnet_b0,efficientnet_b7,mobilenet_v2},
// densedepth161_authors, bts_{densenet121,densenet161,resnet50,resnet101}.
void RegisterDepthModels();

// The depth model names above, in a fixed order.
std::vector<std::string> DepthModelNames();

// CreateModel(name) cast to DepthModel; throws core::Error when `name` is not a depth model.
std::shared_ptr<DepthModel> CreateDepthModel(const std::string& name,
                                             const core::nn::ModelOptions& options = {});

}  // namespace synface::depth
