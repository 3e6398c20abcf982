#include "hpe/fsanet.h"

#include <cmath>

#include "core/nn/op_count.h"
#include "core/nn/registry.h"
#include "core/util/error.h"

namespace synface::hpe {
namespace nn = core::nn;
using core::MakeError;

namespace {

// Tanh as a counting layer (core/nn has none; the streams' Tanh must show up in the layer records
// like the other activations: no MACs, no thop rule).
class TanhImpl : public torch::nn::Cloneable<TanhImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::tanh(x);
    if (nn::ActiveOpCounter() != nullptr) {
      nn::OpRecord r;
      r.kind = nn::OpKind::kOtherActivation;
      r.module = this;
      r.has_thop_rule = false;
      r.elements = y.numel();
      nn::RecordOp(r);
    }
    return y;
  }
  void pretty_print(std::ostream& s) const override { s << "Tanh()"; }
};
TORCH_MODULE(Tanh);

// One stream block: conv 3x3 "same" (separable or full), BN, activation.
void AddConvBlock(nn::Sequential& seq, int in, int out, bool relu, const FsaNetOptions& o) {
  if (o.stream_conv == FsaStreamConv::kFull) {
    seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
  } else {
    // Keras SeparableConv2D: depthwise 3x3 without bias, then pointwise 1x1 with bias.
    seq->push_back(
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, in, 3).padding(1).groups(in).bias(false)),
                       nn::Conv2d(nn::Conv2dOptions(in, out, 1))));
  }
  seq->push_back(
      nn::BatchNorm2d(nn::BatchNorm2dOptions(out).eps(o.bn_eps).momentum(o.bn_momentum)));
  if (relu) {
    seq->push_back(nn::ReLU());
  } else {
    seq->push_back(Tanh());
  }
}

nn::Sequential Stream(const std::vector<int>& widths, int in, bool relu, bool pool,
                      const FsaNetOptions& o) {
  nn::Sequential seq;
  for (int w : widths) {
    AddConvBlock(seq, in, w, relu, o);
    in = w;
  }
  if (pool) {
    if (relu) {
      seq->push_back(nn::AvgPool2d(nn::Pool2dOptions(2)));
    } else {
      seq->push_back(nn::MaxPool2d(nn::Pool2dOptions(2)));
    }
  }
  return seq;
}

nn::Sequential ConvAct(int in, int out, bool relu) {
  nn::Sequential seq;
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
  if (relu) {
    seq->push_back(nn::ReLU());
  } else {
    seq->push_back(Tanh());
  }
  return seq;
}

template <typename Act>
nn::Sequential LinearAct(int in, int out) {
  return nn::Sequential(nn::Linear(in, out), Act());
}

// Keras glorot_uniform for a tensor of any rank: fans from the last two dimensions times the
// product of the others (keras.initializers._compute_fans).
void KerasGlorotUniform(torch::Tensor& w) {
  const int64_t rank = w.dim();
  int64_t receptive = 1;
  for (int64_t i = 0; i + 2 < rank; ++i) receptive *= w.size(i);
  const double fan_in = static_cast<double>(w.size(rank - 2) * receptive);
  const double fan_out = static_cast<double>(w.size(rank - 1) * receptive);
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  torch::NoGradGuard no_grad;
  w.uniform_(-limit, limit);
}

void CheckOptions(const FsaNetOptions& o) {
  if (o.num_capsule != 3 || o.dim_capsule != 16) {
    throw MakeError("{}: the SSR heads read 3 capsules of 16 (4 delta + 4 eta + 8 p); got {} x {}",
                    o.name, o.num_capsule, o.dim_capsule);
  }
  if (o.image_size < 64 || o.image_size % 64 != 0) {
    throw MakeError("{}: image_size must be a multiple of 64 (got {})", o.name, o.image_size);
  }
  for (int s : o.stage_num) {
    if (s < 1) throw MakeError("{}: stage sizes must be >= 1", o.name);
  }
  if (o.m_dim < 1 || o.primcaps_per_stage < 1 || o.routings < 1) {
    throw MakeError("{}: m_dim, primcaps_per_stage and routings must be >= 1", o.name);
  }
}

}  // namespace

// ---- options
// -------------------------------------------------------------------------------------

FsaNetOptions FsaNetOptions::Keras(FsaScoring scoring) {
  FsaNetOptions o;
  o.scoring = scoring;
  o.name = scoring == FsaScoring::kConv1x1    ? "fsanet_capsule_1x1"
           : scoring == FsaScoring::kVariance ? "fsanet_capsule_var"
                                              : "fsanet_capsule_nos";
  return o;
}

FsaNetOptions FsaNetOptions::AuthorsPort(FsaScoring scoring) {
  FsaNetOptions o;
  o.scoring = scoring;
  o.name = scoring == FsaScoring::kConv1x1    ? "fsanet_port_1x1"
           : scoring == FsaScoring::kVariance ? "fsanet_port_var"
                                              : "fsanet_port_nos";
  o.stream_conv = FsaStreamConv::kFull;
  o.per_stage_mapping = true;
  o.routing = FsaRouting::kAuthorsPort;
  o.keras_init = false;
  o.bn_eps = 1e-5;
  o.bn_momentum = 0.1;
  return o;
}

int FsaNetOptions::num_primcaps() const {
  return scoring == FsaScoring::kUniform ? 3 * map_size() * map_size() : 3 * primcaps_per_stage;
}

// ---- SSR and squash ----------------------------------------------------------------------------

torch::Tensor SsrMerge(const std::array<torch::Tensor, 3>& p,
                       const std::array<torch::Tensor, 3>& delta,
                       const std::array<torch::Tensor, 3>& eta, const std::array<int, 3>& stage_num,
                       double lambda_d, double v) {
  torch::Tensor out = torch::zeros_like(delta[0]);
  torch::Tensor denom = torch::ones_like(delta[0]);
  for (int k = 0; k < 3; ++k) {
    const int s = stage_num[k];
    if (p[k].dim() != 3 || p[k].size(2) != s) {
      throw MakeError("SsrMerge: stage {} probabilities must be (N, A, {})", k + 1, s);
    }
    denom = denom * (s * (1.0 + lambda_d * delta[k]));
    // Bin centres i - s // 2 (Keras `di = s1 // 2`), shifted by eta.
    const torch::Tensor centres =
        (torch::arange(s, p[k].options()) - static_cast<double>(s / 2)).view({1, 1, s});
    out = out + ((centres + eta[k].unsqueeze(-1)) * p[k]).sum(-1) / denom;
  }
  return out * v;
}

torch::Tensor Squash(const torch::Tensor& s, int64_t dim, double eps) {
  const torch::Tensor sq = (s * s).sum(dim, /*keepdim=*/true);
  return sq / (1.0 + sq) / torch::sqrt(sq + eps) * s;
}

// ---- capsule layer ------------------------------------------------------------------------------

FsaCapsuleImpl::FsaCapsuleImpl(int num_in_, int in_dim_, int num_caps_, int cap_dim_,
                               FsaRouting routing_, int routings_, bool keras_init_)
    : num_in(num_in_),
      in_dim(in_dim_),
      num_caps(num_caps_),
      cap_dim(cap_dim_),
      routing(routing_),
      routings(routings_),
      keras_init(keras_init_) {
  reset();
}

void FsaCapsuleImpl::reset() {
  if (routing == FsaRouting::kDynamic) {
    W = register_parameter("W", torch::empty({num_caps, num_in, cap_dim, in_dim}));
  } else {
    W = register_parameter("W", torch::empty({1, in_dim, num_caps, cap_dim, num_in}));
  }
  torch::NoGradGuard no_grad;
  if (keras_init) {
    KerasGlorotUniform(W);
  } else {
    W.normal_(0.0, 1.0);  // the port: nn.Parameter(torch.randn(...))
  }
}

torch::Tensor FsaCapsuleImpl::forward(const torch::Tensor& u) {
  if (u.dim() != 3 || u.size(1) != num_in || u.size(2) != in_dim) {
    throw MakeError("capsule layer: expected (N, {}, {}) primary capsules", num_in, in_dim);
  }
  const int64_t n = u.size(0);
  const int64_t jid = static_cast<int64_t>(num_caps) * num_in * cap_dim;
  if (routing == FsaRouting::kAuthorsPort) {
    // u_hat[b, c, j, d] = sum_i W[c, j, d, i] u[b, i, c]: the 64 channels act as routing units.
    const torch::Tensor u_hat = torch::einsum("cjdi,bic->bcjd", {W.squeeze(0), u});
    nn::RecordMatMul(this, n * jid * in_dim);
    // softmax over the size-1 axis makes every coupling coefficient 1 in both of the port's
    // iterations, so s_j is the plain sum over the units and the loop changes nothing.
    const torch::Tensor s = u_hat.sum(1);        // (N, J, D)
    return Squash(s, /*dim=*/1, /*eps=*/1e-12);  // over the capsules, as the port's dim=2
  }
  // Keras CapsuleLayer: u_hat = W_ji u_i, routing by agreement over the output capsules.
  const torch::Tensor u_hat = torch::einsum("jidk,bik->bjid", {W, u});  // (N, J, I, D)
  nn::RecordMatMul(this, n * jid * in_dim);
  torch::Tensor b = torch::zeros({n, num_caps, num_in}, u.options());
  torch::Tensor v;
  for (int r = 0; r < routings; ++r) {
    const torch::Tensor c = torch::softmax(b, /*dim=*/1);
    const torch::Tensor s = torch::einsum("bji,bjid->bjd", {c, u_hat});
    nn::RecordMatMul(this, n * jid);
    v = Squash(s, /*dim=*/-1);
    if (r < routings - 1) {
      b = b + torch::einsum("bjd,bjid->bji", {v, u_hat});
      nn::RecordMatMul(this, n * jid);
    }
  }
  return v;
}

// ---- FSA-Net
// -------------------------------------------------------------------------------------

FsaNet::FsaNet(FsaNetOptions options) : options_(std::move(options)) {
  const FsaNetOptions& o = options_;
  CheckOptions(o);
  const int map = o.map_size();
  const int pixels = map * map;
  x_layer1 = register_module("x_layer1", Stream({16}, 3, true, true, o));
  x_layer2 = register_module("x_layer2", Stream({32, 32}, 16, true, true, o));
  x_layer3 = register_module("x_layer3", Stream({64, 64}, 32, true, true, o));
  x_layer4 = register_module("x_layer4", Stream({128, 128}, 64, true, false, o));
  s_layer1 = register_module("s_layer1", Stream({16}, 3, false, true, o));
  s_layer2 = register_module("s_layer2", Stream({32, 32}, 16, false, true, o));
  s_layer3 = register_module("s_layer3", Stream({64, 64}, 32, false, true, o));
  s_layer4 = register_module("s_layer4", Stream({128, 128}, 64, false, false, o));
  x_layer4_ = register_module("x_layer4_", ConvAct(128, 64, true));
  x_layer3_ = register_module("x_layer3_", ConvAct(64, 64, true));
  x_layer2_ = register_module("x_layer2_", ConvAct(32, 64, true));
  s_layer4_ = register_module("s_layer4_", ConvAct(128, 64, false));
  s_layer3_ = register_module("s_layer3_", ConvAct(64, 64, false));
  s_layer2_ = register_module("s_layer2_", ConvAct(32, 64, false));
  agvpool = register_module("agvpool", nn::AvgPool2d(nn::Pool2dOptions(2)));

  if (o.scoring != FsaScoring::kUniform) {
    const int copies = o.per_stage_mapping ? 3 : 1;
    for (int k = 0; k < copies; ++k) {
      const std::string suffix = o.per_stage_mapping ? std::to_string(k + 1) : "";
      if (o.scoring == FsaScoring::kConv1x1) {
        feat_preS[k] =
            register_module("feat_preS" + suffix,
                            nn::Sequential(nn::Conv2d(nn::Conv2dOptions(64, 1, 1)), nn::Sigmoid()));
      }
      sr_matrix[k] = register_module("sr_matrix" + suffix,
                                     LinearAct<nn::Sigmoid>(pixels, o.m_dim * pixels * 3));
    }
    SL_matrix = register_module("SL_matrix",
                                LinearAct<nn::Sigmoid>(pixels * 3, o.primcaps_per_stage * o.m_dim));
  }
  capsule_layer = register_module(
      "capsule_layer", FsaCapsule(o.num_primcaps(), 64, o.num_capsule, o.dim_capsule, o.routing,
                                  o.routings, o.keras_init));
  for (int k = 0; k < 3; ++k) {
    const std::string s = std::to_string(k + 1);
    delta_s[k] = register_module("delta_s" + s, LinearAct<Tanh>(4, 3));
    local_s[k] = register_module("local_s" + s, LinearAct<Tanh>(4, 3));
    pred_s[k] = register_module("pred_s" + s, LinearAct<nn::ReLU>(8, 3 * o.stage_num[k]));
  }
  if (o.keras_init) InitKeras();
}

void FsaNet::InitKeras() {
  torch::NoGradGuard no_grad;
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2dImpl>()) {
      torch::nn::init::xavier_uniform_(conv->weight);  // same limit as Keras (fan sums agree)
      if (conv->bias.defined()) conv->bias.zero_();
    } else if (auto* lin = m->as<nn::LinearImpl>()) {
      torch::nn::init::xavier_uniform_(lin->weight);
      if (lin->bias.defined()) lin->bias.zero_();
    }
  }
}

torch::Tensor FsaNet::Score(int stage, const torch::Tensor& u) {
  const int64_t n = u.size(0);
  if (options_.scoring == FsaScoring::kVariance) {
    // tf.nn.moments(axes=-1): the population variance over the channels.
    return u.var(/*dim=*/1, /*unbiased=*/false).reshape({n, -1});
  }
  const int k = options_.per_stage_mapping ? stage : 0;
  return feat_preS[k]->forward(u).reshape({n, -1});
}

FsaNetOutputs FsaNet::ForwardAll(const torch::Tensor& x) {
  const FsaNetOptions& o = options_;
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) != o.image_size || x.size(3) != o.image_size) {
    throw MakeError("{}: expected (N, 3, {}, {}) input", o.name, o.image_size, o.image_size);
  }
  const torch::Tensor x1 = x_layer1->forward(x);
  const torch::Tensor x2 = x_layer2->forward(x1);
  const torch::Tensor x3 = x_layer3->forward(x2);
  const torch::Tensor x4 = x_layer4->forward(x3);
  const torch::Tensor s1 = s_layer1->forward(x);
  const torch::Tensor s2 = s_layer2->forward(s1);
  const torch::Tensor s3 = s_layer3->forward(s2);
  const torch::Tensor s4 = s_layer4->forward(s3);

  FsaNetOutputs out;
  out.stage_maps[0] = s_layer4_->forward(s4) * x_layer4_->forward(x4);
  out.stage_maps[1] = s_layer3_->forward(s3) * x_layer3_->forward(x3);
  out.stage_maps[2] = agvpool->forward(s_layer2_->forward(s2) * x_layer2_->forward(x2));

  const int64_t n = x.size(0);
  std::vector<torch::Tensor> pixel_rows;  // each (N, map^2, 64): pixels x channels
  for (const auto& u : out.stage_maps) pixel_rows.push_back(u.flatten(2).transpose(1, 2));
  const torch::Tensor u_all = torch::cat(pixel_rows, /*dim=*/1);  // (N, 3 map^2, 64)
  const int64_t rows = u_all.size(1);

  if (o.scoring == FsaScoring::kUniform) {
    out.primcaps = u_all;
  } else {
    std::array<torch::Tensor, 3> a;
    for (int k = 0; k < 3; ++k) a[k] = Score(k, out.stage_maps[k]);  // (N, map^2)
    const torch::Tensor c = SL_matrix->forward(torch::cat({a[0], a[1], a[2]}, 1))
                                .view({n, o.primcaps_per_stage, o.m_dim});
    std::vector<torch::Tensor> prim;
    for (int k = 0; k < 3; ++k) {
      const int mk = o.per_stage_mapping ? k : 0;
      const torch::Tensor m = sr_matrix[mk]->forward(a[k]).view({n, o.m_dim, rows});
      const torch::Tensor s = torch::bmm(c, m);  // S_k = C M_k: (N, n', 3 map^2)
      nn::RecordMatMul(this, n * o.primcaps_per_stage * o.m_dim * rows);
      // Row-normalised S_k times U (MatrixNormLayer + PrimCapsLayer): "without this training
      // won't converge" (the Keras code's comment).
      prim.push_back(torch::bmm(s, u_all) / s.sum(-1, /*keepdim=*/true));
      nn::RecordMatMul(this, n * o.primcaps_per_stage * rows * 64);
    }
    out.primcaps = torch::cat(prim, /*dim=*/1);  // (N, 3 n', 64)
  }

  out.capsules = capsule_layer->forward(out.primcaps);  // (N, 3, 16)
  std::array<torch::Tensor, 3> p, delta, eta;
  for (int k = 0; k < 3; ++k) {
    const torch::Tensor cap = out.capsules.select(1, k);
    delta[k] = delta_s[k]->forward(cap.slice(1, 0, 4));
    eta[k] = local_s[k]->forward(cap.slice(1, 4, 8));
    p[k] = pred_s[k]->forward(cap.slice(1, 8, 16)).view({n, 3, o.stage_num[k]});
  }
  out.pose = SsrMerge(p, delta, eta, o.stage_num, o.lambda_d, o.output_range);
  return out;
}

torch::Tensor FsaNet::forward(torch::Tensor x) { return ForwardAll(x).pose; }

torch::Tensor FsaNet::ForwardPooled(torch::Tensor x) { return ForwardAll(x).capsules.flatten(1); }

std::vector<torch::Tensor> FsaNet::ForwardFeatures(torch::Tensor x) {
  const auto maps = ForwardAll(x).stage_maps;
  return {maps[0], maps[1], maps[2]};
}

int64_t FsaNet::num_features() const { return options_.num_capsule * options_.dim_capsule; }

std::vector<nn::FeatureInfo> FsaNet::feature_info() const {
  const int64_t stride = options_.image_size / options_.map_size();
  return {{"stage1", 64, stride}, {"stage2", 64, stride}, {"stage3", 64, stride}};
}

void FsaNet::ResetHead(int64_t num_outputs) {
  if (num_outputs != 3) {
    throw MakeError("{}: the SSR head regresses exactly 3 angles (asked for {})", options_.name,
                    num_outputs);
  }
  torch::NoGradGuard no_grad;
  for (int k = 0; k < 3; ++k) {
    for (nn::Sequential* head : {&delta_s[k], &local_s[k], &pred_s[k]}) {
      auto* lin = (*head)->ptr(0)->as<nn::LinearImpl>();
      lin->reset_parameters();
      if (options_.keras_init) {
        torch::nn::init::xavier_uniform_(lin->weight);
        lin->bias.zero_();
      }
    }
  }
}

// ---- Fusion
// --------------------------------------------------------------------------------------

FsaNetFusion::FsaNetFusion(int image_size) {
  const FsaScoring kinds[3] = {FsaScoring::kConv1x1, FsaScoring::kVariance, FsaScoring::kUniform};
  const char* names[3] = {"caps_1x1", "caps_var", "caps_nos"};
  for (int i = 0; i < 3; ++i) {
    FsaNetOptions o = FsaNetOptions::Keras(kinds[i]);
    o.image_size = image_size;
    members[i] = register_module(names[i], std::make_shared<FsaNet>(o));
  }
}

torch::Tensor FsaNetFusion::forward(torch::Tensor x) {
  return (members[0]->forward(x) + members[1]->forward(x) + members[2]->forward(x)) / 3.0;
}

torch::Tensor FsaNetFusion::ForwardPooled(torch::Tensor x) {
  return torch::cat(
      {members[0]->ForwardPooled(x), members[1]->ForwardPooled(x), members[2]->ForwardPooled(x)},
      1);
}

std::vector<torch::Tensor> FsaNetFusion::ForwardFeatures(torch::Tensor x) {
  std::vector<torch::Tensor> all;
  for (auto& m : members) {
    for (auto& f : m->ForwardFeatures(x)) all.push_back(f);
  }
  return all;
}

std::vector<nn::FeatureInfo> FsaNetFusion::feature_info() const {
  std::vector<nn::FeatureInfo> all;
  for (const auto& m : members) {
    for (auto f : m->feature_info()) {
      f.name = m->architecture() + "." + f.name;
      all.push_back(f);
    }
  }
  return all;
}

void FsaNetFusion::ResetHead(int64_t num_outputs) {
  for (auto& m : members) m->ResetHead(num_outputs);
}

// ---- registry
// ------------------------------------------------------------------------------------

namespace {

void CheckModelOptions(const std::string& name, const nn::ModelOptions& o) {
  if (o.num_outputs != 3 && o.num_outputs != nn::ModelOptions{}.num_outputs) {
    throw MakeError("{}: regresses [yaw, pitch, roll]; num_outputs must be 3 (got {})", name,
                    o.num_outputs);
  }
  if (o.in_channels != 3) throw MakeError("{}: takes RGB input (in_channels 3)", name);
  if (o.width_multiplier != 1.0) throw MakeError("{}: no width multiplier", name);
}

void Add(const std::string& name, std::function<std::shared_ptr<nn::Model>()> make,
         const std::string& description) {
  if (nn::IsModelRegistered(name)) return;
  nn::RegisterModel(
      name,
      [name, make](const nn::ModelOptions& o) {
        CheckModelOptions(name, o);
        return make();
      },
      description);
}

}  // namespace

void RegisterFsaNetModels() {
  for (FsaScoring s : {FsaScoring::kConv1x1, FsaScoring::kVariance, FsaScoring::kUniform}) {
    const FsaNetOptions keras = FsaNetOptions::Keras(s);
    Add(
        keras.name, [keras] { return std::make_shared<FsaNet>(keras); },
        "FSA-Net capsule (Keras original: separable convs, shared mapping, dynamic routing)");
  }
  for (FsaScoring s : {FsaScoring::kConv1x1, FsaScoring::kVariance}) {
    const FsaNetOptions port = FsaNetOptions::AuthorsPort(s);
    Add(
        port.name, [port] { return std::make_shared<FsaNet>(port); },
        "FSA-Net as the P1/P2 authors ran it (PyTorch port: full convs, per-stage mapping, inert "
        "routing)");
  }
  Add(
      "fsanet_fusion", [] { return std::make_shared<FsaNetFusion>(); },
      "FSA-Caps-Fusion: mean of the 1x1, variance and uniform Keras models");
}

}  // namespace synface::hpe
