// The loss library: each loss against a value computed by hand (digest ch6_7 §3.3 test vectors
// where it gives one), and each gradient against central finite differences in double.
#include "depth/losses.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/util/error.h"

namespace synface::depth {
namespace {

torch::Tensor T(std::initializer_list<double> v, std::vector<int64_t> shape) {
  return torch::tensor(std::vector<double>(v), torch::kDouble).view(shape);
}

double V(const torch::Tensor& t) { return t.item<double>(); }

// Autograd gradient of f at x against central differences (double precision).
void ExpectGradientMatches(const std::function<torch::Tensor(const torch::Tensor&)>& f,
                           const torch::Tensor& x0, const std::string& what, double eps = 1e-6) {
  torch::Tensor x = x0.to(torch::kDouble).detach().clone().requires_grad_(true);
  torch::Tensor y = f(x);
  ASSERT_EQ(y.numel(), 1) << what;
  y.backward();
  ASSERT_TRUE(x.grad().defined()) << what << ": no gradient reached the input";
  const torch::Tensor g = x.grad().detach().flatten();
  torch::Tensor base = x0.to(torch::kDouble).detach().clone();
  torch::Tensor flat = base.view({-1});
  double worst = 0;
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const double v = flat[i].item<double>();
    flat[i] = v + eps;
    const double up = V(f(base));
    flat[i] = v - eps;
    const double down = V(f(base));
    flat[i] = v;
    const double fd = (up - down) / (2 * eps);
    const double ad = g[i].item<double>();
    worst = std::max(worst, std::abs(fd - ad) / std::max(1.0, std::abs(fd)));
  }
  EXPECT_LT(worst, 1e-5) << what << ": autograd and finite differences disagree";
}

torch::Tensor Positive(std::vector<int64_t> shape, uint64_t seed) {
  torch::manual_seed(seed);
  return 0.5 + torch::rand(shape, torch::kDouble);
}

// ---- Hand-computed values (digest ch6_7 §3.3) ---------------------------------------------

TEST(LossValues, L2AndL1) {
  const auto y = T({1, 2, 3, 4}, {4}), p = T({1.5, 2, 2, 5}, {4});
  EXPECT_NEAR(V(L2Loss(p, y)), 0.5625, 1e-12);
  EXPECT_NEAR(V(L1Loss(p, y)), 0.625, 1e-12);
  // A mask leaves out pixels: only the last two -> (1 + 1) / 2.
  EXPECT_NEAR(V(L2Loss(p, y, T({0, 0, 1, 1}, {4}).to(torch::kBool))), 1.0, 1e-12);
}

TEST(LossValues, ScaleInvariantAsIntendedAndAsMisprinted) {
  const auto y = T({1, 2}, {1, 1, 1, 2}), p = T({1, 1}, {1, 1, 1, 2});
  EXPECT_NEAR(V(ScaleInvariantLoss(p, y, 0.5)), 0.180170, 1e-6);
  EXPECT_NEAR(V(ScaleInvariantLoss(p, y, 0.5, {}, /*printed=*/true)), 0.120113, 1e-6);
  // The printed lambda/N form goes negative for d = [1, 1, 1, 1]: 1 - 0.5 * 16 / 4 = -1.
  const auto e = torch::full({1, 1, 1, 4}, std::exp(1.0), torch::kDouble);
  EXPECT_NEAR(V(ScaleInvariantLoss(e, torch::ones_like(e), 0.5, {}, true)), -1.0, 1e-12);
}

TEST(LossValues, BerHuHuberSilog) {
  const auto e = T({0.1, -0.5, 1.0}, {3});
  const auto zero = torch::zeros_like(e);
  // Target - pred = e with pred = 0.
  EXPECT_NEAR(V(BerHuLoss(zero, e)), 1.141667, 1e-6);
  EXPECT_NEAR(V(HuberLoss(zero, e, 0.2)), 0.541667, 1e-6);
  const auto y = T({1, 2}, {1, 1, 1, 2}), p = T({1, 1}, {1, 1, 1, 2});
  EXPECT_NEAR(V(SilogLoss(p, y, 0.5, 10.0)), 4.244642, 1e-6);
  EXPECT_NEAR(V(SilogLoss(p, y, 0.85, 10.0)), 3.716588, 1e-6);
}

TEST(LossValues, MeanRemovedLosses) {
  const auto y = T({1, 2, 3, 4}, {1, 1, 1, 4}), p = T({2, 3, 3, 6}, {1, 1, 1, 4});
  EXPECT_NEAR(V(GlobalMeanRemovedLoss(p, y)), 0.5, 1e-12);
  EXPECT_NEAR(V(GlobalMeanRemovedLoss(y + 7.0, y)), 0.0, 1e-12);
  auto c = torch::zeros({1, 1, 3, 3}, torch::kDouble);
  c[0][0][1][1] = 9.0;
  EXPECT_NEAR(V(LocalMeanRemovedLoss(torch::zeros_like(c), c, 3, /*valid_only=*/true)), 8.0, 1e-12);
  EXPECT_NEAR(V(LocalMeanRemovedLoss(c + 3.0, c, 3)), 0.0, 1e-12);
}

TEST(LossValues, SsimOneGlobalWindow) {
  const auto y = T({1, 2, 3, 4}, {1, 1, 2, 2}), p = T({2, 3, 4, 5}, {1, 1, 2, 2});
  SsimOptions o;
  o.gaussian = false;  // the window shrinks to 2x2: one uniform window over the image
  EXPECT_NEAR(V(Ssim(p, y, o)), 0.945946, 1e-6);
  EXPECT_NEAR(V(SsimLoss(p, y, SsimLossForm::kPrinted, 10.0, o)), 0.0054054, 1e-7);
  EXPECT_NEAR(V(SsimLoss(p, y, SsimLossForm::kHalfClamped, 10.0, o)), 0.027027, 1e-6);
  EXPECT_NEAR(V(Ssim(y, y)), 1.0, 1e-12);
}

TEST(LossValues, PhotometricSmoothnessReconstruction) {
  // Constant images 0.5 vs 0.6: every 3x3 window gives SSIM = (0.6 + C1) / (0.61 + C1).
  const auto img = torch::full({1, 3, 4, 4}, 0.5, torch::kDouble);
  const auto rec = torch::full({1, 3, 4, 4}, 0.6, torch::kDouble);
  const double ssim = (2 * 0.5 * 0.6 + 1e-4) / (0.25 + 0.36 + 1e-4);
  const double dssim = (1 - ssim) / 2;
  EXPECT_NEAR(V(PhotometricLoss({img}, {rec})), 0.15 * 0.1 + 0.85 * dssim, 1e-9);
  EXPECT_NEAR(V(PhotometricLoss({img, img}, {rec, img})), 0.15 * 0.1 + 0.85 * dssim, 1e-9);
  EXPECT_NEAR(V(ReconstructionLoss(img, rec)), 0.85 * dssim + 0.15 * 0.125, 1e-9);
  const auto d = T({1, 2, 1, 2}, {1, 1, 2, 2});
  const auto flat = torch::zeros({1, 3, 2, 2}, torch::kDouble);
  EXPECT_NEAR(V(SmoothnessLoss(d, flat, false)), 1.0, 1e-12);
  EXPECT_NEAR(V(SmoothnessLoss(d, flat, true)), 2.0 / 3.0, 1e-6);
  // An image edge where the disparity jumps discounts the jump by e^{-|dI|}.
  auto edge = flat.clone();
  edge.narrow(3, 1, 1).fill_(1.0);
  EXPECT_NEAR(V(SmoothnessLoss(d, edge, false)), std::exp(-1.0), 1e-12);
}

TEST(LossValues, PriorReconstruction) {
  const auto depth = T({0, 1, 4}, {1, 1, 1, 3});
  const auto img = torch::full({1, 1, 1, 3}, 0.3, torch::kDouble);
  // A perfect reconstruction still costs (1 - a) c / 2 = 0.015: the printed Huber's offset at 0.
  EXPECT_NEAR(V(PriorReconstructionLoss(img, {img}, depth, 1.0, 0.5)), 0.015 + 2 * 0.5, 1e-12);
  // The per-pixel minimum over sources picks the perfect one.
  EXPECT_NEAR(V(PriorReconstructionLoss(img, {img + 0.1, img}, depth, 1.0, 0.0)), 0.015, 1e-12);
}

TEST(LossValues, ScaleShiftInvariant) {
  const auto y = T({1, 2, 3}, {1, 1, 1, 3}), p = T({1, 1, 4}, {1, 1, 1, 3});
  EXPECT_NEAR(V(ScaleShiftInvariantLoss(p, y)), 0.083333, 1e-6);
  EXPECT_NEAR(V(ScaleShiftInvariantLoss(2 * y + 3, y)), 0.0, 1e-12);
  // Robust: target -> [-1.5, 0, 1.5], prediction -> [0, 0, 3]: (1.5 + 0 + 1.5) / 6.
  EXPECT_NEAR(V(ScaleShiftInvariantLoss(p, y, ShiftScaleForm::kRobust)), 0.5, 1e-12);
  // Trimming a third drops the largest residual: (1.5 + 0) / 4.
  EXPECT_NEAR(V(ScaleShiftInvariantLoss(p, y, ShiftScaleForm::kRobust, {}, 0.3)), 0.375, 1e-12);
}

TEST(LossValues, GradientAndSurfaceNormal) {
  const auto y = T({1, 2, 3, 4}, {1, 1, 2, 2});
  const auto one = torch::ones_like(y);
  EXPECT_NEAR(V(GradientLoss(one, y)), 3.0, 1e-12);
  // A unit ramp along x; a flat prediction: interior normals differ by 45 degrees.
  auto ramp = torch::arange(5, torch::kDouble).view({1, 1, 1, 5}).expand({1, 1, 5, 5}).clone();
  auto interior = torch::zeros({1, 1, 5, 5}, torch::kBool);
  interior.narrow(3, 1, 3).fill_(true);
  EXPECT_NEAR(V(SurfaceNormalLoss(torch::zeros_like(ramp), ramp, interior)), 1 - 1 / std::sqrt(2.0),
              1e-9);
  // Sobel/8 of a unit ramp is 1 in the interior: the gradient loss of (ramp vs 0) along x is 1.
  EXPECT_NEAR(V(GradientLoss(torch::zeros_like(ramp), ramp, GradientOperator::kSobel, interior)),
              1.0, 1e-12);
  EXPECT_NEAR(V(GradientLoss(ramp + 2.0, ramp, GradientOperator::kSobel)), 0.0, 1e-12);
}

TEST(LossValues, PerceptualRankingChamferBins) {
  const auto y = T({1, 2, 3, 4}, {1, 1, 2, 2}), p = T({1.5, 2, 2, 5}, {1, 1, 2, 2});
  FeatureFn identity = [](const torch::Tensor& x) { return x; };
  EXPECT_NEAR(V(PerceptualLoss(p, y, identity, false)), V(L2Loss(p, y)), 1e-12);
  EXPECT_NEAR(V(PerceptualLoss(y, y, identity)), 0.0, 1e-12);

  // Pair (0, 1): p_i = 2, p_j = 1; target ratio 2 -> l = +1 -> log(1 + e^-1).
  const auto pred = T({2, 1}, {1, 1, 1, 2});
  const auto pairs = torch::tensor({0, 1}, torch::kLong).view({1, 2});
  EXPECT_NEAR(V(RankingLoss(pred, T({2, 1}, {1, 1, 1, 2}), pairs)), 0.313262, 1e-6);
  EXPECT_NEAR(V(RankingLoss(pred, T({1, 1}, {1, 1, 1, 2}), pairs)), 1.0, 1e-12);  // l = 0
  EXPECT_NEAR(V(RankingLoss(pred, T({1, 2}, {1, 1, 1, 2}), pairs)), std::log(1 + std::exp(1.0)),
              1e-12);  // l = -1

  EXPECT_NEAR(V(ChamferDistance(T({0, 1}, {2, 1}), T({0.5}, {1, 1}))), 0.75, 1e-12);
  EXPECT_NEAR(V(BinCentreDensityLoss(T({1.5, 3}, {1, 2}), T({1, 2, 3}, {1, 1, 1, 3}))), 0.75,
              1e-12);
  // Widths (1, 1, 2) over [0, 8]: centres 1, 3, 6.
  EXPECT_TRUE(torch::allclose(BinCentres(T({1, 1, 2}, {1, 3}), 0, 8), T({1, 3, 6}, {1, 3})));
  // Identical depth maps back-project to identical clouds.
  const auto dm = Positive({1, 1, 3, 4}, 3);
  EXPECT_NEAR(V(DepthChamferLoss(dm, dm, 2.0, 2.0, 2.0, 1.5)), 0.0, 1e-12);
}

TEST(LossValues, GradientMatchingAndDistillation) {
  const auto r = T({0, 1, 0, 1}, {1, 1, 2, 2});
  EXPECT_NEAR(V(GradientMatchingLoss(r, torch::zeros_like(r), 1)), 0.5, 1e-12);
  EXPECT_NEAR(V(GradientMatchingLoss(r + 5.0, r, 4)), 0.0, 1e-12);
  // Teacher positions (1,0), (0,1); student (1,0), (1,0): off-diagonal affinities differ by 1.
  const auto teacher = T({1, 0, 0, 1}, {1, 2, 1, 2});
  const auto student = T({1, 1, 0, 0}, {1, 2, 1, 2});
  EXPECT_NEAR(V(PairwiseDistillationLoss(student, teacher)), 0.5, 1e-12);
}

TEST(LossValues, SampledRankingPairsStraddleEdges) {
  // Left half 0, right half 1: edge pairs must have one end on each side.
  auto img = torch::zeros({1, 16, 16}, torch::kDouble);
  img.narrow(2, 8, 8).fill_(1.0);
  const auto pairs = SampleRankingPairs(img, 40, 7, 0.1, 5);
  ASSERT_EQ(pairs.sizes(), torch::IntArrayRef({40, 2}));
  int straddling = 0;
  for (int64_t k = 0; k < 20; ++k) {
    const int64_t a = pairs[k][0].item<int64_t>() % 16, b = pairs[k][1].item<int64_t>() % 16;
    straddling += (a < 8) != (b < 8);
  }
  EXPECT_EQ(straddling, 20);
  EXPECT_TRUE(torch::equal(pairs, SampleRankingPairs(img, 40, 7, 0.1, 5)));  // deterministic
}

// ---- The thesis's losses ------------------------------------------------------------------

TEST(ThesisLosses, HybridPrintedAndAsCodedByHand) {
  // target 2, prediction 3 everywhere (3x3, SSIM range 5): L1 = 1; SSIM of constant maps
  // (12 + C1) / (13 + C1), C1 = 0.05^2.
  const auto t = torch::full({1, 1, 3, 3}, 2.0, torch::kDouble);
  const auto p = t + 1.0;
  const double ssim = (12 + 0.0025) / (13 + 0.0025);
  HybridLossOptions printed;
  const auto a = HybridLoss(p, t, printed);
  EXPECT_NEAR(V(a.depth), 1.0, 1e-12);
  EXPECT_NEAR(V(a.ssim), (1 - ssim) / 5, 1e-12);
  EXPECT_NEAR(V(a.grad), 0.0, 1e-12);    // replicated borders: a constant shift has no gradient
  EXPECT_NEAR(V(a.normal), 0.0, 1e-12);  // both flat
  EXPECT_NEAR(V(a.total), 0.28 * 1 + 0.22 * (1 - ssim) / 5, 1e-12);

  HybridLossOptions coded;
  coded.variant = HybridVariant::kAsCoded;
  const auto b = HybridLoss(p, t, coded);
  // Zero-padded Sobel of the constant difference 1 on 3x3: |gx| sums to 3+4+3+3+4+3 = 20, the
  // same for gy; mean over 2 x 9 values = 40/18, x10.
  EXPECT_NEAR(V(b.grad), 10 * 40.0 / 18.0, 1e-9);
  EXPECT_NEAR(V(b.normal), 0.0, 1e-9);  // Sobel maps proportional (2 vs 3): cosine 1
  EXPECT_NEAR(V(b.ssim), (1 - ssim) / 2, 1e-12);
  // 0.28 goes to SSIM and 0.22 to L1 in the code.
  EXPECT_NEAR(V(b.total), 0.28 * (1 - ssim) / 2 + 0.22 * 1 + 0.30 * 10 * 40.0 / 18.0, 1e-9);
  // Global cosine: a prediction whose Sobel maps are the negated target's scores 1 - (-1) = 2.
  const auto ramp = torch::arange(9, torch::kDouble).view({1, 1, 3, 3}) * 0.1 + 1.0;
  EXPECT_NEAR(V(HybridLoss(-ramp, ramp, coded).normal), 20.0, 1e-9);
  EXPECT_EQ(ParseHybridVariant("as_run"), HybridVariant::kAsCoded);
  EXPECT_THROW(ParseHybridVariant("nope"), core::Error);
}

TEST(ThesisLosses, P4AndDenseDepth) {
  const auto t = torch::full({1, 1, 3, 3}, 2.0, torch::kDouble);
  const auto p = t + 1.0;
  const double ssim5 = (12 + 0.0025) / (13 + 0.0025);
  EXPECT_NEAR(V(P4Loss(p, t).total), 0.1 * (1 - ssim5) / 5, 1e-12);
  P4LossOptions coded;
  coded.as_coded = true;
  EXPECT_NEAR(V(P4Loss(p, t, coded).total), (1 - ssim5) / 2 + 1 + 40.0 / 18.0, 1e-9);
  // DenseDepth, range 100: C1 = 1; constant maps have no edges.
  const double ssim100 = (12 + 1.0) / (13 + 1.0);
  EXPECT_NEAR(V(DenseDepthLoss(p, t).total), (1 - ssim100) / 2 + 0.1, 1e-12);
  // Keras edges on a ramp vs flat: dx = 1 except the zero-padded last column.
  const auto ramp = torch::arange(3, torch::kDouble).view({1, 1, 1, 3}).expand({1, 1, 3, 3});
  EXPECT_NEAR(V(DenseDepthLoss(torch::zeros_like(ramp), ramp).grad), 6.0 / 9.0, 1e-12);
  DenseDepthLossOptions torch_version;
  torch_version.keras = false;
  EXPECT_FALSE(DenseDepthLoss(p, t, torch_version).grad.defined());
}

TEST(ThesisLosses, ByNameAndBadInput) {
  const auto t = Positive({2, 1, 8, 8}, 1), p = Positive({2, 1, 8, 8}, 2);
  for (const auto& name : DepthLossNames()) {
    const auto terms = MakeDepthLoss(name, 5.0)(p, t, {});
    EXPECT_TRUE(std::isfinite(V(terms.total))) << name;
    EXPECT_GT(V(terms.total), 0.0) << name;
  }
  const auto w = MakeDepthLoss("hybrid", 5.0, {1, 0, 0, 0})(p, t, {});
  EXPECT_NEAR(V(w.total), V(L1Loss(p, t)), 1e-12);
  EXPECT_THROW(MakeDepthLoss("nope", 5.0), core::Error);
  EXPECT_THROW(MakeDepthLoss("hybrid", 5.0, {1, 2}), core::Error);
  EXPECT_THROW(L1Loss(p, t.narrow(3, 0, 4)), core::Error);
  EXPECT_THROW(L1Loss(p, t, torch::ones({3}, torch::kBool)), core::Error);
}

// ---- Gradients ------------------------------------------------------------------------------

TEST(LossGradients, AutogradMatchesFiniteDifferences) {
  const auto t = Positive({2, 1, 5, 6}, 11);
  const auto p0 = Positive({2, 1, 5, 6}, 12);
  torch::Tensor mask = torch::rand({2, 1, 5, 6}) > 0.2;
  using Fn = std::function<torch::Tensor(const torch::Tensor&)>;
  const std::vector<std::pair<std::string, Fn>> cases = {
      {"L2", [&](auto& p) { return L2Loss(p, t, mask); }},
      {"L1", [&](auto& p) { return L1Loss(p, t, mask); }},
      {"ScaleInvariant", [&](auto& p) { return ScaleInvariantLoss(p, t, 0.5, mask); }},
      {"ScaleInvariantPrinted", [&](auto& p) { return ScaleInvariantLoss(p, t, 0.5, {}, true); }},
      {"BerHu", [&](auto& p) { return BerHuLoss(p, t, mask); }},
      {"Huber", [&](auto& p) { return HuberLoss(p, t, 0.3, mask); }},
      {"Silog", [&](auto& p) { return SilogLoss(p, t, 0.85, 10.0, mask); }},
      {"GlobalMeanRemoved", [&](auto& p) { return GlobalMeanRemovedLoss(p, t, mask); }},
      {"LocalMeanRemoved", [&](auto& p) { return LocalMeanRemovedLoss(p, t, 3); }},
      {"LocalMeanRemovedValid", [&](auto& p) { return LocalMeanRemovedLoss(p, t, 3, true); }},
      {"SsimPrinted",
       [&](auto& p) { return SsimLoss(p, t, SsimLossForm::kPrinted, 5.0, {}, mask); }},
      {"SsimHalfClamped", [&](auto& p) { return SsimLoss(p, t, SsimLossForm::kHalfClamped, 1.0); }},
      {"Photometric",
       [&](auto& p) {
         return PhotometricLoss({t, t * 0.5}, {p, p * 0.5});
       }},
      {"Smoothness",
       [&](auto& p) {
         return SmoothnessLoss(p, t.repeat({1, 3, 1, 1}));
       }},
      {"Reconstruction", [&](auto& p) { return ReconstructionLoss(t, p); }},
      {"PriorReconstruction",
       [&](auto& p) {
         return PriorReconstructionLoss(t, {p, p * 1.3}, p, 1.0, 0.5);
       }},
      {"ScaleShiftLeastSquares", [&](auto& p) { return ScaleShiftInvariantLoss(p, t, {}, mask); }},
      {"ScaleShiftRobust",
       [&](auto& p) { return ScaleShiftInvariantLoss(p, t, ShiftScaleForm::kRobust, mask, 0.2); }},
      {"GradientForward", [&](auto& p) { return GradientLoss(p, t, {}, mask); }},
      {"GradientSobel",
       [&](auto& p) { return GradientLoss(p, t, GradientOperator::kSobel, mask); }},
      {"SurfaceNormal", [&](auto& p) { return SurfaceNormalLoss(p, t, mask); }},
      {"Perceptual",
       [&](auto& p) {
         const auto w = torch::linspace(-1, 1, 2 * 3 * 9, torch::kDouble).view({2, 3, 3, 3});
         return PerceptualLoss(p, t, [w](const torch::Tensor& x) { return torch::conv2d(x, w); });
       }},
      {"Ranking",
       [&](auto& p) { return RankingLoss(p, t, SampleRankingPairs(t, 12, 3, 0.05), 0.03); }},
      {"DepthChamfer", [&](auto& p) { return DepthChamferLoss(p, t, 4.0, 4.0, 3.0, 2.5, mask); }},
      {"BinCentreDensity",
       [&](auto& p) {
         return BinCentreDensityLoss(BinCentres(p.flatten(1).narrow(1, 0, 6), 0.1, 2.0), t, mask);
       }},
      {"GradientMatching", [&](auto& p) { return GradientMatchingLoss(p, t, 2, mask); }},
      {"PairwiseDistillation",
       [&](auto& p) {
         return PairwiseDistillationLoss(p.view({2, 2, 3, 5}), t.view({2, 2, 3, 5}));
       }},
      {"HybridPrinted", [&](auto& p) { return HybridLoss(p, t, {}, mask).total; }},
      {"HybridAsCoded",
       [&](auto& p) {
         HybridLossOptions o;
         o.variant = HybridVariant::kAsCoded;
         return HybridLoss(p, t, o).total;
       }},
      {"P4", [&](auto& p) { return P4Loss(p, t, {}, mask).total; }},
      {"P4AsCoded",
       [&](auto& p) {
         P4LossOptions o;
         o.as_coded = true;
         return P4Loss(p, t, o).total;
       }},
      {"DenseDepthKeras", [&](auto& p) { return DenseDepthLoss(p, t).total; }},
  };
  for (const auto& [name, f] : cases) ExpectGradientMatches(f, p0, name);
}

}  // namespace
}  // namespace synface::depth
