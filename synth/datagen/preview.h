// Contact sheets of a synth dataset, so a person can look at what was made: a grid of samples,
// each its RGB image with the 68 landmarks (green visible, red hidden) and the head-pose axes
// drawn (x red, y green, the facing direction blue, as the public head-pose demos draw them),
// beside a colour map of its depth, with a caption (id, yaw/pitch/roll, background).
//
//   bazel run //synth:preview -- DIR [out=DIR/contact_sheet.png] [count=16] [columns=0]
//                                    [panel_width=240]
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <vector>

#include "synth/labels/labels.h"

namespace synface::synth::datagen {

struct ContactSheetOptions {
  int count = 16;         // samples shown, spread evenly over the dataset's ids
  int columns = 0;        // 0: about square
  int panel_width = 240;  // pixels per image panel (RGB and depth each)
};

// Sample ids with a label record in a dataset folder (from manifest.csv when the dataset is
// finalised, else from the JSON files present), ascending. Throws core::Error naming the folder.
std::vector<uint64_t> LabelledIds(const std::filesystem::path& dataset_dir);

// One sample's two panels side by side with its caption: `rgb` (8-bit BGR, or empty: the mask or
// a grey panel stands in), `depth` (CV_32F or empty).
cv::Mat DrawSamplePanel(const labels::SampleLabels& labels, const cv::Mat& rgb,
                        const cv::Mat& depth, int panel_width);

// The whole sheet (8-bit BGR).
cv::Mat ContactSheet(const std::filesystem::path& dataset_dir, const ContactSheetOptions& options);

// The command line of //synth:preview; returns the exit code.
int PreviewMain(int argc, char** argv);

}  // namespace synface::synth::datagen
