// A small procedural stand-in for a synth depth dataset, written in the dataset contract
// (dataset.toml + manifest.csv + samples/<id>.{rgb.png, depth.exr, json}) so that tests, and
// smoke runs on machines where no synth dataset has been generated yet, exercise exactly the
// reading path real datasets take. Each sample: a textured background plane at 1.6-2.0 m and an
// ellipsoidal "head" 0.35-0.45 m from the camera whose shading follows its surface normal, so an
// image -> depth mapping exists to be learnt. Not the synth engine (depth/ never depends on
// synth); results on it are labelled as toy stand-in data.
#pragma once

#include <cstdint>
#include <filesystem>

namespace synface::depth {

struct ToyDatasetOptions {
  int count = 8;
  int width = 64, height = 48;
  uint64_t seed = 1;
  int subjects = 4;  // manifest column "subject" = "s<k>", k = id % subjects
};

// Writes and finalizes the dataset in `dir` (created; must not hold another dataset).
void WriteToyDepthDataset(const std::filesystem::path& dir, const ToyDatasetOptions& options = {});

}  // namespace synface::depth
