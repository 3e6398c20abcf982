// P3 Table I rows 3-4: the "Simple CNN" (U-Net-simple) trained on synthetic facial depth with the
// mean-squared-error loss and Adam (P3, digest ch3 §4.3), scored on the full image and on the
// facial crop (ground truth < 0.5 m). Rows 1-2 (pre-trained DenseDepth and MiDaS on the synthetic
// data) need released third-party weights and stay "not run".
//
// Data (experiments/depth_tables.h, shared with P4 Table 1 and P5 Tables 1 and 3): at smoke
// scale synth's c3i_depth preset rendered at 128x96 (350 samples = 5 subjects, generated once
// under runs/_datasets/ through EnsureSynthDataset and labelled as synface's renderer standing in
// for the authors' Blender set); at paper scale the dataset folder data.root (fails at once
// naming it). Split by subject (synth's subject = id / head.samples_per_subject) into train /
// test. smoke.data.source = "toy" uses depth/toy_data's procedural scenes (tests only).
//
// Variants: default = correct evaluation (prediction up-sampled to the ground truth, per-image
// means) with ImageNet-normalised RGB input and nearest-neighbour depth resizing; as_run = the
// authors' loader and the legacy evaluator (BGR / 255, bilinear depth resize, metrics.h quirks).
#pragma once

#include "experiments/runner.h"

namespace synface::experiments {

Experiment P3Table1SimpleCnnExperiment(const std::string& name);

}  // namespace synface::experiments
