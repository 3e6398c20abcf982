#include "core/config/scale.h"

#include <algorithm>
#include <thread>

#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::core::config {

Schema& AddScaleKeys(Schema& schema) {
  schema
      .Choice("scale.name", {"smoke", "paper"}, std::nullopt,
              "scale preset that produced the result")
      .Required<int64_t>("scale.threads", "worker threads; 0 = all cores")
      .Range("scale.threads", 0, 4096)
      .Required<double>("scale.max_minutes", "wall-clock budget of one experiment; 0 = none")
      .Range("scale.max_minutes", 0, 1e6)
      .Required<bool>("scale.real_data", "real datasets required (no synthetic stand-ins)");
  return schema;
}

int Scale::ResolvedThreads() const {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

Scale ReadScale(const Config& config) {
  Scale scale;
  scale.name = config.Get<std::string>("scale.name");
  scale.threads = config.Get<int>("scale.threads");
  scale.max_minutes = config.Get<double>("scale.max_minutes");
  scale.real_data = config.Get<bool>("scale.real_data");
  return scale;
}

std::filesystem::path ScalePresetPath(const std::string& name) {
  if (name != "smoke" && name != "paper") {
    throw MakeError("unknown scale preset '{}' (known: smoke, paper)", name);
  }
  const std::string rlocation = "synface/core/config/scales/" + name + ".toml";
  if (auto path = FindRunfile(rlocation)) return *path;
  throw MakeError(
      "scale preset {} not found in the runfiles; add data = [\"//core/config:scales\"] to the "
      "target",
      rlocation);
}

}  // namespace synface::core::config
