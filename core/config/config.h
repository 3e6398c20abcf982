// A validated, fully resolved configuration: TOML files composed with `extends`, command-line
// overrides applied (compose.h), checked strictly against a Schema (schema.h), defaults filled in.
//
//   Schema schema;  ... declarations ...
//   CommandLine cl = SplitCommandLine(argc, argv);
//   Config config = LoadConfig(cl.files, cl.overrides, schema);
//   double lr = config.Get<double>("train.lr");
//   config.WriteResolved(run_dir / "config.resolved.toml");
//
// Every problem found (unknown key with "did you mean", wrong type, missing required key, value
// outside its choices or range, malformed override) is collected, and LoadConfig throws one
// core::Error listing each on its own line, each naming the file and line (or the override as
// typed) and the key path.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/compose.h"
#include "core/config/schema.h"

namespace synface::core::config {

class Config {
 public:
  Config() = default;

  // The value at `path`. Throws core::Error when it is not set or has another type. Supported T:
  // bool, int, int64_t, uint64_t, double, float, std::string, std::filesystem::path, and
  // std::vector of bool, int, int64_t, double, float, std::string.
  template <typename T>
  T Get(std::string_view path) const {
    T value{};
    Read(Require(path), path, &value);
    return value;
  }
  // The value, or `fallback` when the key is not set.
  template <typename T>
  T GetOr(std::string_view path, const T& fallback) const {
    return Has(path) ? Get<T>(path) : fallback;
  }

  bool Has(std::string_view path) const { return Find(path) != nullptr; }
  const toml::node* Find(std::string_view path) const;
  // A table (e.g. a free-form one); throws when absent or not a table.
  const toml::table& GetTable(std::string_view path) const;

  // Where the value at `path` came from: "configs/a.toml:12", "command line override 'x=1'" or
  // "schema default". Throws when the key is not set.
  std::string Source(std::string_view path) const;
  const std::map<std::string, Origin>& Origins() const { return origins_; }

  const toml::table& Table() const { return table_; }
  // Config files merged (parents first) and overrides applied, for records.
  const std::vector<std::filesystem::path>& Files() const { return files_; }
  const std::vector<std::string>& Overrides() const { return overrides_; }

  // The resolved config as TOML, keys in sorted order (deterministic).
  std::string ToTomlString() const;
  // Writes a header comment (files, overrides) and ToTomlString() atomically; loading that file
  // with the same schema gives an equal config.
  void WriteResolved(const std::filesystem::path& file) const;

 private:
  friend Config ResolveConfig(ComposedToml doc, const std::vector<std::string>& overrides,
                              const Schema& schema);

  const toml::node& Require(std::string_view path) const;
  std::string Where(std::string_view path) const;

  void Read(const toml::node& node, std::string_view path, bool* out) const;
  void Read(const toml::node& node, std::string_view path, int* out) const;
  void Read(const toml::node& node, std::string_view path, int64_t* out) const;
  void Read(const toml::node& node, std::string_view path, uint64_t* out) const;
  void Read(const toml::node& node, std::string_view path, double* out) const;
  void Read(const toml::node& node, std::string_view path, float* out) const;
  void Read(const toml::node& node, std::string_view path, std::string* out) const;
  void Read(const toml::node& node, std::string_view path, std::filesystem::path* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<bool>* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<int>* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<int64_t>* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<double>* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<float>* out) const;
  void Read(const toml::node& node, std::string_view path, std::vector<std::string>* out) const;

  toml::table table_;
  std::map<std::string, Origin> origins_;
  std::vector<std::filesystem::path> files_;
  std::vector<std::string> overrides_;
};

// Composes `files`, applies `overrides` ("a.b=v", "+a.b=v", "~a.b"), validates against `schema`
// and fills defaults. Throws core::Error (all problems listed together).
Config LoadConfig(const std::vector<std::filesystem::path>& files,
                  const std::vector<std::string>& overrides, const Schema& schema);

// Same for a TOML document in memory (`name` appears in messages; its extends resolve against
// `base_dir`).
Config LoadConfigString(std::string_view toml_text, const std::string& name,
                        const std::vector<std::string>& overrides, const Schema& schema,
                        const std::filesystem::path& base_dir = ".");

// The validation step on its own, for an already composed document.
Config ResolveConfig(ComposedToml doc, const std::vector<std::string>& overrides,
                     const Schema& schema);

// A command line split for LoadConfig: arguments containing '=' (and "~key") are overrides,
// arguments ending in ".toml" are config files (resolved against the folder `bazel run` was
// started from), anything else (flags such as --help) is left in `rest` for the caller.
struct CommandLine {
  std::vector<std::filesystem::path> files;
  std::vector<std::string> overrides;
  std::vector<std::string> rest;
};
CommandLine SplitCommandLine(int argc, const char* const* argv);  // skips argv[0]
CommandLine SplitCommandLine(const std::vector<std::string>& args);

// Key paths where two tables differ, each as "path: <a> vs <b>" ("(absent)" for a missing key),
// in sorted order. Paths in `ignore` (and everything beneath them) are skipped.
std::vector<std::string> DiffTables(const toml::table& a, const toml::table& b,
                                    const std::vector<std::string>& ignore = {});

// Damerau (optimal string alignment) edit distance, used for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace synface::core::config
