// bazel run //synth:preview -- DIR [out=sheet.png] [count=16] [columns=0] [panel_width=240]
#include "synth/datagen/preview.h"

int main(int argc, char** argv) { return synface::synth::datagen::PreviewMain(argc, argv); }
