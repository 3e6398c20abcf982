// Head-pose evaluation as the FSA-Net code and the authors' code compute it, and the data
// protocols of the chapter's tables.
//
// MAE: per-angle mean absolute error over the kept samples, no angle wrapping
// (shamangary/FSA-Net FSANET_test.py; C3Imaging HPEDA/FSANet_Test.py); the reported MAE is the
// mean of the three per-angle values (recomputed, never copied from a table: digest ch3 §7.17).
//
// Filters keep a sample when every ground-truth angle lies inside its interval [-limit, +limit]:
//   FsaNet99        FSA-Net protocol 1 (300W-LP training set and both test sets), ±99° each
//   AuthorsCode90   C3Imaging FSANet_Test.py: ±90° each (what P1/P2 numbers used)
//   P1 Table 3      six Biwi subsets with one or two free axes: Y(±90) P(±10) R(±10), ...
//   P2 Table I      last row: Yaw ±60, Pitch ±60, Roll ±10
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace synface::hpe {

struct AngleLimits {
  std::string name;
  double yaw_deg = 180, pitch_deg = 180, roll_deg = 180;  // inclusive |angle| bounds
  bool Contains(const Eigen::Vector3d& label_deg) const;
};

AngleLimits NoFilter();
AngleLimits FsaNet99();
AngleLimits AuthorsCode90();
AngleLimits P2TableINarrow();               // Y ±60, P ±60, R ±10
std::vector<AngleLimits> P1Table3Ranges();  // the six rows, in the table's order
// By name: "none", "fsanet99", "authors90", "p2_table1_narrow", "p1t3_y90_p10_r10", ... (see
// P1Table3Ranges for the six). Throws core::Error listing the known names.
AngleLimits AngleLimitsByName(const std::string& name);

// Indices of the samples whose label is inside `limits`.
std::vector<size_t> FilterIndices(const std::vector<Eigen::Vector3d>& labels_deg,
                                  const AngleLimits& limits);

struct PoseMae {
  double yaw = 0, pitch = 0, roll = 0;
  double mean = 0;  // (yaw + pitch + roll) / 3
  size_t count = 0;
};

// MAE over all samples (sizes must match; throws core::Error otherwise or when empty).
PoseMae ComputeMae(const std::vector<Eigen::Vector3d>& predicted_deg,
                   const std::vector<Eigen::Vector3d>& truth_deg);
// MAE over the samples whose ground truth is inside `limits`. `batch_truncation` > 0 reproduces
// the authors' test loop, which predicts range(N // bs) batches of the filtered set and so drops
// its last N % bs samples.
PoseMae EvaluateFiltered(const std::vector<Eigen::Vector3d>& predicted_deg,
                         const std::vector<Eigen::Vector3d>& truth_deg, const AngleLimits& limits,
                         int batch_truncation = 0);

// ---- splits ----------------------------------------------------------------------------------

struct GroupSplit {
  std::vector<int> train_groups, test_groups;  // ascending
  std::vector<size_t> train, test;             // sample indices
};

// Splits by group (BIWI sequence): a seeded permutation of the distinct groups, the first
// round(fraction * G) train, the rest test. BIWI protocol 2 = fraction 16/24 (FSA-Net's
// TYY_create_db_biwi_70_30.py draws the 16 with an unseeded permutation; ours is seeded).
GroupSplit SplitByGroup(const std::vector<int>& groups, double train_fraction, uint64_t seed);
inline constexpr double kBiwiTrainFraction = 16.0 / 24.0;

// The two source sets of the DA strategy: [0, first) and [first, end) where end = n - 1 when
// `drop_last` (the authors' poseData[50000:-1]) or n.
struct IndexSplit {
  std::vector<size_t> first, second;
};
IndexSplit SplitSourceForAdaptation(size_t n, size_t first_count, bool drop_last);

// `k` distinct indices of 0..n-1 drawn with `seed`, ascending (the fine-tuning subset).
std::vector<size_t> SampleIndices(size_t n, size_t k, uint64_t seed);

}  // namespace synface::hpe
