// Depth losses: the review's catalogue (thesis ch. 6.2, Khan et al. IEEE Access 2021, §VII; digest
// ch6_7 §3.3, L01-L24) as one library, and the thesis's own training losses (digest ch3 §4.3):
// the P5 hybrid loss as printed and as the authors coded it, the P4 loss, DenseDepth's loss.
//
// Conventions: maps are (N, 1, H, W) (pointwise losses accept any shape); `pred` is the network
// output, `target` the ground truth in the same quantity (depth, inverse depth or disparity);
// `mask` is optional (undefined tensor = every pixel valid), a bool tensor of the target's shape
// (true = valid). Means are over valid pixels; a batch without valid pixels gives 0. Every loss
// is differentiable with respect to `pred` (tested against finite differences in double).
// Where the printed formula is malformed, the implemented form is the originating paper's and is
// labelled so below.
#pragma once

#include <torch/torch.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace synface::depth {

// ---- Building blocks ---------------------------------------------------------------------

// Forward differences along x and y: (N, C, H, W-1) and (N, C, H-1, W).
torch::Tensor DiffX(const torch::Tensor& x);
torch::Tensor DiffY(const torch::Tensor& x);

// Sobel responses as the authors' imgrad (cross-correlation with Gx = [[1,0,-1],[2,0,-2],
// [1,0,-1]], Gy = [[1,2,1],[0,0,0],[-1,-2,-1]], zero padding 1, channels averaged first):
// {grad_y, grad_x}, each (N, 1, H, W). A unit slope along +x gives grad_x = -8 (the unnormalised
// kernel's gain and sign); `scale` multiplies both (1/8 with a sign flip, i.e. -1/8, gives the
// slope itself).
std::array<torch::Tensor, 2> SobelGradients(const torch::Tensor& x, double scale = 1.0);

struct SsimOptions {
  int64_t window = 11;  // shrunk to min(window, H, W) as the reference code does
  double sigma = 1.5;
  bool gaussian = true;        // false: uniform box window
  double dynamic_range = 1.0;  // L in C1 = (0.01 L)^2, C2 = (0.03 L)^2
  bool same_padding = false;   // false: valid windows only (DenseDepth / the authors' code);
                               // true: reflection-padded 'same' map (Monodepth's photometric SSIM)
};
// Per-window SSIM map (Wang et al. 2004; population statistics inside the window).
torch::Tensor SsimMap(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& o = {});
// Mean of the map; with a mask, over windows whose centre pixel is valid.
torch::Tensor Ssim(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& o = {},
                   const torch::Tensor& mask = {});

// Mean of `values` over `mask` (same shape, bool); plain mean when the mask is undefined.
torch::Tensor MaskedMean(const torch::Tensor& values, const torch::Tensor& mask);

// ---- The review's catalogue (digest ch6_7 §3.3) -------------------------------------------

// L01 least squares: mean (y - y^)^2.
torch::Tensor L2Loss(const torch::Tensor& pred, const torch::Tensor& target,
                     const torch::Tensor& mask = {});

// L02 / L14 scale-invariant (Eigen et al. 2014): per image, d = log y^ - log y,
// (1/N) sum d^2 - (lambda/N^2) (sum d)^2, averaged over the batch. printed_lambda_over_n uses the
// review's misprinted (lambda/N) (sum d)^2, which can go negative (kept to show the typo).
torch::Tensor ScaleInvariantLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                 double lambda = 0.5, const torch::Tensor& mask = {},
                                 bool printed_lambda_over_n = false);

// L03 reverse Huber: |e| if |e| <= c else (e^2 + c^2) / (2c); c = c_fraction * max |e| over the
// batch (Laina et al.), or `c` when c > 0.
torch::Tensor BerHuLoss(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& mask = {}, double c_fraction = 0.2, double c = 0.0);

// L04 Huber as printed (with |e|): |e| if |e| >= c else (e^2 + c^2) / (2c).
torch::Tensor HuberLoss(const torch::Tensor& pred, const torch::Tensor& target, double c,
                        const torch::Tensor& mask = {});

// L05 SILog (BTS): alpha sqrt(mean d^2 - lambda (mean d)^2) over the valid pixels of the batch,
// d = log y^ - log y. Review: lambda 0.5; BTS: lambda 0.85, alpha 10.
torch::Tensor SilogLoss(const torch::Tensor& pred, const torch::Tensor& target,
                        double lambda = 0.85, double alpha = 10.0, const torch::Tensor& mask = {});

// L06 / L16 L1: mean |y - y^|.
torch::Tensor L1Loss(const torch::Tensor& pred, const torch::Tensor& target,
                     const torch::Tensor& mask = {});

// L07 global-mean-removed L1: per image, mean |(y - mean y) - (y^ - mean y^)|.
torch::Tensor GlobalMeanRemovedLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                    const torch::Tensor& mask = {});

// L08 local-mean-removed L1 with an m x m box mean (m odd): 'same' output with replicate
// padding, or valid windows only.
torch::Tensor LocalMeanRemovedLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                   int64_t m = 5, bool valid_only = false);

// L09 SSIM loss: (1 - SSIM) / max_depth as printed, or clamp((1 - SSIM) / 2, 0, 1) as DenseDepth
// and the authors code it.
enum class SsimLossForm { kPrinted, kHalfClamped };
torch::Tensor SsimLoss(const torch::Tensor& pred, const torch::Tensor& target, SsimLossForm form,
                       double max_depth, const SsimOptions& o = {}, const torch::Tensor& mask = {});

// L10 photometric (Monodepth): per pixel (1 - a) |I - I^| + a (1 - SSIM_3x3) / 2, mean per
// scale, summed over the scales given (I and I^ lists of equal length; images N x C x H x W).
torch::Tensor PhotometricLoss(const std::vector<torch::Tensor>& images,
                              const std::vector<torch::Tensor>& reconstructions,
                              double alpha = 0.85);

// L11 edge-aware smoothness (Godard / Monodepth2): mean |dx d*| e^{-|dx I|} + mean |dy d*|
// e^{-|dy I|}, d* = d / mean(d) per image when normalise, |dI| averaged over colour channels.
torch::Tensor SmoothnessLoss(const torch::Tensor& disparity, const torch::Tensor& image,
                             bool normalise = true);

// L12 reconstruction: mean [a (1 - SSIM_3x3) / 2 + (1 - a) Huber_c(I - I^)], a = 0.85.
torch::Tensor ReconstructionLoss(const torch::Tensor& image, const torch::Tensor& reconstruction,
                                 double alpha = 0.85, double huber_c = 0.2);

// L13 prior reconstruction (polarimetric): mu * mean over pixels of the per-pixel minimum of the
// reconstruction error maps (one per source view) + nu * mean(|d2x d| e^{-|d2x I|}) + nu *
// mean(|d2y d| e^{-|d2y I|}) (second differences; a direction too short for them adds 0).
torch::Tensor PriorReconstructionLoss(const torch::Tensor& image,
                                      const std::vector<torch::Tensor>& reconstructions,
                                      const torch::Tensor& depth, double mu, double nu,
                                      double alpha = 0.85, double huber_c = 0.2);

// L15 scale-and-shift-invariant loss (MiDaS), per image in disparity space:
//   least squares: (s, t) = argmin sum (s y^ + t - y)^2, loss (1/2N) sum (s y^ + t - y)^2;
//   robust: each map normalised as (d - median) / mean|d - median|, loss (1/2N) sum |.|;
// trim drops that fraction of the largest residuals (MiDaS: 0.2, robust form only).
enum class ShiftScaleForm { kLeastSquares, kRobust };
torch::Tensor ScaleShiftInvariantLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                      ShiftScaleForm form = ShiftScaleForm::kLeastSquares,
                                      const torch::Tensor& mask = {}, double trim = 0.0);
// The least-squares aligned prediction s y^ + t per image (also used by L23).
torch::Tensor AlignScaleShift(const torch::Tensor& pred, const torch::Tensor& target,
                              const torch::Tensor& mask = {});

// L17 gradient loss: e = y - y^ (signed), mean |dx e| + mean |dy e| with forward differences, or
// with Sobel responses scaled by 1/8 (unit slope -> 1), the thesis's operator.
enum class GradientOperator { kForwardDifference, kSobel };
torch::Tensor GradientLoss(const torch::Tensor& pred, const torch::Tensor& target,
                           GradientOperator op = GradientOperator::kForwardDifference,
                           const torch::Tensor& mask = {});

// L18 surface-normal loss: mean over pixels of 1 - cos(n^y, n^y^), n = [-dx, -dy, 1] from
// Sobel gradients times `sobel_scale` (default 1/8: slopes per pixel).
torch::Tensor SurfaceNormalLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                const torch::Tensor& mask = {}, double sobel_scale = 0.125);

// L19 perceptual: mean (phi(y) - phi(y^))^2 over a feature map. One-channel depth is replicated
// to three channels and ImageNet-normalised first when `to_imagenet_rgb`. phi is supplied by the
// caller (e.g. a VGG-16 slice with user-provided weights).
using FeatureFn = std::function<torch::Tensor(const torch::Tensor&)>;
torch::Tensor PerceptualLoss(const torch::Tensor& pred, const torch::Tensor& target,
                             const FeatureFn& phi, bool to_imagenet_rgb = true);

// L20 structure-guided ranking (Xian et al. 2020). `pairs`: (P, 2) int64 flat pixel indices per
// image into H*W, shared by the batch. Label from the target: +1 if y_i / y_j >= 1 + tau, -1 if
// <= 1 / (1 + tau), else 0; loss log(1 + exp(-l (p_i - p_j))) for l != 0, (p_i - p_j)^2 for
// l = 0; mean over pairs (pairs with an invalid end are skipped).
torch::Tensor RankingLoss(const torch::Tensor& pred, const torch::Tensor& target,
                          const torch::Tensor& pairs, double tau = 0.03,
                          const torch::Tensor& mask = {});
// Pairs for RankingLoss: edge-guided (for pixels whose image-gradient magnitude exceeds
// edge_threshold, two points on either side along the gradient direction, 2..max_offset px
// away) plus uniformly random pairs, `count` in all (half each when enough edges exist).
// Deterministic for a seed. image: (1 or C, H, W) or (N, C, H, W) (first image used).
torch::Tensor SampleRankingPairs(const torch::Tensor& image, int64_t count, uint64_t seed,
                                 double edge_threshold = 0.1, int64_t max_offset = 10);

// L21 Chamfer distance between point sets (P, D) and (Q, D): sum_x min_y |x-y|^2 + sum_y min_x
// |x-y|^2 (mean_reduction: means instead of sums, as pytorch3d / AdaBins).
torch::Tensor ChamferDistance(const torch::Tensor& a, const torch::Tensor& b,
                              bool mean_reduction = false);
// Chamfer loss between the point clouds two depth maps back-project to (pinhole fx, fy, cx, cy
// in synface's pixel-centre convention), summed over the batch; pixels with depth <= 0 or
// outside the mask are left out. O(P Q) memory: for small maps.
torch::Tensor DepthChamferLoss(const torch::Tensor& pred, const torch::Tensor& target, double fx,
                               double fy, double cx, double cy, const torch::Tensor& mask = {});

// L22 bin-centre density (AdaBins): bin widths (N, B) (normalised to sum 1 per image) -> centres
// c_i = d_min + (d_max - d_min) (b_i / 2 + sum_{j<i} b_j); loss = mean over images of
// Chamfer(valid target depths, centres).
torch::Tensor BinCentres(const torch::Tensor& widths, double d_min, double d_max);
torch::Tensor BinCentreDensityLoss(const torch::Tensor& centres, const torch::Tensor& target,
                                   const torch::Tensor& mask = {}, bool mean_reduction = false);

// L23 multi-scale gradient matching (MiDaS): R = y^ - y (align first for scale/shift-invariant
// training), at K scales (stride 2^k subsampling), sum_k sum_i (|dx R| + |dy R|) over pairs of
// valid pixels / number of valid pixels at that scale.
torch::Tensor GradientMatchingLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                   int64_t scales = 4, const torch::Tensor& mask = {});

// L24 pairwise distillation (Liu et al. 2019): a_ij = cosine of the feature vectors at positions
// i, j (features (N, C, H, W)); loss = mean over images of (1/(HW)^2) sum (a^s_ij - a^t_ij)^2.
torch::Tensor PairwiseDistillationLoss(const torch::Tensor& student, const torch::Tensor& teacher);

// ---- The thesis's own losses (digest ch3 §4.3) --------------------------------------------

// P5 eq. (1): L = w1 L_depth + w2 L_SSIM + w3 L_grad + w4 L_normal, weights in that printed order.
//   kPrinted: L1; (1 - SSIM) / MaxDepth; mean |Sobel(g - d)| / 8 over x and y; per-pixel
//     3-D normal cosine with Sobel/8 slopes. Masks respected.
//   kAsCoded (khan9048 FaceDepth/train.py): 0.28 (w1) on clamp((1 - SSIM)/2, 0, 1) and 0.22 (w2)
//     on L1 — the printed w1/w2 swapped —, w3 x 10 x mean |Sobel(g) - Sobel(d)| (unnormalised,
//     difference of gradients), w4 x 10 x (1 - mean over images and directions of the cosine
//     between whole flattened Sobel maps). No masks (the code has none).
// SSIM everywhere: 11x11 Gaussian (sigma 1.5), valid windows, dynamic range max_depth.
enum class HybridVariant { kPrinted, kAsCoded };
struct HybridLossOptions {
  HybridVariant variant = HybridVariant::kPrinted;
  std::array<double, 4> weights = {0.28, 0.22, 0.30, 0.20};  // (w1, w2, w3, w4) as printed
  double max_depth = 5.0;
  double grad_factor = 10.0;    // kAsCoded only
  double normal_factor = 10.0;  // kAsCoded only
};
struct LossTerms {
  torch::Tensor total;
  torch::Tensor depth, ssim, grad, normal;  // unweighted terms (as used in the total)
};
LossTerms HybridLoss(const torch::Tensor& pred, const torch::Tensor& target,
                     const HybridLossOptions& o = {}, const torch::Tensor& mask = {});
// "printed" / "as_coded" (also "as_run"); throws core::Error otherwise.
HybridVariant ParseHybridVariant(const std::string& name);

// P4 (ICCE 2021): L = w1 L_SSIM + w2 L_grad + w3 L_normal, printed terms as in kPrinted above.
// The paper prints four weights (0.1, 0.1, 0.1, 1) for three terms; the first three are used by
// default. as_coded: the authors' UNet training (root train.py): coded SSIM + L1 + grad + normal,
// all weights 1, no x10 factors.
struct P4LossOptions {
  bool as_coded = false;
  std::array<double, 3> weights = {0.1, 0.1, 0.1};
  double max_depth = 5.0;
};
LossTerms P4Loss(const torch::Tensor& pred, const torch::Tensor& target,
                 const P4LossOptions& o = {}, const torch::Tensor& mask = {});

// DenseDepth (Alhashim & Wonka): Keras: 1.0 clamp((1-SSIM)/2) + 1.0 mean(|dy^ - dy| + |dx^ - dx|)
// (zero-padded forward differences, tf.image.image_gradients) + theta L1; PyTorch: no edge term.
// SSIM dynamic range max_val (DenseDepth: 1000/10 on its 10..1000 targets).
struct DenseDepthLossOptions {
  bool keras = true;
  double theta = 0.1;
  double max_val = 100.0;
};
LossTerms DenseDepthLoss(const torch::Tensor& pred, const torch::Tensor& target,
                         const DenseDepthLossOptions& o = {});

// ---- By name, for configs ------------------------------------------------------------------

// A training loss over (pred, target, mask): "hybrid" (printed), "hybrid_as_coded", "p4",
// "p4_as_coded", "densedepth", "l1", "l2" (P3's MSE), "berhu", "silog", "scale_invariant".
// `weights` (4 values) override the hybrid weights when given; max_depth sets SSIM ranges.
using DepthLossFn = std::function<LossTerms(const torch::Tensor& pred, const torch::Tensor& target,
                                            const torch::Tensor& mask)>;
DepthLossFn MakeDepthLoss(const std::string& name, double max_depth,
                          const std::vector<double>& weights = {});
std::vector<std::string> DepthLossNames();

}  // namespace synface::depth
