#include "experiments/p3_table1_simple_cnn.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P3Table1SimpleCnnExperiment("p3_table1_simple_cnn"), argc, argv);
}
