// Learning-rate schedules as pure functions of the step: Factor(step) is the multiplier of each
// parameter group's base learning rate, so a resumed run needs only the step and the base rates
// (which checkpoints keep) to continue exactly. `step` is 0-based: the value for the update about
// to be made; the trainer may pass the epoch index instead (per-epoch schedules).
//
//   constant   1
//   step       gamma ^ floor(step / step_size)
//   multistep  gamma ^ (number of milestones <= step)
//   poly       (1 - t) ^ power,  t = (step - warmup) / (total - warmup) clamped to [0, 1]
//              (insightface/thesis Ch. 5 PolyScheduler: power 2, lr = base (1 - step/total)^2)
//   cosine     min + (1 - min) (1 + cos(pi t)) / 2, t as for poly
// Every kind takes an optional linear warm-up: for step < warmup_steps the factor is
// warmup_start + (1 - warmup_start) * step / warmup_steps. For step and multistep the decay
// counts steps from 0, not from the end of warm-up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace synface::core::nn {

enum class ScheduleKind { kConstant, kStep, kMultiStep, kPoly, kCosine };

// "constant", "step", "multistep", "poly", "cosine"; throws core::Error naming the known kinds.
ScheduleKind ParseScheduleKind(const std::string& name);
std::string ScheduleKindName(ScheduleKind kind);

struct ScheduleOptions {
  ScheduleKind kind = ScheduleKind::kConstant;
  int64_t total_steps = 0;          // poly, cosine: the decay horizon
  int64_t step_size = 0;            // step
  std::vector<int64_t> milestones;  // multistep, increasing
  double gamma = 0.1;               // step, multistep
  double power = 2.0;               // poly
  double min_factor = 0.0;          // cosine floor, as a fraction of the base rate
  int64_t warmup_steps = 0;
  double warmup_start_factor = 0.0;
};

class LrSchedule {
 public:
  LrSchedule() = default;  // constant
  // Validates; throws core::Error naming the offending option.
  explicit LrSchedule(ScheduleOptions options);

  double Factor(int64_t step) const;
  double Lr(double base_lr, int64_t step) const { return base_lr * Factor(step); }
  // One line, e.g. "poly(total=1000, power=2, warmup=0)": recorded in checkpoints and logs.
  std::string Describe() const;
  const ScheduleOptions& options() const { return options_; }

 private:
  ScheduleOptions options_;
};

}  // namespace synface::core::nn
