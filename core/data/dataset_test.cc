#include "core/data/dataset.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.h"
#include "core/data/seed.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::data {
namespace {
namespace fs = std::filesystem;

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  return dir;
}

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected core::Error";
  return "";
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

DatasetInfo ToyInfo(uint64_t count) {
  DatasetInfo info;
  info.generator = "toy";
  info.generator_version = "1.0";
  info.count = count;
  info.seed = 1234;
  info.labels = {"rgb", "pose"};
  info.files = {"rgb.bin", "json"};
  info.optional_files = {"mask.bin"};
  info.manifest_columns = {"yaw", "note"};
  info.config = toml::parse("[scene]\nlights = 2\nscale_m = 0.3\n[scale]\nthreads = 2\n");
  return info;
}

// A toy generator: every byte comes from SampleRng(seed, id); the final file is written last.
void GenerateSample(ShardWriter& writer, uint64_t id, bool commit = true) {
  Rng rng = SampleRng(writer.info().seed, id);
  std::string pixels(64, '\0');
  for (char& c : pixels) c = static_cast<char>(rng() & 0xff);
  WriteFileAtomic(writer.SamplePath(id, "rgb.bin"), pixels);
  if (id % 3 == 0) WriteFileAtomic(writer.SamplePath(id, "mask.bin"), pixels.substr(0, 8));
  const double yaw = rng.Uniform(-90.0, 90.0);
  WriteFileAtomic(writer.SamplePath(id, "json"),
                  fmt::format("{{\"id\": {}, \"yaw\": {:.17g}}}\n", id, yaw));
  if (commit) {
    writer.Commit(id, {{"yaw", fmt::format("{:.6f}", yaw)},
                       {"note", id % 5 == 0 ? "a, \"quoted\" note" : ""}});
  }
}

void RunShard(const fs::path& dir, const DatasetInfo& info, const Shard& shard,
              size_t limit = SIZE_MAX) {
  ShardWriter writer(dir, info, shard);
  size_t n = 0;
  for (uint64_t id : writer.Pending()) {
    if (n++ == limit) break;
    GenerateSample(writer, id);
  }
}

std::vector<std::pair<std::string, std::string>> SampleFiles(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : fs::directory_iterator(dir / "samples")) {
    files.emplace_back(e.path().filename().string(), ReadFile(e.path()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Rewrites manifest.csv and the checksum dataset.toml records for it (to test checks beyond it).
void ReplaceManifest(const fs::path& dir, const std::string& text) {
  WriteFileAtomic(dir / kManifestCsv, text);
  const std::string toml_text = ReadFile(dir / kDatasetToml);
  WriteFileAtomic(dir / kDatasetToml,
                  std::regex_replace(toml_text, std::regex("fnv1a64 = \"[0-9a-f]+\""),
                                     fmt::format("fnv1a64 = \"{:016x}\"", Fnv1a64(text))));
}

TEST(Dataset, WritesTheContractLayoutAndReadsItBack) {
  const fs::path dir = TestDir("layout");
  const DatasetInfo info = ToyInfo(20);
  RunShard(dir, info, Shard::All());
  const FinalizeResult result = Finalize(dir);
  EXPECT_EQ(result.rows, 20u);
  EXPECT_EQ(result.missing, 0u);

  EXPECT_TRUE(fs::exists(dir / "samples" / "000013.rgb.bin"));
  EXPECT_TRUE(fs::exists(dir / "samples" / "000013.json"));
  EXPECT_TRUE(fs::exists(dir / "manifest" / "shard-0000-of-0001.csv"));
  const std::string manifest = ReadFile(dir / "manifest.csv");
  EXPECT_EQ(manifest.substr(0, manifest.find('\n')), "id,files,yaw,note");
  EXPECT_CONTAINS(manifest, "\n000000,rgb.bin json mask.bin,");
  EXPECT_CONTAINS(manifest, ",\"a, \"\"quoted\"\" note\"\n");
  EXPECT_CONTAINS(manifest, "\n000001,rgb.bin json,");

  const std::string toml_text = ReadFile(dir / "dataset.toml");
  for (const char* line :
       {"format = \"synface-dataset\"", "count = 20", "seed = 1234",
        "files = [ \"rgb.bin\", \"json\" ]", "[generator]\nname = \"toy\"\nversion = \"1.0\"",
        "units = \"metres\"", "depth = \"planar_z\"", "camera = \"opencv\"",
        "pose = \"cam_from_head\"", "landmarks = \"multipie68\"", "id_digits = 6",
        "sample_file = \"samples/{id:06}.{suffix}\"", "[config.scene]\nlights = 2\nscale_m = 0.3",
        "[shards]\ncount = 1", "[manifest]\ncomplete = true"}) {
    EXPECT_CONTAINS(toml_text, line);
  }

  const Dataset d = Dataset::Open(dir);
  EXPECT_EQ(d.size(), 20u);
  EXPECT_EQ(d.Ids().front(), 0u);
  EXPECT_EQ(d.Ids().back(), 19u);
  EXPECT_EQ(d.info().generator, "toy");
  EXPECT_EQ(d.info().conventions, StandardConventions());
  EXPECT_EQ(d.info().config.at_path("scene.lights").value<int64_t>(), 2);
  EXPECT_EQ(d.Path(13, "json"), dir / "samples" / "000013.json");
  EXPECT_TRUE(d.Has(3, "mask.bin"));
  EXPECT_FALSE(d.Has(4, "mask.bin"));
  EXPECT_EQ(d.Field(5, "note"), "a, \"quoted\" note");
  EXPECT_EQ(d.Field(6, "note"), "");
  EXPECT_NO_THROW(d.VerifyFiles());
  EXPECT_CONTAINS(ErrorOf([&] { d.Path(4, "mask.bin"); }),
                  "sample 000004 has no 'mask.bin' file (it has: rgb.bin, json)");
  EXPECT_CONTAINS(ErrorOf([&] { d.Path(20, "json"); }), "sample 000020 is not in the dataset");
  EXPECT_CONTAINS(ErrorOf([&] { d.Field(1, "pitch"); }), "no manifest column 'pitch'");

  fs::remove(dir / "samples" / "000007.json");
  EXPECT_CONTAINS(ErrorOf([&] { d.VerifyFiles(); }), "000007.json");
}

TEST(Dataset, UnionOfShardsEqualsTheUnshardedDataset) {
  const DatasetInfo info = ToyInfo(37);
  const fs::path whole = TestDir("whole");
  RunShard(whole, info, Shard::All());
  Finalize(whole);

  // Four shards into one folder: two at once on threads, the others one after the other, in a
  // scrambled order.
  const fs::path sharded = TestDir("sharded");
  std::thread a([&] { RunShard(sharded, info, Shard(2, 4)); });
  std::thread b([&] { RunShard(sharded, info, Shard(0, 4)); });
  a.join();
  b.join();
  RunShard(sharded, info, Shard(3, 4));
  RunShard(sharded, info, Shard(1, 4));
  Finalize(sharded);

  EXPECT_EQ(ReadFile(whole / "manifest.csv"), ReadFile(sharded / "manifest.csv"));
  EXPECT_EQ(SampleFiles(whole), SampleFiles(sharded));
  const toml::table t1 = toml::parse(ReadFile(whole / "dataset.toml"));
  const toml::table t2 = toml::parse(ReadFile(sharded / "dataset.toml"));
  EXPECT_EQ(config::DiffTables(t1, t2), std::vector<std::string>({"shards.count: 1 vs 4"}));
  EXPECT_EQ(Dataset::Open(sharded).size(), 37u);
}

TEST(Dataset, ManyThreadsCommitIntoOneShard) {
  const fs::path dir = TestDir("threads");
  const DatasetInfo info = ToyInfo(64);
  {
    ShardWriter writer(dir, info, Shard::All());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t id = static_cast<uint64_t>(t); id < 64; id += 4) GenerateSample(writer, id);
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(writer.committed(), 64u);
  }
  Finalize(dir);
  const fs::path reference = TestDir("threads_ref");
  RunShard(reference, info, Shard::All());
  Finalize(reference);
  EXPECT_EQ(ReadFile(dir / "manifest.csv"), ReadFile(reference / "manifest.csv"));
}

TEST(Dataset, ResumesAfterACrashWithTheSameBytes) {
  const DatasetInfo info = ToyInfo(30);
  const fs::path dir = TestDir("resume");
  const Shard shard(0, 2);
  RunShard(dir, info, shard, 6);  // ids 0, 2, ..., 10 done
  std::vector<uint64_t> pending = PendingIds(dir, shard, 30);
  ASSERT_EQ(pending.size(), 9u);
  EXPECT_EQ(pending.front(), 12u);

  {
    // Crash 1: sample 12 fully written but killed before its row was appended.
    ShardWriter writer(dir, info, shard);
    GenerateSample(writer, 12, /*commit=*/false);
  }
  // Crash 2: a half-written row at the end of the part, and a stray temporary file.
  const fs::path part = dir / "manifest" / "shard-0000-of-0002.csv";
  {
    std::ofstream out(part, std::ios::app);
    out << "000014,rgb.bin js";
  }
  WriteFileAtomic(dir / "samples" / ".000016.tmp123-0.json", "partial");
  // Crash 3: a committed sample whose final file has vanished.
  fs::remove(dir / "samples" / "000004.json");

  pending = PendingIds(dir, shard, 30);
  EXPECT_EQ(pending, std::vector<uint64_t>({4, 12, 14, 16, 18, 20, 22, 24, 26, 28}));
  {
    ShardWriter writer(dir, info, shard);
    EXPECT_EQ(writer.Pending(), pending);
    // The part was tidied: no partial line, no row for sample 4.
    const std::string text = ReadFile(part);
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.find("000004,"), std::string::npos);
    EXPECT_EQ(text.find("000014,"), std::string::npos);
  }
  RunShard(dir, info, shard);
  RunShard(dir, info, Shard(1, 2));
  EXPECT_TRUE(PendingIds(dir, shard, 30).empty());
  Finalize(dir);
  fs::remove(dir / "samples" / ".000016.tmp123-0.json");

  const fs::path clean = TestDir("resume_clean");
  RunShard(clean, info, Shard::All());
  Finalize(clean);
  EXPECT_EQ(ReadFile(clean / "manifest.csv"), ReadFile(dir / "manifest.csv"));
  EXPECT_EQ(SampleFiles(clean), SampleFiles(dir));
}

TEST(Dataset, ResumingWithAnotherShardLayoutWorks) {
  const DatasetInfo info = ToyInfo(25);
  const fs::path dir = TestDir("relayout");
  RunShard(dir, info, Shard(0, 2), 5);
  RunShard(dir, info, Shard(1, 3));  // a different split of the remaining work
  RunShard(dir, info, Shard::All());
  EXPECT_EQ(Finalize(dir).rows, 25u);
  const fs::path clean = TestDir("relayout_clean");
  RunShard(clean, info, Shard::All());
  Finalize(clean);
  EXPECT_EQ(ReadFile(clean / "manifest.csv"), ReadFile(dir / "manifest.csv"));
}

TEST(Dataset, RefusesToContinueADifferentDataset) {
  const fs::path dir = TestDir("different");
  DatasetInfo info = ToyInfo(10);
  PrepareDataset(dir, info, Shard::All());
  PrepareDataset(dir, info, Shard(1, 4));  // idempotent, any shard layout
  const std::string before = ReadFile(dir / "dataset.toml");

  DatasetInfo threads = info;  // an unchecked key: fine
  threads.config.at_path("scale.threads").as_integer()->get() = 16;
  EXPECT_NO_THROW(PrepareDataset(dir, threads, Shard::All()));
  EXPECT_EQ(ReadFile(dir / "dataset.toml"), before);

  DatasetInfo other = info;
  other.seed = 99;
  other.generator_version = "1.1";
  other.config.at_path("scene.lights").as_integer()->get() = 3;
  const std::string message = ErrorOf([&] { PrepareDataset(dir, other, Shard::All()); });
  EXPECT_CONTAINS(message,
                  (dir / "dataset.toml").string() + ": this folder holds a different dataset");
  EXPECT_CONTAINS(message, "\n  seed: 1234 vs 99");
  EXPECT_CONTAINS(message, "\n  generator.version: \"1.0\" vs \"1.1\"");
  EXPECT_CONTAINS(message, "\n  config.scene.lights: 2 vs 3");
  EXPECT_EQ(message.find("scale.threads"), std::string::npos);

  DatasetInfo more = info;
  more.count = 11;
  EXPECT_CONTAINS(ErrorOf([&] { ShardWriter w(dir, more, Shard::All()); }), "count: 10 vs 11");
  EXPECT_EQ(ReadFile(dir / "dataset.toml"), before);
}

TEST(Dataset, BadDescriptionsAndCommitsAreReported) {
  DatasetInfo bad = ToyInfo(0);
  bad.files = {"rgb.png", "../x"};
  bad.manifest_columns = {"id"};
  const std::string message = ErrorOf([&] { PrepareDataset(TestDir("bad"), bad, Shard::All()); });
  EXPECT_CONTAINS(message, "count is 0");
  EXPECT_CONTAINS(message, "file suffix '../x' is not a plain name");
  EXPECT_CONTAINS(message, "manifest column 'id'");

  const fs::path dir = TestDir("commit");
  ShardWriter writer(dir, ToyInfo(10), Shard(1, 2));
  EXPECT_CONTAINS(ErrorOf([&] { writer.Commit(2); }), "sample 000002 does not belong to shard 1/2");
  EXPECT_CONTAINS(ErrorOf([&] { writer.Commit(11); }), "outside the dataset");
  EXPECT_CONTAINS(ErrorOf([&] { writer.Commit(3); }), "000003.rgb.bin is missing");
  WriteFileAtomic(writer.SamplePath(3, "rgb.bin"), "x");
  WriteFileAtomic(writer.SamplePath(3, "json"), "{}");
  EXPECT_CONTAINS(ErrorOf([&] {
                    writer.Commit(3, {{"yaw", "1"}});
                  }),
                  "manifest column 'note' has no value");
  EXPECT_CONTAINS(ErrorOf([&] {
                    writer.Commit(3, {{"yaw", "1"}, {"note", ""}, {"roll", "2"}});
                  }),
                  "'roll' is not a manifest column");
  EXPECT_CONTAINS(ErrorOf([&] {
                    writer.Commit(3, {{"yaw", "1"}, {"note", "a\nb"}});
                  }),
                  "line break");
  EXPECT_EQ(writer.committed(), 0u);
  writer.Commit(3, {{"yaw", "1"}, {"note", ""}});
  EXPECT_EQ(writer.committed(), 1u);
}

TEST(Dataset, FinalizeNamesMissingSamplesAndShards) {
  const fs::path dir = TestDir("incomplete");
  const DatasetInfo info = ToyInfo(12);
  RunShard(dir, info, Shard(0, 3));
  RunShard(dir, info, Shard(2, 3), 2);  // ids 2, 5 done; 8, 11 not
  const std::string message = ErrorOf([&] { Finalize(dir); });
  EXPECT_CONTAINS(message,
                  "6 of 12 samples are not done (e.g. 000001, 000004, 000007, 000008, 000010)");
  EXPECT_CONTAINS(message, "shards with work left: 1/3, 2/3");
  EXPECT_FALSE(fs::exists(dir / "manifest.csv"));

  const FinalizeResult partial = Finalize(dir, FinalizeOptions{true});
  EXPECT_EQ(partial.rows, 6u);
  EXPECT_EQ(partial.missing, 6u);
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), "the dataset is incomplete (6 of 12");
  EXPECT_EQ(Dataset::Open(dir, OpenOptions{true}).size(), 6u);
}

TEST(Dataset, ReaderErrorsNameThePathAndLine) {
  const fs::path root = TestDir("reader");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(root / "nope"); }),
                  "dataset folder " + (root / "nope").string() + " does not exist");
  WriteFileAtomic(root / "file", "x");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(root / "file"); }), "is not a folder");
  fs::create_directories(root / "empty");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(root / "empty"); }),
                  (root / "empty" / "dataset.toml").string() + ": not found");

  const fs::path dir = root / "d";
  RunShard(dir, ToyInfo(8), Shard::All());
  const std::string toml_name = (dir / "dataset.toml").string();
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  toml_name + ": the dataset has not been finalized");
  Finalize(dir);
  const std::string good_toml = ReadFile(dir / "dataset.toml");
  const std::string good_manifest = ReadFile(dir / "manifest.csv");

  // dataset.toml: syntax error, wrong type, unknown key — each with file:line.
  WriteFileAtomic(dir / "dataset.toml", good_toml + "\nbroken = [\n");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), toml_name + ":");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), "TOML syntax error");
  const std::string wrong_type =
      std::regex_replace(good_toml, std::regex("\ncount = 8\n"), "\ncount = \"8\"\n");
  WriteFileAtomic(dir / "dataset.toml", wrong_type);
  const size_t count_line =
      static_cast<size_t>(std::count(wrong_type.begin(),
                                     wrong_type.begin() + wrong_type.find("count = \"8\""), '\n')) +
      1;
  EXPECT_CONTAINS(
      ErrorOf([&] { Dataset::Open(dir); }),
      fmt::format("{}:{}: key 'count': expected integer, got string \"8\"", toml_name, count_line));
  WriteFileAtomic(dir / "dataset.toml", "colour = 1\n" + good_toml);
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), toml_name + ":1: unknown key 'colour'");
  WriteFileAtomic(dir / "dataset.toml", good_toml);

  // manifest.csv: missing, truncated mid-row, truncated at a row boundary, edited.
  const std::string manifest_name = (dir / "manifest.csv").string();
  fs::remove(dir / "manifest.csv");
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), manifest_name + ": not found");
  WriteFileAtomic(dir / "manifest.csv", good_manifest.substr(0, good_manifest.size() - 5));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":9: truncated row (the file ends without a newline)");
  const size_t last_row = good_manifest.rfind('\n', good_manifest.size() - 2) + 1;
  WriteFileAtomic(dir / "manifest.csv", good_manifest.substr(0, last_row));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ": holds 7 rows but " + toml_name + " records 8");
  WriteFileAtomic(dir / "manifest.csv",
                  std::regex_replace(good_manifest, std::regex("000003,"), "000003 ,"));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":5: id '000003 ' is not a number");

  // Checks beyond the checksum (the checksum updated along with the edit).
  std::string swapped = good_manifest;
  const size_t r2 = swapped.find("\n000002,") + 1;
  const size_t r3 = swapped.find("\n000003,") + 1;
  const size_t r4 = swapped.find("\n000004,") + 1;
  swapped = swapped.substr(0, r2) + swapped.substr(r3, r4 - r3) + swapped.substr(r2, r3 - r2) +
            swapped.substr(r4);
  ReplaceManifest(dir, swapped);
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":5: id 2 follows id 3: the manifest must be sorted");
  ReplaceManifest(dir, std::regex_replace(good_manifest, std::regex("000001,rgb.bin json"),
                                          "000001,rgb.bin json depth.exr"));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":3: file suffix 'depth.exr' is not declared in dataset.toml");
  ReplaceManifest(dir, "id,files\n" + good_manifest.substr(good_manifest.find('\n') + 1));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":1: header 'id,files' differs from 'id,files,yaw,note'");
  ReplaceManifest(dir, std::regex_replace(good_manifest, std::regex("\n000006,"), "\n000099,"));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }),
                  manifest_name + ":8: id 99 is outside the dataset (count = 8)");

  WriteFileAtomic(dir / "dataset.toml", good_toml);
  WriteFileAtomic(dir / "manifest.csv",
                  std::regex_replace(good_manifest, std::regex("000003,"), "000005,"));
  EXPECT_CONTAINS(ErrorOf([&] { Dataset::Open(dir); }), "checksum");
  WriteFileAtomic(dir / "manifest.csv", good_manifest);
  EXPECT_EQ(Dataset::Open(dir).size(), 8u);
}

TEST(Dataset, SampleNamesArePaddedToTheCount) {
  EXPECT_EQ(SampleFileName(123, "rgb.png", 6), "000123.rgb.png");
  EXPECT_EQ(SampleFileName(1234567, "json", 6), "1234567.json");
  DatasetInfo info;
  info.count = 1000;
  EXPECT_EQ(info.Digits(), 6);
  info.count = 10000001;
  EXPECT_EQ(info.Digits(), 8);
  info.count = 10000000;
  EXPECT_EQ(info.Digits(), 7);
  info.id_digits = 9;
  EXPECT_EQ(info.Digits(), 9);
}

}  // namespace
}  // namespace synface::core::data
