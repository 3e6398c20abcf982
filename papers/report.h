// The papers report: every thesis table with the thesis's values and, beside each, our measured
// value where a result record supplies it, with the record's provenance (scale, data, variant,
// seed, commit, hardware, date). One Markdown file plus one CSV per table.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "core/results/results.h"
#include "papers/table.h"

namespace synface::papers {

struct ReportContext {
  std::filesystem::path runs_root;           // record paths are shown relative to its parent
  std::string generated_at;                  // ISO 8601 UTC
  std::string commit = "unknown";            // of the tree that generated the report
  std::vector<std::string> record_problems;  // records that could not be read (shown as warnings)
  int superseded = 0;                        // older runs left out by FindResults
};

struct Report {
  std::string markdown;
  std::vector<std::pair<std::string, std::string>> csv_files;  // {"31_table5_3.csv", text}
  int tables = 0;
  int tables_measured = 0;  // tables with at least one measured value
  int records = 0;
  int measured_cells = 0;
  std::vector<std::string> warnings;  // also listed in the Markdown
};

// Builds the report from validated tables and result records. Records, rows or columns that name
// no known table, row or column become warnings, never silently dropped.
Report BuildReport(const std::vector<Table>& tables,
                   const std::vector<core::results::ResultRecord>& records,
                   const ReportContext& context);

// Writes <out_dir>/report.md and <out_dir>/csv/<NN_id>.csv, each atomically.
void WriteReport(const Report& report, const std::filesystem::path& out_dir);

struct RegenerateOptions {
  std::filesystem::path tables_dir;  // empty: DefaultTablesDir()
  std::filesystem::path runs_dir;    // empty: ./runs where the user ran the command
  std::filesystem::path out_dir;     // empty: ./reports
};

// Loads tables and records, builds and writes the report, prints progress and a summary to `log`.
Report Regenerate(const RegenerateOptions& options, std::ostream& log);

// Markdown-escapes text for a table cell or paragraph (|, *, _, `, $, [, ], <, >, \), newlines
// become <br>.
std::string MarkdownEscape(std::string_view text);
// One CSV field, quoted when needed (RFC 4180).
std::string CsvField(std::string_view text);

}  // namespace synface::papers
