#include "depth/losses.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/util/error.h"

namespace synface::depth {
namespace {

using core::MakeError;
namespace F = torch::nn::functional;

void CheckSame(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  if (!a.defined() || !b.defined() || a.sizes() != b.sizes()) {
    throw MakeError("{}: prediction and target must be defined and of the same shape ({} vs {})",
                    what, a.defined() ? c10::str(a.sizes()) : "undefined",
                    b.defined() ? c10::str(b.sizes()) : "undefined");
  }
}

void Check4d(const torch::Tensor& a, const char* what) {
  if (!a.defined() || a.dim() != 4) {
    throw MakeError("{}: expected an (N, C, H, W) tensor, got {}", what,
                    a.defined() ? c10::str(a.sizes()) : "undefined");
  }
}

// The mask as bool of `like`'s shape (all true when undefined).
torch::Tensor MaskOf(const torch::Tensor& mask, const torch::Tensor& like, const char* what) {
  if (!mask.defined()) return torch::ones_like(like, torch::kBool);
  if (mask.sizes() != like.sizes()) {
    throw MakeError("{}: mask shape {} differs from the target's {}", what, c10::str(mask.sizes()),
                    c10::str(like.sizes()));
  }
  return mask.to(torch::kBool);
}

// log(x) where the mask holds, 0 elsewhere, without NaN gradients from masked-out entries.
torch::Tensor SafeLog(const torch::Tensor& x, const torch::Tensor& valid) {
  return torch::where(valid, torch::log(torch::where(valid, x, torch::ones_like(x))),
                      torch::zeros_like(x));
}

torch::Tensor Zero(const torch::Tensor& like) { return (like * 0).sum(); }

// Per-image sum over all but the batch dimension.
torch::Tensor SumPerImage(const torch::Tensor& x) { return x.flatten(1).sum(1); }

torch::Tensor GaussianWindow(int64_t size, double sigma, const torch::TensorOptions& opts) {
  torch::Tensor x = torch::arange(size, opts) - static_cast<double>(size / 2);
  torch::Tensor g = torch::exp(-(x * x) / (2.0 * sigma * sigma));
  g = g / g.sum();
  return torch::outer(g, g);
}

// Huber as printed in the review (L04), elementwise.
torch::Tensor HuberMap(const torch::Tensor& e, double c) {
  torch::Tensor a = e.abs();
  return torch::where(a >= c, a, (e * e + c * c) / (2.0 * c));
}

// Monodepth's per-pixel SSIM dissimilarity: clamp((1 - SSIM_3x3) / 2, 0, 1), reflection padded.
torch::Tensor SsimDissimilarity3x3(const torch::Tensor& a, const torch::Tensor& b) {
  SsimOptions o;
  o.window = 3;
  o.gaussian = false;
  o.same_padding = true;
  return ((1.0 - SsimMap(a, b, o)) * 0.5).clamp(0.0, 1.0);
}

// Flattened Sobel maps as the authors' imgrad_yx: (N, 2, H*W), [grad_y, grad_x].
torch::Tensor ImgradYx(const torch::Tensor& x) {
  const auto g = SobelGradients(x, 1.0);
  const int64_t n = x.size(0);
  return torch::cat({g[0].reshape({n, 1, -1}), g[1].reshape({n, 1, -1})}, 1);
}

torch::Tensor CodedGradLoss(const torch::Tensor& pred, const torch::Tensor& target) {
  return (ImgradYx(target) - ImgradYx(pred)).abs().mean();
}

torch::Tensor CodedNormalLoss(const torch::Tensor& pred, const torch::Tensor& target) {
  const torch::Tensor gf = ImgradYx(pred), gr = ImgradYx(target);
  const torch::Tensor prod = (gf * gr).sum(-1);
  const torch::Tensor norms = gf.pow(2).sum(-1).sqrt() * gr.pow(2).sum(-1).sqrt();
  // The code divides without a guard; 1e-12 only keeps an all-flat map from giving NaN.
  return 1.0 - (prod / (norms + 1e-12)).mean();
}

torch::Tensor CodedSsimLoss(const torch::Tensor& pred, const torch::Tensor& target, double range) {
  SsimOptions o;
  o.dynamic_range = range;
  return ((1.0 - Ssim(pred, target, o)) * 0.5).clamp(0.0, 1.0);
}

// Sobel with replicated borders (a constant map has no gradient anywhere): {gy, gx}.
std::array<torch::Tensor, 2> SobelReplicate(const torch::Tensor& x, double scale) {
  torch::Tensor padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  auto g = SobelGradients(padded, scale);
  return {g[0].narrow(2, 1, x.size(2)).narrow(3, 1, x.size(3)),
          g[1].narrow(2, 1, x.size(2)).narrow(3, 1, x.size(3))};
}

}  // namespace

// ---- Building blocks ---------------------------------------------------------------------

torch::Tensor DiffX(const torch::Tensor& x) {
  const int64_t w = x.size(-1);
  return x.narrow(-1, 1, w - 1) - x.narrow(-1, 0, w - 1);
}

torch::Tensor DiffY(const torch::Tensor& x) {
  const int64_t h = x.size(-2);
  return x.narrow(-2, 1, h - 1) - x.narrow(-2, 0, h - 1);
}

std::array<torch::Tensor, 2> SobelGradients(const torch::Tensor& x, double scale) {
  Check4d(x, "SobelGradients");
  torch::Tensor img = x.mean(1, /*keepdim=*/true);
  const auto opts = img.options();
  torch::Tensor kx =
      torch::tensor({1.0, 0.0, -1.0, 2.0, 0.0, -2.0, 1.0, 0.0, -1.0}, opts).view({1, 1, 3, 3});
  torch::Tensor ky =
      torch::tensor({1.0, 2.0, 1.0, 0.0, 0.0, 0.0, -1.0, -2.0, -1.0}, opts).view({1, 1, 3, 3});
  torch::Tensor gx = F::conv2d(img, kx, F::Conv2dFuncOptions().padding(1)) * scale;
  torch::Tensor gy = F::conv2d(img, ky, F::Conv2dFuncOptions().padding(1)) * scale;
  return {gy, gx};
}

torch::Tensor SsimMap(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& o) {
  CheckSame(a, b, "SSIM");
  Check4d(a, "SSIM");
  const int64_t c = a.size(1);
  const int64_t size = std::min({o.window, a.size(2), a.size(3)});
  if (size < 1) throw MakeError("SSIM: empty image");
  torch::Tensor w = o.gaussian ? GaussianWindow(size, o.sigma, a.options())
                               : torch::full({size, size}, 1.0 / (size * size), a.options());
  w = w.view({1, 1, size, size}).expand({c, 1, size, size}).contiguous();
  auto filter = [&](const torch::Tensor& x) {
    torch::Tensor in = x;
    if (o.same_padding) {
      const int64_t p = size / 2;
      in = F::pad(x, F::PadFuncOptions({p, size - 1 - p, p, size - 1 - p}).mode(torch::kReflect));
    }
    return F::conv2d(in, w, F::Conv2dFuncOptions().groups(c));
  };
  const double c1 = std::pow(0.01 * o.dynamic_range, 2), c2 = std::pow(0.03 * o.dynamic_range, 2);
  torch::Tensor mu1 = filter(a), mu2 = filter(b);
  torch::Tensor mu1_sq = mu1 * mu1, mu2_sq = mu2 * mu2, mu12 = mu1 * mu2;
  torch::Tensor s1 = filter(a * a) - mu1_sq;
  torch::Tensor s2 = filter(b * b) - mu2_sq;
  torch::Tensor s12 = filter(a * b) - mu12;
  return ((2.0 * mu12 + c1) * (2.0 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2));
}

torch::Tensor Ssim(const torch::Tensor& a, const torch::Tensor& b, const SsimOptions& o,
                   const torch::Tensor& mask) {
  torch::Tensor map = SsimMap(a, b, o);
  if (!mask.defined()) return map.mean();
  torch::Tensor m = MaskOf(mask, a, "SSIM");
  if (!o.same_padding) {  // the centre pixel of each valid window
    const int64_t off = (std::min({o.window, a.size(2), a.size(3)}) - 1) / 2;
    m = m.narrow(2, off, map.size(2)).narrow(3, off, map.size(3));
  }
  if (m.size(1) != map.size(1)) m = m.all(1, /*keepdim=*/true).expand_as(map);
  return MaskedMean(map, m);
}

torch::Tensor MaskedMean(const torch::Tensor& values, const torch::Tensor& mask) {
  if (!mask.defined()) return values.mean();
  const torch::Tensor m = mask.to(torch::kBool);
  const torch::Tensor count = m.sum().clamp_min(1).to(values.scalar_type());
  return torch::where(m, values, torch::zeros_like(values)).sum() / count;
}

// ---- Catalogue -----------------------------------------------------------------------------

torch::Tensor L2Loss(const torch::Tensor& pred, const torch::Tensor& target,
                     const torch::Tensor& mask) {
  CheckSame(pred, target, "L2Loss");
  return MaskedMean((target - pred).pow(2), MaskOf(mask, target, "L2Loss"));
}

torch::Tensor L1Loss(const torch::Tensor& pred, const torch::Tensor& target,
                     const torch::Tensor& mask) {
  CheckSame(pred, target, "L1Loss");
  return MaskedMean((target - pred).abs(), MaskOf(mask, target, "L1Loss"));
}

torch::Tensor ScaleInvariantLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                 double lambda, const torch::Tensor& mask, bool printed) {
  CheckSame(pred, target, "ScaleInvariantLoss");
  torch::Tensor m = MaskOf(mask, target, "ScaleInvariantLoss") & (target > 0) & (pred > 0);
  torch::Tensor d = SafeLog(pred, m) - SafeLog(target, m);
  const torch::Tensor n = SumPerImage(m).to(pred.scalar_type()).clamp_min(1);
  const torch::Tensor s1 = SumPerImage(d * d), s = SumPerImage(d);
  const torch::Tensor per_image =
      printed ? s1 / n - lambda / n * s * s : s1 / n - lambda / (n * n) * s * s;
  return per_image.mean();
}

torch::Tensor BerHuLoss(const torch::Tensor& pred, const torch::Tensor& target,
                        const torch::Tensor& mask, double c_fraction, double c_fixed) {
  CheckSame(pred, target, "BerHuLoss");
  torch::Tensor m = MaskOf(mask, target, "BerHuLoss");
  torch::Tensor e = torch::where(m, target - pred, torch::zeros_like(pred));
  torch::Tensor a = e.abs();
  torch::Tensor c = c_fixed > 0 ? torch::full({}, c_fixed, pred.options()) : c_fraction * a.max();
  c = c.clamp_min(1e-12);
  torch::Tensor v = torch::where(a <= c, a, (e * e + c * c) / (2.0 * c));
  return MaskedMean(v, m);
}

torch::Tensor HuberLoss(const torch::Tensor& pred, const torch::Tensor& target, double c,
                        const torch::Tensor& mask) {
  CheckSame(pred, target, "HuberLoss");
  if (!(c > 0)) throw MakeError("HuberLoss: c must be > 0");
  return MaskedMean(HuberMap(target - pred, c), MaskOf(mask, target, "HuberLoss"));
}

torch::Tensor SilogLoss(const torch::Tensor& pred, const torch::Tensor& target, double lambda,
                        double alpha, const torch::Tensor& mask) {
  CheckSame(pred, target, "SilogLoss");
  torch::Tensor m = MaskOf(mask, target, "SilogLoss") & (target > 0) & (pred > 0);
  torch::Tensor d = SafeLog(pred, m) - SafeLog(target, m);
  const torch::Tensor n = m.sum().to(pred.scalar_type()).clamp_min(1);
  const torch::Tensor mean_sq = (d * d).sum() / n, mean = d.sum() / n;
  return alpha * (mean_sq - lambda * mean * mean).clamp_min(1e-12).sqrt();
}

torch::Tensor GlobalMeanRemovedLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                    const torch::Tensor& mask) {
  CheckSame(pred, target, "GlobalMeanRemovedLoss");
  torch::Tensor m = MaskOf(mask, target, "GlobalMeanRemovedLoss");
  const torch::Tensor mf = m.to(pred.scalar_type());
  std::vector<int64_t> shape(pred.dim(), 1);
  shape[0] = pred.size(0);
  const torch::Tensor n = SumPerImage(mf).clamp_min(1).view(shape);
  const torch::Tensor mp = SumPerImage(pred * mf).view(shape) / n;
  const torch::Tensor mt = SumPerImage(target * mf).view(shape) / n;
  return MaskedMean(((target - mt) - (pred - mp)).abs(), m);
}

torch::Tensor LocalMeanRemovedLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                   int64_t m, bool valid_only) {
  CheckSame(pred, target, "LocalMeanRemovedLoss");
  Check4d(pred, "LocalMeanRemovedLoss");
  if (m < 1 || m % 2 == 0) throw MakeError("LocalMeanRemovedLoss: window must be odd, got {}", m);
  auto centred = [&](const torch::Tensor& x) {
    const int64_t p = m / 2;
    if (valid_only) {
      torch::Tensor mean = torch::avg_pool2d(x, m, 1);
      return x.narrow(2, p, mean.size(2)).narrow(3, p, mean.size(3)) - mean;
    }
    torch::Tensor padded = F::pad(x, F::PadFuncOptions({p, p, p, p}).mode(torch::kReplicate));
    return x - torch::avg_pool2d(padded, m, 1);
  };
  return (centred(target) - centred(pred)).abs().mean();
}

torch::Tensor SsimLoss(const torch::Tensor& pred, const torch::Tensor& target, SsimLossForm form,
                       double max_depth, const SsimOptions& o, const torch::Tensor& mask) {
  const torch::Tensor s = Ssim(pred, target, o, mask);
  if (form == SsimLossForm::kPrinted) {
    if (!(max_depth > 0)) throw MakeError("SsimLoss: max_depth must be > 0");
    return (1.0 - s) / max_depth;
  }
  return ((1.0 - s) * 0.5).clamp(0.0, 1.0);
}

torch::Tensor PhotometricLoss(const std::vector<torch::Tensor>& images,
                              const std::vector<torch::Tensor>& recs, double alpha) {
  if (images.empty() || images.size() != recs.size()) {
    throw MakeError("PhotometricLoss: need equally many images and reconstructions (>= 1)");
  }
  torch::Tensor total;
  for (size_t i = 0; i < images.size(); ++i) {
    CheckSame(images[i], recs[i], "PhotometricLoss");
    torch::Tensor l1 = (images[i] - recs[i]).abs().mean(1, true);
    torch::Tensor ssim = SsimDissimilarity3x3(recs[i], images[i]).mean(1, true);
    torch::Tensor scale = (alpha * ssim + (1.0 - alpha) * l1).mean();
    total = total.defined() ? total + scale : scale;
  }
  return total;
}

torch::Tensor SmoothnessLoss(const torch::Tensor& disparity, const torch::Tensor& image,
                             bool normalise) {
  Check4d(disparity, "SmoothnessLoss");
  Check4d(image, "SmoothnessLoss");
  torch::Tensor d = disparity;
  if (normalise) d = d / (d.mean({2, 3}, true) + 1e-7);
  torch::Tensor gx = DiffX(d).abs() * torch::exp(-DiffX(image).abs().mean(1, true));
  torch::Tensor gy = DiffY(d).abs() * torch::exp(-DiffY(image).abs().mean(1, true));
  return gx.mean() + gy.mean();
}

torch::Tensor ReconstructionLoss(const torch::Tensor& image, const torch::Tensor& rec, double alpha,
                                 double huber_c) {
  CheckSame(image, rec, "ReconstructionLoss");
  torch::Tensor map =
      alpha * SsimDissimilarity3x3(rec, image) + (1.0 - alpha) * HuberMap(image - rec, huber_c);
  return map.mean();
}

torch::Tensor PriorReconstructionLoss(const torch::Tensor& image,
                                      const std::vector<torch::Tensor>& recs,
                                      const torch::Tensor& depth, double mu, double nu,
                                      double alpha, double huber_c) {
  if (recs.empty()) throw MakeError("PriorReconstructionLoss: no reconstructions");
  std::vector<torch::Tensor> errors;
  for (const auto& r : recs) {
    CheckSame(image, r, "PriorReconstructionLoss");
    errors.push_back(
        (alpha * SsimDissimilarity3x3(r, image) + (1.0 - alpha) * HuberMap(image - r, huber_c))
            .mean(1, true));
  }
  torch::Tensor min_error = std::get<0>(torch::stack(errors, 0).min(0));
  torch::Tensor loss = mu * min_error.mean();
  auto second = [&](const torch::Tensor& x, int64_t dim) {
    const int64_t n = x.size(dim);
    return x.narrow(dim, 2, n - 2) - 2.0 * x.narrow(dim, 1, n - 2) + x.narrow(dim, 0, n - 2);
  };
  for (int64_t dim : {3, 2}) {
    if (depth.size(dim) < 3) continue;
    torch::Tensor term =
        second(depth, dim).abs() * torch::exp(-second(image, dim).abs().mean(1, true));
    loss = loss + nu * term.mean();
  }
  return loss;
}

torch::Tensor AlignScaleShift(const torch::Tensor& pred, const torch::Tensor& target,
                              const torch::Tensor& mask) {
  CheckSame(pred, target, "AlignScaleShift");
  const torch::Tensor m = MaskOf(mask, target, "AlignScaleShift").to(pred.scalar_type());
  const torch::Tensor a00 = SumPerImage(m * pred * pred), a01 = SumPerImage(m * pred),
                      a11 = SumPerImage(m), b0 = SumPerImage(m * pred * target),
                      b1 = SumPerImage(m * target);
  const torch::Tensor det = a00 * a11 - a01 * a01;
  const torch::Tensor ok = det.abs() > 1e-12;
  const torch::Tensor safe = torch::where(ok, det, torch::ones_like(det));
  const torch::Tensor s = torch::where(ok, (a11 * b0 - a01 * b1) / safe, torch::zeros_like(det));
  const torch::Tensor t = torch::where(ok, (-a01 * b0 + a00 * b1) / safe, torch::zeros_like(det));
  std::vector<int64_t> shape(pred.dim(), 1);
  shape[0] = pred.size(0);
  return s.view(shape) * pred + t.view(shape);
}

torch::Tensor ScaleShiftInvariantLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                      ShiftScaleForm form, const torch::Tensor& mask, double trim) {
  CheckSame(pred, target, "ScaleShiftInvariantLoss");
  if (trim < 0 || trim >= 1) throw MakeError("ScaleShiftInvariantLoss: trim must be in [0, 1)");
  torch::Tensor m = MaskOf(mask, target, "ScaleShiftInvariantLoss");
  if (form == ShiftScaleForm::kLeastSquares) {
    torch::Tensor r = AlignScaleShift(pred, target, m) - target;
    const torch::Tensor n = m.sum().to(pred.scalar_type()).clamp_min(1);
    return torch::where(m, r * r, torch::zeros_like(r)).sum() / (2.0 * n);
  }
  // Robust: per image, (d - median) / mean |d - median| over the valid pixels.
  torch::Tensor total = Zero(pred);
  int64_t kept_total = 0;
  for (int64_t i = 0; i < pred.size(0); ++i) {
    const torch::Tensor mi = m[i].flatten();
    const torch::Tensor p = pred[i].flatten().masked_select(mi);
    const torch::Tensor t = target[i].flatten().masked_select(mi);
    if (p.numel() == 0) continue;
    auto normalise = [](const torch::Tensor& x) {
      const torch::Tensor med = std::get<0>(x.median(0, /*keepdim=*/false));
      const torch::Tensor dev = (x - med).abs().mean().clamp_min(1e-12);
      return (x - med) / dev;
    };
    torch::Tensor res = (normalise(p) - normalise(t)).abs();
    const int64_t keep = static_cast<int64_t>(std::floor((1.0 - trim) * res.numel()));
    if (keep < res.numel()) res = std::get<0>(res.sort(0)).narrow(0, 0, keep);
    total = total + res.sum();
    kept_total += res.numel();
  }
  return total / (2.0 * static_cast<double>(std::max<int64_t>(kept_total, 1)));
}

torch::Tensor GradientLoss(const torch::Tensor& pred, const torch::Tensor& target,
                           GradientOperator op, const torch::Tensor& mask) {
  CheckSame(pred, target, "GradientLoss");
  Check4d(pred, "GradientLoss");
  torch::Tensor m = MaskOf(mask, target, "GradientLoss");
  torch::Tensor e = torch::where(m, target - pred, torch::zeros_like(pred));
  if (op == GradientOperator::kForwardDifference) {
    // A difference counts where both of its pixels are valid.
    torch::Tensor mx = m.narrow(3, 1, m.size(3) - 1) & m.narrow(3, 0, m.size(3) - 1);
    torch::Tensor my = m.narrow(2, 1, m.size(2) - 1) & m.narrow(2, 0, m.size(2) - 1);
    return MaskedMean(DiffX(e).abs(), mx) + MaskedMean(DiffY(e).abs(), my);
  }
  // Sobel scaled to unit slope, replicated borders (a constant error has no gradient).
  const auto g = SobelReplicate(e, 0.125);
  const torch::Tensor m1 = m.all(1, true);
  return MaskedMean(g[1].abs(), m1) + MaskedMean(g[0].abs(), m1);
}

torch::Tensor SurfaceNormalLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                const torch::Tensor& mask, double sobel_scale) {
  CheckSame(pred, target, "SurfaceNormalLoss");
  Check4d(pred, "SurfaceNormalLoss");
  auto normals = [&](const torch::Tensor& x) {
    const auto g = SobelReplicate(x, sobel_scale);
    return torch::cat({-g[1], -g[0], torch::ones_like(g[1])}, 1);
  };
  const torch::Tensor np = normals(pred), nt = normals(target);
  const torch::Tensor cos = (np * nt).sum(1, true) / (np.norm(2, 1, true) * nt.norm(2, 1, true));
  return MaskedMean(1.0 - cos, MaskOf(mask, target, "SurfaceNormalLoss").all(1, true));
}

torch::Tensor PerceptualLoss(const torch::Tensor& pred, const torch::Tensor& target,
                             const FeatureFn& phi, bool to_imagenet_rgb) {
  CheckSame(pred, target, "PerceptualLoss");
  if (!phi) throw MakeError("PerceptualLoss: no feature extractor given");
  auto prepare = [&](const torch::Tensor& x) {
    if (!to_imagenet_rgb) return x;
    Check4d(x, "PerceptualLoss");
    torch::Tensor rgb = x.size(1) == 1 ? x.repeat({1, 3, 1, 1}) : x;
    const torch::Tensor mean = torch::tensor({0.485, 0.456, 0.406}, x.options()).view({1, 3, 1, 1});
    const torch::Tensor std = torch::tensor({0.229, 0.224, 0.225}, x.options()).view({1, 3, 1, 1});
    return (rgb - mean) / std;
  };
  return (phi(prepare(target)) - phi(prepare(pred))).pow(2).mean();
}

torch::Tensor RankingLoss(const torch::Tensor& pred, const torch::Tensor& target,
                          const torch::Tensor& pairs, double tau, const torch::Tensor& mask) {
  CheckSame(pred, target, "RankingLoss");
  if (pairs.dim() != 2 || pairs.size(1) != 2) throw MakeError("RankingLoss: pairs must be (P, 2)");
  const int64_t n = pred.size(0);
  const torch::Tensor p = pred.reshape({n, -1}), t = target.reshape({n, -1});
  const torch::Tensor m = MaskOf(mask, target, "RankingLoss").reshape({n, -1}) & (t > 0);
  const torch::Tensor idx = pairs.to(torch::kLong);
  if (idx.numel() > 0 &&
      (idx.min().item<int64_t>() < 0 || idx.max().item<int64_t>() >= p.size(1))) {
    throw MakeError("RankingLoss: pair index outside the {} pixels", p.size(1));
  }
  const torch::Tensor i = idx.select(1, 0), j = idx.select(1, 1);
  const torch::Tensor pi = p.index_select(1, i), pj = p.index_select(1, j);
  const torch::Tensor ti = t.index_select(1, i), tj = t.index_select(1, j);
  const torch::Tensor valid = m.index_select(1, i) & m.index_select(1, j);
  const torch::Tensor ratio = ti / torch::where(valid, tj, torch::ones_like(tj));
  const torch::Tensor label =
      (ratio >= 1.0 + tau).to(p.scalar_type()) - (ratio <= 1.0 / (1.0 + tau)).to(p.scalar_type());
  const torch::Tensor diff = pi - pj;
  const torch::Tensor loss = torch::where(label != 0, F::softplus(-label * diff), diff * diff);
  return MaskedMean(loss, valid);
}

torch::Tensor SampleRankingPairs(const torch::Tensor& image, int64_t count, uint64_t seed,
                                 double edge_threshold, int64_t max_offset) {
  if (count < 1) throw MakeError("SampleRankingPairs: count must be >= 1");
  torch::Tensor img = image.detach().to(torch::kDouble);
  if (img.dim() == 4) img = img[0];
  if (img.dim() != 3) throw MakeError("SampleRankingPairs: expected (C, H, W) or (N, C, H, W)");
  const int64_t h = img.size(1), w = img.size(2);
  if (h * w < 2) throw MakeError("SampleRankingPairs: image too small");
  const auto g = SobelReplicate(img.unsqueeze(0), -0.125);
  const torch::Tensor gx = g[1][0][0].contiguous(), gy = g[0][0][0].contiguous();
  const torch::Tensor mag = (gx * gx + gy * gy).sqrt();
  const torch::Tensor edges = (mag > edge_threshold).flatten().nonzero().flatten().contiguous();
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out;
  const int64_t n_edge = edges.numel() > 0 ? count / 2 : 0;
  auto gxa = gx.accessor<double, 2>();
  auto gya = gy.accessor<double, 2>();
  auto ea = edges.accessor<int64_t, 1>();
  std::uniform_int_distribution<int64_t> pick_edge(0, std::max<int64_t>(edges.numel() - 1, 0));
  std::uniform_int_distribution<int64_t> offset(2, std::max<int64_t>(max_offset, 2));
  auto clampi = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi - 1); };
  for (int64_t k = 0; k < n_edge; ++k) {
    const int64_t e = ea[pick_edge(rng)];
    const int64_t y = e / w, x = e % w;
    const double norm = std::hypot(gxa[y][x], gya[y][x]);
    const double dx = gxa[y][x] / norm, dy = gya[y][x] / norm;
    const double a = static_cast<double>(offset(rng)), b = static_cast<double>(offset(rng));
    const int64_t xa = clampi(std::llround(x - a * dx), w),
                  ya = clampi(std::llround(y - a * dy), h);
    const int64_t xb = clampi(std::llround(x + b * dx), w),
                  yb = clampi(std::llround(y + b * dy), h);
    if (xa == xb && ya == yb) continue;
    out.push_back(ya * w + xa);
    out.push_back(yb * w + xb);
  }
  std::uniform_int_distribution<int64_t> pixel(0, h * w - 1);
  while (static_cast<int64_t>(out.size()) < 2 * count) {
    const int64_t a = pixel(rng), b = pixel(rng);
    if (a == b) continue;
    out.push_back(a);
    out.push_back(b);
  }
  return torch::tensor(out, torch::kLong).view({count, 2});
}

torch::Tensor ChamferDistance(const torch::Tensor& a, const torch::Tensor& b, bool mean) {
  if (a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(1)) {
    throw MakeError("ChamferDistance: expected (P, D) and (Q, D) point sets");
  }
  if (a.size(0) == 0 || b.size(0) == 0) throw MakeError("ChamferDistance: empty point set");
  const torch::Tensor d = (a.unsqueeze(1) - b.unsqueeze(0)).pow(2).sum(-1);
  const torch::Tensor ab = std::get<0>(d.min(1)), ba = std::get<0>(d.min(0));
  return mean ? ab.mean() + ba.mean() : ab.sum() + ba.sum();
}

torch::Tensor DepthChamferLoss(const torch::Tensor& pred, const torch::Tensor& target, double fx,
                               double fy, double cx, double cy, const torch::Tensor& mask) {
  CheckSame(pred, target, "DepthChamferLoss");
  Check4d(pred, "DepthChamferLoss");
  const torch::Tensor m = MaskOf(mask, target, "DepthChamferLoss");
  const int64_t h = pred.size(2), w = pred.size(3);
  const auto opts = pred.options();
  const torch::Tensor u = ((torch::arange(w, opts) + 0.5 - cx) / fx).view({1, w}).expand({h, w});
  const torch::Tensor v = ((torch::arange(h, opts) + 0.5 - cy) / fy).view({h, 1}).expand({h, w});
  auto cloud = [&](const torch::Tensor& d, const torch::Tensor& valid) {
    const torch::Tensor sel = valid.flatten();
    const torch::Tensor z = d.flatten().masked_select(sel);
    return torch::stack({u.flatten().masked_select(sel) * z, v.flatten().masked_select(sel) * z, z},
                        1);
  };
  torch::Tensor total = Zero(pred);
  for (int64_t i = 0; i < pred.size(0); ++i) {
    const torch::Tensor mi = m[i][0];
    const torch::Tensor gt = cloud(target[i][0], mi & (target[i][0] > 0));
    const torch::Tensor pr = cloud(pred[i][0], mi & (pred[i][0] > 0));
    if (gt.size(0) == 0 || pr.size(0) == 0) continue;
    total = total + ChamferDistance(pr, gt);
  }
  return total;
}

torch::Tensor BinCentres(const torch::Tensor& widths, double d_min, double d_max) {
  if (widths.dim() != 2) throw MakeError("BinCentres: widths must be (N, B)");
  const torch::Tensor w = widths / widths.sum(1, true);
  return d_min + (d_max - d_min) * (w * 0.5 + (w.cumsum(1) - w));
}

torch::Tensor BinCentreDensityLoss(const torch::Tensor& centres, const torch::Tensor& target,
                                   const torch::Tensor& mask, bool mean) {
  if (centres.dim() != 2 || centres.size(0) != target.size(0)) {
    throw MakeError("BinCentreDensityLoss: centres must be (N, B) for N target maps");
  }
  const torch::Tensor m = MaskOf(mask, target, "BinCentreDensityLoss") & (target > 0);
  torch::Tensor total = Zero(centres);
  int64_t images = 0;
  for (int64_t i = 0; i < target.size(0); ++i) {
    const torch::Tensor x = target[i].flatten().masked_select(m[i].flatten()).unsqueeze(1);
    if (x.size(0) == 0) continue;
    total = total + ChamferDistance(x, centres[i].unsqueeze(1), mean);
    ++images;
  }
  return total / static_cast<double>(std::max<int64_t>(images, 1));
}

torch::Tensor GradientMatchingLoss(const torch::Tensor& pred, const torch::Tensor& target,
                                   int64_t scales, const torch::Tensor& mask) {
  CheckSame(pred, target, "GradientMatchingLoss");
  Check4d(pred, "GradientMatchingLoss");
  if (scales < 1) throw MakeError("GradientMatchingLoss: scales must be >= 1");
  const torch::Tensor m = MaskOf(mask, target, "GradientMatchingLoss");
  torch::Tensor total = Zero(pred);
  for (int64_t k = 0; k < scales; ++k) {
    const int64_t step = int64_t{1} << k;
    using torch::indexing::Slice;
    const torch::Tensor p = pred.index({Slice(), Slice(), Slice(0, {}, step), Slice(0, {}, step)});
    const torch::Tensor t =
        target.index({Slice(), Slice(), Slice(0, {}, step), Slice(0, {}, step)});
    const torch::Tensor mk =
        m.index({Slice(), Slice(), Slice(0, {}, step), Slice(0, {}, step)}).to(pred.scalar_type());
    const torch::Tensor diff = (p - t) * mk;
    torch::Tensor sum = Zero(pred);
    if (diff.size(3) > 1) {
      sum = sum +
            (DiffX(diff).abs() * mk.narrow(3, 1, mk.size(3) - 1) * mk.narrow(3, 0, mk.size(3) - 1))
                .sum();
    }
    if (diff.size(2) > 1) {
      sum = sum +
            (DiffY(diff).abs() * mk.narrow(2, 1, mk.size(2) - 1) * mk.narrow(2, 0, mk.size(2) - 1))
                .sum();
    }
    const torch::Tensor count = mk.sum();
    total = total + torch::where(count > 0, sum / count.clamp_min(1), torch::zeros_like(sum));
  }
  return total;
}

torch::Tensor PairwiseDistillationLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
  Check4d(student, "PairwiseDistillationLoss");
  Check4d(teacher, "PairwiseDistillationLoss");
  if (student.size(0) != teacher.size(0) || student.size(2) != teacher.size(2) ||
      student.size(3) != teacher.size(3)) {
    throw MakeError("PairwiseDistillationLoss: student and teacher maps differ in N, H or W");
  }
  auto affinity = [](const torch::Tensor& f) {
    torch::Tensor v = f.flatten(2).transpose(1, 2);  // (N, HW, C)
    v = F::normalize(v, F::NormalizeFuncOptions().p(2).dim(2));
    return torch::bmm(v, v.transpose(1, 2));
  };
  return (affinity(student) - affinity(teacher)).pow(2).mean();
}

// ---- The thesis's losses -----------------------------------------------------------------

HybridVariant ParseHybridVariant(const std::string& name) {
  if (name == "printed" || name == "default") return HybridVariant::kPrinted;
  if (name == "as_coded" || name == "as_run") return HybridVariant::kAsCoded;
  throw MakeError("unknown hybrid-loss variant '{}' (printed, as_coded)", name);
}

LossTerms HybridLoss(const torch::Tensor& pred, const torch::Tensor& target,
                     const HybridLossOptions& o, const torch::Tensor& mask) {
  CheckSame(pred, target, "HybridLoss");
  Check4d(pred, "HybridLoss");
  LossTerms t;
  const auto& w = o.weights;
  if (o.variant == HybridVariant::kAsCoded) {
    t.depth = (pred - target).abs().mean();
    t.ssim = CodedSsimLoss(pred, target, o.max_depth);
    t.grad = CodedGradLoss(pred, target) * o.grad_factor;
    t.normal = CodedNormalLoss(pred, target) * o.normal_factor;
    // FaceDepth/train.py: 0.28 * l_ssim + 0.22 * l_depth + ...: w1 and w2 trade places.
    t.total = w[0] * t.ssim + w[1] * t.depth + w[2] * t.grad + w[3] * t.normal;
    return t;
  }
  SsimOptions so;
  so.dynamic_range = o.max_depth;
  t.depth = L1Loss(pred, target, mask);
  t.ssim = SsimLoss(pred, target, SsimLossForm::kPrinted, o.max_depth, so, mask);
  t.grad = GradientLoss(pred, target, GradientOperator::kSobel, mask);
  t.normal = SurfaceNormalLoss(pred, target, mask);
  t.total = w[0] * t.depth + w[1] * t.ssim + w[2] * t.grad + w[3] * t.normal;
  return t;
}

LossTerms P4Loss(const torch::Tensor& pred, const torch::Tensor& target, const P4LossOptions& o,
                 const torch::Tensor& mask) {
  CheckSame(pred, target, "P4Loss");
  Check4d(pred, "P4Loss");
  LossTerms t;
  if (o.as_coded) {
    t.depth = (pred - target).abs().mean();
    t.ssim = CodedSsimLoss(pred, target, o.max_depth);
    t.grad = CodedGradLoss(pred, target);
    t.normal = CodedNormalLoss(pred, target);
    t.total = t.ssim + t.depth + t.grad + t.normal;
    return t;
  }
  SsimOptions so;
  so.dynamic_range = o.max_depth;
  t.depth = Zero(pred);
  t.ssim = SsimLoss(pred, target, SsimLossForm::kPrinted, o.max_depth, so, mask);
  t.grad = GradientLoss(pred, target, GradientOperator::kSobel, mask);
  t.normal = SurfaceNormalLoss(pred, target, mask);
  t.total = o.weights[0] * t.ssim + o.weights[1] * t.grad + o.weights[2] * t.normal;
  return t;
}

LossTerms DenseDepthLoss(const torch::Tensor& pred, const torch::Tensor& target,
                         const DenseDepthLossOptions& o) {
  CheckSame(pred, target, "DenseDepthLoss");
  Check4d(pred, "DenseDepthLoss");
  LossTerms t;
  t.depth = (pred - target).abs().mean();
  t.ssim = CodedSsimLoss(pred, target, o.max_val);
  t.total = t.ssim + o.theta * t.depth;
  if (o.keras) {
    // tf.image.image_gradients: forward differences, zero in the last row / column.
    auto grads = [](const torch::Tensor& x) {
      torch::Tensor dy = F::pad(DiffY(x), F::PadFuncOptions({0, 0, 0, 1}));
      torch::Tensor dx = F::pad(DiffX(x), F::PadFuncOptions({0, 1, 0, 0}));
      return std::make_pair(dy, dx);
    };
    const auto [dyp, dxp] = grads(pred);
    const auto [dyt, dxt] = grads(target);
    t.grad = ((dyp - dyt).abs() + (dxp - dxt).abs()).mean();
    t.total = t.total + t.grad;
  }
  return t;
}

// ---- By name -------------------------------------------------------------------------------

std::vector<std::string> DepthLossNames() {
  return {"hybrid", "hybrid_as_coded", "p4",    "p4_as_coded",    "densedepth", "l1",
          "l2",     "berhu",           "silog", "scale_invariant"};
}

DepthLossFn MakeDepthLoss(const std::string& name, double max_depth,
                          const std::vector<double>& weights) {
  if (!weights.empty() && weights.size() != 4) {
    throw MakeError("loss weights: expected 4 values (w1..w4), got {}", weights.size());
  }
  auto simple = [](std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&,
                                               const torch::Tensor&)>
                       f) -> DepthLossFn {
    return [f](const torch::Tensor& p, const torch::Tensor& t, const torch::Tensor& m) {
      LossTerms terms;
      terms.total = f(p, t, m);
      return terms;
    };
  };
  if (name == "hybrid" || name == "hybrid_as_coded") {
    HybridLossOptions o;
    o.variant = name == "hybrid" ? HybridVariant::kPrinted : HybridVariant::kAsCoded;
    o.max_depth = max_depth;
    if (!weights.empty()) std::copy(weights.begin(), weights.end(), o.weights.begin());
    return [o](const torch::Tensor& p, const torch::Tensor& t, const torch::Tensor& m) {
      return HybridLoss(p, t, o, m);
    };
  }
  if (name == "p4" || name == "p4_as_coded") {
    P4LossOptions o;
    o.as_coded = name == "p4_as_coded";
    o.max_depth = max_depth;
    return [o](const torch::Tensor& p, const torch::Tensor& t, const torch::Tensor& m) {
      return P4Loss(p, t, o, m);
    };
  }
  if (name == "densedepth") {
    DenseDepthLossOptions o;
    o.max_val = max_depth;
    return [o](const torch::Tensor& p, const torch::Tensor& t, const torch::Tensor&) {
      return DenseDepthLoss(p, t, o);
    };
  }
  if (name == "l1") return simple([](auto& p, auto& t, auto& m) { return L1Loss(p, t, m); });
  if (name == "l2") return simple([](auto& p, auto& t, auto& m) { return L2Loss(p, t, m); });
  if (name == "berhu") return simple([](auto& p, auto& t, auto& m) { return BerHuLoss(p, t, m); });
  if (name == "silog") {
    return simple([](auto& p, auto& t, auto& m) { return SilogLoss(p, t, 0.85, 10.0, m); });
  }
  if (name == "scale_invariant") {
    return simple([](auto& p, auto& t, auto& m) { return ScaleInvariantLoss(p, t, 0.5, m); });
  }
  std::string known;
  for (const auto& n : DepthLossNames()) known += (known.empty() ? "" : ", ") + n;
  throw MakeError("unknown depth loss '{}' (known: {})", name, known);
}

}  // namespace synface::depth
