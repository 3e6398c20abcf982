// Writing a synth dataset (or one shard of it) through core/data's contract: dataset.toml,
// per-sample files, manifest rows; resumable and deterministic.
//
// - All cores: samples render in parallel, one per worker thread (each render single-threaded,
//   which scales better than splitting one small image into tiles), and when fewer samples than
//   workers remain, the renderer's own tiles use the spare threads. The bytes do not depend on
//   the thread count.
// - Pipeline: the workers build, render and encode (PNG, EXR, JSON in memory); one writer thread
//   writes the files (temporary + rename, no fsync per file) and commits samples in batches:
//   one fsync point per batch (every file of the batch, then the folder) before the batch's
//   manifest rows are appended. A row marks a sample done, so no sample is recorded before its
//   files are durable.
// - Resume: a killed run is continued by running the same command again; ShardWriter lists the
//   ids not done yet (written but uncommitted samples are redone). Samples are committed to the
//   manifest in id order, so even the manifest part file of a resumed run is byte-identical to
//   an uninterrupted one.
// - Sharding: shard=i/N renders ids with id % N == i; the shard that completes the dataset
//   finalises it (manifest.csv), so the union of shards equals the unsharded dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/config/config.h"
#include "synth/datagen/generator_config.h"
#include "synth/datagen/sample.h"

namespace synface::synth::datagen {

struct GenerateReport {
  uint64_t pending = 0;      // samples this run had to make
  uint64_t generated = 0;    // samples it committed
  bool finalized = false;    // manifest.csv written (the whole dataset is complete)
  bool stopped = false;      // stop_after ended the run early
  double seconds = 0;        // the whole call
  double setup_seconds = 0;  // of which loading assets and listing pending ids
  std::string head_source;   // "ict" | "procedural"
  int workers = 0;           // render worker threads
  StageTimes times;          // summed over the samples made (encode .. fsync on the writer)
};

// Generates what `config` asks (count, out, shard, threads, stop_after, ...). `resolved` is the
// validated config it came from; it is stored in dataset.toml (with head.source resolved, so a
// resume on a machine where "auto" resolves differently is refused instead of mixing heads).
// Throws core::Error before any sample is written when the config, an asset or an existing
// dataset.toml does not fit.
GenerateReport GenerateDataset(const GeneratorConfig& config, const core::config::Config& resolved);

// The command line of //synth:generate: <config.toml ...> key=value ... Returns the exit code;
// errors are printed as one message.
int GenerateMain(int argc, char** argv);

}  // namespace synface::synth::datagen
