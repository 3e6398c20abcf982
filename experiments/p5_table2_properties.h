// P5 Table 2 ("Properties of the studied methods"): parameters, output size and computational
// complexity of BTS, DenseDepth-169, ResNet-50, EfficientNet-B7, UNet-simple and FaceDepth,
// measured on depth/'s models at 640x480 by core/nn's operation counter. Data-free: scale
// "exact". The training columns (optimizer, LR/epochs) are settings, not measurements, and stay
// "not run".
//
// Rows -> models: bts = bts_densenet161 (P5 does not name BTS's encoder; the BTS default),
// densedepth_169 = densedepth_densenet169, resnet_50 = densedepth_resnet50, efficientnet_b7 =
// densedepth_efficientnet_b7, unet_simple_fc = unet_simple, our_facedepth = facedepth.
//
// Two variants (digest ch3 §4.2, §7 items 21-22):
//   default  parameters of the layers that run (an encoder's unused ImageNet head is not part of
//            the model), complexity = multiply-accumulates of convolutions and linear layers;
//   as_run   the authors' measurement: every parameter of the model object as the reference
//            PyTorch code builds it (FaceDepth and DenseDepth keep the whole torchvision encoder,
//            classifier included; BTS keeps DenseNet's `.features` only) and ptflops's MAC count
//            (module hooks only: convolutions and linear layers with bias, BatchNorm, ReLU-family
//            activations, pooling and nn.Upsample; functional interpolations not counted), which
//            reproduces FaceDepth's printed 14.42M / 16.41 GMac.
#pragma once

#include "experiments/runner.h"

namespace synface::experiments {

Experiment P5Table2PropertiesExperiment(const std::string& name);

}  // namespace synface::experiments
