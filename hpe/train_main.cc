// bazel run -c opt //hpe:train -- [config.toml ...] data.format=F data.path=DIR out=DIR [key=value]
// (hpe/train_command.h; --help lists the keys).
#include <string>
#include <vector>

#include "core/util/runfiles.h"
#include "hpe/train_command.h"

int main(int argc, char** argv) {
  synface::core::InitRunfiles(argv[0]);
  return synface::hpe::RunTrainCommand(std::vector<std::string>(argv + 1, argv + argc));
}
