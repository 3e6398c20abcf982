// FSA-Net (Yang et al., CVPR 2019) in LibTorch, built from core/nn's counting layers, in the two
// forms the chapter needs (digest ch3 §2.2):
//
//   Keras original (shamangary/FSA-Net lib/FSANET_model.py) — the default, the published model:
//     two streams of SeparableConv2D 3x3 + BN (+ ReLU / Tanh), three stages fused by 1x1 convs and
//     an element-wise product into 8x8x64 maps U_k; one scoring/M sub-model shared by the three
//     stages; C shared; 21 primary capsules of 64 (m = 5, 7 per stage); a capsule layer with
//     dynamic routing (2 iterations) to 3 capsules of 16; SSR heads (stages [3, 3, 3], lambda_d 1,
//     V = 99). Keras BatchNorm (eps 1e-3, momentum 0.99) and glorot_uniform / zero-bias init.
//   Authors' PyTorch port (C3Imaging/SyntheticHeadPose HPEDA/FSANetDA.py = aoru45/FSANet.Pytorch),
//     what P1/P2 ran ("as_run"): full Conv2d 3x3 streams, separate scoring conv and M per stage,
//     and a capsule layer whose routing is inert (coupling coefficients always 1, squash across the
//     3 capsules); PyTorch BN and init, capsule W ~ N(0, 1). Parameter and buffer names equal the
//     port's state-dict keys, so its checkpoints load (skip "domain_classifier.").
//
// Scoring functions: 1x1 conv + sigmoid, variance over the 64 channels (tf.nn.moments: divided by
// c), and uniform ("w/o": no fine-grained mapping; all 8x8x3 = 192 pixel features are primary
// capsules). "Fusion" is the average of the three Keras models' predictions, as FSA-Net's demos do.
//
// Output: [yaw, pitch, roll] in degrees (the SSR head regresses degrees; V = 99 is FSA-Net's
// nominal range), synface's convention when trained on synface labels. Input: N x 3 x 64 x 64,
// RGB / 255 (the port's input; hpe/README.md).
#pragma once

#include <torch/torch.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/layers.h"
#include "core/nn/model.h"

namespace synface::hpe {

enum class FsaScoring { kConv1x1, kVariance, kUniform };
enum class FsaStreamConv { kSeparable, kFull };
enum class FsaRouting {
  kDynamic,      // Sabour et al. routing by agreement (Keras CapsuleLayer), `routings` iterations
  kAuthorsPort,  // aoru45 capsule.py: softmax over a size-1 axis, squash over the capsule axis
};

struct FsaNetOptions {
  std::string name = "fsanet_capsule_1x1";  // registry name, reported by architecture()
  FsaScoring scoring = FsaScoring::kConv1x1;
  FsaStreamConv stream_conv = FsaStreamConv::kSeparable;
  bool per_stage_mapping = false;  // port: feat_preS1..3 and sr_matrix1..3; Keras: one shared
  FsaRouting routing = FsaRouting::kDynamic;
  int routings = 2;
  int num_capsule = 3;
  int dim_capsule = 16;
  int m_dim = 5;
  int primcaps_per_stage = 7;  // n' (num_primcaps = 3 n' = 21)
  std::array<int, 3> stage_num = {3, 3, 3};
  double lambda_d = 1.0;
  double output_range = 99.0;  // V
  int image_size = 64;
  bool keras_init = true;     // glorot_uniform weights, zero biases (else PyTorch defaults)
  double bn_eps = 1e-3;       // Keras BatchNormalization defaults ...
  double bn_momentum = 0.01;  // ... momentum 0.99 in Keras's convention = 0.01 in PyTorch's

  // Keras original with the given scoring function (fsanet_capsule_1x1 / _var / _nos).
  static FsaNetOptions Keras(FsaScoring scoring);
  // The authors' PyTorch port (fsanet_port_1x1); with kVariance the port's structure with the
  // scoring function the thesis text names (fsanet_port_var).
  static FsaNetOptions AuthorsPort(FsaScoring scoring = FsaScoring::kConv1x1);

  int map_size() const { return 8 * image_size / 64; }
  int num_primcaps() const;  // 3 n', or 3 map^2 for the uniform scoring
};

// The SSR layer (Keras SSRLayer = the port's SSRLayer), per angle a:
//   out = V * sum_k [ sum_i (i - s_k // 2 + eta_k) p_k[i] ] / prod_{l <= k} (s_l (1 + lambda_d
//   delta_l))
// p_k: (N, A, s_k), delta_k and eta_k: (N, A). Returns (N, A).
torch::Tensor SsrMerge(const std::array<torch::Tensor, 3>& p,
                       const std::array<torch::Tensor, 3>& delta,
                       const std::array<torch::Tensor, 3>& eta, const std::array<int, 3>& stage_num,
                       double lambda_d, double v);

// Capsule squash (Keras): |s|^2 / (1 + |s|^2) * s / sqrt(|s|^2 + eps) along `dim`.
torch::Tensor Squash(const torch::Tensor& s, int64_t dim, double eps = 1e-7);

// The aggregation: (N, I, 64) primary capsules -> (N, J, D) capsules.
class FsaCapsuleImpl : public torch::nn::Cloneable<FsaCapsuleImpl> {
 public:
  FsaCapsuleImpl(int num_in, int in_dim, int num_caps, int cap_dim, FsaRouting routing,
                 int routings, bool keras_init);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& u);

  int num_in, in_dim, num_caps, cap_dim;
  FsaRouting routing;
  int routings;
  bool keras_init;
  // kDynamic: (J, I, D, K) as Keras; kAuthorsPort: (1, K, J, D, I) as the port (its "W").
  torch::Tensor W;
};
TORCH_MODULE(FsaCapsule);

struct FsaNetOutputs {
  torch::Tensor pose;      // (N, 3) degrees [yaw, pitch, roll]
  torch::Tensor primcaps;  // (N, num_primcaps, 64): what the DA discriminator reads
  torch::Tensor capsules;  // (N, num_capsule, dim_capsule)
  std::array<torch::Tensor, 3> stage_maps;  // U_1..U_3, (N, 64, map, map)
};

class FsaNet : public core::nn::Model {
 public:
  explicit FsaNet(FsaNetOptions options);

  torch::Tensor forward(torch::Tensor x) override;  // pose, degrees
  FsaNetOutputs ForwardAll(const torch::Tensor& x);
  torch::Tensor ForwardPooled(torch::Tensor x) override;  // flattened capsules (N, 48)
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;  // U_1..U_3
  int64_t num_features() const override;
  int64_t num_outputs() const override { return 3; }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  // The SSR heads regress exactly three angles: 3 re-initialises them, anything else throws.
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return options_.name; }
  const FsaNetOptions& options() const { return options_; }

 private:
  void InitKeras();
  torch::Tensor Score(int stage, const torch::Tensor& u);

  FsaNetOptions options_;
  core::nn::Sequential x_layer1{nullptr}, x_layer2{nullptr}, x_layer3{nullptr}, x_layer4{nullptr};
  core::nn::Sequential s_layer1{nullptr}, s_layer2{nullptr}, s_layer3{nullptr}, s_layer4{nullptr};
  core::nn::Sequential x_layer4_{nullptr}, x_layer3_{nullptr}, x_layer2_{nullptr};
  core::nn::Sequential s_layer4_{nullptr}, s_layer3_{nullptr}, s_layer2_{nullptr};
  core::nn::AvgPool2d agvpool{nullptr};
  std::array<core::nn::Sequential, 3> feat_preS{nullptr, nullptr, nullptr};  // scoring convs
  std::array<core::nn::Sequential, 3> sr_matrix{nullptr, nullptr, nullptr};  // M_k
  core::nn::Sequential SL_matrix{nullptr};                                   // C
  FsaCapsule capsule_layer{nullptr};
  std::array<core::nn::Sequential, 3> delta_s{nullptr, nullptr, nullptr};
  std::array<core::nn::Sequential, 3> local_s{nullptr, nullptr, nullptr};
  std::array<core::nn::Sequential, 3> pred_s{nullptr, nullptr, nullptr};
};

// FSA-Caps-Fusion: the mean of the 1x1, variance and uniform models' predictions. Each member is
// trained on its own (hpe/training.h trains a registry model; load the three into `members`).
class FsaNetFusion : public core::nn::Model {
 public:
  explicit FsaNetFusion(int image_size = 64);
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor ForwardPooled(torch::Tensor x) override;  // members' capsules concatenated
  std::vector<torch::Tensor> ForwardFeatures(torch::Tensor x) override;
  int64_t num_features() const override { return 3 * 48; }
  int64_t num_outputs() const override { return 3; }
  std::vector<core::nn::FeatureInfo> feature_info() const override;
  void ResetHead(int64_t num_outputs) override;
  std::string architecture() const override { return "fsanet_fusion"; }

  std::array<std::shared_ptr<FsaNet>, 3> members;  // 1x1, var, uniform
};

// Registers fsanet_capsule_1x1, fsanet_capsule_var, fsanet_capsule_nos, fsanet_port_1x1,
// fsanet_port_var and fsanet_fusion with core/nn's registry (idempotent). RegisterHpeModels
// (training.h) registers these and the 6DRepNet-style models.
void RegisterFsaNetModels();

}  // namespace synface::hpe
