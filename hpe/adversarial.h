// The adversarial domain-adaptation pieces of P1 as the authors coded them (C3Imaging
// HPEDA/FSANetDA.py and the DA loop of HPEDA/FSANet_Train.py; digest ch3 §3.2):
//   - a gradient reversal layer: identity forward, -lambda * gradient backward;
//   - the domain classifier on the flattened primary capsules (21 x 64 = 1344 -> 100 -> BN -> ReLU
//     -> 2 -> LogSoftmax);
//   - the loss 0.2 L1(pose, source) + 1.5 NLL(domain, source) + 1.5 NLL(domain, target), with
//     source = domain 0 and target = domain 1 as in the code.
// The DANN schedule for lambda and the nearest-neighbour source sampling are in da_sampling.h.
#pragma once

#include <torch/torch.h>

#include "core/nn/layers.h"

namespace synface::hpe {

// y = x forward; dL/dx = -lambda dL/dy backward (no gradient for lambda). A custom
// torch::autograd::Function, as the authors' ReverseLayerF.
torch::Tensor GradientReversal(const torch::Tensor& x, double lambda);

class DomainClassifierImpl : public torch::nn::Cloneable<DomainClassifierImpl> {
 public:
  explicit DomainClassifierImpl(int64_t in_features = 21 * 64, int64_t hidden = 100);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& features);  // (N, in) -> (N, 2) log-probabilities

  int64_t in_features, hidden;
  // Registered as "0", "1", "3": the indices of the port's nn.Sequential `domain_classifier`, so
  // its state-dict keys match. BatchNorm1d(100) == BatchNorm2d(100) on (N, 100, 1, 1).
  core::nn::Linear fc1{nullptr}, fc2{nullptr};
  core::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(DomainClassifier);

inline constexpr int64_t kSourceDomain = 0;
inline constexpr int64_t kTargetDomain = 1;

struct AdversarialLossWeights {
  double pose = 0.2;
  double source_domain = 1.5;
  double target_domain = 1.5;
};

struct AdversarialLoss {
  torch::Tensor total, pose_l1, source_nll, target_nll;
};

// pose_pred / pose_true: (N, 3) degrees; *_log_probs: (M, 2) domain log-probabilities.
AdversarialLoss ComputeAdversarialLoss(const torch::Tensor& pose_pred,
                                       const torch::Tensor& pose_true,
                                       const torch::Tensor& source_log_probs,
                                       const torch::Tensor& target_log_probs,
                                       const AdversarialLossWeights& weights = {});

}  // namespace synface::hpe
