#include "experiments/runner.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::experiments {
namespace fs = std::filesystem;
using core::config::Schema;

namespace {

constexpr const char* kUsage =
    "usage: bazel run //experiments:{0} -- [--scale smoke|paper] [--runs DIR] [extra.toml ...] "
    "[key.path=value ...]\n"
    "  {1}\n"
    "  fills table {2}; writes runs/{0}/<run id>/{{config.resolved.toml,result.json}}\n";

Schema ExperimentSchema(const Experiment& experiment) {
  Schema schema;
  core::config::AddScaleKeys(schema);
  schema.Optional<int64_t>("seed", 0, "seed of every random choice the experiment makes");
  if (experiment.declare_keys) experiment.declare_keys(schema);
  return schema;
}

fs::path ExperimentConfigPath(const std::string& name) {
  const std::string rlocation = "synface/experiments/configs/" + name + ".toml";
  if (auto path = core::FindRunfile(rlocation)) return *path;
  throw core::MakeError(
      "experiment '{}': its config experiments/configs/{}.toml is not in the "
      "runfiles (add it to the target's data)",
      name, name);
}

}  // namespace

fs::path RunExperiment(const Experiment& experiment, const std::vector<std::string>& args) {
  std::string scale_name = "smoke";
  fs::path runs_root = "runs";
  std::vector<std::string> config_args;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value_of = [&](const std::string& flag) -> std::string {
      if (arg.size() > flag.size() && arg.compare(0, flag.size() + 1, flag + "=") == 0)
        return arg.substr(flag.size() + 1);
      if (i + 1 >= args.size()) throw core::MakeError("{} needs a value", flag);
      return args[++i];
    };
    if (arg == "--scale" || arg.rfind("--scale=", 0) == 0) {
      scale_name = value_of("--scale");
    } else if (arg == "--runs" || arg.rfind("--runs=", 0) == 0) {
      runs_root = value_of("--runs");
    } else {
      config_args.push_back(arg);
    }
  }
  core::config::CommandLine cl = core::config::SplitCommandLine(config_args);
  if (!cl.rest.empty())
    throw core::MakeError(
        "unknown argument '{}'\n{}", cl.rest.front(),
        fmt::format(kUsage, experiment.name, experiment.description, experiment.table));

  std::vector<fs::path> files = {core::config::ScalePresetPath(scale_name),
                                 ExperimentConfigPath(experiment.name)};
  files.insert(files.end(), cl.files.begin(), cl.files.end());
  const Schema schema = ExperimentSchema(experiment);
  ExperimentContext context;
  context.name = experiment.name;
  context.config = core::config::LoadConfig(files, cl.overrides, schema);
  context.scale = core::config::ReadScale(context.config);
  context.seed = static_cast<uint64_t>(context.config.Get<int64_t>("seed"));
  context.threads = context.scale.ResolvedThreads();

  namespace results = core::results;
  const std::string run_id = results::NewRunId();
  context.run_dir = core::ResolveUserPath(runs_root) / experiment.name / run_id;
  fs::create_directories(context.run_dir);
  context.config.WriteResolved(context.run_dir / "config.resolved.toml");
  std::fprintf(stderr, "%s: scale %s, seed %llu, %d thread(s), run folder %s\n",
               experiment.name.c_str(), context.scale.name.c_str(),
               static_cast<unsigned long long>(context.seed), context.threads,
               context.run_dir.c_str());

  const std::string started_at = results::NowIso8601();
  const auto start = std::chrono::steady_clock::now();
  results::ResultRecord record = experiment.run(context);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  record.experiment = experiment.name;
  record.table = experiment.table;
  if (record.scale.empty()) record.scale = context.scale.name;
  record.seed = context.seed;
  record.commit = results::CurrentCommit();
  record.hardware = results::HardwareDescription(context.threads);
  record.started_at = started_at;
  record.wall_time_s = wall;
  record.config = context.config.ToTomlString();
  const fs::path written = results::WriteResult(context.run_dir, record);
  std::fprintf(stderr, "%s: done in %.1f s, wrote %s\n", experiment.name.c_str(), wall,
               written.c_str());
  return written;
}

int ExperimentMain(const Experiment& experiment, int argc, char** argv) {
  core::InitRunfiles(argv[0]);
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << fmt::format(kUsage, experiment.name, experiment.description, experiment.table)
                << "\nconfig keys:\n"
                << ExperimentSchema(experiment).Describe();
      return 0;
    }
  }
  try {
    RunExperiment(experiment, args);
    return 0;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", experiment.name.c_str(), e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", experiment.name.c_str(), e.what());
  }
  return 1;
}

}  // namespace synface::experiments
