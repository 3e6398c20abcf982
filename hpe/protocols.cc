#include "hpe/protocols.h"

#include <algorithm>

#include "core/util/error.h"

namespace synface::hpe {
namespace fs = std::filesystem;
using core::MakeError;

std::vector<PoseRecord> FilterRecords(const std::vector<PoseRecord>& records,
                                      const AngleLimits& limits) {
  std::vector<PoseRecord> kept;
  for (const PoseRecord& r : records) {
    if (limits.Contains(LabelDegrees(r.pose))) kept.push_back(r);
  }
  return kept;
}

void RequireDataset(const fs::path& path, const std::string& what) {
  if (path.empty()) throw MakeError("{}: no dataset path given", what);
  if (!fs::exists(path)) throw MakeError("{}: dataset not found at {}", what, path.string());
}

namespace {

PoseSet LoadAs(const std::vector<PoseRecord>& records, LoadOptions load, const std::string& label) {
  load.label = label;
  return LoadPoseSet(records, load);
}

}  // namespace

ProtocolSets FsaNetProtocol1(const fs::path& w300lp_root, const fs::path& aflw2000_dir,
                             const fs::path& biwi_root, const LoadOptions& load) {
  RequireDataset(w300lp_root, "300W-LP");
  RequireDataset(aflw2000_dir, "AFLW2000-3D");
  RequireDataset(biwi_root, "BIWI");
  ProtocolSets p;
  p.name = "fsanet_protocol1";
  p.filter = FsaNet99();
  const auto train = FilterRecords(Read300WLP(w300lp_root), p.filter);
  const auto aflw = FilterRecords(ReadMatPoseFolder(aflw2000_dir), p.filter);
  const auto biwi = FilterRecords(ReadBiwi(biwi_root), p.filter);
  if (train.empty() || aflw.empty() || biwi.empty()) {
    throw MakeError(
        "protocol 1: a set is empty after the ±99° filter (300W-LP {}, AFLW2000 {}, "
        "BIWI {})",
        train.size(), aflw.size(), biwi.size());
  }
  p.train = LoadAs(train, load, "300W-LP");
  p.tests.emplace_back("AFLW2000", LoadAs(aflw, load, "AFLW2000"));
  p.tests.emplace_back("BIWI", LoadAs(biwi, load, "BIWI"));
  return p;
}

ProtocolSets BiwiProtocol2(const fs::path& biwi_root, uint64_t seed, const LoadOptions& load) {
  RequireDataset(biwi_root, "BIWI");
  const std::vector<PoseRecord> all = ReadBiwi(biwi_root);
  std::vector<int> groups;
  for (const auto& r : all) groups.push_back(r.group);
  const GroupSplit split = SplitByGroup(groups, kBiwiTrainFraction, seed);
  std::vector<PoseRecord> train, test;
  for (size_t i : split.train) train.push_back(all[i]);
  for (size_t i : split.test) test.push_back(all[i]);
  ProtocolSets p;
  p.name = "biwi_70_30";
  p.train_groups = split.train_groups;
  p.test_groups = split.test_groups;
  p.train = LoadAs(train, load, "BIWI train");
  p.tests.emplace_back("BIWI", LoadAs(test, load, "BIWI test"));
  return p;
}

}  // namespace synface::hpe
