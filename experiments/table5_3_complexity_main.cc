#include "experiments/table5_3_complexity.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(Table53ComplexityExperiment("table5_3_complexity"), argc, argv);
}
