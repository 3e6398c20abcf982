// bazel run //depth:predict -- MODEL in=DIR out=DIR [key=value ...]; see depth/predict_cli.h.
#include "depth/predict_cli.h"

int main(int argc, char** argv) { return synface::depth::PredictMain(argc, argv); }
