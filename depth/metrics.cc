#include "depth/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace synface::depth {
namespace {

using core::MakeError;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

cv::Mat AsDouble(const cv::Mat& m, const char* what) {
  if (m.empty()) throw MakeError("depth evaluation: empty {} map", what);
  if (m.channels() != 1) {
    throw MakeError("depth evaluation: {} map must have one channel, got {}", what, m.channels());
  }
  if (m.depth() != CV_32F && m.depth() != CV_64F) {
    throw MakeError("depth evaluation: {} map must be float (metres)", what);
  }
  cv::Mat out;
  m.convertTo(out, CV_64F);
  return out;
}

}  // namespace

LegacyQuirks LegacyQuirks::All() {
  LegacyQuirks q;
  q.gt_to_prediction_size = q.swap_arguments = q.pooled = q.rmse_log_no_sqrt =
      q.r2_prediction_spread = q.nrmse_minmax = true;
  return q;
}

bool LegacyQuirks::Any() const {
  return gt_to_prediction_size || swap_arguments || pooled || rmse_log_no_sqrt ||
         r2_prediction_spread || nrmse_minmax;
}

EvalOptions EvalOptions::ForMode(const std::string& mode) {
  EvalOptions o;
  if (mode == "correct" || mode == "default") return o;
  if (mode == "legacy" || mode == "as_run") {
    o.legacy = LegacyQuirks::All();
    return o;
  }
  throw MakeError("unknown evaluation mode '{}' (correct, legacy)", mode);
}

void DepthEvaluator::Sums::Add(double pred, double gt, bool swap) {
  const double diff = pred - gt;
  const double denom = swap ? pred : gt;
  const double log_diff = std::log(pred) - std::log(gt);
  const double ratio = std::max(pred / gt, gt / pred);
  if (n == 0) {
    g_min = g_max = gt;
  } else {
    g_min = std::min(g_min, gt);
    g_max = std::max(g_max, gt);
  }
  n += 1;
  abs_rel += std::abs(diff) / denom;
  sq_rel += diff * diff / denom;
  sq += diff * diff;
  log_sq += log_diff * log_diff;
  log_sum += log_diff;
  log10 += std::abs(std::log10(pred) - std::log10(gt));
  d1 += ratio < 1.25;
  d2 += ratio < 1.25 * 1.25;
  d3 += ratio < 1.25 * 1.25 * 1.25;
  g += gt;
  g2 += gt * gt;
  d += pred;
  d2sum += pred * pred;
}

DepthMetrics DepthEvaluator::FromSums(const Sums& s, const LegacyQuirks& q) {
  DepthMetrics m;
  m.pixels = static_cast<int64_t>(s.n);
  if (s.n == 0) return m;
  const double n = s.n;
  m.images = 1;
  m.abs_rel = s.abs_rel / n;
  m.sq_rel = s.sq_rel / n;
  m.rmse = std::sqrt(s.sq / n);
  m.rmse_log = q.rmse_log_no_sqrt ? s.log_sq / n : std::sqrt(s.log_sq / n);
  m.log10 = s.log10 / n;
  m.delta1 = s.d1 / n;
  m.delta2 = s.d2 / n;
  m.delta3 = s.d3 / n;
  const double mean_log = s.log_sum / n;
  m.silog = 100.0 * std::sqrt(std::max(0.0, s.log_sq / n - mean_log * mean_log));
  const double g_mean = s.g / n;
  const double ss_tot = q.r2_prediction_spread ? s.d2sum - 2 * g_mean * s.d + n * g_mean * g_mean
                                               : s.g2 - s.g * s.g / n;
  m.r2 = ss_tot > 0 ? 1.0 - s.sq / ss_tot : kNaN;
  const double range = s.g_max - s.g_min;
  m.nrmse = range > 0 ? m.rmse / range : kNaN;
  return m;
}

DepthEvaluator::DepthEvaluator(EvalOptions options) : options_(std::move(options)) {
  if (!(options_.min_depth >= 0) || options_.max_depth < 0 ||
      (options_.max_depth > 0 && options_.max_depth <= options_.min_depth)) {
    throw MakeError(
        "depth evaluation: need 0 <= min_depth < max_depth (or max_depth 0), got {} "
        "and {}",
        options_.min_depth, options_.max_depth);
  }
}

cv::Mat ValidDepthMask(const cv::Mat& gt_in, const EvalOptions& o) {
  const cv::Mat g = AsDouble(gt_in, "ground-truth");
  cv::Mat mask(g.size(), CV_8U);
  for (int y = 0; y < g.rows; ++y) {
    const double* gr = g.ptr<double>(y);
    uint8_t* mr = mask.ptr<uint8_t>(y);
    for (int x = 0; x < g.cols; ++x) {
      const double v = gr[x];
      bool ok = std::isfinite(v) && v > o.min_depth;
      if (o.max_depth > 0) ok = ok && v <= o.max_depth;
      if (o.facial_crop) ok = ok && v < o.fc_max_depth;
      mr[x] = ok ? 255 : 0;
    }
  }
  return mask;
}

int64_t DepthEvaluator::Add(const cv::Mat& pred_in, const cv::Mat& gt_in) {
  cv::Mat pred = AsDouble(pred_in, "predicted");
  cv::Mat gt = AsDouble(gt_in, "ground-truth");
  if (pred.size() != gt.size()) {
    if (options_.legacy.gt_to_prediction_size) {
      cv::resize(gt, gt, pred.size(), 0, 0, cv::INTER_LINEAR);
    } else {
      cv::resize(pred, pred, gt.size(), 0, 0, cv::INTER_LINEAR);
    }
  }
  const cv::Mat mask = ValidDepthMask(gt, options_);
  const double hi =
      options_.max_depth > 0 ? options_.max_depth : std::numeric_limits<double>::infinity();
  const double lo = std::max(options_.min_depth, 1e-12);
  Sums s;
  for (int y = 0; y < gt.rows; ++y) {
    const double* pr = pred.ptr<double>(y);
    const double* gr = gt.ptr<double>(y);
    const uint8_t* mr = mask.ptr<uint8_t>(y);
    for (int x = 0; x < gt.cols; ++x) {
      if (!mr[x]) continue;
      double p = pr[x];
      if (!std::isfinite(p)) p = std::isnan(p) ? lo : (p > 0 ? hi : lo);
      p = std::min(std::max(p, lo), hi);
      s.Add(p, gr[x], options_.legacy.swap_arguments);
      pooled_.Add(p, gr[x], options_.legacy.swap_arguments);
    }
  }
  DepthMetrics m = FromSums(s, options_.legacy);
  per_image_.push_back(m);
  return m.pixels;
}

DepthMetrics DepthEvaluator::Result() const {
  const LegacyQuirks& q = options_.legacy;
  DepthMetrics out;
  std::vector<const DepthMetrics*> counted;
  for (const auto& m : per_image_) {
    if (m.pixels > 0) counted.push_back(&m);
  }
  if (counted.empty()) return out;
  if (q.pooled) {
    out = FromSums(pooled_, q);
  } else {
    // Mean over images; a NaN (undefined R^2 / NRMSE of a flat image) is left out of its mean.
    double r2_sum = 0, nrmse_sum = 0;
    int r2_n = 0, nrmse_n = 0;
    for (const DepthMetrics* m : counted) {
      out.abs_rel += m->abs_rel;
      out.sq_rel += m->sq_rel;
      out.rmse += m->rmse;
      out.rmse_log += m->rmse_log;
      out.log10 += m->log10;
      out.delta1 += m->delta1;
      out.delta2 += m->delta2;
      out.delta3 += m->delta3;
      out.silog += m->silog;
      if (std::isfinite(m->r2)) r2_sum += m->r2, ++r2_n;
      if (std::isfinite(m->nrmse)) nrmse_sum += m->nrmse, ++nrmse_n;
      out.pixels += m->pixels;
    }
    const double k = static_cast<double>(counted.size());
    for (double* v : {&out.abs_rel, &out.sq_rel, &out.rmse, &out.rmse_log, &out.log10, &out.delta1,
                      &out.delta2, &out.delta3, &out.silog}) {
      *v /= k;
    }
    out.r2 = r2_n ? r2_sum / r2_n : kNaN;
    out.nrmse = nrmse_n ? nrmse_sum / nrmse_n : kNaN;
  }
  out.images = static_cast<int64_t>(counted.size());
  if (q.nrmse_minmax) {
    double lo = counted[0]->rmse, hi = lo;
    for (const DepthMetrics* m : counted) lo = std::min(lo, m->rmse), hi = std::max(hi, m->rmse);
    double sum = 0;
    for (const DepthMetrics* m : counted) sum += hi > lo ? (m->rmse - lo) / (hi - lo) : 0.0;
    out.nrmse = sum / static_cast<double>(counted.size());
  }
  return out;
}

DepthMetrics EvaluateDepth(const cv::Mat& pred, const cv::Mat& gt, const EvalOptions& options) {
  DepthEvaluator e(options);
  e.Add(pred, gt);
  return e.Result();
}

std::vector<std::pair<std::string, double>> MetricList(const DepthMetrics& m) {
  return {{"abs_rel", m.abs_rel}, {"sq_rel", m.sq_rel}, {"rmse", m.rmse},
          {"nrmse", m.nrmse},     {"r2", m.r2},         {"rmse_log", m.rmse_log},
          {"log10", m.log10},     {"delta1", m.delta1}, {"delta2", m.delta2},
          {"delta3", m.delta3},   {"silog", m.silog}};
}

}  // namespace synface::depth
