// Append-only CSV metric logs that survive a kill and resume without duplicate rows: every row is
// flushed as written, and reopening at a checkpoint's step first drops (by an atomic rewrite) the
// rows logged after that checkpoint, which the resumed run will log again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace synface::core::nn {

class CsvLog {
 public:
  using Row = std::vector<std::pair<std::string, double>>;

  // resume_step < 0: a new log (an existing file is replaced). Otherwise keeps the header and the
  // rows whose step (first column) is <= resume_step.
  CsvLog(std::filesystem::path path, int64_t resume_step);

  // Appends "step,<values>". The first row of a new file fixes the columns; later rows must have
  // the same keys in the same order (core::Error otherwise).
  void Append(int64_t step, const Row& values);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::filesystem::path path_;
  std::vector<std::string> columns_;  // without "step"
  std::ofstream out_;
};

// Deterministic number formatting used in logs: shortest round-trip form ("0.1", "1e-05").
std::string FormatMetric(double value);

}  // namespace synface::core::nn
