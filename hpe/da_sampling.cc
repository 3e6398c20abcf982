#include "hpe/da_sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "core/data/seed.h"
#include "core/util/error.h"

namespace synface::hpe {
using core::MakeError;

double DannLambda(double progress, double gamma) {
  if (!std::isfinite(progress)) throw MakeError("DannLambda: progress {} is not finite", progress);
  return 2.0 / (1.0 + std::exp(-gamma * progress)) - 1.0;
}

std::vector<size_t> NearestSourceIndices(const std::vector<Eigen::Vector3d>& targets,
                                         const std::vector<Eigen::Vector3d>& sources,
                                         const NearestSourceOptions& options) {
  if (sources.empty()) throw MakeError("nearest-source sampling: the source set is empty");
  if (options.jitter_deg < 0) throw MakeError("nearest-source sampling: negative jitter");
  std::vector<size_t> out(targets.size());
  auto search = [&](size_t begin, size_t end) {
    for (size_t t = begin; t < end; ++t) {
      Eigen::Vector3d q = targets[t];
      if (options.jitter_deg > 0) {
        core::data::Rng rng = core::data::SampleRng(options.seed, t);
        for (int k = 0; k < 3; ++k) q[k] += rng.Uniform(-options.jitter_deg, options.jitter_deg);
      }
      double best = std::numeric_limits<double>::infinity();
      size_t best_i = 0;
      for (size_t i = 0; i < sources.size(); ++i) {
        const Eigen::Vector3d d = sources[i] - q;
        const double dist = options.distance == PoseDistance::kMeanAbsolute
                                ? d.cwiseAbs().sum() / 3.0
                                : d.squaredNorm() / 3.0;
        if (dist < best) {
          best = dist;
          best_i = i;
        }
      }
      out[t] = best_i;
    }
  };
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(threads, std::max<size_t>(1, targets.size())));
  std::vector<std::thread> pool;
  const size_t chunk = (targets.size() + threads - 1) / threads;
  for (int w = 1; w < threads; ++w) {
    const size_t b = std::min(targets.size(), w * chunk), e = std::min(targets.size(), b + chunk);
    pool.emplace_back(search, b, e);
  }
  search(0, std::min(targets.size(), chunk));
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace synface::hpe
