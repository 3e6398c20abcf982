#include "core/util/runfiles.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include "core/util/error.h"
#include "tools/cpp/runfiles/runfiles.h"

namespace synface::core {
namespace fs = std::filesystem;
using bazel::tools::cpp::runfiles::Runfiles;

namespace {
std::mutex g_mutex;
std::unique_ptr<Runfiles> g_runfiles;
std::string g_argv0;

Runfiles* GetRunfiles() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!g_runfiles) {
    std::string error;
    g_runfiles.reset(g_argv0.empty() ? Runfiles::CreateForTest(&error)
                                     : Runfiles::Create(g_argv0, &error));
    if (!g_runfiles && !g_argv0.empty()) g_runfiles.reset(Runfiles::CreateForTest(&error));
  }
  return g_runfiles.get();
}
}  // namespace

void InitRunfiles(const char* argv0) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_argv0 = argv0 ? argv0 : "";
  g_runfiles.reset();
}

std::optional<fs::path> FindRunfile(const std::string& rlocation) {
  Runfiles* runfiles = GetRunfiles();
  if (!runfiles) return std::nullopt;
  std::string path = runfiles->Rlocation(rlocation);
  if (path.empty() || !fs::exists(path)) return std::nullopt;
  return fs::path(path);
}

bool IctFacekitAvailable() {
  if (const char* env = std::getenv("SYNFACE_ICT_FACEKIT"); env && *env)
    return fs::exists(fs::path(env) / "FaceXModel");
  return FindRunfile("ict_facekit/FaceXModel/generic_neutral_mesh.obj").has_value();
}

fs::path IctFacekitRoot() {
  if (const char* env = std::getenv("SYNFACE_ICT_FACEKIT"); env && *env) {
    fs::path root(env);
    if (!fs::exists(root / "FaceXModel" / "generic_neutral_mesh.obj"))
      throw MakeError(
          "ICT Face Model: $SYNFACE_ICT_FACEKIT={} has no FaceXModel/generic_neutral_mesh.obj "
          "(clone https://github.com/ICT-VGL/ICT-FaceKit or point it at the project's subset)",
          root.string());
    return root;
  }
  if (auto mesh = FindRunfile("ict_facekit/FaceXModel/generic_neutral_mesh.obj"))
    return mesh->parent_path().parent_path();
  throw Error(
      "ICT Face Model not found: @ict_facekit is empty because ../shared/assets/ict-facekit does "
      "not exist next to the checkout and $SYNFACE_ICT_FACEKIT is not set; set it to a clone of "
      "ICT-FaceKit (the folder holding FaceXModel/) and rebuild");
}

fs::path UserWorkingDirectory() {
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir && *dir) return dir;
  return fs::current_path();
}

fs::path ResolveUserPath(const fs::path& path) {
  return path.is_absolute() ? path : UserWorkingDirectory() / path;
}

}  // namespace synface::core
