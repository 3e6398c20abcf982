#include "experiments/synth_datasets.h"

#include <fmt/format.h>

#include "core/data/seed.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/datagen/generator.h"
#include "synth/datagen/generator_config.h"

namespace synface::experiments {
namespace fs = std::filesystem;

fs::path ResolveSynthConfig(const std::string& file) {
  const fs::path p(file);
  if (p.is_absolute()) return p;
  if (fs::exists(core::ResolveUserPath(p))) return core::ResolveUserPath(p);
  if (auto r = core::FindRunfile("synface/" + file)) return *r;
  throw core::MakeError(
      "synth config '{}' not found (absolute, relative to the working folder, or "
      "in the runfiles under synface/)",
      file);
}

fs::path EnsureSynthDataset(const fs::path& runs_root, const std::string& tag,
                            const std::vector<std::string>& config_files,
                            const std::vector<std::string>& overrides, int64_t count, int threads) {
  std::vector<fs::path> files;
  for (const auto& f : config_files) files.push_back(ResolveSynthConfig(f));
  std::vector<std::string> keyed = overrides;
  keyed.push_back(fmt::format("count={}", count));
  // The key is the resolved generator config without the run-only keys that name this folder.
  const core::config::Config probe = synth::datagen::LoadGeneratorConfig(files, keyed);
  const std::string key = fmt::format("{:016x}", core::data::Fnv1a64(probe.ToTomlString()));
  const fs::path dir = runs_root / "_datasets" / fmt::format("{}_{}", tag, key);
  if (fs::exists(dir / "manifest.csv")) return dir;  // complete: reuse
  std::vector<std::string> run = keyed;
  run.push_back(fmt::format("out=\"{}\"", dir.string()));
  run.push_back(fmt::format("threads={}", threads));
  const core::config::Config config = synth::datagen::LoadGeneratorConfig(files, run);
  const auto gen = synth::datagen::ReadGeneratorConfig(config, true);
  const auto report = synth::datagen::GenerateDataset(gen, config);
  if (!report.finalized) {
    throw core::MakeError("{}: synth generation stopped before the dataset was complete",
                          dir.string());
  }
  return dir;
}

}  // namespace synface::experiments
