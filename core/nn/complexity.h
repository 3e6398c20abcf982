// Parameter and MAC counts of a model built from core/nn layers, under the conventions that
// published tables use (thesis Table 5.3; digest ch4_5 §3.8). One forward pass in eval mode with
// counting on (op_count.h) gives every convention at once:
//
//   params            every parameter (buffers excluded): what torchvision/ptflops report.
//   macs_conv_linear  the correct figure: multiply-accumulates of convolutions, linear layers and
//                     reported matmuls, bias additions excluded. FLOPs ~= 2 x this.
//   macs_thop         thop >= 0.1.0 rules: conv = out elements x C_in/groups x k (no bias);
//                     linear = in_features x out elements; BatchNorm/LayerNorm = 2 x input
//                     elements, x2 when affine; ReLU family, MaxPool, Dropout = 0; AvgPool = output
//                     elements; AdaptiveAvgPool = int((prod(in/out) + 1) x output elements);
//                     Upsample = output elements (x11 bilinear). Functional ops count 0.
//   params_thop       parameters of the executed layers thop has a rule for (parameters held
//                     directly by custom modules, e.g. position tables, are not counted).
//   *_thop_timm       thop on a timm model whose BatchNorm layers are timm's fused
//                     BatchNormAct2d: thop's exact-type lookup misses them, so BatchNorm
//                     parameters and operations are dropped. This is how the thesis's MobileNetV2
//                     row (4.18M, 0.39 GMac) was produced; use it only to reproduce that row.
//   macs_ptflops      ptflops (pytorch backend): conv and linear with bias, BatchNorm = elements
//                     (x2 affine), ReLU family = elements, pools = input elements.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/nn/model.h"
#include "core/nn/op_count.h"

namespace synface::core::nn {

struct ComplexityReport {
  std::vector<int64_t> input_shape;
  int64_t params = 0;
  int64_t params_trainable = 0;
  int64_t params_thop = 0;
  int64_t params_thop_timm = 0;
  int64_t macs_conv_linear = 0;
  int64_t macs_thop = 0;
  int64_t macs_thop_timm = 0;
  int64_t macs_ptflops = 0;
  // Breakdown of macs_conv_linear and element counts per layer kind.
  int64_t macs_conv = 0;
  int64_t macs_linear = 0;
  int64_t macs_matmul = 0;
  int64_t batch_norm_elements = 0;
  int64_t activation_elements = 0;  // ReLU family
  int64_t layer_calls = 0;          // layer forward calls recorded

  // Multi-line human-readable summary (counts with thousands separators, G-units).
  std::string Summary() const;
};

// Builds the report from recorded layer calls plus the module's parameter list.
ComplexityReport ReportFromRecords(const std::vector<OpRecord>& records,
                                   const torch::nn::Module& module,
                                   std::vector<int64_t> input_shape = {});

// Runs `model` once on zeros of `input_shape` (e.g. {1, 3, 256, 256}) in eval mode without
// gradients and counts. The model's training flag and BatchNorm statistics are left unchanged.
ComplexityReport MeasureComplexity(Model& model, const std::vector<int64_t>& input_shape);

// Any module: `run_forward` performs the forward pass(es) to be counted.
ComplexityReport MeasureComplexity(torch::nn::Module& module,
                                   const std::function<void()>& run_forward,
                                   std::vector<int64_t> input_shape = {});

// x / 10^9 truncated (not rounded) to `decimals`, as Table 5.3 prints "gMac" (truncation is how
// 0.3933 -> 0.39 and 5.1359 -> 5.13 appear there).
double TruncatedGiga(int64_t value, int decimals = 2);

// "4,222,232"
std::string WithThousands(int64_t value);

}  // namespace synface::core::nn
