#include "experiments/depth_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(DepthComparisonExperiment("p5_table1_facedepth", "p5_table1"), argc, argv);
}
