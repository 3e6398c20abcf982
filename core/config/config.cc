#include "core/config/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "core/config/toml_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::core::config {
namespace fs = std::filesystem;

size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

namespace {

std::string LastSegment(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// Up to three declared paths close to `path` (typos, or the right key in the wrong table).
std::vector<std::string> Suggestions(const std::string& path, const Schema& schema) {
  const size_t limit = std::clamp<size_t>(path.size() / 4, 1, 3);
  std::vector<std::pair<size_t, std::string>> scored;
  const std::string last = LastSegment(path);
  for (const std::string& candidate : schema.AllPaths()) {
    size_t d = EditDistance(path, candidate);
    // Same leaf name under another table ("lr" for "train.lr").
    if (d > limit && schema.Find(candidate) && last.size() >= 2 &&
        EditDistance(last, LastSegment(candidate)) <= (last.size() >= 6 ? 1u : 0u)) {
      d = limit;
    }
    if (d <= limit) scored.emplace_back(d, candidate);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < 3; ++i) out.push_back(scored[i].second);
  return out;
}

bool IsNumber(const toml::node& n) { return n.is_integer() || n.is_floating_point(); }
double NumberOf(const toml::node& n) {
  return n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
}

std::string Quote(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string FormatNumber(double v) { return fmt::format("{}", v); }

class Validator {
 public:
  Validator(const Schema& schema, ComposedToml* doc, std::vector<std::string>* errors)
      : schema_(schema), doc_(doc), errors_(errors) {}

  void Run() {
    WalkTable(&doc_->table, "");
    for (const auto& [path, spec] : schema_.Keys()) {
      if (spec.required && !Lookup(path)) {
        std::string files;
        for (const fs::path& f : doc_->top_files) files += (files.empty() ? "" : ", ") + f.string();
        errors_->push_back(fmt::format(
            "{}: missing required key '{}' ({}{}{}); set it in a config file or with {}=... on "
            "the command line",
            files.empty() ? "config" : files, path, ValueTypeName(spec.type),
            spec.help.empty() ? "" : ": ", spec.help, path));
      }
    }
  }

  void FillDefaults() {
    for (const auto& [path, spec] : schema_.Keys()) {
      if (!spec.HasDefault() || Lookup(path)) continue;
      std::vector<std::string> segments = SplitKeyPath(path);
      toml::table* table = &doc_->table;
      bool ok = true;
      for (size_t i = 0; i + 1 < segments.size(); ++i) {
        toml::node* node = table->get(segments[i]);
        if (!node) {
          table->insert_or_assign(segments[i], toml::table{});
          node = table->get(segments[i]);
          std::vector<std::string> prefix(segments.begin(), segments.begin() + i + 1);
          Origin o;
          doc_->origins.emplace(JoinKeyPath(prefix), o);
        }
        if (!node->is_table()) {
          ok = false;  // already reported as a type error
          break;
        }
        table = node->as_table();
      }
      if (!ok) continue;
      table->insert_or_assign(segments.back(), *spec.Default());
      doc_->origins[path] = Origin{};
    }
  }

 private:
  const toml::node* Lookup(const std::string& path) const {
    return doc_->table.at_path(path).node();
  }

  std::string Where(const std::string& path) const {
    auto it = doc_->origins.find(path);
    return it == doc_->origins.end() ? "config" : it->second.ToString();
  }

  const Origin* OriginOf(const std::string& path) const {
    auto it = doc_->origins.find(path);
    return it == doc_->origins.end() ? nullptr : &it->second;
  }

  void Report(const std::string& path, const std::string& what) {
    errors_->push_back(fmt::format("{}: {}", Where(path), what));
  }

  void WalkTable(toml::table* table, const std::string& prefix) {
    for (auto&& [key, node] : *table) {
      const std::string path = prefix.empty()
                                   ? JoinKeyPath({std::string(key.str())})
                                   : prefix + "." + JoinKeyPath({std::string(key.str())});
      if (const KeySpec* spec = schema_.Find(path)) {
        CheckLeaf(*spec, path, table, std::string(key.str()));
      } else if (schema_.IsTable(path)) {
        if (toml::table* child = node.as_table()) {
          if (!schema_.IsOpenTable(path))
            WalkTable(child, path);
          else
            WalkOpenTable(child, path);
        } else {
          Report(path, fmt::format("key '{}': expected a table, got {} {}", path,
                                   NodeTypeName(node), FormatNode(node)));
        }
      } else if (schema_.IsUnderOpenTable(path)) {
        if (toml::table* child = node.as_table()) WalkOpenTable(child, path);
      } else {
        std::vector<std::string> close = Suggestions(path, schema_);
        Report(path, fmt::format("unknown key '{}'{}", path,
                                 close.empty() ? std::string()
                                               : fmt::format(" (did you mean {}?)", Quote(close))));
      }
    }
  }

  // Free-form content: only keys the schema declares beneath the open table are checked.
  void WalkOpenTable(toml::table* table, const std::string& prefix) {
    for (auto&& [key, node] : *table) {
      const std::string path = prefix + "." + JoinKeyPath({std::string(key.str())});
      if (const KeySpec* spec = schema_.Find(path)) {
        CheckLeaf(*spec, path, table, std::string(key.str()));
      } else if (toml::table* child = node.as_table()) {
        WalkOpenTable(child, path);
      }
    }
  }

  // True when `node` has (or was converted to) the element type; reports otherwise.
  bool CheckScalar(ValueType type, const KeySpec& spec, const std::string& path,
                   const std::string& node_path, toml::node& node,
                   const std::function<void(double)>& set_float,
                   const std::function<void(const std::string&)>& set_string) {
    bool ok = false;
    switch (type) {
      case ValueType::kBool:
        ok = node.is_boolean();
        break;
      case ValueType::kInt:
        ok = node.is_integer();
        break;
      case ValueType::kFloat:
        if (node.is_integer()) {
          set_float(static_cast<double>(node.as_integer()->get()));  // int -> float accepted
          return true;
        }
        ok = node.is_floating_point();
        break;
      case ValueType::kString:
        if (!node.is_string()) {
          // An override such as name=123 means the string "123".
          const Origin* o = OriginOf(path);
          if (o && o->kind == Origin::Kind::kOverride && type == spec.type) {
            set_string(o->override_value);
            return true;
          }
        }
        ok = node.is_string();
        break;
      default:
        break;
    }
    if (!ok) {
      Report(node_path, fmt::format("key '{}': expected {}, got {} {}", node_path,
                                    ValueTypeName(type), NodeTypeName(node), FormatNode(node)));
    }
    return ok;
  }

  void CheckRange(const KeySpec& spec, const std::string& node_path, const toml::node& node) {
    if (!spec.HasRange() || !IsNumber(node)) return;
    const double v = NumberOf(node);
    if (!(v >= spec.min && v <= spec.max)) {
      Report(node_path,
             fmt::format("key '{}': {} is outside the allowed range [{}, {}]", node_path,
                         FormatNode(node), FormatNumber(spec.min), FormatNumber(spec.max)));
    }
  }

  void CheckLeaf(const KeySpec& spec, const std::string& path, toml::table* parent,
                 const std::string& key) {
    toml::node& node = *parent->get(key);
    ValueType element = spec.type;
    bool is_array = true;
    switch (spec.type) {
      case ValueType::kBoolArray:
        element = ValueType::kBool;
        break;
      case ValueType::kIntArray:
        element = ValueType::kInt;
        break;
      case ValueType::kFloatArray:
        element = ValueType::kFloat;
        break;
      case ValueType::kStringArray:
        element = ValueType::kString;
        break;
      default:
        is_array = false;
    }
    if (!is_array) {
      const bool ok = CheckScalar(
          element, spec, path, path, node, [&](double v) { parent->insert_or_assign(key, v); },
          [&](const std::string& s) { parent->insert_or_assign(key, s); });
      if (!ok) return;
      toml::node& checked = *parent->get(key);
      CheckRange(spec, path, checked);
      if (!spec.choices.empty()) {
        const std::string value = checked.as_string()->get();
        if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
          Report(path,
                 fmt::format("key '{}': '{}' is not one of: {}", path, value, Quote(spec.choices)));
        }
      }
      return;
    }
    toml::array* array = node.as_array();
    if (!array) {
      Report(path, fmt::format("key '{}': expected {}, got {} {}", path, ValueTypeName(spec.type),
                               NodeTypeName(node), FormatNode(node)));
      return;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string element_path = fmt::format("{}[{}]", path, i);
      if (!doc_->origins.count(element_path)) doc_->origins[element_path] = doc_->origins[path];
      toml::node& e = (*array)[i];
      const bool ok = CheckScalar(
          element, spec, element_path, element_path, e,
          [&](double v) { array->replace(array->cbegin() + static_cast<ptrdiff_t>(i), v); },
          [&](const std::string& s) {
            array->replace(array->cbegin() + static_cast<ptrdiff_t>(i), s);
          });
      if (ok) CheckRange(spec, element_path, (*array)[i]);
    }
  }

  const Schema& schema_;
  ComposedToml* doc_;
  std::vector<std::string>* errors_;
};

[[noreturn]] void ThrowProblems(const std::vector<std::string>& errors) {
  std::string message = fmt::format("invalid configuration ({} problem{}):", errors.size(),
                                    errors.size() == 1 ? "" : "s");
  for (const std::string& e : errors) message += "\n  " + e;
  throw Error(message);
}

const char* TypeNoun(ValueType t) {
  switch (t) {
    case ValueType::kInt:
      return "an integer";
    case ValueType::kFloat:
      return "a number";
    case ValueType::kBool:
      return "a boolean";
    case ValueType::kString:
      return "a string";
    default:
      return "an array";
  }
}

}  // namespace

Config ResolveConfig(ComposedToml doc, const std::vector<std::string>& overrides,
                     const Schema& schema) {
  std::vector<std::string> errors;
  for (const std::string& text : overrides) {
    try {
      ApplyOverride(ParseOverride(text), schema, &doc, &errors);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  Validator validator(schema, &doc, &errors);
  validator.Run();
  if (!errors.empty()) ThrowProblems(errors);
  validator.FillDefaults();

  Config config;
  config.table_ = std::move(doc.table);
  config.origins_ = std::move(doc.origins);
  config.files_ = std::move(doc.files);
  config.overrides_ = std::move(doc.overrides);
  return config;
}

Config LoadConfig(const std::vector<fs::path>& files, const std::vector<std::string>& overrides,
                  const Schema& schema) {
  return ResolveConfig(ComposeFiles(files), overrides, schema);
}

Config LoadConfigString(std::string_view toml_text, const std::string& name,
                        const std::vector<std::string>& overrides, const Schema& schema,
                        const fs::path& base_dir) {
  ComposedToml doc = ComposeString(toml_text, name, base_dir);
  doc.top_files.push_back(name);
  return ResolveConfig(std::move(doc), overrides, schema);
}

const toml::node* Config::Find(std::string_view path) const { return table_.at_path(path).node(); }

const toml::node& Config::Require(std::string_view path) const {
  const toml::node* node = Find(path);
  if (!node)
    throw MakeError("config key '{}' is not set (and the schema gives it no default)", path);
  return *node;
}

const toml::table& Config::GetTable(std::string_view path) const {
  const toml::node& node = Require(path);
  if (!node.is_table()) {
    throw MakeError("{}: config key '{}' is {} {}, not a table", Where(path), path,
                    NodeTypeName(node), FormatNode(node));
  }
  return *node.as_table();
}

std::string Config::Where(std::string_view path) const {
  auto it = origins_.find(std::string(path));
  return it == origins_.end() ? "config" : it->second.ToString();
}

std::string Config::Source(std::string_view path) const {
  Require(path);
  return Where(path);
}

namespace {

[[noreturn]] void WrongType(const std::string& where, std::string_view path, const toml::node& node,
                            const char* wanted) {
  throw MakeError("{}: config key '{}' is {} {}, not {}", where, path, NodeTypeName(node),
                  FormatNode(node), wanted);
}

}  // namespace

void Config::Read(const toml::node& node, std::string_view path, bool* out) const {
  if (!node.is_boolean()) WrongType(Where(path), path, node, TypeNoun(ValueType::kBool));
  *out = node.as_boolean()->get();
}

void Config::Read(const toml::node& node, std::string_view path, int64_t* out) const {
  if (!node.is_integer()) WrongType(Where(path), path, node, TypeNoun(ValueType::kInt));
  *out = node.as_integer()->get();
}

void Config::Read(const toml::node& node, std::string_view path, int* out) const {
  int64_t v = 0;
  Read(node, path, &v);
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw MakeError("{}: config key '{}' = {} does not fit in a 32-bit int", Where(path), path, v);
  }
  *out = static_cast<int>(v);
}

void Config::Read(const toml::node& node, std::string_view path, uint64_t* out) const {
  int64_t v = 0;
  Read(node, path, &v);
  if (v < 0) throw MakeError("{}: config key '{}' = {} must not be negative", Where(path), path, v);
  *out = static_cast<uint64_t>(v);
}

void Config::Read(const toml::node& node, std::string_view path, double* out) const {
  if (!IsNumber(node)) WrongType(Where(path), path, node, TypeNoun(ValueType::kFloat));
  *out = NumberOf(node);
}

void Config::Read(const toml::node& node, std::string_view path, float* out) const {
  double v = 0;
  Read(node, path, &v);
  *out = static_cast<float>(v);
}

void Config::Read(const toml::node& node, std::string_view path, std::string* out) const {
  if (!node.is_string()) WrongType(Where(path), path, node, TypeNoun(ValueType::kString));
  *out = node.as_string()->get();
}

void Config::Read(const toml::node& node, std::string_view path, fs::path* out) const {
  std::string s;
  Read(node, path, &s);
  *out = s;
}

namespace {
template <typename T, typename ReadOne>
void ReadArray(const toml::node& node, const std::string& where, std::string_view path,
               std::vector<T>* out, ReadOne read_one) {
  const toml::array* array = node.as_array();
  if (!array) WrongType(where, path, node, "an array");
  out->clear();
  for (size_t i = 0; i < array->size(); ++i) {
    T v{};
    read_one((*array)[i], fmt::format("{}[{}]", path, i), &v);
    out->push_back(v);
  }
}
}  // namespace

#define SYNFACE_CONFIG_READ_ARRAY(T)                                                            \
  void Config::Read(const toml::node& node, std::string_view path, std::vector<T>* out) const { \
    ReadArray<T>(node, Where(path), path, out,                                                  \
                 [this](const toml::node& e, const std::string& p, T* v) { Read(e, p, v); });   \
  }
SYNFACE_CONFIG_READ_ARRAY(int)
SYNFACE_CONFIG_READ_ARRAY(int64_t)
SYNFACE_CONFIG_READ_ARRAY(double)
SYNFACE_CONFIG_READ_ARRAY(float)
SYNFACE_CONFIG_READ_ARRAY(std::string)
#undef SYNFACE_CONFIG_READ_ARRAY

void Config::Read(const toml::node& node, std::string_view path, std::vector<bool>* out) const {
  const toml::array* array = node.as_array();
  if (!array) WrongType(Where(path), path, node, "an array");
  out->clear();
  for (size_t i = 0; i < array->size(); ++i) {
    bool v = false;
    Read((*array)[i], fmt::format("{}[{}]", path, i), &v);
    out->push_back(v);
  }
}

std::string Config::ToTomlString() const { return ToTomlText(table_); }

void Config::WriteResolved(const fs::path& file) const {
  auto sanitize = [](std::string s) {
    for (char& c : s) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return s;
  };
  std::string header = "# Fully resolved configuration (defaults filled, overrides applied).\n";
  std::string files;
  for (const fs::path& f : files_) files += (files.empty() ? "" : ", ") + f.string();
  header += "# Files, merge order: " + sanitize(files.empty() ? "(none)" : files) + "\n";
  std::string overrides;
  for (const std::string& o : overrides_) overrides += (overrides.empty() ? "" : " ") + o;
  header += "# Overrides: " + sanitize(overrides.empty() ? "(none)" : overrides) + "\n";
  header += "# Each value's origin is in the comment after it.\n\n";
  // Same text as ToTomlString() plus a provenance comment on every line.
  const std::string body = ToTomlText(table_, [&](const std::string& path) {
    auto it = origins_.find(path);
    return it == origins_.end() ? std::string() : sanitize(it->second.ToString());
  });
  WriteFileAtomic(file, header + body);
}

CommandLine SplitCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  for (const std::string& arg : args) {
    const bool is_flag = !arg.empty() && arg[0] == '-';
    if (!is_flag && (arg.find('=') != std::string::npos || (arg.size() > 1 && arg[0] == '~'))) {
      out.overrides.push_back(arg);
    } else if (!is_flag && arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".toml") == 0) {
      out.files.push_back(ResolveUserPath(arg));
    } else {
      out.rest.push_back(arg);
    }
  }
  return out;
}

CommandLine SplitCommandLine(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return SplitCommandLine(args);
}

namespace {

bool NodesEqual(const toml::node& a, const toml::node& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case toml::node_type::table:
      return *a.as_table() == *b.as_table();
    case toml::node_type::array:
      return *a.as_array() == *b.as_array();
    case toml::node_type::string:
      return a.as_string()->get() == b.as_string()->get();
    case toml::node_type::integer:
      return a.as_integer()->get() == b.as_integer()->get();
    case toml::node_type::floating_point:
      return a.as_floating_point()->get() == b.as_floating_point()->get();
    case toml::node_type::boolean:
      return a.as_boolean()->get() == b.as_boolean()->get();
    case toml::node_type::date:
      return a.as_date()->get() == b.as_date()->get();
    case toml::node_type::time:
      return a.as_time()->get() == b.as_time()->get();
    case toml::node_type::date_time:
      return a.as_date_time()->get() == b.as_date_time()->get();
    case toml::node_type::none:
      break;
  }
  return true;
}

bool Ignored(const std::string& path, const std::vector<std::string>& ignore) {
  for (const std::string& i : ignore) {
    if (path == i || (path.size() > i.size() && path.compare(0, i.size(), i) == 0 &&
                      (path[i.size()] == '.' || path[i.size()] == '['))) {
      return true;
    }
  }
  return false;
}

void Diff(const toml::table& a, const toml::table& b, const std::string& prefix,
          const std::vector<std::string>& ignore, std::vector<std::string>* out) {
  std::set<std::string> keys;
  for (auto&& [k, v] : a) keys.emplace(k.str());
  for (auto&& [k, v] : b) keys.emplace(k.str());
  for (const std::string& key : keys) {
    const std::string path =
        prefix.empty() ? JoinKeyPath({key}) : prefix + "." + JoinKeyPath({key});
    if (Ignored(path, ignore)) continue;
    const toml::node* x = a.get(key);
    const toml::node* y = b.get(key);
    if (x && y && x->is_table() && y->is_table()) {
      Diff(*x->as_table(), *y->as_table(), path, ignore, out);
    } else if (!x || !y || !NodesEqual(*x, *y)) {
      out->push_back(fmt::format("{}: {} vs {}", path, x ? FormatNode(*x) : "(absent)",
                                 y ? FormatNode(*y) : "(absent)"));
    }
  }
}

}  // namespace

std::vector<std::string> DiffTables(const toml::table& a, const toml::table& b,
                                    const std::vector<std::string>& ignore) {
  std::vector<std::string> out;
  Diff(a, b, "", ignore, &out);
  return out;
}

}  // namespace synface::core::config
