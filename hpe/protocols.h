// The FSA-Net evaluation protocols as data-set builders (digest ch3 §2.4), for experiments:
//
//   protocol 1   train on 300W-LP keeping samples with all angles in ±99° (FSANET_train.py), test
//                on AFLW2000-3D and BIWI with the same filter (FSANET_test.py); AFLW2000 keeps
//                1969 of 2000 images.
//   protocol 2   BIWI 70/30: 16 of the 24 sequences train, 8 test (TYY_create_db_biwi_70_30.py,
//                whose unseeded permutation is seeded here), no angle filter.
//
// Every dataset path is checked before anything is loaded, so a paper-scale run without the data
// fails at once with an error naming the missing path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hpe/evaluation.h"
#include "hpe/pose_data.h"
#include "hpe/readers.h"

namespace synface::hpe {

struct ProtocolSets {
  std::string name;
  PoseSet train;
  std::vector<std::pair<std::string, PoseSet>> tests;  // test name -> set (filtered)
  AngleLimits filter = NoFilter();                     // applied to train and tests
  std::vector<int> train_groups, test_groups;          // protocol 2: BIWI sequences
};

// Records whose label lies inside `limits` (the filter applied before images are loaded).
std::vector<PoseRecord> FilterRecords(const std::vector<PoseRecord>& records,
                                      const AngleLimits& limits);

// Throws core::Error "<what>: dataset not found at <path>" unless `path` exists.
void RequireDataset(const std::filesystem::path& path, const std::string& what);

ProtocolSets FsaNetProtocol1(const std::filesystem::path& w300lp_root,
                             const std::filesystem::path& aflw2000_dir,
                             const std::filesystem::path& biwi_root, const LoadOptions& load = {});

ProtocolSets BiwiProtocol2(const std::filesystem::path& biwi_root, uint64_t seed,
                           const LoadOptions& load = {});

}  // namespace synface::hpe
