#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table2SyntheticExperiment("p1_table2_synthetic"), argc, argv);
}
