#include "core/config/compose.h"

#include <sstream>

#include "core/config/toml_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::config {
namespace fs = std::filesystem;

std::string Origin::ToString() const {
  switch (kind) {
    case Kind::kFile:
      return line > 0 ? fmt::format("{}:{}", file, line) : file;
    case Kind::kOverride:
      return fmt::format("command line override '{}'", override_text);
    case Kind::kDefault:
      return "schema default";
  }
  return "?";
}

std::string NodeTypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string FormatNode(const toml::node& node) {
  std::string s = InlineTomlValue(node);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

namespace {

constexpr std::string_view kExtendsKey = "extends";

std::string ChildPath(const std::string& parent, std::string_view key) {
  std::string joined = JoinKeyPath({std::string(key)});
  return parent.empty() ? joined : parent + "." + joined;
}

Origin FileOrigin(const std::string& file, const toml::source_region& region) {
  Origin o;
  o.kind = Origin::Kind::kFile;
  o.file = file;
  o.line = region.begin.line;
  o.column = region.begin.column;
  return o;
}

// Records an origin for `node` at `path` and for everything beneath it. `fallback` is used for
// nodes without a source region (implicit tables such as `a` in `[a.b]`).
void CollectOrigins(const toml::node& node, const std::string& path, const std::string& file,
                    const toml::source_region& fallback, std::map<std::string, Origin>* out) {
  const toml::source_region& region = node.source().begin.line > 0 ? node.source() : fallback;
  (*out)[path] = FileOrigin(file, region);
  if (const toml::table* table = node.as_table()) {
    for (auto&& [key, child] : *table) {
      const toml::source_region& key_region = key.source().begin.line > 0 ? key.source() : region;
      CollectOrigins(child, ChildPath(path, key.str()), file, key_region, out);
    }
  } else if (const toml::array* array = node.as_array()) {
    for (size_t i = 0; i < array->size(); ++i) {
      CollectOrigins((*array)[i], fmt::format("{}[{}]", path, i), file, region, out);
    }
  }
}

bool IsWithin(const std::string& candidate, const std::string& path) {
  if (candidate.compare(0, path.size(), path) != 0) return false;
  if (candidate.size() == path.size()) return true;
  const char next = candidate[path.size()];
  return next == '.' || next == '[';
}

void EraseOrigins(std::map<std::string, Origin>* origins, const std::string& path) {
  for (auto it = origins->lower_bound(path);
       it != origins->end() && it->first.compare(0, path.size(), path) == 0;) {
    if (IsWithin(it->first, path)) {
      it = origins->erase(it);
    } else {
      ++it;
    }
  }
}

void CopyOrigins(const std::map<std::string, Origin>& from, const std::string& path,
                 std::map<std::string, Origin>* to) {
  for (auto it = from.lower_bound(path);
       it != from.end() && it->first.compare(0, path.size(), path) == 0; ++it) {
    if (IsWithin(it->first, path)) (*to)[it->first] = it->second;
  }
}

// Merges `src` into `dst`: tables recursively, everything else replaces.
void MergeInto(const toml::table& src, const std::map<std::string, Origin>& src_origins,
               const std::string& prefix, toml::table* dst,
               std::map<std::string, Origin>* dst_origins) {
  for (auto&& [key, node] : src) {
    const std::string path = ChildPath(prefix, key.str());
    toml::node* existing = dst->get(key.str());
    if (existing && existing->is_table() && node.is_table()) {
      MergeInto(*node.as_table(), src_origins, path, existing->as_table(), dst_origins);
      continue;
    }
    dst->insert_or_assign(key.str(), node);
    EraseOrigins(dst_origins, path);
    CopyOrigins(src_origins, path, dst_origins);
  }
}

struct Loader {
  // Canonical paths of the files being loaded, outermost first, for cycle detection.
  std::vector<fs::path> chain;
  std::vector<std::string> chain_names;
  std::vector<fs::path> merged_files;

  // Parses one document and merges its extends chain under it.
  void LoadDocument(std::string_view text, const std::string& name, const fs::path& base_dir,
                    toml::table* out, std::map<std::string, Origin>* out_origins) {
    toml::table doc;
    try {
      doc = toml::parse(text, std::string_view(name));
    } catch (const toml::parse_error& e) {
      throw MakeError("{}:{}:{}: TOML syntax error: {}", name, e.source().begin.line,
                      e.source().begin.column, e.description());
    }
    std::map<std::string, Origin> origins;
    for (auto&& [key, node] : doc) {
      CollectOrigins(node, ChildPath("", key.str()), name, key.source(), &origins);
    }

    toml::table merged;
    std::map<std::string, Origin> merged_origins;
    if (const toml::node* extends = doc.get(kExtendsKey)) {
      const std::string where = origins[std::string(kExtendsKey)].ToString();
      std::vector<std::string> parents;
      if (const auto* s = extends->as_string()) {
        parents.push_back(s->get());
      } else if (const toml::array* array = extends->as_array()) {
        for (const toml::node& element : *array) {
          if (!element.is_string()) {
            throw MakeError("{}: 'extends' must list file names (strings), found {} {}", where,
                            NodeTypeName(element), FormatNode(element));
          }
          parents.push_back(element.as_string()->get());
        }
      } else {
        throw MakeError("{}: 'extends' must be a file name or an array of file names, found {}",
                        where, NodeTypeName(*extends));
      }
      for (const std::string& parent : parents) {
        const fs::path parent_path = (base_dir / parent).lexically_normal();
        LoadFile(parent_path, where, &merged, &merged_origins);
      }
      doc.erase(kExtendsKey);
      origins.erase(std::string(kExtendsKey));
      EraseOrigins(&origins, std::string(kExtendsKey));
    }
    MergeInto(doc, origins, "", &merged, &merged_origins);
    MergeInto(merged, merged_origins, "", out, out_origins);
  }

  void LoadFile(const fs::path& path, const std::string& requested_by, toml::table* out,
                std::map<std::string, Origin>* out_origins) {
    const std::string name = path.string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      if (requested_by.empty()) throw MakeError("{}: config file not found", name);
      throw MakeError("{}: extends '{}': file not found", requested_by, name);
    }
    const fs::path canonical = fs::weakly_canonical(path, ec);
    for (size_t i = 0; i < chain.size(); ++i) {
      if (chain[i] == canonical) {
        std::string cycle;
        for (size_t j = i; j < chain_names.size(); ++j) cycle += chain_names[j] + " -> ";
        cycle += name;
        throw MakeError("{}: extends cycle: {}", requested_by, cycle);
      }
    }
    const std::string text = ReadFile(path);
    chain.push_back(canonical);
    chain_names.push_back(name);
    LoadDocument(text, name, path.parent_path(), out, out_origins);
    chain.pop_back();
    chain_names.pop_back();
    merged_files.push_back(path);
  }
};

}  // namespace

ComposedToml ComposeFiles(const std::vector<fs::path>& files) {
  ComposedToml doc;
  Loader loader;
  for (const fs::path& file : files) {
    loader.LoadFile(file.lexically_normal(), "", &doc.table, &doc.origins);
    doc.top_files.push_back(file.lexically_normal());
  }
  doc.files = loader.merged_files;
  return doc;
}

ComposedToml ComposeString(std::string_view toml_text, const std::string& name,
                           const fs::path& base_dir) {
  ComposedToml doc;
  Loader loader;
  loader.chain_names.push_back(name);
  loader.chain.push_back(fs::path("<memory>") / name);
  loader.LoadDocument(toml_text, name, base_dir, &doc.table, &doc.origins);
  doc.files = loader.merged_files;
  return doc;
}

Override ParseOverride(std::string_view text) {
  Override o;
  o.text = std::string(text);
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '+') {
    o.kind = Override::Kind::kAdd;
    rest.remove_prefix(1);
  } else if (!rest.empty() && rest.front() == '~') {
    o.kind = Override::Kind::kRemove;
    rest.remove_prefix(1);
  }
  std::string_view key = rest;
  if (o.kind == Override::Kind::kRemove) {
    if (rest.find('=') != std::string_view::npos) {
      throw MakeError("command line override '{}': '~key' removes a key and takes no value", text);
    }
  } else {
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      throw MakeError("command line override '{}': expected key.path=value", text);
    }
    key = rest.substr(0, eq);
    o.value = std::string(rest.substr(eq + 1));
  }
  try {
    o.key = SplitKeyPath(key);
  } catch (const Error& e) {
    throw MakeError("command line override '{}': {}", text, e.what());
  }
  return o;
}

toml::table ParseOverrideValue(const std::string& value) {
  toml::table holder;
  try {
    toml::table parsed = toml::parse("v = " + value, std::string_view("<override>"));
    if (parsed.size() == 1 && parsed.contains("v")) return parsed;
  } catch (const toml::parse_error&) {
    // Not a TOML value: a plain string (data.root=/x).
  }
  holder.insert_or_assign("v", value);
  return holder;
}

void ApplyOverride(const Override& ov, const Schema& schema, ComposedToml* doc,
                   std::vector<std::string>* errors) {
  Origin origin;
  origin.kind = Origin::Kind::kOverride;
  origin.override_text = ov.text;
  origin.override_value = ov.value;
  const std::string where = origin.ToString();

  toml::table* table = &doc->table;
  std::vector<std::string> prefix;
  for (size_t i = 0; i + 1 < ov.key.size(); ++i) {
    prefix.push_back(ov.key[i]);
    const std::string path = JoinKeyPath(prefix);
    toml::node* node = table->get(ov.key[i]);
    if (!node) {
      if (ov.kind == Override::Kind::kRemove) {
        errors->push_back(
            fmt::format("{}: nothing to remove: '{}' is not set", where, JoinKeyPath(ov.key)));
        return;
      }
      table->insert_or_assign(ov.key[i], toml::table{});
      doc->origins[path] = origin;
      node = table->get(ov.key[i]);
    }
    if (!node->is_table()) {
      auto it = doc->origins.find(path);
      errors->push_back(fmt::format("{}: '{}' is not a table: it holds the {} {} set at {}", where,
                                    path, NodeTypeName(*node), FormatNode(*node),
                                    it == doc->origins.end() ? "?" : it->second.ToString()));
      return;
    }
    table = node->as_table();
  }

  const std::string& leaf = ov.key.back();
  const std::string path = JoinKeyPath(ov.key);
  toml::node* existing = table->get(leaf);
  switch (ov.kind) {
    case Override::Kind::kRemove:
      if (!existing) {
        errors->push_back(fmt::format("{}: nothing to remove: '{}' is not set", where, path));
        return;
      }
      table->erase(leaf);
      EraseOrigins(&doc->origins, path);
      doc->overrides.push_back(ov.text);
      return;
    case Override::Kind::kAdd:
      if (existing) {
        auto it = doc->origins.find(path);
        errors->push_back(fmt::format(
            "{}: '{}' is already set (at {}); '+' adds a new key, use {}={} to change it", where,
            path, it == doc->origins.end() ? "?" : it->second.ToString(), path, ov.value));
        return;
      }
      break;
    case Override::Kind::kSet:
      // Inside a free-form table nothing else catches a misspelt key, so a new one needs '+'.
      if (!existing && !schema.Find(path) && schema.IsUnderOpenTable(path)) {
        errors->push_back(fmt::format(
            "{}: '{}' is not set by any config file; write +{}={} to add a new key to the "
            "free-form table",
            where, path, path, ov.value));
        return;
      }
      break;
  }
  toml::table holder = ParseOverrideValue(ov.value);
  table->insert_or_assign(leaf, *holder.get("v"));
  EraseOrigins(&doc->origins, path);
  // The value and everything inside it (inline tables, array elements) come from the override.
  std::map<std::string, Origin> inner;
  CollectOrigins(*table->get(leaf), path, "", toml::source_region{}, &inner);
  for (auto& [p, o] : inner) doc->origins[p] = origin;
  doc->overrides.push_back(ov.text);
}

}  // namespace synface::core::config
