#include "hpe/evaluation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/data/seed.h"
#include "core/util/error.h"

namespace synface::hpe {
using core::MakeError;

bool AngleLimits::Contains(const Eigen::Vector3d& d) const {
  return std::abs(d[0]) <= yaw_deg && std::abs(d[1]) <= pitch_deg && std::abs(d[2]) <= roll_deg;
}

AngleLimits NoFilter() { return {"none", 1e300, 1e300, 1e300}; }
AngleLimits FsaNet99() { return {"fsanet99", 99, 99, 99}; }
AngleLimits AuthorsCode90() { return {"authors90", 90, 90, 90}; }
AngleLimits P2TableINarrow() { return {"p2_table1_narrow", 60, 60, 10}; }

std::vector<AngleLimits> P1Table3Ranges() {
  return {{"p1t3_y90_p10_r10", 90, 10, 10}, {"p1t3_y10_p90_r10", 10, 90, 10},
          {"p1t3_y10_p10_r90", 10, 10, 90}, {"p1t3_y90_p90_r10", 90, 90, 10},
          {"p1t3_y10_p90_r90", 10, 90, 90}, {"p1t3_y90_p10_r90", 90, 10, 90}};
}

AngleLimits AngleLimitsByName(const std::string& name) {
  std::vector<AngleLimits> all = {NoFilter(), FsaNet99(), AuthorsCode90(), P2TableINarrow()};
  for (const auto& l : P1Table3Ranges()) all.push_back(l);
  std::string known;
  for (const auto& l : all) {
    if (l.name == name) return l;
    known += (known.empty() ? "" : ", ") + l.name;
  }
  throw MakeError("unknown angle filter '{}'; known: {}", name, known);
}

std::vector<size_t> FilterIndices(const std::vector<Eigen::Vector3d>& labels,
                                  const AngleLimits& limits) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (limits.Contains(labels[i])) keep.push_back(i);
  }
  return keep;
}

namespace {

PoseMae MaeOver(const std::vector<Eigen::Vector3d>& pred, const std::vector<Eigen::Vector3d>& gt,
                const std::vector<size_t>& idx) {
  if (idx.empty()) throw MakeError("MAE of an empty set");
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  for (size_t i : idx) sum += (pred[i] - gt[i]).cwiseAbs();
  const Eigen::Vector3d mae = sum / static_cast<double>(idx.size());
  PoseMae m;
  m.yaw = mae[0];
  m.pitch = mae[1];
  m.roll = mae[2];
  m.mean = (m.yaw + m.pitch + m.roll) / 3.0;
  m.count = idx.size();
  return m;
}

void CheckSizes(const std::vector<Eigen::Vector3d>& pred, const std::vector<Eigen::Vector3d>& gt) {
  if (pred.size() != gt.size()) {
    throw MakeError("MAE: {} predictions for {} labels", pred.size(), gt.size());
  }
}

}  // namespace

PoseMae ComputeMae(const std::vector<Eigen::Vector3d>& pred,
                   const std::vector<Eigen::Vector3d>& gt) {
  CheckSizes(pred, gt);
  std::vector<size_t> all(pred.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return MaeOver(pred, gt, all);
}

PoseMae EvaluateFiltered(const std::vector<Eigen::Vector3d>& pred,
                         const std::vector<Eigen::Vector3d>& gt, const AngleLimits& limits,
                         int batch_truncation) {
  CheckSizes(pred, gt);
  std::vector<size_t> keep = FilterIndices(gt, limits);
  if (batch_truncation > 0) {
    keep.resize(keep.size() / static_cast<size_t>(batch_truncation) *
                static_cast<size_t>(batch_truncation));
  }
  if (keep.empty()) {
    throw MakeError("no sample inside the angle filter '{}' (of {})", limits.name, gt.size());
  }
  return MaeOver(pred, gt, keep);
}

namespace {

// Fisher-Yates over xoshiro (core::data::Rng): identical everywhere.
template <typename T>
void Shuffle(std::vector<T>& v, uint64_t seed) {
  core::data::Rng rng(seed);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.UniformInt(uint64_t{i})]);
}

}  // namespace

GroupSplit SplitByGroup(const std::vector<int>& groups, double train_fraction, uint64_t seed) {
  if (!(train_fraction > 0 && train_fraction < 1)) {
    throw MakeError("SplitByGroup: train fraction {} is not in (0, 1)", train_fraction);
  }
  std::set<int> distinct(groups.begin(), groups.end());
  if (distinct.size() < 2) {
    throw MakeError("SplitByGroup: {} group(s); a group split needs at least 2", distinct.size());
  }
  std::vector<int> order(distinct.begin(), distinct.end());
  Shuffle(order, seed);
  size_t n_train = static_cast<size_t>(std::lround(train_fraction * order.size()));
  n_train = std::clamp<size_t>(n_train, 1, order.size() - 1);
  GroupSplit s;
  s.train_groups.assign(order.begin(), order.begin() + n_train);
  s.test_groups.assign(order.begin() + n_train, order.end());
  std::sort(s.train_groups.begin(), s.train_groups.end());
  std::sort(s.test_groups.begin(), s.test_groups.end());
  const std::set<int> train(s.train_groups.begin(), s.train_groups.end());
  for (size_t i = 0; i < groups.size(); ++i)
    (train.count(groups[i]) ? s.train : s.test).push_back(i);
  return s;
}

IndexSplit SplitSourceForAdaptation(size_t n, size_t first_count, bool drop_last) {
  const size_t end = drop_last && n > 0 ? n - 1 : n;
  if (first_count == 0 || first_count >= end) {
    throw MakeError("source split: first set of {} leaves nothing of {} samples for the second",
                    first_count, n);
  }
  IndexSplit s;
  for (size_t i = 0; i < first_count; ++i) s.first.push_back(i);
  for (size_t i = first_count; i < end; ++i) s.second.push_back(i);
  return s;
}

std::vector<size_t> SampleIndices(size_t n, size_t k, uint64_t seed) {
  if (k > n) throw MakeError("cannot draw {} distinct samples of {}", k, n);
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  Shuffle(all, seed);
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace synface::hpe
