#include "core/config/schema.h"

#include <cmath>
#include <sstream>

#include "core/config/toml_writer.h"
#include "core/util/error.h"

namespace synface::core::config {

std::string ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kBool:
      return "boolean";
    case ValueType::kInt:
      return "integer";
    case ValueType::kFloat:
      return "float";
    case ValueType::kString:
      return "string";
    case ValueType::kBoolArray:
      return "array of booleans";
    case ValueType::kIntArray:
      return "array of integers";
    case ValueType::kFloatArray:
      return "array of floats";
    case ValueType::kStringArray:
      return "array of strings";
  }
  return "?";
}

bool KeySpec::HasRange() const { return std::isfinite(min) || std::isfinite(max); }

bool IsBareKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> SplitKeyPath(std::string_view path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string_view segment =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!IsBareKey(segment)) {
      throw MakeError(
          "key path '{}': segment '{}' is not a bare TOML key (letters, digits, '_' and '-', "
          "separated by dots)",
          path, segment);
    }
    segments.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments;
}

std::string JoinKeyPath(const std::vector<std::string>& segments) {
  std::string out;
  for (const std::string& s : segments) {
    if (!out.empty()) out += '.';
    if (IsBareKey(s)) {
      out += s;
    } else {
      out += '"';
      for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out;
}

KeySpec Schema::NewSpec(const std::string& path, ValueType type, const std::string& help) {
  SplitKeyPath(path);  // validates the path
  KeySpec spec;
  spec.path = path;
  spec.type = type;
  spec.help = help;
  return spec;
}

Schema& Schema::Add(KeySpec spec) {
  const std::string path = spec.path;
  if (keys_.count(path)) throw MakeError("schema: key '{}' is declared twice", path);
  if (tables_.count(path))
    throw MakeError("schema: '{}' is declared both as a table and a key", path);
  std::vector<std::string> segments = SplitKeyPath(path);
  std::string prefix;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    prefix += (i ? "." : "") + segments[i];
    if (keys_.count(prefix)) {
      throw MakeError("schema: '{}' is a key, so '{}' cannot be declared beneath it", prefix, path);
    }
    tables_.emplace(prefix, false);  // implied table; keeps "open" if already declared open
  }
  keys_.emplace(path, std::move(spec));
  return *this;
}

Schema& Schema::Choice(const std::string& path, std::vector<std::string> choices,
                       std::optional<std::string> default_value, const std::string& help) {
  if (choices.empty()) throw MakeError("schema: choice key '{}' has no choices", path);
  KeySpec spec = NewSpec(path, ValueType::kString, help);
  if (default_value) {
    bool found = false;
    for (const std::string& c : choices) found |= c == *default_value;
    if (!found) {
      throw MakeError("schema: default '{}' of choice key '{}' is not one of its choices",
                      *default_value, path);
    }
    spec.default_holder.insert_or_assign("v", *default_value);
  } else {
    spec.required = true;
  }
  spec.choices = std::move(choices);
  return Add(std::move(spec));
}

Schema& Schema::Range(const std::string& path, double min, double max) {
  auto it = keys_.find(path);
  if (it == keys_.end()) throw MakeError("schema: Range() for undeclared key '{}'", path);
  const ValueType t = it->second.type;
  if (t != ValueType::kInt && t != ValueType::kFloat && t != ValueType::kIntArray &&
      t != ValueType::kFloatArray) {
    throw MakeError("schema: Range() for non-numeric key '{}' ({})", path, ValueTypeName(t));
  }
  if (!(min <= max)) throw MakeError("schema: Range() for '{}' has min > max", path);
  it->second.min = min;
  it->second.max = max;
  return *this;
}

Schema& Schema::OpenTable(const std::string& path, const std::string& help) {
  std::vector<std::string> segments = SplitKeyPath(path);
  if (keys_.count(path))
    throw MakeError("schema: '{}' is declared both as a key and a table", path);
  std::string prefix;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    prefix += (i ? "." : "") + segments[i];
    if (keys_.count(prefix)) {
      throw MakeError("schema: '{}' is a key, so '{}' cannot be declared beneath it", prefix, path);
    }
    tables_.emplace(prefix, false);
  }
  tables_[path] = true;
  if (!help.empty()) table_help_[path] = help;
  return *this;
}

Schema& Schema::Merge(const Schema& other) {
  for (const auto& [path, open] : other.tables_) {
    if (open) {
      auto help = other.table_help_.find(path);
      OpenTable(path, help == other.table_help_.end() ? "" : help->second);
    } else if (keys_.count(path)) {
      throw MakeError("schema: '{}' is declared both as a key and a table", path);
    } else {
      tables_.emplace(path, false);
    }
  }
  for (const auto& [path, spec] : other.keys_) {
    if (keys_.count(path)) {
      throw MakeError("schema: key '{}' is declared by both merged schemas", path);
    }
    Add(spec);
  }
  return *this;
}

const KeySpec* Schema::Find(std::string_view path) const {
  auto it = keys_.find(std::string(path));
  return it == keys_.end() ? nullptr : &it->second;
}

bool Schema::IsTable(std::string_view path) const { return tables_.count(std::string(path)) > 0; }

bool Schema::IsOpenTable(std::string_view path) const {
  auto it = tables_.find(std::string(path));
  return it != tables_.end() && it->second;
}

bool Schema::IsUnderOpenTable(std::string_view path) const {
  // Any proper prefix (at a segment boundary) that is an open table.
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.', dot + 1)) {
    if (IsOpenTable(path.substr(0, dot))) return true;
  }
  return false;
}

std::vector<std::string> Schema::AllPaths() const {
  std::vector<std::string> paths;
  for (const auto& [path, spec] : keys_) paths.push_back(path);
  for (const auto& [path, open] : tables_) paths.push_back(path);
  return paths;
}

toml::array Schema::ToArray(const std::vector<bool>& v) {
  toml::array array;
  for (bool b : v) array.push_back(b);
  return array;
}

std::string Schema::Describe() const {
  std::ostringstream out;
  for (const auto& [path, spec] : keys_) {
    out << path << " (" << ValueTypeName(spec.type);
    if (spec.required) {
      out << ", required";
    } else if (spec.HasDefault()) {
      out << ", default " << InlineTomlValue(*spec.Default());
    } else {
      out << ", optional";
    }
    if (!spec.choices.empty()) {
      out << ", one of";
      for (const std::string& c : spec.choices) out << ' ' << c;
    }
    if (spec.HasRange()) out << ", range [" << spec.min << ", " << spec.max << "]";
    out << ")";
    if (!spec.help.empty()) out << ": " << spec.help;
    out << '\n';
  }
  for (const auto& [path, open] : tables_) {
    if (!open) continue;
    out << path << ".* (free-form table)";
    auto help = table_help_.find(path);
    if (help != table_help_.end()) out << ": " << help->second;
    out << '\n';
  }
  return out.str();
}

}  // namespace synface::core::config
