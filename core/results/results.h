// The result record: what every experiment writes and what //papers:regenerate reads.
//
// One record per run, at runs/<experiment>/<run_id>/result.json, schema "synface.result/1". It
// names the thesis table it fills (the table id of papers/tables/NN_<id>.toml), the rows and
// columns it measured, and everything needed to judge the numbers: scale, method variant, data
// source, seed, commit, hardware, start time, wall time and the resolved config. papers/README.md
// documents the file format field by field.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace synface::core::results {

inline constexpr std::string_view kSchema = "synface.result/1";

// Allowed values of ResultRecord::scale and DataSource::kind.
inline constexpr std::string_view kScales[] = {"smoke", "paper", "exact"};
inline constexpr std::string_view kDataKinds[] = {"none", "synthetic", "synthetic-stand-in",
                                                  "real"};

// Where the numbers' data came from. kind "synthetic-stand-in" marks synthetic data standing in for
// a real data set the thesis used (smoke scale only); "synthetic" is data the thesis itself
// generated synthetically; "none" is a data-free computation (parameter counts).
struct DataSource {
  std::string kind = "none";
  std::string description;  // e.g. "synface smoke head-pose set, 64 samples, stands in for BIWI"
  std::string path;         // dataset folder, "" when none
  std::string hash;         // content hash of the dataset manifest, "" when none
};

struct Hardware {
  std::string cpu_model;
  int cores = 0;               // logical CPUs the machine has
  int threads = 0;             // threads the run used
  std::string device = "cpu";  // "cpu", "cuda:0 (NVIDIA H100 80GB HBM3)", ...
};

// One measured cell: the number (or text) and its display string, formatted the way the thesis
// prints that column ("16.03M", "3.83", "0.39").
struct Value {
  nlohmann::json value;  // a number or a string
  std::string display;
};

struct ResultRow {
  std::string row;    // a row id of the table file, or a new id for a row only we have ("synface")
  std::string label;  // required for new rows: the text shown in the table's first label column
  std::map<std::string, Value> values;  // column id -> value
  std::string note;
};

struct ResultRecord {
  std::string experiment;  // experiment name, also the folder under runs/
  std::string table;       // table id, e.g. "table5_3"
  std::string scale;       // "smoke" | "paper" | "exact"
  std::string variant =
      "default";  // method variant that made the numbers: "default", "as_run", ...
  DataSource data;
  uint64_t seed = 0;
  std::string commit = "unknown";  // git sha, "+dirty" when the tree had changes, or "unknown"
  Hardware hardware;
  std::string started_at;  // ISO 8601 UTC, "2024-05-01T12:34:56Z"
  double wall_time_s = 0;
  nlohmann::json config = nlohmann::json::object();  // resolved config: JSON object or TOML text
  std::vector<ResultRow> rows;
  std::string notes;     // how it was measured, conventions
  nlohmann::json extra;  // optional free-form data (curves, per-sample stats); null when absent

  // Not serialised: filled in by ReadResult from the file's location.
  std::filesystem::path source_path;
  std::string run_id;  // name of the folder holding result.json
};

// Serialises a record (schema field first); throws core::Error when the record is invalid.
nlohmann::json ToJson(const ResultRecord& record);

// Parses and validates a record. `origin` names the source in errors, which read
// "<origin>: <JSON pointer>: <problem>", e.g. "runs/a/1/result.json: /rows/0/values/gmac/display:
// missing required field".
ResultRecord FromJson(const nlohmann::json& json, const std::string& origin);

// Validates `record`, then writes <run_dir>/result.json atomically (creating run_dir). Returns the
// path written.
std::filesystem::path WriteResult(const std::filesystem::path& run_dir, const ResultRecord& record);

// Reads and validates one result.json; throws core::Error naming the file (and the JSON pointer of
// the bad field, or the parse position of malformed JSON).
ResultRecord ReadResult(const std::filesystem::path& path);

// Every result.json under runs_root (any depth), one record per (experiment, table, variant,
// scale): the newest by started_at (then run_id) wins. A missing runs_root gives no records. A bad
// record throws, unless `problems` is given: then its error message is appended there and it is
// skipped. `superseded`, when given, receives the number of older runs left out. Sorted by table,
// experiment, variant, scale.
std::vector<ResultRecord> FindResults(const std::filesystem::path& runs_root,
                                      std::vector<std::string>* problems = nullptr,
                                      int* superseded = nullptr);

// --- provenance helpers ---------------------------------------------------------------------

// "<sha>", "<sha>+dirty" (tracked or untracked, not ignored, changes) or "unknown" (not a git
// work tree, git missing). Default folder: where the user ran `bazel run` from.
std::string CurrentCommit(const std::filesystem::path& dir);
std::string CurrentCommit();

// The commit string from git's outputs: `rev_parse_ok` and its output (the sha line) and
// `git status --porcelain`'s output. Exposed for tests.
std::string CommitString(bool rev_parse_ok, std::string_view rev_parse_output,
                         std::string_view status_output);

// CPU model (from /proc/cpuinfo), logical CPU count; `threads` 0 means all cores.
Hardware HardwareDescription(int threads = 0, const std::string& device = "cpu");

// Current time, ISO 8601 UTC with seconds: "2024-05-01T12:34:56Z".
std::string NowIso8601();

// A fresh run id that sorts by time: "20240501T123456Z-3f9a" (UTC start time + 4 random hex
// digits).
std::string NewRunId();

// --- display helpers ------------------------------------------------------------------------

// Fixed decimals: FormatFixed(3.8349, 2) == "3.83".
std::string FormatFixed(double value, int decimals);

// Count with a K/M/G suffix, as the thesis prints parameter counts: FormatCount(16032344, 2) ==
// "16.03M", FormatCount(4222232, 2) == "4.22M", FormatCount(950, 0) == "950".
std::string FormatCount(double value, int decimals);

}  // namespace synface::core::results
