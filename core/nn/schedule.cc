#include "core/nn/schedule.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace synface::core::nn {

ScheduleKind ParseScheduleKind(const std::string& name) {
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "step") return ScheduleKind::kStep;
  if (name == "multistep") return ScheduleKind::kMultiStep;
  if (name == "poly") return ScheduleKind::kPoly;
  if (name == "cosine") return ScheduleKind::kCosine;
  throw MakeError("unknown LR schedule '{}'; known: constant, step, multistep, poly, cosine", name);
}

std::string ScheduleKindName(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::kConstant:
      return "constant";
    case ScheduleKind::kStep:
      return "step";
    case ScheduleKind::kMultiStep:
      return "multistep";
    case ScheduleKind::kPoly:
      return "poly";
    case ScheduleKind::kCosine:
      return "cosine";
  }
  return "?";
}

LrSchedule::LrSchedule(ScheduleOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  const std::string kind = ScheduleKindName(o.kind);
  if (o.warmup_steps < 0) throw MakeError("{} schedule: warmup_steps must be >= 0", kind);
  if (o.warmup_start_factor < 0.0 || o.warmup_start_factor > 1.0) {
    throw MakeError("{} schedule: warmup_start_factor must be in [0, 1]", kind);
  }
  switch (o.kind) {
    case ScheduleKind::kConstant:
      break;
    case ScheduleKind::kStep:
      if (o.step_size <= 0) throw MakeError("step schedule: step_size must be > 0");
      if (!(o.gamma > 0.0)) throw MakeError("step schedule: gamma must be > 0");
      break;
    case ScheduleKind::kMultiStep:
      if (!(o.gamma > 0.0)) throw MakeError("multistep schedule: gamma must be > 0");
      for (size_t i = 1; i < o.milestones.size(); ++i) {
        if (o.milestones[i] <= o.milestones[i - 1]) {
          throw MakeError("multistep schedule: milestones must increase ({} after {})",
                          o.milestones[i], o.milestones[i - 1]);
        }
      }
      break;
    case ScheduleKind::kPoly:
    case ScheduleKind::kCosine:
      if (o.total_steps <= o.warmup_steps) {
        throw MakeError("{} schedule: total_steps ({}) must exceed warmup_steps ({})", kind,
                        o.total_steps, o.warmup_steps);
      }
      if (o.kind == ScheduleKind::kPoly && !(o.power > 0.0)) {
        throw MakeError("poly schedule: power must be > 0");
      }
      if (o.min_factor < 0.0 || o.min_factor > 1.0) {
        throw MakeError("cosine schedule: min_factor must be in [0, 1]");
      }
      break;
  }
}

double LrSchedule::Factor(int64_t step) const {
  const auto& o = options_;
  if (step < 0) step = 0;
  if (step < o.warmup_steps) {
    return o.warmup_start_factor + (1.0 - o.warmup_start_factor) * static_cast<double>(step) /
                                       static_cast<double>(o.warmup_steps);
  }
  auto progress = [&] {
    const double t = static_cast<double>(step - o.warmup_steps) /
                     static_cast<double>(o.total_steps - o.warmup_steps);
    return std::clamp(t, 0.0, 1.0);
  };
  switch (o.kind) {
    case ScheduleKind::kConstant:
      return 1.0;
    case ScheduleKind::kStep:
      return std::pow(o.gamma, static_cast<double>(step / o.step_size));
    case ScheduleKind::kMultiStep: {
      const auto passed =
          std::upper_bound(o.milestones.begin(), o.milestones.end(), step) - o.milestones.begin();
      return std::pow(o.gamma, static_cast<double>(passed));
    }
    case ScheduleKind::kPoly:
      return std::pow(1.0 - progress(), o.power);
    case ScheduleKind::kCosine:
      return o.min_factor + (1.0 - o.min_factor) * 0.5 * (1.0 + std::cos(M_PI * progress()));
  }
  return 1.0;
}

std::string LrSchedule::Describe() const {
  const auto& o = options_;
  std::string body;
  switch (o.kind) {
    case ScheduleKind::kConstant:
      break;
    case ScheduleKind::kStep:
      body = fmt::format("step_size={}, gamma={}", o.step_size, o.gamma);
      break;
    case ScheduleKind::kMultiStep: {
      std::string m;
      for (size_t i = 0; i < o.milestones.size(); ++i)
        m += (i ? " " : "") + std::to_string(o.milestones[i]);
      body = fmt::format("milestones=[{}], gamma={}", m, o.gamma);
      break;
    }
    case ScheduleKind::kPoly:
      body = fmt::format("total={}, power={}", o.total_steps, o.power);
      break;
    case ScheduleKind::kCosine:
      body = fmt::format("total={}, min_factor={}", o.total_steps, o.min_factor);
      break;
  }
  if (o.warmup_steps > 0) {
    body += fmt::format("{}warmup={} from {}", body.empty() ? "" : ", ", o.warmup_steps,
                        o.warmup_start_factor);
  }
  return fmt::format("{}({})", ScheduleKindName(o.kind), body);
}

}  // namespace synface::core::nn
