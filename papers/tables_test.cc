#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "papers/table.h"

namespace synface::papers {
namespace {
namespace fs = std::filesystem;

const std::vector<Table>& ThesisTables() {
  static const std::vector<Table> tables = LoadTables(DefaultTablesDir());
  return tables;
}

const Table& ByNumber(int number) {
  for (const Table& t : ThesisTables())
    if (t.number == number) return t;
  throw std::runtime_error("no table " + std::to_string(number));
}

std::vector<std::string> Cells(const Table& t, const std::string& row_id) {
  const Row* row = t.FindRow(row_id);
  return row ? row->cells : std::vector<std::string>{};
}

TEST(ThesisTables, AllFortyEightLoadAndMatchTheSchema) {
  const std::vector<Table>& tables = ThesisTables();
  ASSERT_EQ(tables.size(), 48u);
  std::set<std::string> ids;
  const std::set<std::string> digests = {"ch2_synth.md", "ch3_hpe_depth.md",
                                         "ch4_5_recon_landmarks.md", "ch6_7_diffusion_review.md"};
  for (size_t i = 0; i < tables.size(); ++i) {
    const Table& t = tables[i];
    SCOPED_TRACE(t.source_path.string());
    EXPECT_EQ(t.number, static_cast<int>(i) + 1);  // 1..48, each once, sorted
    EXPECT_TRUE(ids.insert(t.id).second) << "duplicate id " << t.id;
    EXPECT_EQ(t.source_path.stem().string(), t.FileStem());
    EXPECT_GT(t.thesis_line, 0);
    EXPECT_FALSE(t.caption.empty());
    EXPECT_FALSE(t.title.empty());
    EXPECT_TRUE(digests.count(t.digest_file)) << t.digest_file;
    EXPECT_FALSE(t.digest_section.empty());
    ASSERT_FALSE(t.columns.empty());
    std::set<std::string> column_ids;
    for (const Column& c : t.columns) EXPECT_TRUE(column_ids.insert(c.id).second) << c.id;
    std::set<std::string> row_ids;
    for (const Row& row : t.rows) {
      EXPECT_EQ(row.cells.size(), t.columns.size()) << row.id;
      EXPECT_TRUE(row_ids.insert(row.id).second) << row.id;
      EXPECT_FALSE(row.source.empty()) << row.id;
    }
    if (!t.row_lines.empty()) {
      // Thesis lines run forward from the caption through header and rows.
      EXPECT_GE(t.row_lines.front(), t.thesis_line);
      EXPECT_TRUE(std::is_sorted(t.row_lines.begin(), t.row_lines.end()));
    }
  }
}

TEST(ThesisTables, Table53HasTheIdsTheExperimentsUse) {
  const Table& t = ByNumber(31);
  EXPECT_EQ(t.id, "table5_3");
  EXPECT_EQ(t.title, "Table 5.3");
  EXPECT_EQ(t.thesis_line, 4014);
  std::vector<std::string> ids;
  for (const Column& c : t.columns) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"backbone", "yaw_0_30", "yaw_30_60", "yaw_60_90", "all",
                                           "gmac", "gflop", "params"}));
  EXPECT_EQ(t.columns[0].kind, ColumnKind::kLabel);
  EXPECT_EQ(t.columns[7].kind, ColumnKind::kValue);
  EXPECT_EQ(Cells(t, "resnet18"), (std::vector<std::string>{"Resnet-18", "2.88", "3.72", "4.82",
                                                            "3.83", "5.13", "2.56", "16.03M"}));
  EXPECT_EQ(Cells(t, "mobilenet_v2"),
            (std::vector<std::string>{"Mobilenet-V2", "2.86", "3.68", "4.76", "3.77", "0.39",
                                      "0.19", "4.18M"}));
  ASSERT_EQ(t.printed_header.size(), 1u);
  EXPECT_EQ(t.printed_header[0],
            "Backbone\t0 to 30\t30 to 60\t60 to 90\tAll\tgMac\tgFlop\t# Params");
}

TEST(ThesisTables, CellsKeepTheirPrintedForm) {
  // 3DDFA V2's "3.420" keeps its trailing zero; "–" dashes and empty cells stay as printed.
  EXPECT_EQ(Cells(ByNumber(29), "3ddfa_v2")[2], "3.420");
  EXPECT_EQ(Cells(ByNumber(23), "defa")[1], "–");
  EXPECT_EQ(Cells(ByNumber(9), "pointing04")[4], "");
  EXPECT_EQ(Cells(ByNumber(5), "camera_far_clip")[1], "10.0 meters");
  EXPECT_EQ(Cells(ByNumber(34), "ours_multispeaker_100")[3], "2.362†");
  EXPECT_EQ(Cells(ByNumber(16), "simple_cnn_face")[8], "0.9979");
}

TEST(ThesisTables, ProvenanceAsTheDigestsMarkIt) {
  for (int n : {1, 6, 7, 8, 21, 32}) {
    for (const Row& row : ByNumber(n).rows)
      EXPECT_EQ(row.provenance, Provenance::kOwnStatement) << n;
  }
  int cited = 0, own = 0;
  for (const Row& row : ByNumber(23).rows) (row.provenance == Provenance::kCited ? cited : own)++;
  EXPECT_EQ(cited, 11);
  EXPECT_EQ(own, 1);
  const Table& diffusion = ByNumber(34);
  const Row* sda = diffusion.FindRow("speechdrivenanimation");
  ASSERT_NE(sda, nullptr);
  EXPECT_EQ(sda->provenance, Provenance::kMixed);
  EXPECT_EQ(sda->cited_columns, (std::vector<std::string>{"ssim", "psnr", "cpbd"}));
  EXPECT_TRUE(diffusion.IsCited(*sda, diffusion.ColumnIndex("ssim")));
  EXPECT_FALSE(diffusion.IsCited(*sda, diffusion.ColumnIndex("fid")));
  for (int n = 35; n <= 48; ++n) {
    if (n == 35) continue;  // review TABLE 1 is the review's own rating
    for (const Row& row : ByNumber(n).rows) EXPECT_EQ(row.provenance, Provenance::kCited) << n;
  }
}

TEST(ThesisTables, ShiftedHeaderOfP2TableIKeepsPrintedLabels) {
  const Table& t = ByNumber(15);
  ASSERT_EQ(t.columns.size(), 9u);
  EXPECT_EQ(t.columns[5].id, "mae");
  EXPECT_EQ(t.columns[5].printed.value_or("?"), "Yaw");
  EXPECT_EQ(t.columns[8].printed.value_or("?"), "");
  EXPECT_TRUE(ByNumber(4).printed_header.empty());    // printed without a header line
  EXPECT_EQ(ByNumber(22).printed_header.size(), 2u);  // two-line header
}

// --- schema rejection ---------------------------------------------------------------------------

const char* kValid = R"(schema = "synface.table/1"
id = "fixture"
number = 7
title = "Table X"
caption = "A caption"
thesis_line = 100
digest = { file = "ch2_synth.md", section = "§8" }
printed_header = ["Method\tScore"]
columns = [
  { id = "method", name = "Method", kind = "label" },
  { id = "score", name = "Score", kind = "value" },
]

[[rows]]
id = "ours"
provenance = "own"
source = "own"
cells = ["Ours", "1.0"]

[[rows]]
id = "them"
provenance = "cited"
source = "cited [3]"
cells = ["Them [3]", "2.0"]
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("fixture has no '" + from + "'");
  return text.replace(at, from.size(), to);
}

std::string ParseError(const std::string& text) {
  try {
    ParseTable(text, "fixture.toml");
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

TEST(TableSchema, ValidFixtureParses) {
  const Table t = ParseTable(kValid, "fixture.toml");
  EXPECT_EQ(t.id, "fixture");
  EXPECT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.FileStem(), "07_fixture");
  EXPECT_EQ(t.RowLabel(t.rows[1]), "Them [3]");
}

TEST(TableSchema, MeasuredValueKeysAreRejectedAnywhere) {
  for (const auto& [from, to, path] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"thesis_line = 100\n", "thesis_line = 100\nours = 3.2\n", "ours"},
           {"cells = [\"Ours\", \"1.0\"]", "cells = [\"Ours\", \"1.0\"]\nvalues = [\"1.1\"]",
            "rows[0].values"},
           {"kind = \"value\" }", "kind = \"value\", measured = \"1.1\" }", "columns[1].measured"},
           {"cells = [\"Them [3]\", \"2.0\"]",
            "cells = [\"Them [3]\", \"2.0\"]\n[rows.ours]\nscore = 1", "rows[1].ours"},
       }) {
    const std::string error = ParseError(Replace(kValid, from, to));
    EXPECT_NE(error.find("never holds measured values"), std::string::npos) << error;
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find("fixture.toml:"), std::string::npos) << error;
  }
}

TEST(TableSchema, StructuralErrorsNameLineAndKey) {
  struct Case {
    std::string from, to, expected;
  };
  const std::vector<Case> cases = {
      {"cells = [\"Ours\", \"1.0\"]", "cells = [\"Ours\"]",
       "fixture.toml:18: rows[0].cells: 1 cells for 2 columns"},
      {"provenance = \"cited\"", "provenance = \"borrowed\"",
       "rows[1].provenance: 'borrowed' is not one of"},
      {"id = \"them\"", "id = \"ours\"", "rows[1].id: duplicate row id 'ours'"},
      {"thesis_line = 100\n", "", "thesis_line: missing required key"},
      {"number = 7", "number = 49", "number: 49 is outside 1..48"},
      {"number = 7", "number = \"7\"", "number: expected an integer, got string"},
      {"schema = \"synface.table/1\"", "schema = \"synface.table/2\"", "is not 'synface.table/1'"},
      {"title = \"Table X\"", "title = \"Table X\"\ncolour = \"red\"", "colour: unknown key"},
      {"kind = \"value\"", "kind = \"metric\"",
       "columns[1].kind: 'metric' is not 'label' or 'value'"},
      {"id = \"score\"", "id = \"method\"", "duplicate column id 'method'"},
      {"id = \"score\"", "id = \"Score!\"", "'Score!' is not an id"},
      {"provenance = \"cited\"", "provenance = \"mixed\"",
       "a 'mixed' row must list its cited columns"},
      {"provenance = \"cited\"", "provenance = \"mixed\"\ncited_columns = [\"method\"]",
       "'method' is not a value column"},
      {"provenance = \"own\"", "provenance = \"own\"\ncited_columns = [\"score\"]",
       "only a 'mixed' row lists cited columns"},
      {"kind = \"label\"", "kind = \"value\"", "at least one label column"},
      {"file = \"ch2_synth.md\"", "file = \"ch2_synth.txt\"", "is not a digest file"},
      {"caption = \"A caption\"", "caption = \"A caption", "not valid TOML"},
  };
  for (const Case& c : cases) {
    const std::string error = ParseError(Replace(kValid, c.from, c.to));
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.expected << " <- " << error;
  }
}

TEST(TableSchema, FolderChecksNamesNumbersAndCompleteness) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const fs::path dir = fs::path(tmp ? tmp : "/tmp") / "tables_folder";
  fs::remove_all(dir);
  core::WriteFileAtomic(dir / "07_fixture.toml", kValid);
  EXPECT_EQ(LoadTables(dir, /*require_all_thesis_tables=*/false).size(), 1u);
  try {
    LoadTables(dir);
    ADD_FAILURE() << "incomplete folder accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("no table file for thesis table number(s) 1, 2, 3, 4, 5, 6, 8"),
        std::string::npos)
        << e.what();
  }
  core::WriteFileAtomic(dir / "08_other.toml",
                        Replace(kValid, "id = \"fixture\"", "id = \"other\""));
  try {
    LoadTables(dir, false);
    ADD_FAILURE() << "misnamed file accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("file name must be 07_other.toml"), std::string::npos)
        << e.what();
  }
  fs::remove(dir / "08_other.toml");
  core::WriteFileAtomic(dir / "07_other.toml",
                        Replace(kValid, "id = \"fixture\"", "id = \"other\""));
  try {
    LoadTables(dir, false);
    ADD_FAILURE() << "duplicate number accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("table number 7 is also used by"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace synface::papers
