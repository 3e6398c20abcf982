#include "papers/report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/results/results.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "papers/table.h"

namespace synface::papers {
namespace {
namespace fs = std::filesystem;
using core::results::ResultRecord;
using core::results::ResultRow;
using json = nlohmann::json;

fs::path TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const std::vector<Table>& ThesisTables() {
  static const std::vector<Table> tables = LoadTables(DefaultTablesDir());
  return tables;
}

const Table& ById(const std::string& id) {
  for (const Table& t : ThesisTables())
    if (t.id == id) return t;
  throw std::runtime_error("no table " + id);
}

// RFC 4180 reader for the report's CSV files.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r') {
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

const std::string& Csv(const Report& report, const Table& table) {
  for (const auto& [name, text] : report.csv_files)
    if (name == table.FileStem() + ".csv") return text;
  throw std::runtime_error("no csv for " + table.id);
}

// The CSV cell of (row id, header) in a table's CSV.
std::string CsvCell(const Report& report, const Table& table, const std::string& row_id,
                    const std::string& header) {
  const auto rows = ParseCsv(Csv(report, table));
  int column = -1;
  for (size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == header) column = static_cast<int>(i);
  if (column < 0) throw std::runtime_error("no CSV column " + header);
  for (const auto& row : rows)
    if (row[0] == row_id) return row[column];
  throw std::runtime_error("no CSV row " + row_id);
}

std::string Section(const Report& report, const Table& table) {
  const std::string anchor = "<a id=\"t" + table.FileStem().substr(0, 2) + "\"></a>";
  const size_t begin = report.markdown.find(anchor);
  const size_t end = report.markdown.find("<a id=\"t", begin + anchor.size());
  return report.markdown.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

ReportContext Context() {
  ReportContext context;
  context.runs_root = "/work/runs";
  context.generated_at = "2024-06-01T00:00:00Z";
  context.commit = "0123456789abcdef0123456789abcdef01234567";
  return context;
}

ResultRecord Record(const std::string& table, const std::string& scale,
                    const std::string& data_kind) {
  ResultRecord r;
  r.experiment = "fixture_" + table;
  r.table = table;
  r.scale = scale;
  r.data.kind = data_kind;
  r.data.description = data_kind == "none" ? "" : "64 rendered heads standing in for AFLW2000-3D";
  r.seed = 11;
  r.commit = "abcdef0123456789abcdef0123456789abcdef01";
  r.hardware = {"Fixture CPU @ 2GHz", 2, 2, "cpu"};
  r.started_at = "2024-05-31T10:00:00Z";
  r.wall_time_s = 3.5;
  r.run_id = "run1";
  r.source_path = "/work/runs/" + r.experiment + "/run1/result.json";
  return r;
}

ResultRow Row1(const std::string& row, std::vector<std::pair<std::string, std::string>> values,
               const std::string& label = "") {
  ResultRow out;
  out.row = row;
  out.label = label;
  for (const auto& [column, display] : values) out.values[column] = {json(display), display};
  return out;
}

TEST(Report, WithoutRecordsEveryValueColumnSaysNotRun) {
  const Report report = BuildReport(ThesisTables(), {}, Context());
  EXPECT_EQ(report.tables, 48);
  EXPECT_EQ(report.tables_measured, 0);
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_NE(report.markdown.find("**0 of 48 tables have at least one measured value**"),
            std::string::npos);
  ASSERT_EQ(report.csv_files.size(), 48u);
  for (const Table& t : ThesisTables()) {
    SCOPED_TRACE(t.id);
    const auto rows = ParseCsv(Csv(report, t));
    ASSERT_EQ(rows.size(), t.rows.size() + 1);
    for (size_t ri = 0; ri < t.rows.size(); ++ri) {
      const Row& row = t.rows[ri];
      EXPECT_EQ(rows[ri + 1][0], row.id);
      size_t field = 2;
      for (size_t ci = 0; ci < t.columns.size(); ++ci) {
        EXPECT_EQ(rows[ri + 1][field++], row.cells[ci]);  // the thesis value, exactly
        if (t.columns[ci].kind != ColumnKind::kValue) continue;
        const std::string ours = rows[ri + 1][field++];
        field++;  // ours source
        if (row.provenance == Provenance::kOwnStatement) {
          EXPECT_EQ(ours, "— (statement)");
        } else if (t.IsCited(row, static_cast<int>(ci))) {
          EXPECT_EQ(ours, "— (cited)");
        } else {
          EXPECT_EQ(ours, "not run");
        }
      }
    }
    // Every Markdown row has one cell per header cell, empty first cells included.
    const std::string section = Section(report, t);
    const size_t table_start = section.find("\n| ");
    ASSERT_NE(table_start, std::string::npos);
    const size_t header_end = section.find('\n', table_start + 1);
    const auto bars = [](const std::string& line) {
      int n = 0;
      for (size_t i = 0; i < line.size(); ++i)
        n += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
      return n;
    };
    const int header_bars = bars(section.substr(table_start + 1, header_end - table_start - 1));
    size_t line_start = section.find('\n', header_end + 1) + 1;  // skip the |---| line
    for (size_t ri = 0; ri < t.rows.size(); ++ri) {
      const size_t line_end = section.find('\n', line_start);
      EXPECT_EQ(bars(section.substr(line_start, line_end - line_start)), header_bars)
          << t.rows[ri].id;
      line_start = line_end + 1;
    }
    // The Markdown section has the table and its contents entry.
    EXPECT_NE(Section(report, t).find(t.FileStem() + ".toml"), std::string::npos);
    EXPECT_NE(report.markdown.find("(#t" + t.FileStem().substr(0, 2) + ")"), std::string::npos);
  }
}

TEST(Report, MeasuredValueSitsBesideItsThesisCellWithProvenance) {
  ResultRecord r = Record("table5_3", "exact", "none");
  r.rows.push_back(Row1("mobilenet_v2", {{"params", "4.22M"}, {"gmac", "0.39"}}));
  r.rows.push_back(Row1("resnet18", {{"params", "16.03M"}}));
  r.rows[0].note = "4,222,232 parameters incl. BN affine";
  r.notes = "conv + linear MACs at 256x256";
  const Report report = BuildReport(ThesisTables(), {r}, Context());
  const Table& t = ById("table5_3");
  EXPECT_EQ(report.tables_measured, 1);
  EXPECT_EQ(report.measured_cells, 3);
  EXPECT_TRUE(report.warnings.empty());
  const std::string section = Section(report, t);
  // Thesis value, then ours, in adjacent cells.
  EXPECT_NE(section.find("| 4.18M | **4.22M** (exact, r1) | own |"), std::string::npos) << section;
  EXPECT_NE(section.find("| 0.39 | **0.39** (exact, r1) | 0.19 | not run |"), std::string::npos)
      << section;
  EXPECT_NE(section.find("| 2.88 | not run |"), std::string::npos) << section;
  EXPECT_NE(Section(report, ById("p2_table1")).find("\n|  | Ruiz \\[9\\] | ResNet50 |"),
            std::string::npos);
  EXPECT_NE(section.find(
                "**r1** — **exact · no data** — experiment `fixture_table5_3`, variant `default`, "
                "seed 11, commit `abcdef0123456789abcdef0123456789abcdef01`, Fixture CPU @ 2GHz "
                "(2 cores, 2 threads, cpu), started 2024-05-31T10:00:00Z, wall time 3.5 s, record "
                "`runs/fixture_table5_3/run1/result.json`"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("r1 row note — mobilenet\\_v2: 4,222,232"), std::string::npos) << section;
  EXPECT_NE(section.find("**Exact.**"), std::string::npos);
  EXPECT_EQ(section.find("SMOKE SCALE"), std::string::npos);
  EXPECT_EQ(CsvCell(report, t, "mobilenet_v2", "# Params [ours]"), "4.22M");
  EXPECT_EQ(CsvCell(report, t, "mobilenet_v2", "# Params"), "4.18M");
  EXPECT_EQ(CsvCell(report, t, "mobilenet_v2", "# Params [ours source]"),
            "r1: exact/none/default runs/fixture_table5_3/run1/result.json");
  EXPECT_EQ(CsvCell(report, t, "mobilenet_v2", "gFlop [ours]"), "not run");
  EXPECT_NE(
      report.markdown.find("**1 of 48 tables have at least one measured value** (3 measured cells: "
                           "exact: 3 cells)"),
      std::string::npos);
}

TEST(Report, SmokeStandInResultsAreBannered) {
  ResultRecord r = Record("table5_1", "smoke", "synthetic-stand-in");
  r.variant = "as_run";
  r.rows.push_back(Row1("ours", {{"all", "9.81"}}));
  r.rows.push_back(Row1("synface", {{"all", "7.5"}, {"yaw_0_30", "5.0"}}, "synface MobileNetV2"));
  const Report report = BuildReport(ThesisTables(), {r}, Context());
  const std::string section = Section(report, ById("table5_1"));
  EXPECT_NE(section.find("**⚠ SMOKE SCALE — NOT A REPRODUCTION.**"), std::string::npos) << section;
  EXPECT_NE(section.find("synthetic stand-in data"), std::string::npos);
  EXPECT_NE(section.find("| 3.77 | **9.81** (smoke·stand-in·as\\_run, r1) | own |"),
            std::string::npos)
      << section;
  EXPECT_NE(
      section.find(
          "**r1** — **smoke · synthetic-stand-in: 64 rendered heads standing in for AFLW2000-3D**"),
      std::string::npos)
      << section;
  // The new row is appended after the thesis rows and marked as ours.
  EXPECT_NE(section.find("| **synface MobileNetV2** | — | **5.0** (smoke·stand-in·as\\_run, r1) |"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("| **ours — new row** |"), std::string::npos);
  EXPECT_GT(section.find("synface MobileNetV2"), section.find("3DDFA V2"));
  EXPECT_NE(report.markdown.find("> **⚠ Smoke-scale values are in this report.**"),
            std::string::npos);
  EXPECT_NE(report.markdown.find("| ⚠ smoke: 3 cells |"), std::string::npos);
  EXPECT_EQ(CsvCell(report, ById("table5_1"), "synface", "All [ours]"), "7.5");
  EXPECT_EQ(CsvCell(report, ById("table5_1"), "synface", "row"), "ours — new row");
}

TEST(Report, CitedRowsAreNeverComparedAsOurs) {
  ResultRecord r = Record("table5_1", "paper", "real");
  r.rows.push_back(Row1("3ddfa_v2", {{"all", "3.60"}}));
  const Report report = BuildReport(ThesisTables(), {r}, Context());
  const Table& t = ById("table5_1");
  EXPECT_EQ(CsvCell(report, t, "3ddfa_v2", "All [ours]"), "— (cited)");
  EXPECT_EQ(CsvCell(report, t, "3ddfa_v2_rerun", "All [ours]"), "3.60");
  EXPECT_EQ(CsvCell(report, t, "3ddfa_v2_rerun", "row"), "ours — our run of a cited row");
  EXPECT_NE(Section(report, t).find("3DDFA V2\\[64\\] (our run; the thesis cites this row)"),
            std::string::npos)
      << Section(report, t);
}

TEST(Report, UnknownTableRowOrColumnIsAWarningNotDropped) {
  ResultRecord unknown_table = Record("table9_9", "exact", "none");
  unknown_table.rows.push_back(Row1("x", {{"y", "1"}}));
  ResultRecord r = Record("table5_3", "exact", "none");
  r.rows.push_back(Row1("mobilenet_v3", {{"params", "5.4M"}}));  // no such row, no label
  r.rows.push_back(
      Row1("mobilenet_v2", {{"latency_ms", "3.1"}, {"params", "4.22M"}}));  // no such column
  r.rows.push_back(Row1("resnet18", {{"backbone", "ResNet-18"}}));          // a label column
  ResultRecord statement = Record("table2_1", "exact", "none");
  statement.rows.push_back(Row1("ideation", {{"contribution_percentage", "100%"}}));
  ReportContext context = Context();
  context.record_problems.push_back(
      "/work/runs/bad/run1/result.json: /scale: missing required field");
  const Report report = BuildReport(ThesisTables(), {unknown_table, r, statement}, context);
  ASSERT_EQ(report.warnings.size(), 6u) << report.markdown.substr(0, 3000);
  auto has = [&](const std::string& text) {
    for (const std::string& w : report.warnings)
      if (w.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("/scale: missing required field"));
  EXPECT_TRUE(
      has("runs/fixture_table9_9/run1/result.json: table 'table9_9' is not a thesis table id"));
  EXPECT_TRUE(
      has("row 'mobilenet_v3' is not a row of Table 5.3 (table5_3), and a new row needs a label"));
  EXPECT_TRUE(has("column 'latency_ms' is not a column of Table 5.3 (table5_3)"));
  EXPECT_TRUE(has("column 'backbone' of Table 5.3 is a label column"));
  EXPECT_TRUE(has("row 'ideation' of Table 2.1 is an authorship statement"));
  // Warnings are in the report, at the top and in the table's own section; the valid value still
  // shows.
  EXPECT_NE(report.markdown.find("## Warnings (6)"), std::string::npos);
  const std::string section = Section(report, ById("table5_3"));
  EXPECT_NE(section.find("latency\\_ms"), std::string::npos);
  EXPECT_NE(section.find("| 4.18M | **4.22M** (exact, r1) |"), std::string::npos) << section;
}

TEST(Report, RegenerateWritesMarkdownAndOneCsvPerTable) {
  const fs::path root = TestDir("regenerate");
  ResultRecord r = Record("table5_3", "exact", "none");
  r.rows.push_back(Row1("mobilenet_v2", {{"params", "4.22M"}}));
  core::results::WriteResult(root / "runs" / r.experiment / "20240531T100000Z-0001", r);
  core::WriteFileAtomic(root / "runs" / "broken" / "x" / "result.json", "[1, 2");
  RegenerateOptions options;
  options.runs_dir = root / "runs";
  options.out_dir = root / "reports";
  std::ostringstream log;
  const Report report = Regenerate(options, log);
  EXPECT_EQ(report.tables_measured, 1);
  EXPECT_EQ(report.warnings.size(), 1u);  // the broken record
  EXPECT_TRUE(fs::exists(root / "reports" / "report.md"));
  EXPECT_EQ(core::ReadFile(root / "reports" / "report.md"), report.markdown);
  int csv_count = 0;
  for (const auto& entry : fs::directory_iterator(root / "reports" / "csv")) {
    EXPECT_EQ(entry.path().extension(), ".csv");
    ++csv_count;
  }
  EXPECT_EQ(csv_count, 48);
  EXPECT_TRUE(fs::exists(root / "reports" / "csv" / "31_table5_3.csv"));
  const std::string out = log.str();
  EXPECT_NE(out.find("48 thesis tables"), std::string::npos) << out;
  EXPECT_NE(out.find("1 result record(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("warning: "), std::string::npos) << out;
  EXPECT_NE(out.find("1 of 48 tables have measured values"), std::string::npos) << out;
  EXPECT_NE(
      report.markdown.find("record `runs/fixture_table5_3/20240531T100000Z-0001/result.json`"),
      std::string::npos);

  // No runs folder at all: still a full report, everything "not run".
  options.runs_dir = root / "no_runs";
  std::ostringstream log2;
  EXPECT_EQ(Regenerate(options, log2).tables_measured, 0);
  EXPECT_NE(log2.str().find("no runs folder"), std::string::npos);
}

TEST(Report, EscapingHelpers) {
  EXPECT_EQ(MarkdownEscape("a|b *c* w_1 $x$ [1] <i> \\ `q` #\nnext"),
            "a\\|b \\*c\\* w\\_1 \\$x\\$ \\[1\\] \\<i\\> \\\\ \\`q\\` \\#<br>next");
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

}  // namespace
}  // namespace synface::papers
