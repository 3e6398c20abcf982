#include "experiments/depth_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(LossWeightSweepExperiment("p5_table3_loss_weights"), argc, argv);
}
