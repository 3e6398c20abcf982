// The predict command (bazel run //depth:predict -- MODEL in=DIR out=DIR [key=value ...]), kept
// torch-free here so that its main() compiles in a blink; implemented in pipeline.cc.
//
// Predicts depth for every image of a folder (a synface depth dataset, a real set in one of the
// readers' formats, or plain images) and writes colour-mapped depth PNGs beside the RGB and the
// ground truth, a side-by-side panel, the prediction as EXR (metres), and PLY point clouds
// back-projected with the sample's intrinsics; with ground truth also metrics.json.
//
//   MODEL          a model file (TrainDepthModel and the experiments write model.pt) or a training
//   checkpoint;
//                  a plain state dict needs model=<architecture>
//   in=DIR         input folder (or NYU .mat file)      out=DIR   output folder
//   kind=auto      synth | nyu | biwi | pandora | eurecom | images | auto
//   model=NAME     architecture for plain state dicts (unet_simple, facedepth, densedepth_*, bts_*)
//   max_depth=5    input_norm=imagenet|bgr255  width=W height=H   (plain state dicts only)
//   eval=correct   correct | legacy (the authors' evaluation quirks, metrics.h)
//   fc=false       facial-crop evaluation (ground truth < 0.5 m)
//   fov=60         horizontal field of view (degrees) for sources without intrinsics
//   ply_stride=1   limit=0   threads=0 (all cores)
#pragma once

namespace synface::depth {

// Parses the arguments, runs PredictSource, prints a summary; returns the process exit code
// (errors are printed as one line, never a stack trace).
int PredictMain(int argc, char** argv);

}  // namespace synface::depth
