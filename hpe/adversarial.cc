#include "hpe/adversarial.h"

#include "core/util/error.h"

namespace synface::hpe {
namespace nn = core::nn;
using core::MakeError;

namespace {

class ReverseGradient : public torch::autograd::Function<ReverseGradient> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               double lambda) {
    ctx->saved_data["lambda"] = lambda;
    return x.view_as(x);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const double lambda = ctx->saved_data["lambda"].toDouble();
    return {grad_outputs[0].neg() * lambda, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor GradientReversal(const torch::Tensor& x, double lambda) {
  return ReverseGradient::apply(x, lambda);
}

DomainClassifierImpl::DomainClassifierImpl(int64_t in_features_, int64_t hidden_)
    : in_features(in_features_), hidden(hidden_) {
  reset();
}

void DomainClassifierImpl::reset() {
  fc1 = register_module("0", nn::Linear(in_features, hidden));
  bn = register_module("1", nn::BatchNorm2d(hidden));  // PyTorch BatchNorm1d defaults
  fc2 = register_module("3", nn::Linear(hidden, 2));
}

torch::Tensor DomainClassifierImpl::forward(const torch::Tensor& features) {
  const int64_t n = features.size(0);
  torch::Tensor h = fc1->forward(features.reshape({n, -1}));
  h = bn->forward(h.view({n, hidden, 1, 1})).view({n, hidden});
  return torch::log_softmax(fc2->forward(torch::relu(h)), /*dim=*/1);
}

AdversarialLoss ComputeAdversarialLoss(const torch::Tensor& pose_pred,
                                       const torch::Tensor& pose_true,
                                       const torch::Tensor& source_log_probs,
                                       const torch::Tensor& target_log_probs,
                                       const AdversarialLossWeights& w) {
  if (pose_pred.sizes() != pose_true.sizes()) {
    throw MakeError("adversarial loss: pose prediction and label shapes differ");
  }
  auto labels = [](const torch::Tensor& lp, int64_t domain) {
    return torch::full({lp.size(0)}, domain, torch::TensorOptions().dtype(torch::kLong));
  };
  AdversarialLoss l;
  l.pose_l1 = torch::l1_loss(pose_pred, pose_true);
  l.source_nll = torch::nll_loss(source_log_probs, labels(source_log_probs, kSourceDomain));
  l.target_nll = torch::nll_loss(target_log_probs, labels(target_log_probs, kTargetDomain));
  l.total = w.pose * l.pose_l1 + w.source_domain * l.source_nll + w.target_domain * l.target_nll;
  return l;
}

}  // namespace synface::hpe
