#include "experiments/p1_table1_dataset.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table1DatasetExperiment("p1_table1_dataset"), argc, argv);
}
