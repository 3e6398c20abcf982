#include "papers/table.h"

#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <regex>
#include <set>

#include "core/config/compose.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::papers {
namespace fs = std::filesystem;
using core::MakeError;

namespace {

const std::regex& IdPattern() {
  static const std::regex pattern("[a-z0-9][a-z0-9_]*");
  return pattern;
}

// Measured values never live in a table file; these keys are how one would try to put them there.
bool IsMeasuredKey(std::string_view key) {
  return key == "ours" || key == "measured" || key == "values" || key.rfind("ours_", 0) == 0 ||
         key.rfind("measured_", 0) == 0;
}

// Reads the TOML tree with errors "<origin>:<line>: <key path>: <problem>".
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const toml::node* node, const std::string& path,
                         const std::string& problem) const {
    if (node && node->source().begin.line > 0)
      throw MakeError("{}:{}: {}: {}", origin_, node->source().begin.line, path, problem);
    throw MakeError("{}: {}: {}", origin_, path, problem);
  }

  // Rejects measured-value keys anywhere in the tree, before any other check.
  void RejectMeasuredKeys(const toml::node& node, const std::string& path) const {
    if (const toml::table* table = node.as_table()) {
      for (auto&& [key, child] : *table) {
        const std::string child_path =
            path.empty() ? std::string(key.str()) : path + "." + std::string(key.str());
        if (IsMeasuredKey(key.str()))
          Fail(&child, child_path,
               "a table file never holds measured values ('ours', 'measured', 'values' keys); they "
               "come only from result records under runs/");
        RejectMeasuredKeys(child, child_path);
      }
    } else if (const toml::array* array = node.as_array()) {
      for (size_t i = 0; i < array->size(); ++i)
        RejectMeasuredKeys(*array->get(i), fmt::format("{}[{}]", path, i));
    }
  }

  void OnlyKeys(const toml::table& table, const std::string& path,
                std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, child] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        Fail(&child, Join(path, key.str()), fmt::format("unknown key (allowed: {})", list));
      }
    }
  }

  const toml::node& Require(const toml::table& table, const std::string& path,
                            std::string_view key) const {
    const toml::node* node = table.get(key);
    if (!node) Fail(&table, Join(path, key), "missing required key");
    return *node;
  }

  std::string String(const toml::table& table, const std::string& path, std::string_view key,
                     bool required = true, bool non_empty = true) const {
    const toml::node* node = table.get(key);
    if (!node) {
      if (required) Fail(&table, Join(path, key), "missing required key");
      return "";
    }
    return StringNode(*node, Join(path, key), non_empty);
  }

  std::string StringNode(const toml::node& node, const std::string& path, bool non_empty) const {
    const auto* value = node.as_string();
    if (!value) Fail(&node, path, fmt::format("expected a string, got {}", core::config::NodeTypeName(node)));
    if (non_empty && value->get().empty()) Fail(&node, path, "must not be empty");
    return value->get();
  }

  int64_t Integer(const toml::table& table, const std::string& path, std::string_view key,
                  int64_t lo, int64_t hi) const {
    const toml::node& node = Require(table, path, key);
    return IntegerNode(node, Join(path, key), lo, hi);
  }

  int64_t IntegerNode(const toml::node& node, const std::string& path, int64_t lo,
                      int64_t hi) const {
    const auto* value = node.as_integer();
    if (!value) Fail(&node, path, fmt::format("expected an integer, got {}", core::config::NodeTypeName(node)));
    if (value->get() < lo || value->get() > hi)
      Fail(&node, path, fmt::format("{} is outside {}..{}", value->get(), lo, hi));
    return value->get();
  }

  const toml::array& Array(const toml::table& table, const std::string& path, std::string_view key,
                           bool required) const {
    static const toml::array empty;
    const toml::node* node = table.get(key);
    if (!node) {
      if (required) Fail(&table, Join(path, key), "missing required key");
      return empty;
    }
    const toml::array* array = node->as_array();
    if (!array)
      Fail(node, Join(path, key), fmt::format("expected an array, got {}", core::config::NodeTypeName(*node)));
    return *array;
  }

  std::vector<std::string> Strings(const toml::table& table, const std::string& path,
                                   std::string_view key, bool required,
                                   bool non_empty_items) const {
    std::vector<std::string> out;
    const toml::array& array = Array(table, path, key, required);
    for (size_t i = 0; i < array.size(); ++i)
      out.push_back(
          StringNode(*array.get(i), fmt::format("{}[{}]", Join(path, key), i), non_empty_items));
    return out;
  }

  std::vector<int> Lines(const toml::table& table, const std::string& path,
                         std::string_view key) const {
    std::vector<int> out;
    const toml::array& array = Array(table, path, key, /*required=*/false);
    for (size_t i = 0; i < array.size(); ++i)
      out.push_back(static_cast<int>(IntegerNode(
          *array.get(i), fmt::format("{}[{}]", Join(path, key), i), 1, kThesisLineCount)));
    return out;
  }

  const toml::table& TableNode(const toml::node& node, const std::string& path) const {
    const toml::table* table = node.as_table();
    if (!table) Fail(&node, path, fmt::format("expected a table, got {}", core::config::NodeTypeName(node)));
    return *table;
  }

  std::string Id(const toml::table& table, const std::string& path, std::string_view key) const {
    std::string id = String(table, path, key);
    if (!std::regex_match(id, IdPattern()))
      Fail(table.get(key), Join(path, key),
           fmt::format("'{}' is not an id ([a-z0-9_], starting with a letter or digit)", id));
    return id;
  }

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

 private:
  std::string origin_;
};

}  // namespace

std::string_view ToString(ColumnKind kind) {
  return kind == ColumnKind::kLabel ? "label" : "value";
}

std::string_view ToString(Provenance provenance) {
  switch (provenance) {
    case Provenance::kOwn:
      return "own";
    case Provenance::kCited:
      return "cited";
    case Provenance::kOwnStatement:
      return "own-statement";
    case Provenance::kMixed:
      return "mixed";
  }
  return "?";
}

std::string Table::FileStem() const { return fmt::format("{:02d}_{}", number, id); }

int Table::ColumnIndex(std::string_view column_id) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].id == column_id) return static_cast<int>(i);
  return -1;
}

const Row* Table::FindRow(std::string_view row_id) const {
  for (const Row& row : rows)
    if (row.id == row_id) return &row;
  return nullptr;
}

bool Table::IsCited(const Row& row, int column) const {
  if (row.provenance == Provenance::kCited) return true;
  if (row.provenance != Provenance::kMixed || column < 0) return false;
  const std::string& id = columns[column].id;
  return std::find(row.cited_columns.begin(), row.cited_columns.end(), id) !=
         row.cited_columns.end();
}

std::string Table::RowLabel(const Row& row) const {
  for (size_t i = 0; i < columns.size() && i < row.cells.size(); ++i)
    if (columns[i].kind == ColumnKind::kLabel && !row.cells[i].empty()) return row.cells[i];
  return row.id;
}

Table ParseTable(std::string_view toml_text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw MakeError("{}:{}:{}: not valid TOML: {}", origin, e.source().begin.line,
                    e.source().begin.column, e.description());
  }
  Reader r(origin);
  r.RejectMeasuredKeys(doc, "");
  r.OnlyKeys(doc, "",
             {"schema", "id", "number", "title", "summary", "caption", "thesis_line",
              "caption_lines", "header_lines", "row_lines", "digest", "printed_header", "footnotes",
              "notes", "columns", "rows"});
  const std::string schema = r.String(doc, "", "schema");
  if (schema != kTableSchema)
    r.Fail(doc.get("schema"), "schema", fmt::format("'{}' is not '{}'", schema, kTableSchema));

  Table t;
  t.id = r.Id(doc, "", "id");
  t.number = static_cast<int>(r.Integer(doc, "", "number", 1, kThesisTableCount));
  t.title = r.String(doc, "", "title");
  t.summary = r.String(doc, "", "summary", /*required=*/false);
  t.caption = r.String(doc, "", "caption");
  t.thesis_line = static_cast<int>(r.Integer(doc, "", "thesis_line", 1, kThesisLineCount));
  t.caption_lines = r.Lines(doc, "", "caption_lines");
  t.header_lines = r.Lines(doc, "", "header_lines");
  t.row_lines = r.Lines(doc, "", "row_lines");

  const toml::table& digest = r.TableNode(r.Require(doc, "", "digest"), "digest");
  r.OnlyKeys(digest, "digest", {"file", "section", "also"});
  t.digest_file = r.String(digest, "digest", "file");
  if (t.digest_file.size() < 4 || t.digest_file.substr(t.digest_file.size() - 3) != ".md")
    r.Fail(digest.get("file"), "digest.file",
           fmt::format("'{}' is not a digest file (*.md)", t.digest_file));
  t.digest_section = r.String(digest, "digest", "section");
  t.digest_also = r.String(digest, "digest", "also", /*required=*/false);

  // A table printed without a header line (the DiB specifications table) has an empty list.
  t.printed_header =
      r.Strings(doc, "", "printed_header", /*required=*/true, /*non_empty_items=*/true);
  if (!t.header_lines.empty() && t.header_lines.size() != t.printed_header.size())
    r.Fail(doc.get("header_lines"), "header_lines",
           fmt::format("{} line numbers for {} printed header lines", t.header_lines.size(),
                       t.printed_header.size()));
  t.footnotes = r.Strings(doc, "", "footnotes", false, true);
  t.notes = r.Strings(doc, "", "notes", false, true);

  const toml::array& columns = r.Array(doc, "", "columns", /*required=*/true);
  if (columns.empty()) r.Fail(doc.get("columns"), "columns", "a table needs at least one column");
  std::set<std::string> column_ids;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string path = fmt::format("columns[{}]", i);
    const toml::table& c = r.TableNode(*columns.get(i), path);
    r.OnlyKeys(c, path, {"id", "name", "kind", "printed"});
    Column column;
    column.id = r.Id(c, path, "id");
    if (!column_ids.insert(column.id).second)
      r.Fail(&c, path + ".id", fmt::format("duplicate column id '{}'", column.id));
    // An unnamed header cell (diffusion Table 1's first column) is printed empty.
    column.name = r.String(c, path, "name", /*required=*/true, /*non_empty=*/false);
    const std::string kind = r.String(c, path, "kind");
    if (kind == "label") {
      column.kind = ColumnKind::kLabel;
    } else if (kind == "value") {
      column.kind = ColumnKind::kValue;
    } else {
      r.Fail(c.get("kind"), path + ".kind", fmt::format("'{}' is not 'label' or 'value'", kind));
    }
    if (c.get("printed")) column.printed = r.String(c, path, "printed", true, /*non_empty=*/false);
    t.columns.push_back(std::move(column));
  }
  if (std::none_of(t.columns.begin(), t.columns.end(),
                   [](const Column& c) { return c.kind == ColumnKind::kLabel; }))
    r.Fail(doc.get("columns"), "columns",
           "a table needs at least one label column to name its rows");

  const toml::array& rows = r.Array(doc, "", "rows", /*required=*/true);
  if (rows.empty()) r.Fail(doc.get("rows"), "rows", "a table needs at least one row");
  std::set<std::string> row_ids;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string path = fmt::format("rows[{}]", i);
    const toml::table& rt = r.TableNode(*rows.get(i), path);
    r.OnlyKeys(rt, path, {"id", "provenance", "cited_columns", "source", "cells"});
    Row row;
    row.id = r.Id(rt, path, "id");
    if (!row_ids.insert(row.id).second)
      r.Fail(&rt, path + ".id", fmt::format("duplicate row id '{}'", row.id));
    const std::string provenance = r.String(rt, path, "provenance");
    if (provenance == "own") {
      row.provenance = Provenance::kOwn;
    } else if (provenance == "cited") {
      row.provenance = Provenance::kCited;
    } else if (provenance == "own-statement") {
      row.provenance = Provenance::kOwnStatement;
    } else if (provenance == "mixed") {
      row.provenance = Provenance::kMixed;
    } else {
      r.Fail(
          rt.get("provenance"), path + ".provenance",
          fmt::format("'{}' is not one of 'own', 'cited', 'own-statement', 'mixed'", provenance));
    }
    row.cited_columns = r.Strings(rt, path, "cited_columns", /*required=*/false, true);
    if (row.provenance == Provenance::kMixed && row.cited_columns.empty())
      r.Fail(&rt, path + ".cited_columns", "a 'mixed' row must list its cited columns");
    if (row.provenance != Provenance::kMixed && !row.cited_columns.empty())
      r.Fail(rt.get("cited_columns"), path + ".cited_columns",
             "only a 'mixed' row lists cited columns");
    for (const std::string& id : row.cited_columns) {
      const int index = t.ColumnIndex(id);
      if (index < 0 || t.columns[index].kind != ColumnKind::kValue)
        r.Fail(rt.get("cited_columns"), path + ".cited_columns",
               fmt::format("'{}' is not a value column of this table", id));
    }
    row.source = r.String(rt, path, "source");
    // Empty cells are printed empty; they stay empty strings.
    row.cells = r.Strings(rt, path, "cells", /*required=*/true, /*non_empty_items=*/false);
    if (row.cells.size() != t.columns.size())
      r.Fail(rt.get("cells"), path + ".cells",
             fmt::format("{} cells for {} columns", row.cells.size(), t.columns.size()));
    t.rows.push_back(std::move(row));
  }
  if (!t.row_lines.empty() && t.row_lines.size() != t.rows.size())
    r.Fail(doc.get("row_lines"), "row_lines",
           fmt::format("{} line numbers for {} rows", t.row_lines.size(), t.rows.size()));
  return t;
}

Table LoadTable(const fs::path& path) {
  Table table = ParseTable(core::ReadFile(path), path.string());
  table.source_path = path;
  return table;
}

std::vector<Table> LoadTables(const fs::path& dir, bool require_all_thesis_tables) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw MakeError("{}: table folder does not exist", dir.string());
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".toml") paths.push_back(entry.path());
  }
  if (ec) throw MakeError("{}: cannot list table files: {}", dir.string(), ec.message());
  std::sort(paths.begin(), paths.end());

  std::vector<Table> tables;
  std::map<int, fs::path> by_number;
  std::map<std::string, fs::path> by_id;
  for (const fs::path& path : paths) {
    Table table = LoadTable(path);
    if (path.stem() != table.FileStem())
      throw MakeError("{}: file name must be {}.toml (number {}, id '{}')", path.string(),
                      table.FileStem(), table.number, table.id);
    if (auto [it, added] = by_number.emplace(table.number, path); !added)
      throw MakeError("{}: table number {} is also used by {}", path.string(), table.number,
                      it->second.string());
    if (auto [it, added] = by_id.emplace(table.id, path); !added)
      throw MakeError("{}: table id '{}' is also used by {}", path.string(), table.id,
                      it->second.string());
    tables.push_back(std::move(table));
  }
  if (require_all_thesis_tables) {
    std::string missing;
    for (int n = 1; n <= kThesisTableCount; ++n)
      if (!by_number.count(n)) missing += (missing.empty() ? "" : ", ") + std::to_string(n);
    if (!missing.empty())
      throw MakeError("{}: no table file for thesis table number(s) {}", dir.string(), missing);
  }
  std::sort(tables.begin(), tables.end(),
            [](const Table& a, const Table& b) { return a.number < b.number; });
  return tables;
}

fs::path DefaultTablesDir() {
  if (auto dir = core::FindRunfile("synface/papers/tables"); dir && fs::is_directory(*dir))
    return *dir;
  const fs::path local = core::ResolveUserPath("papers/tables");
  if (fs::is_directory(local)) return local;
  throw MakeError(
      "thesis tables not found: neither the runfiles folder synface/papers/tables nor {} exists "
      "(run through `bazel run //papers:regenerate` or pass --tables DIR)",
      local.string());
}

}  // namespace synface::papers
