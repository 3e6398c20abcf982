// Synth datasets generated in-process for experiments: every chapter's table experiment that
// trains on synthetic data asks for its dataset here, so a dataset with the same resolved
// generator config is rendered once and shared (runs/_datasets/<tag>_<config hash>/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace synface::experiments {

// Resolves a synth config path: absolute, relative to where `bazel run` was invoked, or a
// runfile under synface/ (e.g. "synth/configs/c3i_depth.toml"). Throws naming the file.
std::filesystem::path ResolveSynthConfig(const std::string& file);

// Generates (or completes, or reuses) the synth dataset described by `config_files` plus
// `overrides` with `count` samples, under <runs_root>/_datasets/<tag>_<hash of the resolved
// generator config>/. Resumable: an interrupted generation continues where it stopped.
// Returns the dataset folder.
std::filesystem::path EnsureSynthDataset(const std::filesystem::path& runs_root,
                                         const std::string& tag,
                                         const std::vector<std::string>& config_files,
                                         const std::vector<std::string>& overrides, int64_t count,
                                         int threads);

}  // namespace synface::experiments
