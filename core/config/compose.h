// Composition of TOML config files (`extends`) and command-line overrides, keeping the provenance
// (file:line, or the override as typed) of every value. Validation against a schema is in config.h;
// this layer only builds the merged document.
//
// extends: a top-level `extends = ["base.toml", "../scales/smoke.toml"]` (or a single string) names
// parent files relative to the extending file's folder. Parents are merged first, in list order,
// then the file itself; tables merge recursively, every other value (scalars, arrays, arrays of
// tables) replaces what was there. Recursive; a cycle is an error naming the chain.
//
// Overrides (Hydra-style, applied after all files):
//   key.path=value    set a key. The value is read as a TOML value when it parses as one
//                     (1e-4, true, [1,2,3], "quoted", {a=1}), else taken as a plain string
//                     (data.root=/x). The key must be declared by the schema or already present in
//                     the files: inside free-form (open) tables a new key needs the '+' form, so a
//                     typo cannot silently add a key.
//   +key.path=value   add a key that no file sets yet (an error if one does: use key=value).
//                     Strict validation still applies: '+' never admits a key the schema rejects.
//   ~key.path         remove a key set by the files (its schema default, if any, then applies).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/schema.h"

namespace synface::core::config {

// Where a value came from.
struct Origin {
  enum class Kind { kFile, kOverride, kDefault };
  Kind kind = Kind::kDefault;
  std::string
      file;  // kFile: the file as named (relative paths joined to the extending file's folder)
  uint32_t line = 0;
  uint32_t column = 0;
  std::string override_text;   // kOverride: the argument as typed
  std::string override_value;  // kOverride: its raw value text

  // "configs/a.toml:12", "command line override 'train.lr=1e-4'", "schema default".
  std::string ToString() const;
};

// A merged document. Key paths in `origins` are JoinKeyPath() paths; array elements are "path[i]".
struct ComposedToml {
  toml::table table;
  std::map<std::string, Origin> origins;
  std::vector<std::filesystem::path> files;      // every file merged, parents first
  std::vector<std::filesystem::path> top_files;  // the files asked for, in order
  std::vector<std::string> overrides;            // overrides applied, as typed
};

// Loads and merges `files` (each with its extends chain), later files winning. Throws core::Error
// for a missing file, a TOML syntax error ("file:line:column: ..."), a malformed `extends` or a
// cycle.
ComposedToml ComposeFiles(const std::vector<std::filesystem::path>& files);

// Same for a document held in memory; `name` is used in messages, `base_dir` resolves its extends.
ComposedToml ComposeString(std::string_view toml_text, const std::string& name,
                           const std::filesystem::path& base_dir);

struct Override {
  enum class Kind { kSet, kAdd, kRemove };
  Kind kind = Kind::kSet;
  std::vector<std::string> key;
  std::string value;  // raw text after '='
  std::string text;   // the whole argument as typed
};

// Parses "a.b=v", "+a.b=v" or "~a.b"; throws core::Error naming the argument when malformed.
Override ParseOverride(std::string_view text);

// The value of an override as a TOML node: TOML when the text parses as a single TOML value, else a
// string. Returned inside a one-entry table under "v".
toml::table ParseOverrideValue(const std::string& value);

// Applies one override to `doc`; problems are appended to `errors` (one line each).
void ApplyOverride(const Override& override_arg, const Schema& schema, ComposedToml* doc,
                   std::vector<std::string>* errors);

// Short single-line rendering of a value for messages ("1e-04", "'abc'", "[ 1, 2 ]"), cut at 60
// characters.
std::string FormatNode(const toml::node& node);

// "integer", "float", "string", "boolean", "array", "table", "date", "time", "date-time".
std::string NodeTypeName(const toml::node& node);

}  // namespace synface::core::config
