// Atomic writes: data goes to a temporary file beside the target, is flushed, and is renamed over
// the target only when complete, so a reader never sees a half-written file and a killed job leaves
// either the old file or the new one.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace synface::core {

// Writes `bytes` to `path` atomically; creates missing parent folders. Throws core::Error.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

// For writers that need a real file name (OpenEXR, OpenCV, torch::save): `write` is called with a
// temporary path in the target's folder that keeps the target's extension; the file it leaves there
// is renamed onto `path`. When `write` throws, the temporary file is removed and the error rethrown.
void WriteViaTemporary(const std::filesystem::path& path,
                       const std::function<void(const std::filesystem::path& tmp)>& write);

// Reads a whole file; throws core::Error naming the path when it cannot.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace synface::core
