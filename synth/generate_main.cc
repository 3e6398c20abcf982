// bazel run //synth:generate -- <config.toml> count=N out=DIR [shard=i/N] [key=value ...]
#include "synth/datagen/generator.h"

int main(int argc, char** argv) { return synface::synth::datagen::GenerateMain(argc, argv); }
