#include "experiments/depth_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(DepthComparisonExperiment("p4_table1_encoders", "p4_table1"), argc, argv);
}
