#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/util/error.h"

namespace synface::core {
namespace fs = std::filesystem;

namespace {

fs::path TemporaryPathFor(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  // Same folder (so rename is atomic), unique per process and call, extension kept for writers
  // that pick a format by extension.
  std::string name = fmt::format(".{}.tmp{}-{}{}", path.stem().string(), ::getpid(),
                                 counter.fetch_add(1), path.extension().string());
  return path.parent_path() / name;
}

void CreateParent(const fs::path& path) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw MakeError("{}: cannot create folder: {}", path.parent_path().string(), ec.message());
  }
}

void FsyncFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void WriteViaTemporaryImpl(const fs::path& path,
                           const std::function<void(const fs::path& tmp)>& write, bool sync) {
  CreateParent(path);
  const fs::path tmp = TemporaryPathFor(path);
  try {
    write(tmp);
    if (!fs::exists(tmp)) throw MakeError("{}: writer produced no file", path.string());
    if (sync) FsyncFile(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw MakeError("{}: cannot rename temporary file: {}", path.string(), ec.message());
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

// fsync of a file or folder; throws naming it.
void FsyncOrThrow(const fs::path& path, bool folder) {
  const int fd = ::open(path.c_str(), (folder ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw MakeError("{}: cannot open to sync: {}", path.string(), std::strerror(errno));
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw MakeError("{}: fsync failed: {}", path.string(), std::strerror(err));
}

}  // namespace

void WriteViaTemporary(const fs::path& path,
                       const std::function<void(const fs::path& tmp)>& write) {
  WriteViaTemporaryImpl(path, write, /*sync=*/true);
}

void WriteFileAtomic(const fs::path& path, std::string_view bytes) {
  WriteFileAtomic(path, bytes, AtomicWriteOptions{});
}

void WriteFileAtomic(const fs::path& path, std::string_view bytes,
                     const AtomicWriteOptions& options) {
  WriteViaTemporaryImpl(
      path,
      [&](const fs::path& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
          throw MakeError("{}: cannot open for writing: {}", tmp.string(), std::strerror(errno));
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) throw MakeError("{}: write failed (disk full?)", path.string());
      },
      options.sync);
}

void SyncFiles(const std::vector<fs::path>& paths) {
  std::set<fs::path> folders;
  for (const fs::path& p : paths) {
    FsyncOrThrow(p, /*folder=*/false);
    folders.insert(p.has_parent_path() ? p.parent_path() : fs::path("."));
  }
  for (const fs::path& f : folders) FsyncOrThrow(f, /*folder=*/true);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MakeError("{}: cannot open: {}", path.string(), std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace synface::core
