#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table3NarrowRangeExperiment("p1_table3_narrow_range"), argc, argv);
}
