#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table4TransferExperiment("p1_table4_transfer"), argc, argv);
}
