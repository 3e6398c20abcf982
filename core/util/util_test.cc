#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/util/runfiles.h"

namespace synface::core {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")); }

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  const fs::path dir = TmpDir() / "atomic";
  const fs::path file = dir / "sub" / "a.txt";
  WriteFileAtomic(file, "first");
  EXPECT_EQ(ReadFile(file), "first");
  WriteFileAtomic(file, "second, longer");
  EXPECT_EQ(ReadFile(file), "second, longer");
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir / "sub")) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

TEST(AtomicFile, FailedWriterLeavesOldFileAndNoTemporary) {
  const fs::path file = TmpDir() / "keep" / "b.txt";
  WriteFileAtomic(file, "old");
  EXPECT_THROW(WriteViaTemporary(file,
                                 [](const fs::path& tmp) {
                                   WriteFileAtomic(tmp, "partial");
                                   throw Error("writer failed");
                                 }),
               Error);
  EXPECT_EQ(ReadFile(file), "old");
  int entries = 0;
  for (auto& e : fs::directory_iterator(file.parent_path())) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1);
}

// The bulk writers' fast path: no fsync per file, one SyncFiles per batch (synth's generator).
TEST(AtomicFile, UnsyncedWritesAndTheBatchDurabilityPoint) {
  const fs::path dir = TmpDir() / "nosync";
  const AtomicWriteOptions no_sync{/*sync=*/false};
  WriteFileAtomic(dir / "a.json", "old", no_sync);
  WriteFileAtomic(dir / "a.json", "new", no_sync);
  WriteFileAtomic(dir / "sub" / "b.png", std::string(100000, 'x'), no_sync);
  EXPECT_EQ(ReadFile(dir / "a.json"), "new");
  EXPECT_EQ(ReadFile(dir / "sub" / "b.png").size(), 100000u);
  int entries = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) entries += e.is_regular_file();
  EXPECT_EQ(entries, 2);  // no temporaries left
  SyncFiles({dir / "a.json", dir / "sub" / "b.png"});
  try {
    SyncFiles({dir / "a.json", dir / "missing.exr"});
    ADD_FAILURE() << "expected core::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.exr"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, ReadingMissingFileNamesIt) {
  try {
    ReadFile("/nonexistent/x.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.bin"), std::string::npos);
  }
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(FormatDuration(12.34), "12.3s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
}

TEST(Runfiles, IctFacekitIsFoundOrExplained) {
  if (IctFacekitAvailable()) {
    EXPECT_TRUE(fs::exists(IctFacekitRoot() / "FaceXModel" / "generic_neutral_mesh.obj"));
  } else {
    EXPECT_THROW(IctFacekitRoot(), Error);
  }
}

}  // namespace synface::core
