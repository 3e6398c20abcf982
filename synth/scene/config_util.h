// Small helpers shared by the scene modules: numeric [min, max] ranges read from TOML 2-element
// arrays (a scalar means a fixed value), and config errors that name the key's origin.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/seed.h"
#include "core/util/error.h"

namespace synface::synth::scene {

// A closed interval [min, max]; min == max is a fixed value.
struct Range {
  double min = 0.0;
  double max = 0.0;

  static Range Fixed(double v) { return Range{v, v}; }
  bool IsFixed() const { return min == max; }
  bool Contains(double v) const { return v >= min && v <= max; }
  // One uniform draw in [min, max). Always consumes exactly one draw (also when fixed), so
  // widening a range in a config never shifts the draws that follow it.
  double Sample(core::data::Rng& rng) const;
  Range Scaled(double s) const { return Range{min * s, max * s}; }
};

// Declares `key` as a float array [min, max] with a default.
void DeclareRange(core::config::Schema& schema, const std::string& key, Range default_value,
                  const std::string& help);

// Reads a declared range. Throws core::Error naming the key and where it was set when the array
// does not hold exactly two numbers, when min > max, or when a bound lies outside
// [lower_bound, upper_bound]. The result is multiplied by `scale` (e.g. degrees -> radians).
Range ReadRange(const core::config::Config& config, const std::string& key, double lower_bound,
                double upper_bound, double scale = 1.0);

// "<origin>: config key '<key>' <what>" as a core::Error.
core::Error ConfigError(const core::config::Config& config, const std::string& key,
                        const std::string& what);

// Reads a list of names with optional weights (`weights_key` may be absent or empty: equal
// weights). Each name must be one of `allowed`; weights non-negative with a positive sum and one
// per name.
struct WeightedChoice {
  std::vector<std::string> names;
  std::vector<double> weights;  // normalised to sum 1
  // Index drawn with one uniform draw.
  size_t Sample(core::data::Rng& rng) const;
};
WeightedChoice ReadWeightedChoice(const core::config::Config& config, const std::string& names_key,
                                  const std::string& weights_key,
                                  const std::vector<std::string>& allowed);

}  // namespace synface::synth::scene
