// Small helpers shared by the project's GoogleTest files (test-only; never a dependency of a
// library): a fresh folder under the test's TEST_TMPDIR, the message of an expected core::Error,
// and a substring expectation that prints the whole text on failure. (Not named `testing`: inside
// synface::core that name would hide GoogleTest's ::testing.)
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/util/error.h"

namespace synface::core::test_support {

// TEST_TMPDIR/<name>, emptied and created.
inline std::filesystem::path TestDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(std::getenv("TEST_TMPDIR")) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `f` and returns the message of the core::Error it throws; a test failure when it does not.
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

}  // namespace synface::core::test_support

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)
