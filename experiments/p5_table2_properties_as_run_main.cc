#include "experiments/p5_table2_properties.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P5Table2PropertiesExperiment("p5_table2_properties_as_run"), argc, argv);
}
