// A thesis table as data: papers/tables/NN_<id>.toml, schema "synface.table/1" (papers/README.md).
//
// A table file holds what the thesis prints (caption, header, every cell as a string exactly as
// transcribed) and, per row, whether it is the thesis's own result or a number cited from another
// work. It never holds a measured value: those come only from result records (core/results), and
// the parser rejects any "ours"/"measured"/"values" key.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synface::papers {

inline constexpr std::string_view kTableSchema = "synface.table/1";
// The thesis has 48 tables (digests README) and 5,761 text lines.
inline constexpr int kThesisTableCount = 48;
inline constexpr int kThesisLineCount = 5761;

enum class ColumnKind {
  kLabel,  // identifies or describes the row (method, data set); never measured
  kValue,  // a printed value that a result record may supply for comparison
};

enum class Provenance {
  kOwn,           // the thesis's own result or statement of its own work
  kCited,         // a number or description taken from another work
  kOwnStatement,  // authorship statements (contribution tables): nothing to measure
  kMixed,         // own except the cells in Row::cited_columns
};

std::string_view ToString(ColumnKind kind);
std::string_view ToString(Provenance provenance);

struct Column {
  std::string id;    // [a-z0-9_], unique in the table; result records name columns by it
  std::string name;  // header text (two-line headers merged, "Co-operative Mean")
  std::optional<std::string> printed;  // the header label printed above the column, when it differs
  ColumnKind kind = ColumnKind::kValue;
};

struct Row {
  std::string id;  // [a-z0-9_], unique in the table; result records name rows by it
  Provenance provenance = Provenance::kOwn;
  std::vector<std::string>
      cited_columns;               // only for kMixed: the value columns cited from elsewhere
  std::string source;              // the digest's provenance text
  std::vector<std::string> cells;  // one per column, exactly as printed
};

struct Table {
  std::string id;       // "table5_3"
  int number = 0;       // 1..48, the digests README's numbering
  std::string title;    // "Table 5.3"
  std::string summary;  // short description from the digests README
  std::string caption;  // exact; a caption printed on two lines keeps its "\n"
  int thesis_line = 0;  // thesis line of the table (its caption)
  std::vector<int> caption_lines, header_lines, row_lines;  // thesis lines, where known
  std::string digest_file, digest_section, digest_also;
  std::vector<std::string> printed_header;  // header lines verbatim, cells separated by tabs
  std::vector<std::string> footnotes;       // printed footnotes
  std::vector<std::string> notes;           // the digest's observations
  std::vector<Column> columns;
  std::vector<Row> rows;
  std::filesystem::path source_path;

  // "31_table5_3": the file name stem the table must have.
  std::string FileStem() const;
  // Index of a column / pointer to a row, or -1 / nullptr.
  int ColumnIndex(std::string_view column_id) const;
  const Row* FindRow(std::string_view row_id) const;
  // True when the cell's number is cited from another work (cited row, or a cited column of a
  // mixed row).
  bool IsCited(const Row& row, int column) const;
  // The row's first non-empty label cell, for display ("Mobilenet-V2").
  std::string RowLabel(const Row& row) const;
};

// Parses and validates a table file's text; errors name `origin`, the line and the key path.
Table ParseTable(std::string_view toml_text, const std::string& origin);
Table LoadTable(const std::filesystem::path& path);

// Every *.toml in `dir`, sorted by number. Checks each file name is NN_<id>.toml and that numbers
// and ids are unique; with `require_all_thesis_tables`, that numbers 1..48 each occur exactly once.
std::vector<Table> LoadTables(const std::filesystem::path& dir,
                              bool require_all_thesis_tables = true);

// The bundled tables: runfiles "synface/papers/tables", else ./papers/tables where the user ran
// the command. Throws core::Error when neither exists.
std::filesystem::path DefaultTablesDir();

}  // namespace synface::papers
