#include "core/nn/op_count.h"

namespace synface::core::nn {
namespace {
thread_local OpCounter* active_counter = nullptr;
}  // namespace

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kConv:
      return "conv";
    case OpKind::kConvTranspose:
      return "conv_transpose";
    case OpKind::kLinear:
      return "linear";
    case OpKind::kMatMul:
      return "matmul";
    case OpKind::kBatchNorm:
      return "batch_norm";
    case OpKind::kLayerNorm:
      return "layer_norm";
    case OpKind::kActivation:
      return "activation";
    case OpKind::kOtherActivation:
      return "other_activation";
    case OpKind::kMaxPool:
      return "max_pool";
    case OpKind::kAvgPool:
      return "avg_pool";
    case OpKind::kAdaptiveAvgPool:
      return "adaptive_avg_pool";
    case OpKind::kUpsample:
      return "upsample";
    case OpKind::kZero:
      return "zero";
  }
  return "unknown";
}

void OpCounter::Record(const OpRecord& record) { records_.push_back(record); }

OpCounter* ActiveOpCounter() { return active_counter; }

CountingScope::CountingScope(OpCounter* counter) : previous_(active_counter) {
  active_counter = counter;
}

CountingScope::~CountingScope() { active_counter = previous_; }

void RecordMatMul(const void* module, int64_t macs) {
  OpRecord r;
  r.kind = OpKind::kMatMul;
  r.module = module;
  r.macs_conv_linear = macs;
  r.macs_ptflops = macs;
  r.has_thop_rule = false;
  RecordOp(r);
}

}  // namespace synface::core::nn
