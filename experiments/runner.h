// The named-experiment mechanism: an experiment is a config plus a run function; one
// `bazel run //experiments:<name>` target each (experiments/experiment.bzl), all sharing this
// entry point, which
//   1. composes the config: the scale preset (--scale smoke|paper, default smoke), the experiment's
//      own experiments/configs/<name>.toml, any further .toml files and key=value overrides given
//      on the command line (later wins), validated against the experiment's schema;
//   2. creates runs/<name>/<run id>/ (under --runs DIR, default ./runs where `bazel run` started)
//      and writes config.resolved.toml there before any work;
//   3. calls the run function, then fills the provenance the run cannot know (experiment, table,
//      seed, commit, hardware, start time, wall time, resolved config) and writes result.json
//      atomically. A failed run leaves no result.json, so the report never shows its numbers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/config/config.h"
#include "core/config/scale.h"
#include "core/config/schema.h"
#include "core/results/results.h"

namespace synface::experiments {

struct ExperimentContext {
  std::string name;
  core::config::Config config;
  core::config::Scale scale;
  std::filesystem::path run_dir;  // exists; the run may write logs, checkpoints, pictures here
  uint64_t seed = 0;
  int threads = 1;  // resolved scale.threads
};

struct Experiment {
  std::string name;         // folder under runs/, the Bazel target and the config file name
  std::string table;        // the papers/ table id the record fills, e.g. "table5_3"
  std::string description;  // one line for --help
  // Declares the experiment's own config keys (the [scale] keys and `seed` are added for it).
  std::function<void(core::config::Schema&)> declare_keys;
  // Does the work and returns the record's scientific content: scale (leave empty to use the
  // preset's name, or "exact" for data-free computations), variant, data source, rows, notes,
  // extra. Throws core::Error on bad input.
  std::function<core::results::ResultRecord(const ExperimentContext&)> run;
};

// Parses the command line, runs the experiment, writes the record; returns the process exit code
// (errors are printed as one message, never a stack trace).
int ExperimentMain(const Experiment& experiment, int argc, char** argv);

// The same without process concerns, for tests: returns the path of the result.json written.
std::filesystem::path RunExperiment(const Experiment& experiment,
                                    const std::vector<std::string>& args);

}  // namespace synface::experiments
