#include "experiments/hpe_tables.h"

int main(int argc, char** argv) {
  using namespace synface::experiments;
  return ExperimentMain(P1Table5DomainAdaptationExperiment("p1_table5_domain_adaptation"), argc,
                        argv);
}
