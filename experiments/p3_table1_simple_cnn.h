// P3 Table I rows 3-4: the "Simple CNN" (U-Net-simple) trained on synthetic facial depth with the
// mean-squared-error loss and Adam (P3, digest ch3 §4.3), scored on the full image and on the
// facial crop (ground truth < 0.5 m). Rows 1-2 (pre-trained DenseDepth and MiDaS on the synthetic
// data) need released third-party weights and stay "not run".
//
// Data: a synface depth dataset folder (dataset.toml + manifest + samples/<id>.{rgb.png,
// depth.exr, json}; data.root), split by subject (manifest column "subject") into train / test.
// Paper scale needs that folder (fails at once naming it). Smoke scale, when the folder is absent
// and data.stand_in is on, writes depth/toy_data's procedural scenes into the run folder instead
// and labels the record "synthetic-stand-in" — a toy, not the synth engine's faces.
//
// Variants: default = correct evaluation (prediction up-sampled to the ground truth, per-image
// means) with ImageNet-normalised RGB input and nearest-neighbour depth resizing; as_run = the
// authors' loader and the legacy evaluator (BGR / 255, bilinear depth resize, metrics.h quirks).
#pragma once

#include "experiments/runner.h"

namespace synface::experiments {

Experiment P3Table1SimpleCnnExperiment(const std::string& name);

}  // namespace synface::experiments
