// bazel run //hpe:predict -- MODEL.ckpt in=DIR out=DIR [batch=N] [threads=N]
// Runs a trained head-pose model (a model file from hpe/training.h) on every image of a folder,
// each image taken as a face crop; writes out/poses.csv (file,yaw,pitch,roll in degrees, synface
// convention) and out/<name>_pose.png with the head axes drawn.
#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "hpe/inference.h"

namespace {

constexpr char kUsage[] =
    "usage: predict MODEL.ckpt in=DIR out=DIR [batch=N] [threads=N]\n"
    "  MODEL.ckpt  a model file written by training (model.ckpt / best.ckpt)\n"
    "  in=DIR      folder of face crops (png, jpg, bmp, tif, webp)\n"
    "  out=DIR     receives poses.csv and <name>_pose.png\n"
    "Relative paths resolve against the folder `bazel run` was called from.\n";

int ToInt(const std::string& key, const std::string& value) {
  try {
    size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used == value.size() && v >= 0) return v;
  } catch (const std::logic_error&) {
  }
  throw synface::core::MakeError("{}={}: expected a non-negative integer", key, value);
}

}  // namespace

int main(int argc, char** argv) {
  using synface::core::ResolveUserPath;
  synface::core::InitRunfiles(argv[0]);
  std::string model;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      if (!model.empty()) {
        std::cerr << "predict: more than one model file ('" << model << "', '" << arg << "')\n"
                  << kUsage;
        return 2;
      }
      model = arg;
    } else {
      kv[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
  }
  try {
    synface::hpe::PredictOptions options;
    for (const auto& [key, value] : kv) {
      if (key == "batch") {
        options.batch_size = std::max(1, ToInt(key, value));
      } else if (key == "threads") {
        options.threads = ToInt(key, value);
      } else if (key != "in" && key != "out") {
        throw synface::core::MakeError("unknown argument '{}'", key);
      }
    }
    if (model.empty() || !kv.count("in") || !kv.count("out")) {
      std::cerr << "predict: a model file, in= and out= are required\n" << kUsage;
      return 2;
    }
    const auto summary = synface::hpe::PredictFolder(
        ResolveUserPath(model), ResolveUserPath(kv["in"]), ResolveUserPath(kv["out"]), options);
    std::printf("predict: %zu images -> %s\n", summary.images, summary.csv.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "predict: %s\n", e.what());
    return 1;
  }
}
