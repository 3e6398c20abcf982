// `bazel run //hpe:train`: trains a head-pose model on any dataset the readers know, from C++ on
// the command line, with the chapter's synthetic-only recipe by default (hpe/training.h):
//
//   bazel run -c opt //hpe:train -- data.format=synth data.path=/data/p1 out=runs/hpe/p1
//       [model.architecture=fsanet_capsule_1x1] [train.epochs=90] [val.format=biwi val.path=DIR]
//
// Config files (*.toml) and key=value overrides compose as everywhere (core/config); --help lists
// every key. The run folder receives the trainer's logs, checkpoints, curves.png, model.ckpt
// (and best.ckpt with a validation set) and the resolved config. Started again with the same
// arguments, a killed run resumes from its newest checkpoint.
//
// Data-parallel across processes or machines: start the same command once per rank with
// torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or SYNFACE_STORE_FILE
// (core/nn/distributed.h); each rank trains on its part of every batch and rank 0 writes.
#pragma once

#include <string>
#include <vector>

#include "core/config/schema.h"

namespace synface::hpe {

// The command's keys (data.*, val.*, model.*, train.*, out, threads).
core::config::Schema TrainCommandSchema();

// Runs the command; returns the process exit code (errors are one message on stderr).
int RunTrainCommand(const std::vector<std::string>& args);

}  // namespace synface::hpe
