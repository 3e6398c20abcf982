#include "core/nn/complexity.h"

#include <fmt/format.h>

#include <cmath>
#include <unordered_map>

#include "core/util/error.h"

namespace synface::core::nn {

std::string WithThousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

double TruncatedGiga(int64_t value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  // Integer arithmetic avoids 0.39 becoming 0.38999...: floor(value * 10^d / 10^9) / 10^d.
  const int64_t divisor = static_cast<int64_t>(std::llround(1e9 / scale));
  return static_cast<double>(value / divisor) / scale;
}

ComplexityReport ReportFromRecords(const std::vector<OpRecord>& records,
                                   const torch::nn::Module& module,
                                   std::vector<int64_t> input_shape) {
  ComplexityReport report;
  report.input_shape = std::move(input_shape);
  for (const auto& p : module.parameters(/*recurse=*/true)) {
    report.params += p.numel();
    if (p.requires_grad()) report.params_trainable += p.numel();
  }
  // thop counts a module's parameters once however often it runs.
  std::unordered_map<const void*, const OpRecord*> executed;
  for (const OpRecord& r : records) {
    ++report.layer_calls;
    report.macs_conv_linear += r.macs_conv_linear;
    report.macs_thop += r.macs_thop;
    report.macs_ptflops += r.macs_ptflops;
    if (r.kind != OpKind::kBatchNorm) report.macs_thop_timm += r.macs_thop;
    switch (r.kind) {
      case OpKind::kConv:
      case OpKind::kConvTranspose:
        report.macs_conv += r.macs_conv_linear;
        break;
      case OpKind::kLinear:
        report.macs_linear += r.macs_conv_linear;
        break;
      case OpKind::kMatMul:
        report.macs_matmul += r.macs_conv_linear;
        break;
      case OpKind::kBatchNorm:
        report.batch_norm_elements += r.elements;
        break;
      case OpKind::kActivation:
        report.activation_elements += r.elements;
        break;
      default:
        break;
    }
    if (r.module != nullptr && r.has_thop_rule) executed.emplace(r.module, &r);
  }
  for (const auto& [module_ptr, r] : executed) {
    report.params_thop += r->params;
    if (r->kind != OpKind::kBatchNorm) report.params_thop_timm += r->params;
  }
  return report;
}

ComplexityReport MeasureComplexity(torch::nn::Module& module,
                                   const std::function<void()>& run_forward,
                                   std::vector<int64_t> input_shape) {
  const bool was_training = module.is_training();
  module.eval();  // BatchNorm must not update its running statistics
  OpCounter counter;
  try {
    torch::NoGradGuard no_grad;
    CountingScope scope(&counter);
    run_forward();
  } catch (...) {
    module.train(was_training);
    throw;
  }
  module.train(was_training);
  if (counter.records().empty()) {
    throw MakeError(
        "MeasureComplexity: no layer reported any work; the model must be built from core/nn "
        "layers (core/nn/layers.h), not torch::nn ones");
  }
  return ReportFromRecords(counter.records(), module, std::move(input_shape));
}

ComplexityReport MeasureComplexity(Model& model, const std::vector<int64_t>& input_shape) {
  if (input_shape.empty()) throw MakeError("MeasureComplexity: empty input shape");
  torch::Tensor input = torch::zeros(input_shape);
  return MeasureComplexity(
      model, [&] { model.forward(input); }, input_shape);
}

std::string ComplexityReport::Summary() const {
  std::string shape;
  for (size_t i = 0; i < input_shape.size(); ++i) {
    shape += (i ? "x" : "") + std::to_string(input_shape[i]);
  }
  auto g = [](int64_t v) { return static_cast<double>(v) / 1e9; };
  std::string s;
  s += fmt::format("input {}\n", shape.empty() ? "(unspecified)" : shape);
  s += fmt::format("  params             {:>16}  ({:.3f} M)\n", WithThousands(params),
                   static_cast<double>(params) / 1e6);
  s += fmt::format("  params (thop)      {:>16}\n", WithThousands(params_thop));
  s += fmt::format("  params (thop/timm) {:>16}\n", WithThousands(params_thop_timm));
  s += fmt::format("  MACs conv+linear   {:>16}  ({:.4f} G; FLOPs ~ {:.4f} G)\n",
                   WithThousands(macs_conv_linear), g(macs_conv_linear), 2 * g(macs_conv_linear));
  s += fmt::format("  MACs thop          {:>16}  ({:.4f} G)\n", WithThousands(macs_thop),
                   g(macs_thop));
  s += fmt::format("  MACs thop/timm     {:>16}  ({:.4f} G)\n", WithThousands(macs_thop_timm),
                   g(macs_thop_timm));
  s += fmt::format("  MACs ptflops       {:>16}  ({:.4f} G)\n", WithThousands(macs_ptflops),
                   g(macs_ptflops));
  s += fmt::format(
      "  breakdown: conv {}, linear {}, matmul {}, BN elements {}, ReLU elements {}, "
      "{} layer calls\n",
      WithThousands(macs_conv), WithThousands(macs_linear), WithThousands(macs_matmul),
      WithThousands(batch_norm_elements), WithThousands(activation_elements), layer_calls);
  return s;
}

}  // namespace synface::core::nn
