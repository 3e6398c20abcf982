// The schema a consumer declares in C++ for its TOML config: every key it reads, its type, whether
// it is required, its default, allowed choices or range, and a help line. Validation against it is
// strict (core/config/config.h): a key the schema does not declare is an error unless it lies in a
// table declared open with OpenTable().
//
//   Schema s;
//   s.Required<std::string>("data.root", "dataset folder")
//       .Optional<double>("train.lr", 1e-4, "learning rate")
//       .Optional<std::vector<double>>("loss.weights", {0.28, 0.22, 0.30, 0.20})
//       .Choice("model.name", {"fsanet", "6drepnet"}, "fsanet")
//       .Range("train.lr", 0.0, 1.0)
//       .OpenTable("extra");
//
// Key paths are dotted sequences of bare TOML keys (A-Z a-z 0-9 _ -).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synface::core::config {

// The value types a schema can declare. int -> float is accepted where a float is expected.
enum class ValueType {
  kBool,
  kInt,
  kFloat,
  kString,
  kBoolArray,
  kIntArray,
  kFloatArray,
  kStringArray,
};

// "integer", "array of floats", ... (for messages and Describe()).
std::string ValueTypeName(ValueType type);

// Maps a C++ type to its ValueType and to a TOML node (for defaults). Specialised for bool,
// int, int64_t, double, std::string and std::vector of those.
template <typename T>
struct ValueTraits;

template <>
struct ValueTraits<bool> {
  static constexpr ValueType kType = ValueType::kBool;
};
template <>
struct ValueTraits<int64_t> {
  static constexpr ValueType kType = ValueType::kInt;
};
template <>
struct ValueTraits<int> {
  static constexpr ValueType kType = ValueType::kInt;
};
template <>
struct ValueTraits<double> {
  static constexpr ValueType kType = ValueType::kFloat;
};
template <>
struct ValueTraits<std::string> {
  static constexpr ValueType kType = ValueType::kString;
};
template <>
struct ValueTraits<std::vector<bool>> {
  static constexpr ValueType kType = ValueType::kBoolArray;
};
template <>
struct ValueTraits<std::vector<int64_t>> {
  static constexpr ValueType kType = ValueType::kIntArray;
};
template <>
struct ValueTraits<std::vector<int>> {
  static constexpr ValueType kType = ValueType::kIntArray;
};
template <>
struct ValueTraits<std::vector<double>> {
  static constexpr ValueType kType = ValueType::kFloatArray;
};
template <>
struct ValueTraits<std::vector<std::string>> {
  static constexpr ValueType kType = ValueType::kStringArray;
};

// One declared leaf key.
struct KeySpec {
  std::string path;
  ValueType type = ValueType::kString;
  bool required = false;
  // The default as a TOML node (a one-entry table holding it under "v", so any node type fits);
  // empty table when there is no default.
  toml::table default_holder;
  std::vector<std::string> choices;  // allowed values of a string key; empty = any
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string help;

  bool HasDefault() const { return default_holder.contains("v"); }
  const toml::node* Default() const { return default_holder.get("v"); }
  bool HasRange() const;
};

class Schema {
 public:
  // A key that every config must set.
  template <typename T>
  Schema& Required(const std::string& path, const std::string& help = "") {
    KeySpec spec = NewSpec(path, ValueTraits<T>::kType, help);
    spec.required = true;
    return Add(std::move(spec));
  }

  // A key with a default, filled in when no file or override sets it.
  template <typename T>
  Schema& Optional(const std::string& path, const T& default_value, const std::string& help = "") {
    KeySpec spec = NewSpec(path, ValueTraits<T>::kType, help);
    spec.default_holder.insert_or_assign("v", ToNode(default_value));
    return Add(std::move(spec));
  }
  // const char* default for string keys: Optional<std::string>("a", "x") resolves here too.
  Schema& Optional(const std::string& path, const char* default_value,
                   const std::string& help = "") {
    return Optional<std::string>(path, std::string(default_value), help);
  }

  // A key that may be absent, with no default: Config::Has() tells whether it was set.
  template <typename T>
  Schema& Maybe(const std::string& path, const std::string& help = "") {
    return Add(NewSpec(path, ValueTraits<T>::kType, help));
  }

  // A string key restricted to `choices`; nullopt default = required.
  Schema& Choice(const std::string& path, std::vector<std::string> choices,
                 std::optional<std::string> default_value, const std::string& help = "");

  // Bounds for an already declared int/float key (or each element of a numeric array), inclusive.
  Schema& Range(const std::string& path, double min, double max);

  // A table whose contents are free-form (any keys, any types). Keys declared beneath it are
  // still checked.
  Schema& OpenTable(const std::string& path, const std::string& help = "");

  // Adds every declaration of `other` (e.g. the scale keys plus an experiment's own keys).
  Schema& Merge(const Schema& other);

  // Lookups used by validation.
  const KeySpec* Find(std::string_view path) const;
  bool IsTable(std::string_view path) const;           // declared table (implied or open)
  bool IsOpenTable(std::string_view path) const;       // exactly an open table
  bool IsUnderOpenTable(std::string_view path) const;  // strictly inside an open table
  const std::map<std::string, KeySpec>& Keys() const { return keys_; }
  // Every declared path (leaves and tables), for "did you mean" suggestions.
  std::vector<std::string> AllPaths() const;

  // Human-readable list of the keys, types, defaults and help lines (for --help).
  std::string Describe() const;

 private:
  static KeySpec NewSpec(const std::string& path, ValueType type, const std::string& help);
  Schema& Add(KeySpec spec);

  static toml::array ToArray(const std::vector<bool>& v);
  template <typename T>
  static auto ToNode(const T& value) {
    if constexpr (std::is_same_v<T, int>) {
      return toml::value<int64_t>(value);
    } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
      return ToArray(value);
    } else if constexpr (std::is_same_v<T, std::vector<int>> ||
                         std::is_same_v<T, std::vector<int64_t>> ||
                         std::is_same_v<T, std::vector<double>> ||
                         std::is_same_v<T, std::vector<std::string>>) {
      toml::array array;
      for (const auto& x : value) {
        if constexpr (std::is_same_v<T, std::vector<int>>) {
          array.push_back(static_cast<int64_t>(x));
        } else {
          array.push_back(x);
        }
      }
      return array;
    } else {
      return toml::value<T>(value);
    }
  }

  std::map<std::string, KeySpec> keys_;            // leaves by path
  std::map<std::string, bool> tables_;             // table path -> open?
  std::map<std::string, std::string> table_help_;  // help lines of open tables
};

// Splits "a.b.c" into {"a", "b", "c"}; throws core::Error when a segment is empty or not a bare
// key.
std::vector<std::string> SplitKeyPath(std::string_view path);
bool IsBareKey(std::string_view key);
// Joins key segments; segments that are not bare keys are quoted ("a.\"x y\"").
std::string JoinKeyPath(const std::vector<std::string>& segments);

}  // namespace synface::core::config
