#include "papers/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::papers {
namespace fs = std::filesystem;
using core::results::ResultRecord;
using core::results::Value;

namespace {

constexpr std::string_view kNotRun = "not run";
constexpr std::string_view kCitedCell = "— (cited)";
constexpr std::string_view kStatementCell = "— (statement)";

struct Measurement {
  int ref = 0;  // "r<ref>" in the table's provenance list
  const ResultRecord* record = nullptr;
  const Value* value = nullptr;
};

// A row only we have: a new row id with a label, or our run of a row the thesis cites.
struct ExtraRow {
  std::string id;
  std::string label;
  bool rerun_of_cited = false;
  std::map<int, std::vector<Measurement>> cells;  // column index -> measurements
};

struct TableState {
  const Table* table = nullptr;
  std::vector<const ResultRecord*> refs;                          // refs[i] is "r<i+1>"
  std::map<std::pair<int, int>, std::vector<Measurement>> cells;  // (row, column) of thesis rows
  std::vector<ExtraRow> extra;
  std::vector<std::string> warnings;
  std::vector<std::pair<int, std::string>> row_notes;  // (ref, "row: note")
  std::set<std::string> scales;
  int measured_cells = 0;
  std::map<std::string, int> cells_per_scale;

  int Ref(const ResultRecord* record) {
    for (size_t i = 0; i < refs.size(); ++i)
      if (refs[i] == record) return static_cast<int>(i) + 1;
    refs.push_back(record);
    return static_cast<int>(refs.size());
  }

  ExtraRow& Extra(const std::string& id, const std::string& label, bool rerun) {
    for (ExtraRow& row : extra)
      if (row.id == id) return row;
    extra.push_back(ExtraRow{id, label, rerun, {}});
    return extra.back();
  }

  void Add(std::vector<Measurement>& cell, const Measurement& m) {
    cell.push_back(m);
    ++measured_cells;
    ++cells_per_scale[m.record->scale];
    scales.insert(m.record->scale);
  }
};

std::string DataShort(const std::string& kind) {
  if (kind == "synthetic-stand-in") return "stand-in";
  if (kind == "none") return "";
  return kind;
}

// scale·data·variant, e.g. "smoke·stand-in", "paper·real·as_run", "exact".
std::string Tag(const ResultRecord& record) {
  std::string tag = record.scale;
  if (std::string data = DataShort(record.data.kind); !data.empty()) tag += "·" + data;
  if (record.variant != "default") tag += "·" + record.variant;
  return tag;
}

std::string RecordPath(const ResultRecord& record, const fs::path& runs_root) {
  if (record.source_path.empty())
    return fmt::format("(not from a file: {}/{})", record.experiment, record.run_id);
  if (!runs_root.empty()) {
    const fs::path relative = record.source_path.lexically_relative(runs_root);
    if (!relative.empty() && *relative.begin() != "..")
      return (runs_root.filename() / relative).string();
  }
  return record.source_path.string();
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string MeasuredMarkdown(const std::vector<Measurement>& cell) {
  std::vector<std::string> parts;
  for (const Measurement& m : cell)
    parts.push_back(fmt::format("**{}** ({}, r{})", MarkdownEscape(m.value->display),
                                MarkdownEscape(Tag(*m.record)), m.ref));
  return Join(parts, "<br>");
}

std::string MeasuredCsv(const std::vector<Measurement>& cell) {
  std::vector<std::string> parts;
  for (const Measurement& m : cell) parts.push_back(m.value->display);
  return Join(parts, "; ");
}

std::string MeasuredSourceCsv(const std::vector<Measurement>& cell, const fs::path& runs_root) {
  std::vector<std::string> parts;
  for (const Measurement& m : cell)
    parts.push_back(fmt::format("r{}: {}/{}/{} {}", m.ref, m.record->scale, m.record->data.kind,
                                m.record->variant, RecordPath(*m.record, runs_root)));
  return Join(parts, "; ");
}

std::string RowMarker(const Table& table, const Row& row) {
  switch (row.provenance) {
    case Provenance::kOwn:
      return "own";
    case Provenance::kCited:
      return "cited";
    case Provenance::kOwnStatement:
      return "statement";
    case Provenance::kMixed: {
      std::vector<std::string> names;
      for (const std::string& id : row.cited_columns)
        names.push_back(table.columns[table.ColumnIndex(id)].name);
      return "mixed (cited: " + Join(names, ", ") + ")";
    }
  }
  return "";
}

std::string ExtraMarker(const ExtraRow& row) {
  return row.rerun_of_cited ? "ours — our run of a cited row" : "ours — new row";
}

// The "ours" text of a thesis cell that has no measurement.
std::string_view UnmeasuredText(const Table& table, const Row& row, int column) {
  if (row.provenance == Provenance::kOwnStatement) return kStatementCell;
  if (table.IsCited(row, column)) return kCitedCell;
  return kNotRun;
}

void Place(TableState& state, const ResultRecord& record, const fs::path& runs_root) {
  const Table& table = *state.table;
  const std::string where = RecordPath(record, runs_root);
  auto warn = [&](const std::string& message) { state.warnings.push_back(where + ": " + message); };
  for (const core::results::ResultRow& result_row : record.rows) {
    const int ref = state.Ref(&record);
    if (!result_row.note.empty())
      state.row_notes.emplace_back(ref, result_row.row + ": " + result_row.note);
    const Row* row = table.FindRow(result_row.row);
    if (row && row->provenance == Provenance::kOwnStatement) {
      warn(
          fmt::format("row '{}' of {} is an authorship statement with nothing to measure; its "
                      "values are not shown",
                      row->id, table.title));
      continue;
    }
    if (!row && result_row.label.empty()) {
      warn(
          fmt::format("row '{}' is not a row of {} ({}), and a new row needs a label; its values "
                      "are not shown",
                      result_row.row, table.title, table.id));
      continue;
    }
    const int row_index = row ? static_cast<int>(row - table.rows.data()) : -1;
    for (const auto& [column_id, value] : result_row.values) {
      const int column = table.ColumnIndex(column_id);
      if (column < 0) {
        warn(
            fmt::format("column '{}' is not a column of {} ({}); value {} of row '{}' is not shown",
                        column_id, table.title, table.id, value.display, result_row.row));
        continue;
      }
      const Measurement m{ref, &record, &value};
      if (!row) {
        // A new row: any column, label columns included, may be filled.
        state.Add(state.Extra(result_row.row, result_row.label, false).cells[column], m);
        continue;
      }
      if (table.columns[column].kind == ColumnKind::kLabel) {
        warn(
            fmt::format("column '{}' of {} is a label column; the value {} given for row '{}' is "
                        "not shown",
                        column_id, table.title, value.display, row->id));
        continue;
      }
      if (table.IsCited(*row, column)) {
        // Never beside a cited number as if it were the thesis's own result: a separate row.
        ExtraRow& extra =
            state.Extra(row->id + "_rerun",
                        table.RowLabel(*row) + " (our run; the thesis cites this row)", true);
        state.Add(extra.cells[column], m);
        continue;
      }
      state.Add(state.cells[{row_index, column}], m);
    }
  }
}

// "1 own, 11 cited".
std::string RowCounts(const Table& table) {
  std::map<std::string, int> counts;
  for (const Row& row : table.rows) ++counts[std::string(ToString(row.provenance))];
  std::vector<std::string> parts;
  for (const char* name : {"own", "cited", "mixed", "own-statement"})
    if (counts.count(name)) parts.push_back(fmt::format("{} {}", counts[name], name));
  return Join(parts, ", ");
}

std::string Anchor(const Table& table) { return fmt::format("t{:02d}", table.number); }

std::string CaptionMarkdown(const Table& table) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t end = table.caption.find('\n', start);
    lines.push_back(MarkdownEscape(table.caption.substr(start, end - start)));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return Join(lines, " / ");
}

std::string ScaleSummary(const std::map<std::string, int>& cells_per_scale) {
  std::vector<std::string> parts;
  for (const char* scale : {"smoke", "paper", "exact"}) {
    auto it = cells_per_scale.find(scale);
    if (it == cells_per_scale.end()) continue;
    parts.push_back(fmt::format("{}{}: {} cell{}", std::string_view(scale) == "smoke" ? "⚠ " : "",
                                scale, it->second, it->second == 1 ? "" : "s"));
  }
  return parts.empty() ? std::string(kNotRun) : Join(parts, ", ");
}

std::string Banners(const TableState& state) {
  std::string out;
  if (state.scales.count("smoke")) {
    bool stand_in = false;
    for (const ResultRecord* r : state.refs)
      stand_in = stand_in || (r->scale == "smoke" && r->data.kind == "synthetic-stand-in");
    out += fmt::format(
        "> **⚠ SMOKE SCALE — NOT A REPRODUCTION.** Values tagged `smoke` come from minutes-long "
        "runs "
        "on a small CPU budget{}. They show that the pipeline runs end to end; they say nothing "
        "about "
        "whether the thesis's numbers reproduce.\n\n",
        stand_in ? ", on synthetic stand-in data in place of the real data sets the thesis used"
                 : "");
  }
  if (state.scales.count("paper"))
    out +=
        "> **Paper scale.** Values tagged `paper` ran with the thesis's settings on the data named "
        "in their provenance line below.\n\n";
  if (state.scales.count("exact"))
    out +=
        "> **Exact.** Values tagged `exact` are data-free computations (parameter, MAC and FLOP "
        "counts); they compare directly with the thesis's numbers under the counting convention "
        "stated in each record's notes.\n\n";
  return out;
}

std::string ProvenanceLine(const ResultRecord& r, int ref, const fs::path& runs_root) {
  std::string data = r.data.kind == "none" ? "no data" : r.data.kind;
  if (!r.data.description.empty()) data += ": " + MarkdownEscape(r.data.description);
  if (!r.data.path.empty()) data += fmt::format(" (`{}`)", r.data.path);
  if (!r.data.hash.empty()) data += fmt::format(" hash `{}`", r.data.hash);
  std::string line = fmt::format(
      "- **r{}** — **{} · {}** — experiment `{}`, variant `{}`, seed {}, commit `{}`, {} ({} "
      "cores, "
      "{} threads, {}), started {}, wall time {:.1f} s, record `{}`",
      ref, r.scale, data, r.experiment, r.variant, r.seed, r.commit,
      MarkdownEscape(r.hardware.cpu_model.empty() ? "unknown CPU" : r.hardware.cpu_model),
      r.hardware.cores, r.hardware.threads, MarkdownEscape(r.hardware.device), r.started_at,
      r.wall_time_s, RecordPath(r, runs_root));
  if (!r.notes.empty()) line += ". Notes: " + MarkdownEscape(r.notes);
  return line + "\n";
}

void RenderTable(const TableState& state, const ReportContext& context, std::string& md,
                 std::string& csv) {
  const Table& t = *state.table;
  md += fmt::format("<a id=\"{}\"></a>\n\n## {}. {}{}\n\n", Anchor(t), t.number,
                    MarkdownEscape(t.title),
                    t.summary.empty() ? "" : " — " + MarkdownEscape(t.summary));
  md += Banners(state);
  md += fmt::format("*Caption (thesis line {}):* {}\n\n", t.thesis_line, CaptionMarkdown(t));
  if (t.printed_header.empty()) {
    md += "*Printed header:* none (the thesis prints this table without a header line)\n\n";
  } else {
    std::vector<std::string> lines;
    for (const std::string& line : t.printed_header) {
      std::string shown = line;
      for (size_t p = shown.find('\t'); p != std::string::npos; p = shown.find('\t', p + 3))
        shown.replace(p, 1, " | ");
      lines.push_back("`" + shown + "`");
    }
    md += fmt::format("*Printed header (verbatim, cells separated by \\|):* {}\n\n",
                      Join(lines, " / "));
  }
  md += fmt::format(
      "*Source:* digest `{}` {}{} · table file `papers/tables/{}.toml` · rows: {}\n\n",
      t.digest_file, t.digest_section, t.digest_also.empty() ? "" : " (also " + t.digest_also + ")",
      t.FileStem(), RowCounts(t));

  // Header: every value column is followed by its "ours" column.
  std::vector<std::string> header, csv_header{"row_id", "row"};
  for (const Column& c : t.columns) {
    header.push_back(MarkdownEscape(c.name));
    csv_header.push_back(c.name);
    if (c.kind == ColumnKind::kValue) {
      header.push_back(MarkdownEscape(c.name) + " · ours");
      csv_header.push_back(c.name + " [ours]");
      csv_header.push_back(c.name + " [ours source]");
    }
  }
  header.push_back("row");
  md += "| " + Join(header, " | ") + " |\n";
  md += "|";
  for (size_t i = 0; i < header.size(); ++i) md += "---|";
  md += "\n";
  std::vector<std::string> csv_fields;
  for (const std::string& h : csv_header) csv_fields.push_back(CsvField(h));
  csv += Join(csv_fields, ",") + "\r\n";

  for (size_t ri = 0; ri < t.rows.size(); ++ri) {
    const Row& row = t.rows[ri];
    std::vector<std::string> cells, csv_row{CsvField(row.id), CsvField(RowMarker(t, row))};
    for (size_t ci = 0; ci < t.columns.size(); ++ci) {
      cells.push_back(MarkdownEscape(row.cells[ci]));
      csv_row.push_back(CsvField(row.cells[ci]));
      if (t.columns[ci].kind != ColumnKind::kValue) continue;
      auto it = state.cells.find({static_cast<int>(ri), static_cast<int>(ci)});
      if (it != state.cells.end()) {
        cells.push_back(MeasuredMarkdown(it->second));
        csv_row.push_back(CsvField(MeasuredCsv(it->second)));
        csv_row.push_back(CsvField(MeasuredSourceCsv(it->second, context.runs_root)));
      } else {
        const std::string_view text = UnmeasuredText(t, row, static_cast<int>(ci));
        cells.push_back(MarkdownEscape(text));
        csv_row.push_back(CsvField(text));
        csv_row.push_back("");
      }
    }
    cells.push_back(MarkdownEscape(RowMarker(t, row)));
    md += "| " + Join(cells, " | ") + " |\n";
    csv += Join(csv_row, ",") + "\r\n";
  }
  for (const ExtraRow& extra : state.extra) {
    std::vector<std::string> cells, csv_row{CsvField(extra.id), CsvField(ExtraMarker(extra))};
    bool label_placed = false;
    for (size_t ci = 0; ci < t.columns.size(); ++ci) {
      const Column& c = t.columns[ci];
      auto it = extra.cells.find(static_cast<int>(ci));
      if (c.kind == ColumnKind::kLabel) {
        std::string text;
        if (it != extra.cells.end()) {
          text = MeasuredCsv(it->second);
        } else if (!label_placed) {
          text = extra.label;
        }
        label_placed = true;
        cells.push_back(text.empty() ? "" : "**" + MarkdownEscape(text) + "**");
        csv_row.push_back(CsvField(text));
        continue;
      }
      cells.push_back("—");  // the thesis has no value for a row it does not have
      csv_row.push_back("");
      if (it != extra.cells.end()) {
        cells.push_back(MeasuredMarkdown(it->second));
        csv_row.push_back(CsvField(MeasuredCsv(it->second)));
        csv_row.push_back(CsvField(MeasuredSourceCsv(it->second, context.runs_root)));
      } else {
        cells.push_back("");
        csv_row.push_back("");
        csv_row.push_back("");
      }
    }
    cells.push_back("**" + ExtraMarker(extra) + "**");
    md += "| " + Join(cells, " | ") + " |\n";
    csv += Join(csv_row, ",") + "\r\n";
  }
  md += "\n";

  if (!state.refs.empty()) {
    md += "**Provenance of the measured values**\n\n";
    for (size_t i = 0; i < state.refs.size(); ++i)
      md += ProvenanceLine(*state.refs[i], static_cast<int>(i) + 1, context.runs_root);
    for (const auto& [ref, note] : state.row_notes)
      md += fmt::format("  - r{} row note — {}\n", ref, MarkdownEscape(note));
    md += "\n";
  }
  if (!state.warnings.empty()) {
    md += "**Warnings**\n\n";
    for (const std::string& w : state.warnings) md += "- ⚠ " + MarkdownEscape(w) + "\n";
    md += "\n";
  }
  md += "<details><summary>Row sources, printed footnotes and digest notes</summary>\n\n";
  for (const std::string& f : t.footnotes) md += "- Printed footnote: " + MarkdownEscape(f) + "\n";
  for (const Row& row : t.rows)
    md += fmt::format("- `{}` ({}): {}\n", row.id, ToString(row.provenance),
                      MarkdownEscape(row.source));
  for (const std::string& n : t.notes) md += "- Digest note: " + MarkdownEscape(n) + "\n";
  md += "\n</details>\n\n";
}

}  // namespace

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
      case '|':
      case '*':
      case '_':
      case '`':
      case '$':
      case '[':
      case ']':
      case '<':
      case '>':
      case '#':
        out += '\\';
        out += c;
        break;
      case '\n':
        out += "<br>";
        break;
      case '\r':
        break;
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Report BuildReport(const std::vector<Table>& tables, const std::vector<ResultRecord>& records,
                   const ReportContext& context) {
  Report report;
  report.tables = static_cast<int>(tables.size());
  report.records = static_cast<int>(records.size());
  std::vector<TableState> states(tables.size());
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < tables.size(); ++i) {
    states[i].table = &tables[i];
    by_id[tables[i].id] = i;
  }
  std::vector<std::string> global_warnings = context.record_problems;
  for (const ResultRecord& record : records) {
    auto it = by_id.find(record.table);
    if (it == by_id.end()) {
      global_warnings.push_back(fmt::format(
          "{}: table '{}' is not a thesis table id (see papers/tables); the record is not shown",
          RecordPath(record, context.runs_root), record.table));
      continue;
    }
    Place(states[it->second], record, context.runs_root);
  }
  std::map<std::string, int> cells_per_scale;
  for (const TableState& s : states) {
    if (s.measured_cells > 0) ++report.tables_measured;
    report.measured_cells += s.measured_cells;
    for (const auto& [scale, n] : s.cells_per_scale) cells_per_scale[scale] += n;
    for (const std::string& w : s.warnings) global_warnings.push_back(s.table->title + ": " + w);
  }
  report.warnings = global_warnings;

  std::string& md = report.markdown;
  md += "# synface — the thesis tables, regenerated\n\n";
  md += fmt::format(
      "Generated {} from commit `{}` by `bazel run //papers:regenerate`: {} thesis tables "
      "(`papers/tables`), {} result record{} under `{}`{}.\n\n",
      context.generated_at, context.commit, report.tables, report.records,
      report.records == 1 ? "" : "s",
      context.runs_root.empty() ? "runs" : context.runs_root.filename().string(),
      context.superseded > 0 ? fmt::format(" ({} older run{} superseded)", context.superseded,
                                           context.superseded == 1 ? "" : "s")
                             : "");
  md += fmt::format(
      "**{} of {} tables have at least one measured value** ({} measured cell{}: {}).\n\n",
      report.tables_measured, report.tables, report.measured_cells,
      report.measured_cells == 1 ? "" : "s", ScaleSummary(cells_per_scale));
  if (cells_per_scale.count("smoke"))
    md +=
        "> **⚠ Smoke-scale values are in this report.** They come from minutes-long runs on small "
        "synthetic data (stand-ins for the thesis's real data sets where marked `stand-in`). They "
        "check the pipeline; they are not reproductions of the thesis's numbers. Every such cell "
        "is tagged `smoke`.\n\n";
  md +=
      "**How to read it.** Thesis values are copied exactly as printed (transcribed from the seed "
      "digests into `papers/tables`). Every value column is followed by an *· ours* column: "
      "`not run` = no result record supplies that cell; `— (cited)` = the thesis quotes this "
      "number "
      "from another work, so it is never compared with ours (our run of such a row, if any, is a "
      "separate row); `— (statement)` = an authorship statement. A measured cell reads "
      "**value** (tag, rN): the tag is scale·data·variant — `smoke` = smoke scale (minutes on "
      "2 CPU cores, tiny data), `paper` = the thesis's settings, `exact` = a data-free "
      "computation; "
      "`stand-in` = synthetic data standing in for a real data set, `synthetic` = synthetic data "
      "as the thesis used, `real` = the real data set; a variant such as `as_run` is the authors' "
      "as-run behaviour, no variant = the default, correct method. rN points to the provenance "
      "list under the table (seed, commit, hardware, date). Rows marked **ours — new row** exist "
      "only in our results.\n\n";
  if (!global_warnings.empty()) {
    md += fmt::format("## Warnings ({})\n\n", global_warnings.size());
    for (const std::string& w : global_warnings) md += "- ⚠ " + MarkdownEscape(w) + "\n";
    md += "\n";
  }
  md += "## Contents\n\n| # | table | thesis line | rows | ours |\n|---|---|---|---|---|\n";
  for (const TableState& s : states) {
    const Table& t = *s.table;
    md += fmt::format("| {} | [{}{}](#{}) | {} | {} | {} |\n", t.number, MarkdownEscape(t.title),
                      t.summary.empty() ? "" : " — " + MarkdownEscape(t.summary), Anchor(t),
                      t.thesis_line, RowCounts(t), ScaleSummary(s.cells_per_scale));
  }
  md += "\n---\n\n";
  for (const TableState& s : states) {
    std::string csv;
    RenderTable(s, context, md, csv);
    report.csv_files.emplace_back(s.table->FileStem() + ".csv", std::move(csv));
  }
  return report;
}

void WriteReport(const Report& report, const fs::path& out_dir) {
  core::WriteFileAtomic(out_dir / "report.md", report.markdown);
  for (const auto& [name, text] : report.csv_files)
    core::WriteFileAtomic(out_dir / "csv" / name, text);
}

Report Regenerate(const RegenerateOptions& options, std::ostream& log) {
  const fs::path tables_dir =
      options.tables_dir.empty() ? DefaultTablesDir() : core::ResolveUserPath(options.tables_dir);
  const fs::path runs_dir =
      core::ResolveUserPath(options.runs_dir.empty() ? "runs" : options.runs_dir);
  const fs::path out_dir =
      core::ResolveUserPath(options.out_dir.empty() ? "reports" : options.out_dir);

  const std::vector<Table> tables = LoadTables(tables_dir);
  log << fmt::format("regenerate: {} thesis tables from {}\n", tables.size(), tables_dir.string());

  ReportContext context;
  context.runs_root = runs_dir;
  context.generated_at = core::results::NowIso8601();
  context.commit = core::results::CurrentCommit();
  std::vector<ResultRecord> records;
  if (fs::is_directory(runs_dir)) {
    records = core::results::FindResults(runs_dir, &context.record_problems, &context.superseded);
    log << fmt::format(
        "regenerate: {} result record(s) under {} ({} older run(s) superseded, {} unreadable)\n",
        records.size(), runs_dir.string(), context.superseded, context.record_problems.size());
  } else {
    log << fmt::format("regenerate: no runs folder at {}; every value is 'not run'\n",
                       runs_dir.string());
  }

  Report report = BuildReport(tables, records, context);
  WriteReport(report, out_dir);
  for (const std::string& w : report.warnings) log << "warning: " << w << "\n";
  log << fmt::format(
      "regenerate: {} of {} tables have measured values ({} cells); wrote {} and {} CSV files in "
      "{}\n",
      report.tables_measured, report.tables, report.measured_cells,
      (out_dir / "report.md").string(), report.csv_files.size(), (out_dir / "csv").string());
  return report;
}

}  // namespace synface::papers
