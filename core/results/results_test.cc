#include "core/results/results.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::results {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path TestDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp ? tmp : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

ResultRecord SampleRecord() {
  ResultRecord r;
  r.experiment = "table5_3_complexity";
  r.table = "table5_3";
  r.scale = "exact";
  r.variant = "default";
  r.data.kind = "none";
  r.seed = 7;
  r.commit = "0123456789abcdef0123456789abcdef01234567+dirty";
  r.hardware = {"Test CPU", 2, 2, "cpu"};
  r.started_at = "2024-05-01T12:34:56Z";
  r.wall_time_s = 1.25;
  r.config = json{{"model", {{"backbone", "mobilenet_v2"}}}};
  ResultRow row;
  row.row = "mobilenet_v2";
  row.values["params"] = {json(4222232), "4.22M"};
  row.values["gmac"] = {json(0.393172992), "0.39"};
  row.note = "conv + linear MACs at 256x256";
  r.rows.push_back(row);
  ResultRow extra;
  extra.row = "synface";
  extra.label = "synface MobileNetV2";
  extra.values["params"] = {json("n/a"), "n/a"};
  r.rows.push_back(extra);
  r.notes = "counted with core/nn";
  return r;
}

// Writes `doc` as run_dir/result.json and returns ReadResult's error message ("" when it parses).
std::string ReadError(const fs::path& run_dir, const std::string& text) {
  fs::create_directories(run_dir);
  WriteFileAtomic(run_dir / "result.json", text);
  try {
    ReadResult(run_dir / "result.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

json SampleJson() { return ToJson(SampleRecord()); }

TEST(ResultRecord, WriteThenReadRoundTrips) {
  const fs::path run_dir = TestDir("roundtrip") / "runs" / "table5_3_complexity" / "run1";
  const fs::path written = WriteResult(run_dir, SampleRecord());
  EXPECT_EQ(written, run_dir / "result.json");
  const json on_disk = json::parse(ReadFile(written));
  EXPECT_EQ(on_disk["schema"], "synface.result/1");
  EXPECT_EQ(on_disk["rows"][0]["values"]["params"]["display"], "4.22M");

  const ResultRecord back = ReadResult(written);
  EXPECT_EQ(back.experiment, "table5_3_complexity");
  EXPECT_EQ(back.table, "table5_3");
  EXPECT_EQ(back.scale, "exact");
  EXPECT_EQ(back.variant, "default");
  EXPECT_EQ(back.data.kind, "none");
  EXPECT_EQ(back.seed, 7u);
  EXPECT_EQ(back.commit, "0123456789abcdef0123456789abcdef01234567+dirty");
  EXPECT_EQ(back.hardware.cpu_model, "Test CPU");
  EXPECT_EQ(back.hardware.threads, 2);
  EXPECT_EQ(back.started_at, "2024-05-01T12:34:56Z");
  EXPECT_DOUBLE_EQ(back.wall_time_s, 1.25);
  EXPECT_EQ(back.config["model"]["backbone"], "mobilenet_v2");
  ASSERT_EQ(back.rows.size(), 2u);
  EXPECT_EQ(back.rows[0].row, "mobilenet_v2");
  EXPECT_EQ(back.rows[0].values.at("params").value.get<int64_t>(), 4222232);
  EXPECT_EQ(back.rows[0].values.at("gmac").display, "0.39");
  EXPECT_EQ(back.rows[0].note, "conv + linear MACs at 256x256");
  EXPECT_EQ(back.rows[1].label, "synface MobileNetV2");
  EXPECT_EQ(back.rows[1].values.at("params").value, "n/a");
  EXPECT_EQ(back.notes, "counted with core/nn");
  EXPECT_EQ(back.run_id, "run1");
  EXPECT_EQ(back.source_path, written);
  EXPECT_TRUE(back.extra.is_null());
}

TEST(ResultRecord, ConfigMayBeTomlTextAndExtraIsKept) {
  ResultRecord r = SampleRecord();
  r.config = "[model]\nbackbone = \"resnet18\"\n";
  r.extra = json{{"curve", {1, 2, 3}}};
  const fs::path path = WriteResult(TestDir("toml_config") / "run", r);
  const ResultRecord back = ReadResult(path);
  EXPECT_EQ(back.config, "[model]\nbackbone = \"resnet18\"\n");
  EXPECT_EQ(back.extra["curve"][2], 3);
}

TEST(ResultRecord, MalformedJsonNamesFileAndPosition) {
  const fs::path dir = TestDir("malformed") / "run";
  const std::string error =
      ReadError(dir, "{\n  \"schema\": \"synface.result/1\",\n  \"rows\": [\n}\n");
  EXPECT_NE(error.find((dir / "result.json").string()), std::string::npos) << error;
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
  EXPECT_NE(error.find("line 4"), std::string::npos) << error;
}

TEST(ResultRecord, MissingFieldsNameTheirJsonPointer) {
  const fs::path base = TestDir("missing");
  struct Case {
    const char* pointer;  // field to delete
    const char* expected;
  };
  const Case cases[] = {
      {"/scale", "/scale: missing required field"},
      {"/data/kind", "/data/kind: missing required field"},
      {"/hardware/cores", "/hardware/cores: missing required field"},
      {"/rows/0/values/gmac/display", "/rows/0/values/gmac/display: missing required field"},
      {"/rows/1/row", "/rows/1/row: missing required field"},
      {"/started_at", "/started_at: missing required field"},
      {"/commit", "/commit: missing required field"},
  };
  int i = 0;
  for (const Case& c : cases) {
    json doc = SampleJson();
    const json::json_pointer pointer(c.pointer);
    doc[pointer.parent_pointer()].erase(pointer.back());
    const fs::path dir = base / std::to_string(i++);
    const std::string error = ReadError(dir, doc.dump());
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.pointer << " -> " << error;
    EXPECT_NE(error.find((dir / "result.json").string()), std::string::npos) << error;
  }
}

TEST(ResultRecord, WrongTypesAndValuesAreRejected) {
  const fs::path base = TestDir("wrong");
  struct Case {
    const char* pointer;
    json value;
    const char* expected;
  };
  const Case cases[] = {
      {"/hardware/cores", "two", "/hardware/cores: expected a non-negative integer, got string"},
      {"/seed", -1, "/seed: must not be negative"},
      {"/seed", 1.5, "/seed: expected a non-negative integer, got a fraction"},
      {"/scale", "full", "/scale: 'full' is not one of"},
      {"/data/kind", "fake", "/data/kind: 'fake' is not one of"},
      {"/schema", "synface.result/0", "/schema: 'synface.result/0' is not a supported schema"},
      {"/started_at", "yesterday", "/started_at: 'yesterday' is not an ISO 8601 UTC time"},
      {"/commit", "main", "/commit: 'main' is not a git sha"},
      {"/wall_time_s", -3, "/wall_time_s: must be a finite number >= 0"},
      {"/config", 42, "/config: expected an object or TOML text, got number"},
      {"/rows", json::array(), "/rows: a result record needs at least one row"},
      {"/rows/0/values/gmac/value", true,
       "/rows/0/values/gmac/value: expected a number or a string, got boolean"},
      {"/rows/0/values/Bad Column", json{{"value", 1}, {"display", "1"}}, "is not a column id"},
      {"/rows/1/row", "mobilenet_v2", "/rows/1/row: duplicate row 'mobilenet_v2'"},
      {"/bogus", 1, "/bogus: unknown field"},
      {"/rows/0/measured", 1, "/rows/0/measured: unknown field"},
  };
  int i = 0;
  for (const Case& c : cases) {
    json doc = SampleJson();
    doc[json::json_pointer(c.pointer)] = c.value;
    const std::string error = ReadError(base / std::to_string(i++), doc.dump());
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.pointer << " -> " << error;
  }
}

TEST(ResultRecord, ScaleAndDataKindMustAgree) {
  const fs::path base = TestDir("scale_data");
  json doc = SampleJson();
  doc["scale"] = "paper";
  doc["data"] = {{"kind", "synthetic-stand-in"},
                 {"description", "64 renders standing in for BIWI"}};
  EXPECT_NE(ReadError(base / "a", doc.dump())
                .find("/data/kind: a paper-scale run cannot use a synthetic stand-in"),
            std::string::npos);
  doc["scale"] = "exact";
  EXPECT_NE(ReadError(base / "b", doc.dump()).find("data.kind must be 'none'"), std::string::npos);
  doc["scale"] = "smoke";
  doc["data"]["description"] = "";
  EXPECT_NE(ReadError(base / "c", doc.dump()).find("/data/description: must not be empty"),
            std::string::npos);
  doc["data"]["description"] = "64 renders standing in for BIWI";
  EXPECT_EQ(ReadError(base / "d", doc.dump()), "");
}

TEST(ResultRecord, WriterRefusesInvalidRecordsAndWritesNothing) {
  const fs::path run_dir = TestDir("refuse") / "run";
  ResultRecord r = SampleRecord();
  r.scale = "huge";
  EXPECT_THROW(WriteResult(run_dir, r), Error);
  EXPECT_FALSE(fs::exists(run_dir / "result.json"));
  r = SampleRecord();
  r.rows[0].values["gmac"].value = std::nan("");
  EXPECT_THROW(WriteResult(run_dir, r), Error);
  r = SampleRecord();
  r.rows[0].values["gmac"].display = "";
  EXPECT_THROW(WriteResult(run_dir, r), Error);
  EXPECT_FALSE(fs::exists(run_dir / "result.json"));
}

TEST(FindResults, NewestRunPerKeyWinsAndBadRecordsAreReported) {
  const fs::path runs = TestDir("find") / "runs";
  ResultRecord old_run = SampleRecord();
  old_run.started_at = "2024-05-01T10:00:00Z";
  old_run.rows[0].values["gmac"].display = "0.40";
  WriteResult(runs / old_run.experiment / "20240501T100000Z-0001", old_run);
  ResultRecord new_run = SampleRecord();
  new_run.started_at = "2024-05-02T10:00:00Z";
  WriteResult(runs / new_run.experiment / "20240502T100000Z-0002", new_run);
  ResultRecord as_run = SampleRecord();
  as_run.variant = "as_run";
  as_run.started_at = "2024-04-01T10:00:00Z";
  WriteResult(runs / as_run.experiment / "20240401T100000Z-0003", as_run);
  fs::create_directories(runs / "broken" / "r1");
  WriteFileAtomic(runs / "broken" / "r1" / "result.json", "{ not json");
  WriteFileAtomic(runs / "broken" / "r1" / "notes.txt", "not a record");

  std::vector<std::string> problems;
  int superseded = -1;
  const std::vector<ResultRecord> found = FindResults(runs, &problems, &superseded);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(superseded, 1);
  // Sorted by (table, experiment, variant, scale): "as_run" < "default".
  EXPECT_EQ(found[0].variant, "as_run");
  EXPECT_EQ(found[1].variant, "default");
  EXPECT_EQ(found[1].run_id, "20240502T100000Z-0002");
  EXPECT_EQ(found[1].rows[0].values.at("gmac").display, "0.39");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("broken/r1/result.json"), std::string::npos) << problems[0];

  EXPECT_THROW(FindResults(runs), Error);
  EXPECT_TRUE(FindResults(runs / "does_not_exist").empty());
}

TEST(Provenance, CommitStringFromGitOutputs) {
  const std::string sha = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_EQ(CommitString(true, sha + "\n", ""), sha);
  EXPECT_EQ(CommitString(true, sha + "\n", " M core/results/results.cc\n"), sha + "+dirty");
  EXPECT_EQ(CommitString(true, sha + "\n", "?? new_file.cc\n"), sha + "+dirty");
  EXPECT_EQ(CommitString(false, "", ""), "unknown");
  EXPECT_EQ(CommitString(true, "fatal: not a git repository\n", ""), "unknown");
}

TEST(Provenance, CurrentCommitOutsideARepositoryIsUnknown) {
  const fs::path dir = TestDir("not_a_repo");
  // Keeps git from finding a repository above the test folder.
  setenv("GIT_CEILING_DIRECTORIES", dir.parent_path().string().c_str(), 1);
  EXPECT_EQ(CurrentCommit(dir), "unknown");
  EXPECT_EQ(CurrentCommit(dir / "it's missing"), "unknown");
}

TEST(Provenance, HardwareTimeAndRunId) {
  const Hardware hw = HardwareDescription();
  EXPECT_FALSE(hw.cpu_model.empty());
  EXPECT_GE(hw.cores, 1);
  EXPECT_EQ(hw.threads, hw.cores);
  EXPECT_EQ(hw.device, "cpu");
  const Hardware hw2 = HardwareDescription(3, "cuda:0");
  EXPECT_EQ(hw2.threads, 3);
  EXPECT_EQ(hw2.device, "cuda:0");
  EXPECT_TRUE(std::regex_match(
      NowIso8601(), std::regex("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")))
      << NowIso8601();
  EXPECT_TRUE(std::regex_match(NewRunId(), std::regex("20[0-9]{6}T[0-9]{6}Z-[0-9a-f]{4}")))
      << NewRunId();
  // A record filled from the helpers is valid.
  ResultRecord r = SampleRecord();
  r.hardware = hw;
  r.started_at = NowIso8601();
  EXPECT_NO_THROW(ToJson(r));
}

TEST(Display, FixedAndCountFormats) {
  EXPECT_EQ(FormatFixed(3.8349, 2), "3.83");
  EXPECT_EQ(FormatFixed(3.835001, 2), "3.84");
  EXPECT_EQ(FormatFixed(-0.001, 2), "0.00");
  EXPECT_EQ(FormatFixed(-1.5, 1), "-1.5");
  EXPECT_EQ(FormatCount(16032344, 2), "16.03M");
  EXPECT_EQ(FormatCount(4222232, 2), "4.22M");
  EXPECT_EQ(FormatCount(4188120, 2), "4.19M");
  EXPECT_EQ(FormatCount(5135914496.0, 2), "5.14G");
  EXPECT_EQ(FormatCount(15000, 0), "15K");
  EXPECT_EQ(FormatCount(950, 0), "950");
  EXPECT_EQ(FormatCount(999999, 2), "1.00M");
  EXPECT_EQ(FormatCount(0.5, 1), "0.5");
}

}  // namespace
}  // namespace synface::core::results
