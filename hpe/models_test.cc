// FSA-Net (parameter counts pinned to the authors' architectures, MACs, SSR arithmetic, capsule
// routing), the 6DRepNet-style pieces, the gradient reversal layer, the DA loss, and the training
// strategies end to end at toy size (resume equality, model files, predict).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/io/image.h"
#include "core/nn/complexity.h"
#include "core/nn/layers.h"
#include "core/nn/registry.h"
#include "core/nn/runtime.h"
#include "core/nn/state_dict.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "hpe/adversarial.h"
#include "hpe/fsanet.h"
#include "hpe/inference.h"
#include "hpe/sixdrepnet.h"
#include "hpe/training.h"

namespace synface::hpe {
namespace {
namespace fs = std::filesystem;
namespace nn = core::nn;

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

int64_t Params(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// What Keras's count_params reports: parameters plus BatchNorm moving mean and variance.
int64_t KerasCount(const torch::nn::Module& m) {
  int64_t n = Params(m);
  for (const auto& b : m.named_buffers()) {
    const std::string& k = b.key();
    if (k.size() > 12 && (k.compare(k.size() - 12, 12, "running_mean") == 0 ||
                          k.compare(k.size() - 11, 11, "running_var") == 0)) {
      n += b.value().numel();
    }
  }
  return n;
}

std::shared_ptr<FsaNet> Make(const std::string& name) {
  RegisterHpeModels();
  auto m = std::dynamic_pointer_cast<FsaNet>(nn::CreateModel(name));
  EXPECT_TRUE(m) << name;
  return m;
}

// ---- architecture ------------------------------------------------------------------------------

// Derived from the layer shapes (hpe/README.md has the arithmetic; digest ch3 §2.2.5).
TEST(FsaNet, ParameterCountsOfEveryVariant) {
  struct Case {
    const char* name;
    int64_t params, keras;
  };
  for (const Case& c :
       {Case{"fsanet_capsule_1x1", 236615, 238471}, Case{"fsanet_capsule_var", 236550, 238406},
        Case{"fsanet_capsule_nos", 692707, 694563}, Case{"fsanet_port_1x1", 872307, 874163},
        Case{"fsanet_port_var", 872112, 873968}}) {
    const auto m = Make(c.name);
    EXPECT_EQ(Params(*m), c.params) << c.name;
    EXPECT_EQ(KerasCount(*m), c.keras) << c.name;
  }
  RegisterHpeModels();
  EXPECT_EQ(Params(*nn::CreateModel("fsanet_fusion")), 236615 + 236550 + 692707);
  EXPECT_EQ(Params(*DomainClassifier()), 134902);  // +1,007,209 with the port: 872,307 + 134,902
}

TEST(FsaNet, PortStateDictKeysAreTheAuthors) {
  const auto sd = nn::GetStateDict(*Make("fsanet_port_1x1"));
  auto shape = [&](const std::string& k) {
    const torch::Tensor* t = sd.find(k);
    EXPECT_NE(t, nullptr) << k;
    return t ? t->sizes().vec() : std::vector<int64_t>{};
  };
  EXPECT_EQ(shape("x_layer1.0.weight"), (std::vector<int64_t>{16, 3, 3, 3}));
  EXPECT_EQ(shape("x_layer2.3.weight"), (std::vector<int64_t>{32, 32, 3, 3}));
  EXPECT_EQ(shape("s_layer4.4.running_var"), (std::vector<int64_t>{128}));
  EXPECT_EQ(shape("x_layer2_.0.weight"), (std::vector<int64_t>{64, 32, 1, 1}));
  EXPECT_EQ(shape("feat_preS3.0.weight"), (std::vector<int64_t>{1, 64, 1, 1}));
  EXPECT_EQ(shape("sr_matrix2.0.weight"), (std::vector<int64_t>{960, 64}));
  EXPECT_EQ(shape("SL_matrix.0.weight"), (std::vector<int64_t>{35, 192}));
  EXPECT_EQ(shape("capsule_layer.W"), (std::vector<int64_t>{1, 64, 3, 16, 21}));
  EXPECT_EQ(shape("delta_s1.0.weight"), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(shape("pred_s3.0.weight"), (std::vector<int64_t>{9, 8}));
  const auto keras = nn::GetStateDict(*Make("fsanet_capsule_1x1"));
  EXPECT_NE(keras.find("x_layer1.0.0.weight"), nullptr);  // depthwise (16 x 1 x 3 x 3 for 3 in)
  EXPECT_EQ(keras.find("x_layer1.0.0.weight")->sizes().vec(), (std::vector<int64_t>{3, 1, 3, 3}));
  EXPECT_NE(keras.find("feat_preS.0.weight"), nullptr);  // one shared scoring conv
  EXPECT_EQ(keras.find("capsule_layer.W")->sizes().vec(), (std::vector<int64_t>{3, 21, 16, 64}));
}

TEST(FsaNet, MacsPerFace) {
  // Streams (separable) 2 x 5,799,936; fusion 2,621,440; scoring convs 3 x 4,096; M 3 x 61,440;
  // C 6,720; heads 288; C M 3 x 6,720; S U 3 x 86,016; u_hat 64,512; routing 3 x 1,008.
  struct Case {
    const char* name;
    int64_t macs;
  };
  for (const Case& c : {Case{"fsanet_capsule_1x1", 14770672}, Case{"fsanet_capsule_var", 14758384},
                        Case{"fsanet_capsule_nos", 14839072}, Case{"fsanet_port_1x1", 91641376}}) {
    const auto m = Make(c.name);
    const nn::ComplexityReport r = nn::MeasureComplexity(*m, {1, 3, 64, 64});
    EXPECT_EQ(r.macs_conv_linear, c.macs) << c.name << "\n" << r.Summary();
    EXPECT_EQ(r.params, Params(*m));
  }
}

TEST(FsaNet, ForwardShapesAndOutputs) {
  nn::SeedEverything(3);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({2, 3, 64, 64});
  for (const char* name : {"fsanet_capsule_1x1", "fsanet_capsule_var", "fsanet_port_1x1"}) {
    auto m = Make(name);
    m->eval();
    const FsaNetOutputs o = m->ForwardAll(x);
    EXPECT_EQ(o.pose.sizes().vec(), (std::vector<int64_t>{2, 3})) << name;
    EXPECT_EQ(o.primcaps.sizes().vec(), (std::vector<int64_t>{2, 21, 64})) << name;
    EXPECT_EQ(o.capsules.sizes().vec(), (std::vector<int64_t>{2, 3, 16})) << name;
    EXPECT_TRUE(torch::isfinite(o.pose).all().item<bool>()) << name;
    EXPECT_TRUE(torch::equal(m->forward(x), o.pose));
  }
  auto nos = Make("fsanet_capsule_nos");
  nos->eval();
  EXPECT_EQ(nos->ForwardAll(x).primcaps.sizes().vec(), (std::vector<int64_t>{2, 192, 64}));
  RegisterHpeModels();
  auto fusion = std::dynamic_pointer_cast<FsaNetFusion>(nn::CreateModel("fsanet_fusion"));
  fusion->eval();
  const torch::Tensor mean = (fusion->members[0]->forward(x) + fusion->members[1]->forward(x) +
                              fusion->members[2]->forward(x)) /
                             3;
  EXPECT_TRUE(torch::allclose(fusion->forward(x), mean));
  EXPECT_THROW(Make("fsanet_capsule_1x1")->forward(torch::rand({1, 3, 32, 32})), core::Error);
  EXPECT_THROW(nn::CreateModel("fsanet_capsule_1x1",
                               [] {
                                 nn::ModelOptions o;
                                 o.num_outputs = 7;
                                 return o;
                               }()),
               core::Error);
}

TEST(FsaNet, SsrArithmeticOnHandComputedValues) {
  // One sample, two angles. Stage sizes 3: bin centres -1, 0, +1.
  // Angle 0: p1 = (0, 0, 1), eta1 = 0, delta1 = 0    -> a = (+1) / 3              = 1/3
  //          p2 = (1, 0, 0), eta2 = 0.5, delta2 = 0  -> b = (-1 + 0.5) / (3 * 3)  = -1/18
  //          p3 = (0, 1, 0), eta3 = 0.2, delta3 = 0  -> c = 0.2 / 27
  //          yaw = 99 (1/3 - 1/18 + 0.2/27) = 28.2333...
  // Angle 1: p1 = (0.5, 0, 0.5), eta1 = 0.1, delta1 = 0.5: a = (-0.9 * 0.5 + 1.1 * 0.5) / 4.5
  //          p2 = (0, 2, 0), eta2 = -0.3, delta2 = -0.5: b = -0.6 / 4.5 / 1.5
  //          p3 = 0: c = 0                          -> 99 (0.1 / 4.5 - 0.6 / 6.75)
  const auto t = [](std::vector<float> v, std::vector<int64_t> shape) {
    return torch::tensor(v).view(shape);
  };
  const std::array<torch::Tensor, 3> p = {t({0, 0, 1, 0.5, 0, 0.5}, {1, 2, 3}),
                                          t({1, 0, 0, 0, 2, 0}, {1, 2, 3}),
                                          t({0, 1, 0, 0, 0, 0}, {1, 2, 3})};
  const std::array<torch::Tensor, 3> delta = {t({0, 0.5}, {1, 2}), t({0, -0.5}, {1, 2}),
                                              t({0, 0.3}, {1, 2})};
  const std::array<torch::Tensor, 3> eta = {t({0, 0.1}, {1, 2}), t({0.5, -0.3}, {1, 2}),
                                            t({0.2, 0.7}, {1, 2})};
  const torch::Tensor y = SsrMerge(p, delta, eta, {3, 3, 3}, 1.0, 99.0);
  EXPECT_NEAR(y[0][0].item<double>(), 99 * (1.0 / 3 - 1.0 / 18 + 0.2 / 27), 1e-4);
  EXPECT_NEAR(y[0][1].item<double>(), 99 * (0.1 / 4.5 - 0.6 / 6.75), 1e-4);
  // lambda_d scales delta: with lambda_d = 0 angle 1 is 99 (0.1 / 3 - 0.6 / 9).
  EXPECT_NEAR(SsrMerge(p, delta, eta, {3, 3, 3}, 0.0, 99.0)[0][1].item<double>(),
              99 * (0.1 / 3 - 0.6 / 9), 1e-4);
  // Even stage sizes centre on s // 2: s = 2 gives centres -1, 0.
  const std::array<torch::Tensor, 3> p2 = {t({0, 1}, {1, 1, 2}), t({1, 0}, {1, 1, 2}),
                                           t({0, 0}, {1, 1, 2})};
  const std::array<torch::Tensor, 3> z = {t({0}, {1, 1}), t({0}, {1, 1}), t({0}, {1, 1})};
  EXPECT_NEAR(SsrMerge(p2, z, z, {2, 2, 2}, 1.0, 1.0)[0][0].item<double>(), -1.0 / 4, 1e-6);
}

TEST(FsaNet, CapsuleRoutingMatchesAReferenceLoop) {
  nn::SeedEverything(5);
  const int I = 4, K = 5, J = 3, D = 2;
  FsaCapsule caps(I, K, J, D, FsaRouting::kDynamic, 2, true);
  const torch::Tensor u = torch::randn({1, I, K});
  const torch::Tensor v = caps->forward(u);
  // Reference: Sabour routing with plain loops, 2 iterations.
  auto W = caps->W.accessor<float, 4>();
  auto ua = u.accessor<float, 3>();
  double uh[J][I][D];
  for (int j = 0; j < J; ++j)
    for (int i = 0; i < I; ++i)
      for (int d = 0; d < D; ++d) {
        double s = 0;
        for (int k = 0; k < K; ++k) s += W[j][i][d][k] * ua[0][i][k];
        uh[j][i][d] = s;
      }
  double b[J][I] = {};
  double out[J][D];
  for (int r = 0; r < 2; ++r) {
    for (int j = 0; j < J; ++j) {
      double s[D] = {};
      for (int i = 0; i < I; ++i) {
        double denom = 0;
        for (int jj = 0; jj < J; ++jj) denom += std::exp(b[jj][i]);
        const double c = std::exp(b[j][i]) / denom;  // softmax over the output capsules
        for (int d = 0; d < D; ++d) s[d] += c * uh[j][i][d];
      }
      double sq = 0;
      for (int d = 0; d < D; ++d) sq += s[d] * s[d];
      for (int d = 0; d < D; ++d) out[j][d] = sq / (1 + sq) / std::sqrt(sq + 1e-7) * s[d];
    }
    if (r == 0) {
      for (int j = 0; j < J; ++j)
        for (int i = 0; i < I; ++i)
          for (int d = 0; d < D; ++d) b[j][i] += out[j][d] * uh[j][i][d];
    }
  }
  for (int j = 0; j < J; ++j)
    for (int d = 0; d < D; ++d) EXPECT_NEAR(v[0][j][d].item<double>(), out[j][d], 1e-5);
  // A second iteration changes the result: the routing is live.
  FsaCapsule one(I, K, J, D, FsaRouting::kDynamic, 1, true);
  one->W.data().copy_(caps->W.data());
  EXPECT_FALSE(torch::allclose(one->forward(u), v, 1e-6, 1e-6));
}

TEST(FsaNet, AuthorsPortCapsuleIsALinearMapAndASquashAcrossCapsules) {
  nn::SeedEverything(6);
  const int I = 4, K = 5, J = 3, D = 2;
  FsaCapsule caps(I, K, J, D, FsaRouting::kAuthorsPort, 2, false);
  EXPECT_EQ(caps->W.sizes().vec(), (std::vector<int64_t>{1, K, J, D, I}));
  const torch::Tensor u = torch::randn({1, I, K});
  const torch::Tensor v = caps->forward(u);
  auto W = caps->W.accessor<float, 5>();
  auto ua = u.accessor<float, 3>();
  double s[J][D] = {};
  for (int c = 0; c < K; ++c)
    for (int j = 0; j < J; ++j)
      for (int d = 0; d < D; ++d)
        for (int i = 0; i < I; ++i) s[j][d] += W[0][c][j][d][i] * ua[0][i][c];
  for (int d = 0; d < D; ++d) {
    double sq = 0;
    for (int j = 0; j < J; ++j) sq += s[j][d] * s[j][d];  // over the capsules, per component
    for (int j = 0; j < J; ++j) {
      EXPECT_NEAR(v[0][j][d].item<double>(), sq / (1 + sq) / std::sqrt(sq) * s[j][d], 1e-4);
    }
  }
}

// ---- 6DRepNet-style --------------------------------------------------------------------------

TEST(SixDRepNet, GramSchmidtAndGeodesicLoss) {
  const torch::Tensor x6 =
      torch::tensor(std::vector<float>{2, 0, 0, 1, 1, 0, 0, 3, 0, -1, 0, 0}).view({2, 6});
  const torch::Tensor r = RotationFrom6d(x6);
  EXPECT_TRUE(torch::allclose(r[0], torch::eye(3)));
  // a1 = (0, 3, 0), a2 = (-1, 0, 0): x = e_y, z = x × a2 / |.| = e_z, y = z × x = -e_x.
  EXPECT_TRUE(torch::allclose(
      r[1], torch::tensor(std::vector<float>{0, -1, 0, 1, 0, 0, 0, 0, 1}).view({3, 3})));
  EXPECT_NEAR(GeodesicAngles(r.slice(0, 0, 1), r.slice(0, 1, 2))[0].item<double>(), M_PI / 2, 1e-5);
  EXPECT_LT(GeodesicLoss(r, r).item<double>(), 1e-3);  // clamped at 1 - eps (float32)
  // Any 6 numbers give a rotation.
  nn::SeedEverything(2);
  const torch::Tensor q = RotationFrom6d(torch::randn({5, 6}));
  EXPECT_TRUE(torch::allclose(torch::bmm(q, q.transpose(1, 2)), torch::eye(3).expand({5, 3, 3}),
                              1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(torch::linalg_det(q), torch::ones({5}), 1e-5, 1e-5));
}

TEST(SixDRepNet, LabelsRoundTripThroughCoreGeometry) {
  const std::vector<Eigen::Vector3d> labels = {{30, -20, 10}, {-75, 40, -35}, {0, 0, 0}};
  const auto back = LabelsFromSixDRepNetMatrices(SixDRepNetMatricesFromLabels(labels));
  for (size_t i = 0; i < labels.size(); ++i) EXPECT_LT((back[i] - labels[i]).norm(), 1e-4);
  // 6DRepNet's matrix for pure yaw 30 is get_R(0, 30deg, 0) = Ry(30deg).
  const torch::Tensor m = SixDRepNetMatricesFromLabels({{30, 0, 0}})[0];
  EXPECT_NEAR(m[0][2].item<double>(), std::sin(M_PI / 6), 1e-6);
  EXPECT_NEAR(m[2][0].item<double>(), -std::sin(M_PI / 6), 1e-6);
}

TEST(SixDRepNet, BackbonesFromTheRegistry) {
  RegisterHpeModels();
  nn::SeedEverything(1);
  auto m = nn::CreateModel("sixdrepnet_resnet18");
  m->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor r = m->forward(torch::rand({2, 3, 64, 64}));
  EXPECT_EQ(r.sizes().vec(), (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(InputSpecFor(*m, 112).size, 112);
  EXPECT_TRUE(InputSpecFor(*m).imagenet_normalize);
  EXPECT_EQ(m->architecture(), "sixdrepnet_resnet18");
  EXPECT_TRUE(nn::IsModelRegistered("sixdrepnet_mobilenet_v2"));
}

// ---- gradient reversal, discriminator, DA loss ------------------------------------------------

TEST(Adversarial, GradientReversalNegatesAndScalesTheGradient) {
  const torch::Tensor x = torch::tensor({1.f, -2.f, 3.f}).requires_grad_(true);
  const torch::Tensor w = torch::tensor({0.5f, 2.f, -1.f});
  const torch::Tensor y = GradientReversal(x, 0.7);
  EXPECT_TRUE(torch::equal(y, x));
  (y * w).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), torch::tensor({-0.35f, -1.4f, 0.7f})));
  // Through a network: the features' gradient is exactly -lambda times the un-reversed one.
  nn::SeedEverything(4);
  DomainClassifier d(6, 4);
  const torch::Tensor f = torch::randn({3, 6});
  const torch::Tensor a = f.clone().requires_grad_(true);
  const torch::Tensor b = f.clone().requires_grad_(true);
  d->forward(a).sum().backward();
  d->forward(GradientReversal(b, 0.25)).sum().backward();
  EXPECT_TRUE(torch::allclose(b.grad(), -0.25 * a.grad(), 1e-6, 1e-7));
}

TEST(Adversarial, DomainClassifierAndLoss) {
  DomainClassifier d;
  const auto sd = nn::GetStateDict(*d);
  EXPECT_EQ(sd.find("0.weight")->sizes().vec(), (std::vector<int64_t>{100, 1344}));
  EXPECT_NE(sd.find("1.running_mean"), nullptr);
  EXPECT_EQ(sd.find("3.bias")->sizes().vec(), (std::vector<int64_t>{2}));
  const torch::Tensor lp = d->forward(torch::randn({4, 21, 64}));
  EXPECT_EQ(lp.sizes().vec(), (std::vector<int64_t>{4, 2}));
  EXPECT_TRUE(torch::allclose(lp.exp().sum(1), torch::ones({4})));

  // Hand values: L1 = mean(|1|, |2|, |0|, |3|, |1|, |5|) = 2; NLL(source = 0) of log(0.8),
  // log(0.6) = -(log .8 + log .6) / 2; NLL(target = 1) of log(0.3) = -log .3.
  const torch::Tensor pred = torch::tensor(std::vector<float>{1, 2, 3, 4, 5, 6}).view({2, 3});
  const torch::Tensor truth = torch::tensor(std::vector<float>{0, 0, 3, 1, 6, 1}).view({2, 3});
  const torch::Tensor src = torch::tensor({0.8f, 0.2f, 0.6f, 0.4f}).view({2, 2}).log();
  const torch::Tensor tgt = torch::tensor({0.7f, 0.3f}).view({1, 2}).log();
  const AdversarialLoss l = ComputeAdversarialLoss(pred, truth, src, tgt);
  const double nll_s = -(std::log(0.8) + std::log(0.6)) / 2, nll_t = -std::log(0.3);
  EXPECT_NEAR(l.pose_l1.item<double>(), 2.0, 1e-6);
  EXPECT_NEAR(l.source_nll.item<double>(), nll_s, 1e-6);
  EXPECT_NEAR(l.target_nll.item<double>(), nll_t, 1e-6);
  EXPECT_NEAR(l.total.item<double>(), 0.2 * 2 + 1.5 * nll_s + 1.5 * nll_t, 1e-5);
}

// ---- training strategies at toy size -----------------------------------------------------------

// 64x64 "faces": a bright disc whose inner marks move with yaw/pitch and turn with roll.
PoseSet ToySet(int n, uint64_t seed, double shift = 0) {
  PoseSet set;
  set.size = 64;
  core::data::Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const double yaw = rng.Uniform(-60, 60), pitch = rng.Uniform(-40, 40),
                 roll = rng.Uniform(-30, 30);
    cv::Mat im(64, 64, CV_8UC3, cv::Scalar(40 + shift, 60, 80));
    cv::circle(im, {32, 32}, 22, cv::Scalar(200, 180, 170 - shift), -1);
    const double c = std::cos(roll * M_PI / 180), s = std::sin(roll * M_PI / 180);
    const double cx = 32 - yaw / 6, cy = 32 - pitch / 6;
    for (double dx : {-8.0, 8.0}) {
      cv::circle(im, cv::Point(static_cast<int>(cx + c * dx), static_cast<int>(cy - 6 + s * dx)), 3,
                 cv::Scalar(20, 20, 20), -1);
    }
    cv::circle(im, cv::Point(static_cast<int>(cx), static_cast<int>(cy + 8)), 4,
               cv::Scalar(30, 30, 150), -1);
    set.images.push_back(im);
    set.labels.emplace_back(yaw, pitch, roll);
    set.groups.push_back(i % 4);
    set.names.push_back(std::to_string(i));
  }
  return set;
}

std::shared_ptr<nn::Model> FreshModel(const std::string& name, uint64_t seed) {
  RegisterHpeModels();
  nn::SeedEverything(seed);
  return nn::CreateModel(name);
}

bool SameParameters(const torch::nn::Module& a, const torch::nn::Module& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa) {
    if (!torch::equal(p.value(), *pb.find(p.key()))) return false;
  }
  for (const auto& p : a.named_buffers()) {
    if (!torch::equal(p.value(), *b.named_buffers().find(p.key()))) return false;
  }
  return true;
}

TEST(Training, SupervisedResumesExactlyAndWritesModelFiles) {
  const fs::path dir = TestDir("supervised");
  const PoseSet train = ToySet(24, 1), val = ToySet(8, 2);
  TrainOptions o;
  o.epochs = 2;
  o.batch_size = 8;
  o.lr = 1e-3;
  o.lr_step_epochs = 1;
  o.noise_std = 0.02;
  o.threads = 1;
  o.seed = 7;
  o.validation = &val;
  o.show_progress = false;

  o.run_dir = dir / "straight";
  auto a = FreshModel("fsanet_capsule_1x1", 11);
  const TrainReport ra = TrainSupervised(a, train, o);
  ASSERT_TRUE(ra.finished);
  EXPECT_EQ(ra.steps, 6);
  EXPECT_EQ(ra.steps_per_epoch, 3);
  ASSERT_TRUE(ra.best_validation.has_value());
  EXPECT_GT(ra.best_validation->count, 0u);
  EXPECT_TRUE(fs::exists(ra.model_file));
  EXPECT_TRUE(fs::exists(ra.best_model_file));
  EXPECT_TRUE(fs::exists(o.run_dir / "train_log.csv"));
  EXPECT_NE(core::ReadFile(o.run_dir / "eval_log.csv").find("val_mae"), std::string::npos);

  o.run_dir = dir / "killed";
  o.stop_after_steps = 4;
  auto b = FreshModel("fsanet_capsule_1x1", 11);
  EXPECT_FALSE(TrainSupervised(b, train, o).finished);
  o.stop_after_steps = 0;
  auto c = FreshModel("fsanet_capsule_1x1", 99);  // resumed weights replace these
  const TrainReport rc = TrainSupervised(c, train, o);
  ASSERT_TRUE(rc.finished);
  EXPECT_TRUE(SameParameters(*a, *c));
  EXPECT_DOUBLE_EQ(rc.last_loss, ra.last_loss);
  EXPECT_DOUBLE_EQ(rc.best_validation->mean, ra.best_validation->mean);
  EXPECT_EQ(rc.best_step, ra.best_step);

  // The model file rebuilds the architecture and reproduces the predictions.
  const ModelFile mf = LoadModelFile(ra.model_file);
  EXPECT_EQ(mf.model->architecture(), "fsanet_capsule_1x1");
  EXPECT_EQ(mf.input.size, 64);
  const auto pa = Predict(*a, val, InputSpecFor(*a));
  const auto pf = Predict(*mf.model, val, mf.input);
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_LT((pa[i] - pf[i]).norm(), 1e-9);
  EXPECT_THROW(LoadModelFile(dir / "none.ckpt"), core::Error);

  // Training actually fits: the error on the training set (batch statistics, as the loss sees
  // it) falls well below where it started.
  TrainOptions longer = o;
  longer.run_dir = dir / "longer";
  longer.epochs = 12;
  longer.validation = nullptr;
  longer.noise_std = 0;
  longer.lr_step_epochs = 0;
  auto d = FreshModel("fsanet_capsule_1x1", 11);
  auto train_mode_mae = [&] {
    d->train();
    torch::NoGradGuard no_grad;
    std::vector<size_t> all(train.count());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return ComputeMae(OutputToDegrees(d->forward(BatchImages(train, all, InputSpecFor(*d)))),
                      train.labels)
        .mean;
  };
  const double before = train_mode_mae();
  ASSERT_TRUE(TrainSupervised(d, train, longer).finished);
  EXPECT_LT(train_mode_mae(), 0.6 * before);
}

TEST(Training, SyntheticOnlyRecipe) {
  const TrainOptions o = SyntheticOnlyOptions();
  EXPECT_EQ(o.epochs, 90);
  EXPECT_EQ(o.batch_size, 8);
  EXPECT_DOUBLE_EQ(o.lr, 1e-4);
  EXPECT_EQ(o.lr_step_epochs, 30);
  EXPECT_DOUBLE_EQ(o.lr_gamma, 0.1);
  EXPECT_GT(o.noise_std, 0);
}

TEST(Training, SixDRepNetTrainsWithTheGeodesicLoss) {
  const PoseSet train = ToySet(8, 3);
  TrainOptions o;
  o.run_dir = TestDir("sixd");
  o.epochs = 1;
  o.batch_size = 4;
  o.input_size = 64;
  o.threads = 1;
  o.show_progress = false;
  auto m = FreshModel("sixdrepnet_resnet18", 1);
  const TrainReport r = TrainSupervised(m, train, o);
  ASSERT_TRUE(r.finished);
  EXPECT_GT(r.last_loss, 0);
  EXPECT_LT(r.last_loss, M_PI);  // radians
  const ModelFile mf = LoadModelFile(r.model_file);
  EXPECT_TRUE(mf.input.imagenet_normalize);
  EXPECT_EQ(Predict(*mf.model, train, mf.input).size(), 8u);
  RegisterHpeModels();
  EXPECT_THROW(TrainSupervised(nn::CreateModel("fsanet_fusion"), train, o), core::Error);
}

TEST(Training, FineTuneUsesNTargetImages) {
  const fs::path dir = TestDir("finetune");
  const PoseSet src = ToySet(16, 4), tgt = ToySet(20, 5, 30);
  TrainOptions o;
  o.run_dir = dir / "pre";
  o.epochs = 1;
  o.threads = 1;
  o.show_progress = false;
  const TrainReport pre = TrainSupervised(FreshModel("fsanet_port_1x1", 2), src, o);
  ASSERT_TRUE(pre.finished);
  FineTuneOptions f;
  f.train = o;
  f.train.run_dir = dir / "fine";
  f.train.batch_size = 4;
  f.num_images = 12;
  f.subset_seed = 3;
  const FineTuneReport r = FineTune(pre.model_file, tgt, f);
  ASSERT_TRUE(r.train.finished);
  EXPECT_EQ(r.used.size(), 12u);
  EXPECT_EQ(r.train.steps, 3);
  EXPECT_EQ(LoadModelFile(r.train.model_file).metadata.at("fine_tune_images"), "12");
}

TEST(Training, AdversarialThreeSteps) {
  const fs::path dir = TestDir("adversarial");
  const PoseSet source = ToySet(33, 6), target = ToySet(12, 7, 40);
  AdversarialOptions o;
  o.run_dir = dir;
  o.source_training.epochs = 1;
  o.source_training.threads = 1;
  o.source_training.show_progress = false;
  o.source_training.validation = &source;  // best-model selection path
  o.split1_count = 16;
  o.adaptation_epochs = 2;
  o.batch_size = 4;
  o.threads = 1;
  o.validation = &target;
  o.show_progress = false;
  auto model = std::dynamic_pointer_cast<FsaNet>(FreshModel("fsanet_capsule_1x1", 8));
  const AdversarialReport r = TrainAdversarial(model, source, target, o);
  ASSERT_TRUE(r.step1.finished);
  ASSERT_TRUE(r.step3.finished);
  EXPECT_EQ(r.step3.steps, 6);  // 12 targets / 4 x 2 epochs
  // Split 2 = 16..31 (the authors' [first:-1] drops sample 32).
  EXPECT_EQ(r.split2.front(), 16u);
  EXPECT_EQ(r.split2.back(), 31u);
  ASSERT_EQ(r.sampled_source.size(), 12u);
  for (size_t s : r.sampled_source) EXPECT_TRUE(s >= 16 && s <= 31) << s;
  EXPECT_TRUE(fs::exists(dir / "step2_pairs.csv"));
  const std::string log = core::ReadFile(dir / "step3" / "train_log.csv");
  EXPECT_NE(log.find("nll_target"), std::string::npos);
  EXPECT_NE(log.find("lambda"), std::string::npos);
  EXPECT_TRUE(fs::exists(r.step3.model_file));
  // Run again: every step is found done, and the sampled pairs are read back.
  auto again = std::dynamic_pointer_cast<FsaNet>(FreshModel("fsanet_capsule_1x1", 8));
  const AdversarialReport r2 = TrainAdversarial(again, source, target, o);
  EXPECT_EQ(r2.sampled_source, r.sampled_source);
  EXPECT_TRUE(SameParameters(*model, *again));
}

TEST(Training, PreciseBatchNormReestimatesRunningStatistics) {
  const PoseSet set = ToySet(8, 3);
  auto model = FreshModel("fsanet_capsule_1x1", 4);
  model->eval();
  nn::BatchNorm2dImpl* bn = nullptr;  // FSA-Net's BatchNorm is core/nn's
  for (const auto& m : model->modules()) {
    if ((bn = dynamic_cast<nn::BatchNorm2dImpl*>(m.get())) != nullptr) break;
  }
  ASSERT_NE(bn, nullptr);
  const InputSpec spec = InputSpecFor(*model);
  PreciseBatchNorm(*model, set, spec, 2, 4, 11);
  const torch::Tensor mean1 = bn->running_mean.clone(), var1 = bn->running_var.clone();
  EXPECT_GT(mean1.abs().max().item<double>(), 1e-4);  // no longer the reset value 0
  EXPECT_FALSE(model->is_training());                 // the mode is restored ...
  ASSERT_TRUE(bn->options.momentum().has_value());    // ... and the momentum
  EXPECT_DOUBLE_EQ(*bn->options.momentum(), 0.01);
  // Cumulative average, not momentum: the result does not depend on the previous statistics.
  bn->running_mean.fill_(5.0);
  PreciseBatchNorm(*model, set, spec, 2, 4, 11);
  EXPECT_TRUE(torch::allclose(bn->running_mean, mean1));
  EXPECT_TRUE(torch::allclose(bn->running_var, var1));
  EXPECT_THROW(PreciseBatchNorm(*model, PoseSet{}, spec, 2, 4, 11), core::Error);
}

TEST(Training, AdversarialFromACachedSourceModelSkipsStep1) {
  const fs::path dir = TestDir("adversarial_cached");
  const PoseSet source = ToySet(16, 6), target = ToySet(8, 7, 40);
  TrainOptions pre_o;
  pre_o.run_dir = dir / "pre";
  pre_o.epochs = 1;
  pre_o.threads = 1;
  pre_o.show_progress = false;
  const TrainReport pre = TrainSupervised(FreshModel("fsanet_capsule_1x1", 8), source, pre_o);
  ASSERT_TRUE(pre.finished);
  AdversarialOptions o;
  o.run_dir = dir / "da";
  o.step1_model_file = pre.model_file;
  o.adaptation_epochs = 1;
  o.batch_size = 4;
  o.threads = 1;
  o.show_progress = false;
  // A differently seeded model: step 1 must replace its weights by the cached model's.
  auto model = std::dynamic_pointer_cast<FsaNet>(FreshModel("fsanet_capsule_1x1", 9));
  const AdversarialReport r = TrainAdversarial(model, source, target, o);
  EXPECT_TRUE(r.step1.finished);
  EXPECT_EQ(r.step1.model_file, pre.model_file);
  EXPECT_FALSE(fs::exists(dir / "da" / "step1"));
  ASSERT_TRUE(r.step3.finished);
  EXPECT_EQ(r.step3.steps, 2);
  // Step 2 predicted with the cached model: the pairs equal those from a model loaded from it.
  const std::string pairs = core::ReadFile(dir / "da" / "step2_pairs.csv");
  auto loaded = std::dynamic_pointer_cast<FsaNet>(LoadModelFile(pre.model_file).model);
  const auto pred = Predict(*loaded, target, InputSpecFor(*loaded));
  EXPECT_NE(pairs.find(fmt::format("0,{},{:.6f},", r.sampled_source[0], pred[0][0])),
            std::string::npos)
      << pairs;
  o.run_dir = dir / "missing";
  o.step1_model_file = dir / "nope.ckpt";
  EXPECT_THROW(TrainAdversarial(model, source, target, o), core::Error);
}

TEST(Predict, FolderOfCropsToCsvAndDrawings) {
  const fs::path dir = TestDir("predict");
  const PoseSet toy = ToySet(3, 9);
  for (int i = 0; i < 3; ++i) {
    core::io::WriteImage(dir / "in" / ("face" + std::to_string(i) + ".png"), toy.images[i]);
  }
  core::WriteFileAtomic(dir / "in" / "notes.txt", "not an image");
  nn::SeedEverything(1);
  RegisterHpeModels();
  auto m = nn::CreateModel("fsanet_capsule_var");
  SaveModelFile(dir / "m.ckpt", *m, InputSpecFor(*m));
  const PredictSummary s = PredictFolder(dir / "m.ckpt", dir / "in", dir / "out");
  EXPECT_EQ(s.images, 3u);
  const std::string csv = core::ReadFile(s.csv);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_EQ(csv.rfind("file,yaw,pitch,roll\nface0.png,", 0), 0u);
  const cv::Mat drawn = core::io::ReadImage(dir / "out" / "face2_pose.png");
  EXPECT_EQ(drawn.cols, 256);  // 64 px crops are enlarged for drawing
  EXPECT_THROW(PredictFolder(dir / "m.ckpt", dir / "empty", dir / "out"), core::Error);
}

TEST(Predict, AxesPointTheConventionsWay) {
  // Yaw +45: the facing direction (blue) goes to image left; x (red) still to the right.
  cv::Mat im(101, 101, CV_8UC3, cv::Scalar(0, 0, 0));
  DrawPoseAxes(im, Eigen::Vector3d(45, 0, 0), Eigen::Vector2d(50, 50), 40);
  EXPECT_GT(im.at<cv::Vec3b>(50, 25)[0], 100);  // blue, left of centre
  EXPECT_GT(im.at<cv::Vec3b>(50, 70)[2], 100);  // red, right of centre
  // Pitch +30 (chin up): the facing direction goes up the image.
  cv::Mat up(101, 101, CV_8UC3, cv::Scalar(0, 0, 0));
  DrawPoseAxes(up, Eigen::Vector3d(0, 30, 0), Eigen::Vector2d(50, 50), 40);
  EXPECT_GT(up.at<cv::Vec3b>(40, 50)[0], 100);
}

}  // namespace
}  // namespace synface::hpe
