// The on-disk dataset contract shared by every generator and reader. A dataset is a folder:
//
//   dataset.toml                         what it is: generator + version, count, seed, labels,
//                                        per-sample files, conventions, layout, the resolved
//                                        generator config ([config]), manifest summary
//   samples/000123.rgb.png ...           per-sample files, named by zero-padded id + suffix
//   manifest/shard-0003-of-0008.csv      rows appended by each shard as its samples complete
//   manifest.csv                         id,files[,columns...] sorted by id (written by Finalize)
//
// Writing (generators):
//   ShardWriter writer(dir, info, Shard::Parse("3/8"));   // creates or checks dataset.toml
//   for (uint64_t id : writer.Pending()) {                 // ids of this shard not done yet
//     Rng rng = SampleRng(info.seed, id);
//     ... write writer.SamplePath(id, "rgb.png"), ..., and LAST, atomically, the final file
//         writer.SamplePath(id, info.files.back()) ...
//     writer.Commit(id, {{"yaw", "12.5"}});                // appends the manifest row
//   }
//   Finalize(dir);                                         // once every shard is done
//
// A sample is done when its final file (info.files.back(), written last and atomically) exists
// AND its manifest row has been appended: a job killed at any point is resumed by running the same
// shard again; a sample caught between its final file and its row is simply regenerated (the same
// bytes, as its randomness comes only from SampleSeed(seed, id)).
//
// Reading: Dataset::Open(dir) validates dataset.toml and manifest.csv and gives ids and file paths.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/shard.h"

namespace synface::core::data {

inline constexpr char kDatasetToml[] = "dataset.toml";
inline constexpr char kManifestCsv[] = "manifest.csv";
inline constexpr char kManifestPartsDir[] = "manifest";
inline constexpr int kFormatVersion = 1;

// units = "metres", depth = "planar_z", camera = "opencv", pose = "cam_from_head",
// landmarks = "multipie68" (docs: ARCHITECTURE.md "Conventions").
std::map<std::string, std::string> StandardConventions();

struct DatasetInfo {
  std::string generator;            // e.g. "synth"
  std::string generator_version;    // change it whenever the bytes a sample gets change
  uint64_t count = 0;               // ids are 0 .. count-1
  uint64_t seed = 0;                // at most 2^63-1 (TOML integers are signed)
  std::vector<std::string> labels;  // what samples carry, e.g. {"rgb", "depth", "pose"}
  // Per-sample file suffixes every sample has ("rgb.png", "depth.exr", "json"); the LAST one is
  // written last, atomically, and marks the sample as done.
  std::vector<std::string> files;
  std::vector<std::string> optional_files;    // suffixes only some samples have
  std::vector<std::string> manifest_columns;  // extra manifest columns filled by Commit()
  std::map<std::string, std::string> conventions = StandardConventions();
  toml::table config;  // the resolved generator config
  // Config keys that do not change any output byte (threads, output folder, shard): recorded but
  // ignored when a later run checks that it continues the same dataset.
  std::vector<std::string> unchecked_config_keys = {"scale.threads"};
  std::string sample_dir = "samples";
  int id_digits = 0;  // 0: max(6, digits of count-1)

  // Read back from dataset.toml (informative): shard count of the first writer, manifest summary.
  uint64_t created_with_shards = 0;
  bool finalized = false;
  bool complete = false;
  uint64_t manifest_rows = 0;
  std::string manifest_fnv1a64;

  const std::string& final_file() const { return files.back(); }
  int Digits() const;  // id_digits, or the default for `count`
};

// "000123.rgb.png" (`digits` wide, more when the id needs it).
std::string SampleFileName(uint64_t id, std::string_view suffix, int digits);

// Reads and validates <dir>/dataset.toml; errors name the file, line and key.
DatasetInfo ReadDatasetInfo(const std::filesystem::path& dir);

// Writes <dir>/dataset.toml for `info`, or, when it exists, checks that it describes the same
// dataset (same generator and version, count, seed, files, conventions, config except the
// unchecked keys, ...) and leaves it untouched. Throws core::Error listing every differing key.
// Safe to call from shards running at once (each writes the same content atomically).
void PrepareDataset(const std::filesystem::path& dir, const DatasetInfo& info, const Shard& shard);

// Ids of `shard` (among 0 .. count-1) that are not done in <dir>, ascending.
std::vector<uint64_t> PendingIds(const std::filesystem::path& dir, const Shard& shard,
                                 uint64_t count);

// One manifest row.
struct ManifestRow {
  uint64_t id = 0;
  std::vector<std::string> files;   // suffixes present, in the order of info.files + optional_files
  std::vector<std::string> fields;  // values of info.manifest_columns, in order
  bool operator==(const ManifestRow& o) const {
    return id == o.id && files == o.files && fields == o.fields;
  }
};

// Writes the samples of one shard into a dataset folder.
class ShardWriter {
 public:
  // Prepares the dataset (PrepareDataset), creates the folders, tidies this shard's manifest part
  // after a crash (drops a half-written last row and rows whose final file is missing) and
  // computes Pending().
  ShardWriter(const std::filesystem::path& dir, const DatasetInfo& info, const Shard& shard);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  const DatasetInfo& info() const { return info_; }
  const Shard& shard() const { return shard_; }
  const std::filesystem::path& dir() const { return dir_; }
  // The ids of this shard still to generate (as of construction), ascending.
  const std::vector<uint64_t>& Pending() const { return pending_; }

  // <dir>/samples/<id>.<suffix>; creates nothing.
  std::filesystem::path SamplePath(uint64_t id, std::string_view suffix) const;

  // Records sample `id` as done: checks that this shard owns it, that every required file and the
  // final file exist, and that `fields` has exactly the manifest columns; then appends its row.
  // Thread-safe.
  void Commit(uint64_t id, const std::map<std::string, std::string>& fields = {});
  uint64_t committed() const;

 private:
  std::filesystem::path dir_;
  DatasetInfo info_;
  Shard shard_;
  std::filesystem::path part_path_;
  std::vector<uint64_t> pending_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  uint64_t committed_ = 0;
};

struct FinalizeOptions {
  // Write the manifest even when samples are missing (marked complete = false; readers refuse
  // it unless they also allow incomplete datasets).
  bool allow_incomplete = false;
};

struct FinalizeResult {
  uint64_t rows = 0;
  uint64_t missing = 0;
};

// Merges every shard's manifest part into <dir>/manifest.csv (sorted by id, atomic) and records
// its row count and checksum in dataset.toml. Throws core::Error when samples are missing (naming
// the first few and the shards that still have work), unless allowed.
FinalizeResult Finalize(const std::filesystem::path& dir, const FinalizeOptions& options = {});

struct OpenOptions {
  bool allow_incomplete = false;
};

// A finalized dataset, read-only.
class Dataset {
 public:
  // Validates dataset.toml and manifest.csv. Throws core::Error naming the path (and line) for a
  // missing folder or file, a malformed or truncated manifest, or a manifest that does not match
  // dataset.toml.
  static Dataset Open(const std::filesystem::path& dir, const OpenOptions& options = {});

  const std::filesystem::path& dir() const { return dir_; }
  const DatasetInfo& info() const { return info_; }
  size_t size() const { return rows_.size(); }
  const std::vector<uint64_t>& Ids() const { return ids_; }
  const std::vector<ManifestRow>& Rows() const { return rows_; }

  bool Contains(uint64_t id) const { return Find(id) != nullptr; }
  const ManifestRow* Find(uint64_t id) const;  // nullptr when absent
  const ManifestRow& Row(uint64_t id) const;   // throws naming the id
  bool Has(uint64_t id, std::string_view suffix) const;
  // Path of a sample file; throws when the sample or that file of it is not in the manifest.
  std::filesystem::path Path(uint64_t id, std::string_view suffix) const;
  // Value of a manifest column for a sample.
  const std::string& Field(uint64_t id, std::string_view column) const;

  // Checks that every file the manifest lists exists; throws listing the first missing ones.
  void VerifyFiles() const;

 private:
  std::filesystem::path dir_;
  DatasetInfo info_;
  std::vector<uint64_t> ids_;
  std::vector<ManifestRow> rows_;
};

}  // namespace synface::core::data
