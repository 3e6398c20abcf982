// Operation counting without forward hooks (LibTorch C++ has none): every core/nn layer reports
// what it computed to a thread-local counter while a CountingScope is active. Each report carries
// the layer's cost under every supported convention at once, so one forward pass yields all of
// them (complexity.h turns the records into a ComplexityReport). No torch dependency: custom
// modules can report their own work (e.g. attention matmuls) through RecordOp.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace synface::core::nn {

enum class OpKind {
  kConv,             // convolution (regular or grouped/depthwise)
  kConvTranspose,    // transposed convolution
  kLinear,           // fully connected
  kMatMul,           // functional matrix products reported by custom modules (attention)
  kBatchNorm,        // BatchNorm2d (dropped under the thop-on-timm convention, see complexity.h)
  kLayerNorm,        // LayerNorm
  kActivation,       // ReLU family (ReLU, ReLU6, LeakyReLU)
  kOtherActivation,  // GELU, Sigmoid, Tanh: no rule in thop or ptflops
  kMaxPool,
  kAvgPool,
  kAdaptiveAvgPool,
  kUpsample,
  kZero,  // Dropout, Identity, Flatten: zero cost, recorded so every layer call is visible
};

const char* OpKindName(OpKind kind);

// One layer call. `module` identifies the layer instance so that a layer run twice has its
// parameters counted once (thop counts parameters per module, not per call).
struct OpRecord {
  OpKind kind = OpKind::kZero;
  const void* module = nullptr;
  int64_t params = 0;            // parameters the layer owns
  int64_t macs_conv_linear = 0;  // multiply-accumulates of conv/linear/matmul, bias excluded
  int64_t macs_thop = 0;         // thop >= 0.1 rule for this layer type
  int64_t macs_ptflops = 0;      // ptflops (pytorch backend) rule for this layer type
  bool has_thop_rule = true;     // thop counts parameters only of layers it has a rule for
  int64_t elements = 0;          // input elements (norm, activation, pool breakdown)
};

// Accumulates records. Not thread-safe: one counter per thread (the active counter is
// thread-local, and layers run on the calling thread).
class OpCounter {
 public:
  void Record(const OpRecord& record);
  const std::vector<OpRecord>& records() const { return records_; }
  void Clear() { records_.clear(); }

 private:
  std::vector<OpRecord> records_;
};

// The counter layers report to on this thread, or nullptr when counting is off (the normal case:
// layers then pay one thread-local load per call).
OpCounter* ActiveOpCounter();

// Makes `counter` active on this thread for the scope's lifetime (nests; restores the previous).
class CountingScope {
 public:
  explicit CountingScope(OpCounter* counter);
  ~CountingScope();
  CountingScope(const CountingScope&) = delete;
  CountingScope& operator=(const CountingScope&) = delete;

 private:
  OpCounter* previous_;
};

// Reports a record to the active counter; no-op when counting is off.
inline void RecordOp(const OpRecord& record) {
  if (OpCounter* counter = ActiveOpCounter()) counter->Record(record);
}

// For custom modules: a matrix product of `macs` multiply-accumulates computed functionally
// (torch::matmul, einsum). Counted in conv+linear and ptflops (which patches torch.matmul); thop
// counts only module calls, so 0 there.
void RecordMatMul(const void* module, int64_t macs);

}  // namespace synface::core::nn
