// Locating data files at run time: Bazel runfiles (tests, `bazel run`), with an environment
// override for assets a user keeps elsewhere.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace synface::core {

// Call once from main() (tests: not needed) so runfiles can be found from argv[0].
void InitRunfiles(const char* argv0);

// Path of a runfile such as "synface/papers/tables/t31.toml" or "ict_facekit/FaceXModel/x.obj";
// nullopt when it does not exist.
std::optional<std::filesystem::path> FindRunfile(const std::string& rlocation);

// The ICT Face Model folder (the one holding FaceXModel/): $SYNFACE_ICT_FACEKIT when set, else the
// @ict_facekit runfiles. Throws core::Error saying what is missing and how to provide it.
std::filesystem::path IctFacekitRoot();
bool IctFacekitAvailable();

// Folder the user ran `bazel run` from ($BUILD_WORKING_DIRECTORY), else the current folder;
// relative command-line paths resolve against it.
std::filesystem::path UserWorkingDirectory();
std::filesystem::path ResolveUserPath(const std::filesystem::path& path);

}  // namespace synface::core
