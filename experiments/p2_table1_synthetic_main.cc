#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P2Table1Experiment("p2_table1_synthetic"), argc, argv);
}
