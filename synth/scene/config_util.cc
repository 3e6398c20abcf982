#include "synth/scene/config_util.h"

#include <fmt/format.h>

#include <cmath>

namespace synface::synth::scene {

double Range::Sample(core::data::Rng& rng) const {
  const double u = rng.Uniform();
  return min + (max - min) * u;
}

void DeclareRange(core::config::Schema& schema, const std::string& key, Range default_value,
                  const std::string& help) {
  schema.Optional<std::vector<double>>(key, {default_value.min, default_value.max},
                                       help + " ([min, max])");
}

core::Error ConfigError(const core::config::Config& config, const std::string& key,
                        const std::string& what) {
  std::string where = "config";
  if (config.Has(key)) where = config.Source(key);
  return core::MakeError("{}: config key '{}' {}", where, key, what);
}

Range ReadRange(const core::config::Config& config, const std::string& key, double lower_bound,
                double upper_bound, double scale) {
  const std::vector<double> v = config.Get<std::vector<double>>(key);
  if (v.size() != 2) {
    throw ConfigError(config, key,
                      fmt::format("must be [min, max] (two numbers), got {} values", v.size()));
  }
  if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || v[0] > v[1]) {
    throw ConfigError(config, key,
                      fmt::format("must be [min, max] with min <= max, got [{}, {}]", v[0], v[1]));
  }
  if (v[0] < lower_bound || v[1] > upper_bound) {
    throw ConfigError(config, key,
                      fmt::format("= [{}, {}] lies outside the allowed [{}, {}]", v[0], v[1],
                                  lower_bound, upper_bound));
  }
  return Range{v[0] * scale, v[1] * scale};
}

size_t WeightedChoice::Sample(core::data::Rng& rng) const {
  const double u = rng.Uniform();
  double acc = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    acc += weights[i];
    if (u < acc) return i;
  }
  // Rounding: the last entry with a positive weight.
  for (size_t i = weights.size(); i-- > 0;) {
    if (weights[i] > 0) return i;
  }
  return 0;
}

WeightedChoice ReadWeightedChoice(const core::config::Config& config, const std::string& names_key,
                                  const std::string& weights_key,
                                  const std::vector<std::string>& allowed) {
  WeightedChoice choice;
  choice.names = config.Get<std::vector<std::string>>(names_key);
  if (choice.names.empty()) throw ConfigError(config, names_key, "must name at least one entry");
  for (const std::string& name : choice.names) {
    bool ok = false;
    for (const std::string& a : allowed) ok = ok || a == name;
    if (!ok) {
      throw ConfigError(config, names_key,
                        fmt::format("has unknown entry '{}' (expected one of: {})", name,
                                    fmt::join(allowed, ", ")));
    }
  }
  std::vector<double> w;
  if (!weights_key.empty() && config.Has(weights_key))
    w = config.Get<std::vector<double>>(weights_key);
  if (w.empty()) w.assign(choice.names.size(), 1.0);
  if (w.size() != choice.names.size()) {
    throw ConfigError(config, weights_key,
                      fmt::format("has {} weights for the {} entries of '{}'", w.size(),
                                  choice.names.size(), names_key));
  }
  double sum = 0.0;
  for (double x : w) {
    if (!(x >= 0.0) || !std::isfinite(x)) {
      throw ConfigError(config, weights_key, "must hold non-negative finite weights");
    }
    sum += x;
  }
  if (!(sum > 0.0)) throw ConfigError(config, weights_key, "weights must not all be zero");
  for (double& x : w) x /= sum;
  choice.weights = w;
  return choice;
}

}  // namespace synface::synth::scene
