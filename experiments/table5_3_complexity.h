// Thesis Table 5.3, columns gMac / gFlop / # Params: the dense-landmark regressors (MobileNetV2
// and the "Resnet-18" row's resnet_jmlr, each with the 520 x 3 = 1560-value head) at 256 x 256,
// counted by core/nn's complexity counter. Data-free, so the record's scale is "exact".
//
// Two variants (ch4_5 digest §3.8):
//   default  the correct figures: all parameters, conv + linear MACs, FLOPs = 2 x MACs, rounded;
//   as_run   the authors' measurement: thop >= 0.1 on timm's MobileNetV2 (fused BatchNormAct2d
//            layers not counted) and on the plain-BN resnet_jmlr, "gFlop" = gMac / 2, truncated
//            to two decimals, reproducing the printed cells.
#pragma once

#include "experiments/runner.h"

namespace synface::experiments {

Experiment Table53ComplexityExperiment(const std::string& name);

}  // namespace synface::experiments
