// DiB Table 1 (C3I-SynFace's rendering parameters, table id dib_table1), ours beside the thesis's:
// the values our c3i_depth preset (synth/configs/c3i_depth.toml) renders with, read through the
// generator's own config code. Rows without an analogue in our renderer (Cycles' progression,
// transparent/transmission bounces, light-sampling threshold, indirect clamp) are "n/a: <why>".
// Data-free, so the record's scale is "exact".
#pragma once

#include <string>

#include "experiments/runner.h"

namespace synface::experiments {

Experiment DibTable1RenderingExperiment(const std::string& name);

}  // namespace synface::experiments
