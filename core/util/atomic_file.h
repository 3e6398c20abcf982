// Atomic writes: data goes to a temporary file beside the target, is flushed, and is renamed over
// the target only when complete, so a reader never sees a half-written file and a killed job leaves
// either the old file or the new one.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace synface::core {

// Writes `bytes` to `path` atomically; creates missing parent folders. Throws core::Error.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

// For writers that need a real file name (OpenEXR, OpenCV, torch::save): `write` is called with a
// temporary path in the target's folder that keeps the target's extension; the file it leaves there
// is renamed onto `path`. When `write` throws, the temporary file is removed and the error
// rethrown.
void WriteViaTemporary(const std::filesystem::path& path,
                       const std::function<void(const std::filesystem::path& tmp)>& write);

// Options of the write path below. The defaults are WriteFileAtomic's behaviour.
struct AtomicWriteOptions {
  // false: no fsync of the temporary file before its rename. The rename is still atomic (a
  // reader, or a run killed at any point, sees the old file or the complete new one, never a
  // partial one), but after an OS crash or power loss the new file may be empty or missing.
  // For bulk writers that make their files durable in batches with SyncFiles() before they
  // record them as done (one durability point per batch instead of one fsync per file).
  bool sync = true;
};

// WriteFileAtomic with options (WriteFileAtomic(path, bytes) = this with the defaults).
void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes,
                     const AtomicWriteOptions& options);

// Durability point for files written with sync = false: fsyncs every file, then every distinct
// parent folder once (so their renames are durable too). Throws core::Error naming the first
// path that cannot be opened or synced.
void SyncFiles(const std::vector<std::filesystem::path>& paths);

// Reads a whole file; throws core::Error naming the path when it cannot.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace synface::core
