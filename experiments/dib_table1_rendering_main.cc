#include "experiments/dib_table1_rendering.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(DibTable1RenderingExperiment("dib_table1_rendering"), argc, argv);
}
