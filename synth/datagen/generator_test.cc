// The dataset writer: resume after a stop or a SIGKILL gives byte-identical files, the union of
// shards is the unsharded dataset, and bad configs or missing assets fail before any work.
#include "synth/datagen/generator.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "core/data/dataset.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/labels/labels.h"

extern char** environ;

namespace synface::synth::datagen {
namespace {
namespace fs = std::filesystem;

constexpr char kConfig[] = R"(
seed = 11
progress = false
[head]
source = "procedural"
samples_per_subject = 3
[camera]
width = 64
height = 48
[background]
types = ["plain", "textured", "complex"]
[background.textured]
texture_size = 16
[background.complex]
texture_size = 8
furniture = [2, 4]
[render]
samples_per_pixel = 1
)";

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  return dir;
}

GenerateReport RunGenerate(const fs::path& out, std::vector<std::string> overrides) {
  overrides.push_back("out=" + out.string());
  const core::config::Config c =
      core::config::LoadConfigString(kConfig, "gen.toml", overrides, GeneratorSchema());
  return GenerateDataset(ReadGeneratorConfig(c), c);
}

// relative path -> bytes of every file under `dir`, minus `skip`.
std::map<std::string, std::string> Files(const fs::path& dir,
                                         const std::vector<std::string>& skip = {}) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).string();
    if (std::find(skip.begin(), skip.end(), rel) != skip.end()) continue;
    out[rel] = core::ReadFile(e.path());
  }
  return out;
}

void ExpectSameFiles(const std::map<std::string, std::string>& a,
                     const std::map<std::string, std::string>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    const auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    EXPECT_TRUE(it->second == bytes) << name << " differs";
  }
}

int CountRecords(const fs::path& samples) {
  int n = 0;
  if (!fs::exists(samples)) return 0;
  for (const auto& e : fs::directory_iterator(samples)) n += e.path().extension() == ".json";
  return n;
}

TEST(Generator, WritesACompleteDatasetReadersCanOpen) {
  const fs::path dir = TestDir("full");
  const GenerateReport r = RunGenerate(dir, {"count=7", "threads=2"});
  EXPECT_EQ(r.generated, 7u);
  EXPECT_TRUE(r.finalized);
  EXPECT_EQ(r.head_source, "procedural");
  const core::data::Dataset d = core::data::Dataset::Open(dir);
  d.VerifyFiles();
  ASSERT_EQ(d.size(), 7u);
  EXPECT_EQ(d.info().files, (std::vector<std::string>{"rgb.png", "depth.exr", "mask.png", "json"}));
  EXPECT_EQ(d.info().generator, "synth");
  EXPECT_FALSE(d.info().config.contains("out"));
  EXPECT_EQ(d.Field(4, "subject"), "1");  // samples_per_subject = 3
  const labels::SampleLabels l = labels::ReadSampleLabels(d.Path(4, "json"));
  EXPECT_EQ(l.id, 4u);
  EXPECT_EQ(l.files.at("rgb"), "000004.rgb.png");
  EXPECT_EQ(d.Field(4, "background"), l.background["type"].get<std::string>());
  // Running again finds nothing to do and changes nothing.
  const auto before = Files(dir);
  EXPECT_EQ(RunGenerate(dir, {"count=7", "threads=1"}).pending, 0u);
  ExpectSameFiles(before, Files(dir));
  // A different dataset in the same folder is refused.
  EXPECT_THROW(RunGenerate(dir, {"count=7", "seed=12"}), core::Error);
}

TEST(Generator, ResumedRunIsByteIdenticalToAnUninterruptedOne) {
  const fs::path reference = TestDir("reference"), resumed = TestDir("resumed");
  RunGenerate(reference, {"count=9", "threads=2"});
  const GenerateReport first = RunGenerate(resumed, {"count=9", "threads=2", "stop_after=4"});
  EXPECT_TRUE(first.stopped);
  EXPECT_EQ(first.generated, 4u);
  EXPECT_FALSE(fs::exists(resumed / "manifest.csv"));
  // A sample written but never committed (its row lost) is redone; a half-written manifest row too.
  const GenerateReport second = RunGenerate(resumed, {"count=9", "threads=1"});
  EXPECT_EQ(second.pending, 5u);
  EXPECT_TRUE(second.finalized);
  ExpectSameFiles(Files(reference), Files(resumed));
}

TEST(Generator, SigkilledRunResumesToTheSameBytes) {
  const fs::path reference = TestDir("ref_kill"), killed = TestDir("killed");
  const fs::path config = fs::path(std::getenv("TEST_TMPDIR")) / "kill.toml";
  core::WriteFileAtomic(config, kConfig);
  RunGenerate(reference, {"count=16", "threads=1"});

  const auto binary = core::FindRunfile("synface/synth/generate");
  ASSERT_TRUE(binary) << "//synth:generate not in the runfiles";
  std::vector<std::string> args = {binary->string(), config.string(), "count=16",
                                   "out=" + killed.string(), "threads=1"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (CountRecords(killed / "samples") < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const int at_kill = CountRecords(killed / "samples");
  EXPECT_GE(at_kill, 3);
  if (at_kill >= 16) GTEST_SKIP() << "the child finished before it was killed";
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(fs::exists(killed / "manifest.csv"));
  const GenerateReport r = RunGenerate(killed, {"count=16", "threads=2"});
  EXPECT_TRUE(r.finalized);
  EXPECT_GT(r.pending, 0u);
  ExpectSameFiles(Files(reference), Files(killed));
}

// Every committed sample's files are complete (what a resume trusts), and the report's stage
// times cover the pipeline.
TEST(Generator, CommittedSamplesAreCompleteAndStagesAreTimed) {
  const fs::path dir = TestDir("stages");
  const GenerateReport r = RunGenerate(dir, {"count=5", "threads=2"});
  EXPECT_EQ(r.generated, 5u);
  EXPECT_GT(r.times.render, 0);
  EXPECT_GT(r.times.encode, 0);
  EXPECT_GT(r.times.write, 0);
  EXPECT_GE(r.times.sync, 0);
  EXPECT_GT(r.setup_seconds, 0);
  EXPECT_LE(r.setup_seconds, r.seconds);
  EXPECT_NE(r.times.Format(r.generated).find("ms/sample"), std::string::npos);
  const core::data::Dataset d = core::data::Dataset::Open(dir);
  d.VerifyFiles();
  for (uint64_t id = 0; id < 5; ++id) {
    EXPECT_EQ(labels::ReadSampleLabels(d.Path(id, "json")).id, id);
  }
}

TEST(Generator, UnionOfShardsEqualsTheUnshardedDataset) {
  const fs::path whole = TestDir("whole"), sharded = TestDir("sharded");
  RunGenerate(whole, {"count=7", "threads=2"});
  const GenerateReport s1 = RunGenerate(sharded, {"count=7", "shard=1/3"});
  EXPECT_EQ(s1.generated, 2u);  // ids 1, 4
  EXPECT_FALSE(s1.finalized);
  EXPECT_FALSE(RunGenerate(sharded, {"count=7", "shard=0/3"}).finalized);
  EXPECT_TRUE(RunGenerate(sharded, {"count=7", "shard=2/3"}).finalized);  // the last one finalises
  // Samples and the merged manifest are identical; the manifest parts and dataset.toml's record
  // of the first writer's shard count necessarily differ.
  auto keep = [](std::map<std::string, std::string> files) {
    for (auto it = files.begin(); it != files.end();) {
      const bool keep = it->first.rfind("samples/", 0) == 0 || it->first == "manifest.csv";
      it = keep ? std::next(it) : files.erase(it);
    }
    return files;
  };
  ExpectSameFiles(keep(Files(whole)), keep(Files(sharded)));
  EXPECT_EQ(core::data::Dataset::Open(sharded).size(), 7u);
}

std::string ErrorOf(const fs::path& out, const std::vector<std::string>& overrides) {
  try {
    RunGenerate(out, overrides);
  } catch (const core::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected core::Error";
  return "";
}

TEST(Generator, BadConfigsFailBeforeAnyWork) {
  const fs::path dir = TestDir("bad");
  std::string e =
      ErrorOf(dir, {"count=3", "background.types=[\"real\"]", "background.real.folder=/no/photos"});
  EXPECT_NE(e.find("background.real.folder"), std::string::npos) << e;
  EXPECT_NE(e.find("/no/photos"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir));
  e = ErrorOf(dir, {"count=3", "pose.mode=file", "pose.file=/no/poses.csv"});
  EXPECT_NE(e.find("pose.file"), std::string::npos) << e;
  e = ErrorOf(dir, {"count=3", "camera.widht=3"});
  EXPECT_NE(e.find("camera.widht"), std::string::npos) << e;
  EXPECT_NE(e.find("camera.width"), std::string::npos) << e;  // did you mean
  e = ErrorOf(dir, {"shard=3/2", "count=3"});
  EXPECT_NE(e.find("shard"), std::string::npos) << e;
  e = ErrorOf(dir, {"count=3", "background.types=[\"complex\"]", "background.complex.source=file"});
  EXPECT_NE(e.find("background.complex.file"), std::string::npos) << e;
  e = ErrorOf(dir, {"count=3", "head.source=rigged"});
  EXPECT_NE(e.find("head.rigged_file"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(dir));
  // count and out are required by the command.
  const core::config::Config c =
      core::config::LoadConfigString(kConfig, "gen.toml", {"out=/tmp/x"}, GeneratorSchema());
  try {
    ReadGeneratorConfig(c);
    FAIL();
  } catch (const core::Error& err) {
    EXPECT_NE(std::string(err.what()).find("'count'"), std::string::npos) << err.what();
  }
}

}  // namespace
}  // namespace synface::synth::datagen
