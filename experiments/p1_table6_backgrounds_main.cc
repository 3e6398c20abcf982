#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table6BackgroundsExperiment("p1_table6_backgrounds"), argc, argv);
}
