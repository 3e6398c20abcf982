// The keys every experiment shares, set by the scale presets core/config/scales/{smoke,paper}.toml
// (an experiment's config `extends` one of them).
//
//   [scale]
//   name        "smoke" | "paper"  which preset produced a result (recorded with every number)
//   threads     integer >= 0        worker threads; 0 = all cores
//   max_minutes float >= 0          wall-clock budget of one experiment; 0 = none
//   real_data   boolean             true: real datasets are required (no synthetic stand-ins)
#pragma once

#include <filesystem>
#include <string>

#include "core/config/config.h"
#include "core/config/schema.h"

namespace synface::core::config {

// Declares the [scale] keys (all required: they come from the preset file the config extends).
Schema& AddScaleKeys(Schema& schema);

struct Scale {
  std::string name;
  int threads = 0;
  double max_minutes = 0;
  bool real_data = false;

  // `threads`, with 0 meaning every hardware thread (at least 1).
  int ResolvedThreads() const;
};

// Reads the [scale] keys of a config validated with AddScaleKeys.
Scale ReadScale(const Config& config);

// Path of a preset file, "smoke" -> .../core/config/scales/smoke.toml, from the runfiles (targets
// that call it need data = ["//core/config:scales"]). Throws core::Error naming the known presets.
std::filesystem::path ScalePresetPath(const std::string& name);

}  // namespace synface::core::config
