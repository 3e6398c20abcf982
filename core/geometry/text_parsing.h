// Small strict text helpers shared by the pose-format readers (package-private).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace synface::core::geometry::internal {

struct TextLine {
  int number = 0;         // 1-based line number in the source
  std::string_view text;  // without the line break and any trailing '\r'
};

// Splits on '\n'; a final line break does not produce an extra empty line.
std::vector<TextLine> SplitLines(std::string_view text);

// Whitespace-separated tokens of one line.
std::vector<std::string_view> SplitWhitespace(std::string_view text);

std::string_view Trim(std::string_view text);

// Parses a whole token as a finite double (decimal or exponent form, optional leading '-');
// throws core::Error "<source>: line <n>: <what>: cannot read '<token>' as a number".
double ParseFiniteDouble(std::string_view token, std::string_view source, int line,
                         std::string_view what);

// printf("%.*f") with glibc's exact round-half-even on the binary value, as Python's '%' does.
std::string FormatFixed(double value, int decimals);
// Python's round(value, decimals): the correctly rounded decimal, read back as a double.
double PythonRound(double value, int decimals);
// Python's repr(round(value, decimals)) for |value| < 1e15: the rounded decimal without trailing
// zeros, keeping at least one digit after the point ("0.3", "-0.0", "1.6779").
std::string PythonRoundRepr(double value, int decimals);

}  // namespace synface::core::geometry::internal
