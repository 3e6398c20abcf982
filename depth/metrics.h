// Depth evaluation metrics (digest ch3 §4.4, ch6_7 §3.4) with a correct evaluator by default and
// a `legacy` mode reproducing the authors' evaluation as far as it can be inferred.
//
// Definitions (d = prediction, g = ground truth, both metres, over the N valid pixels):
//   AbsRel   mean |d - g| / g            SqRel   mean (d - g)^2 / g
//   RMSE     sqrt(mean (d - g)^2)        RMSElog sqrt(mean (ln d - ln g)^2)
//   log10    mean |log10 d - log10 g|    delta_k fraction with max(d/g, g/d) < 1.25^k, k = 1, 2, 3
//   NRMSE    RMSE / (g_max - g_min)      R^2     1 - sum (d - g)^2 / sum (g - mean g)^2
//   SILog    100 sqrt(mean e^2 - (mean e)^2), e = ln d - ln g (KITTI)
// NRMSE and R^2 are re-definitions (digest §7 item 30): P5 prints NRMSE as (RMSE - RMSE_min) /
// (RMSE_max - RMSE_min) without saying over what, and R^2 with sum (d - mean g)^2 below the line.
//
// Correct evaluator (default): the prediction is bilinearly resized to the ground truth's
// resolution; valid pixels have finite g > min_depth (and g <= max_depth when set); predictions
// are clamped to [min_depth, max_depth]; metrics are computed per image and averaged over images.
// Facial crop (FC, P3-P5): additionally only pixels with g < fc_max_depth (0.5 m) count.
//
// Legacy mode (each quirk also selectable alone), after digest §4.4's pitfalls:
//   gt_to_prediction_size  the ground truth is bilinearly resized to the prediction's size (the
//                          authors' loader resizes depth to 320x240) instead of the reverse;
//   swap_arguments         DenseDepth's evaluate calls compute_errors(pred, gt) against its
//                          (gt, pred) signature, so AbsRel and SqRel divide by the prediction —
//                          the authors' code is a DenseDepth fork (assumed inherited);
//   pooled                 statistics over all pixels of the set at once (DenseDepth's evaluate),
//                          not per image;
//   rmse_log_no_sqrt       P5 eq. (7) prints RMSElog without the square root;
//   r2_prediction_spread   P5 eq. (12): 1 - sum (d - g)^2 / sum (d - mean g)^2;
//   nrmse_minmax           P5 eq. (11) read literally: per image (RMSE - min RMSE) / (max RMSE -
//                          min RMSE), min/max over the images of the set, averaged.
// No public code of the authors computes any of these (digest §4.4), so legacy numbers are a
// reconstruction, labelled as such wherever they are reported.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace synface::depth {

struct DepthMetrics {
  double abs_rel = 0, sq_rel = 0, rmse = 0, rmse_log = 0, log10 = 0;
  double delta1 = 0, delta2 = 0, delta3 = 0;
  double nrmse = 0, r2 = 0, silog = 0;
  int64_t pixels = 0;  // valid pixels counted
  int64_t images = 0;  // images with at least one valid pixel
};

struct LegacyQuirks {
  bool gt_to_prediction_size = false;
  bool swap_arguments = false;
  bool pooled = false;
  bool rmse_log_no_sqrt = false;
  bool r2_prediction_spread = false;
  bool nrmse_minmax = false;
  static LegacyQuirks All();
  bool Any() const;
};

struct EvalOptions {
  double min_depth = 1e-3;  // g must exceed this; predictions are clamped up to it
  double max_depth = 0.0;   // > 0: g must not exceed it; predictions are clamped down to it
  bool facial_crop = false;
  double fc_max_depth = 0.5;  // FC: g < 0.5 m (P3-P5: "within 50 cm from the camera")
  LegacyQuirks legacy;

  // "correct" or "legacy" (all quirks); throws core::Error otherwise.
  static EvalOptions ForMode(const std::string& mode);
};

// Accumulates images and reports the metrics of the set.
class DepthEvaluator {
 public:
  explicit DepthEvaluator(EvalOptions options = {});

  // pred and gt: CV_32FC1 (or CV_64FC1) metres; resized as the options say when sizes differ.
  // Throws core::Error for empty or multi-channel maps. Returns the image's valid pixel count.
  int64_t Add(const cv::Mat& pred, const cv::Mat& gt);

  DepthMetrics Result() const;
  // Per-image metrics in the order added (images without valid pixels included, pixels = 0).
  const std::vector<DepthMetrics>& PerImage() const { return per_image_; }
  const EvalOptions& options() const { return options_; }

 private:
  struct Sums {  // per-pixel sums over valid pixels
    double n = 0, abs_rel = 0, sq_rel = 0, sq = 0, log_sq = 0, log_sum = 0, log10 = 0;
    double d1 = 0, d2 = 0, d3 = 0, g = 0, g2 = 0, d = 0, d2sum = 0;
    double g_min = 0, g_max = 0;
    void Add(double pred, double gt, bool swap);
  };
  static DepthMetrics FromSums(const Sums& s, const LegacyQuirks& q);

  EvalOptions options_;
  std::vector<DepthMetrics> per_image_;
  Sums pooled_;
};

// Metrics of one prediction against one ground truth.
DepthMetrics EvaluateDepth(const cv::Mat& pred, const cv::Mat& gt, const EvalOptions& options = {});

// The valid-pixel mask the evaluator uses for `gt` (CV_8U, 255 = valid).
cv::Mat ValidDepthMask(const cv::Mat& gt, const EvalOptions& options);

// Metric name -> value in a fixed order (abs_rel, sq_rel, rmse, nrmse, r2, rmse_log, log10,
// delta1, delta2, delta3, silog), for records and tables.
std::vector<std::pair<std::string, double>> MetricList(const DepthMetrics& m);

}  // namespace synface::depth
