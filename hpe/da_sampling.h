// The torch-free parts of the adversarial domain adaptation (P1 §VI; digest ch3 §3):
//   - the DANN coefficient schedule of the gradient reversal layer, and
//   - step 2 of the three-step strategy: for every target image, the source sample whose label is
//     nearest to the target's predicted pose.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace synface::hpe {

// Ganin & Lempitsky's schedule as the authors' DA loop computes it: p = training progress in
// [0, 1] (iteration / total iterations), lambda = 2 / (1 + exp(-gamma p)) - 1, gamma = 10.
double DannLambda(double progress, double gamma = 10.0);

enum class PoseDistance {
  kMeanAbsolute,  // mean |a - b| over (yaw, pitch, roll): the authors' code (default)
  kMeanSquared,   // mean (a - b)^2: P1's text ("smallest mean-squared error")
};

struct NearestSourceOptions {
  // Each target prediction gets independent uniform(-jitter, +jitter) degrees per angle before
  // the search (the authors' code: 2°), so repeated predictions do not all pick one frame.
  double jitter_deg = 2.0;
  PoseDistance distance = PoseDistance::kMeanAbsolute;
  uint64_t seed = 0;
  int threads = 1;  // 0 = every core
};

// For each target prediction (degrees), the index into `source_labels_deg` of the nearest source
// pose (ties: the lowest index). Sampling is with replacement: one source sample may serve many
// targets. The jitter draws depend only on (seed, target index).
std::vector<size_t> NearestSourceIndices(const std::vector<Eigen::Vector3d>& target_predicted_deg,
                                         const std::vector<Eigen::Vector3d>& source_labels_deg,
                                         const NearestSourceOptions& options = {});

}  // namespace synface::hpe
