#include "core/geometry/text_parsing.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/util/error.h"

namespace synface::core::geometry::internal {

std::vector<TextLine> SplitLines(std::string_view text) {
  std::vector<TextLine> lines;
  int number = 1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) tokens.push_back(text.substr(i, j - i));
    i = j;
  }
  return tokens;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

double ParseFiniteDouble(std::string_view token, std::string_view source, int line,
                         std::string_view what) {
  double value = 0.0;
  const char* begin = token.data();
  const char* end = token.data() + token.size();
  const auto result = std::from_chars(begin, end, value);
  if (token.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value)) {
    throw MakeError("{}: line {}: {}: cannot read '{}' as a number", source, line, what, token);
  }
  return value;
}

std::string FormatFixed(double value, int decimals) {
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  if (n < 0 || n >= static_cast<int>(sizeof(buffer))) {
    throw MakeError("cannot format {} with {} decimals", value, decimals);
  }
  return std::string(buffer, n);
}

double PythonRound(double value, int decimals) {
  return std::strtod(FormatFixed(value, decimals).c_str(), nullptr);
}

std::string PythonRoundRepr(double value, int decimals) {
  std::string text = FormatFixed(value, decimals);
  const size_t point = text.find('.');
  if (point == std::string::npos) return text + ".0";
  while (text.size() > point + 2 && text.back() == '0') text.pop_back();
  return text;
}

}  // namespace synface::core::geometry::internal
