// The one exception type synface throws for bad input: a message that names what and where
// (file, line, key path). Entry points catch it, print the message and exit non-zero.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace synface::core {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Error(fmt::format(...)) in one call: throw MakeError("{}: bad key '{}'", path, key);
template <typename... Args>
Error MakeError(fmt::format_string<Args...> format, Args&&... args) {
  return Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace synface::core
