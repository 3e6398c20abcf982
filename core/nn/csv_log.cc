#include "core/nn/csv_log.h"

#include <fmt/format.h>

#include <sstream>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace fs = std::filesystem;
namespace {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

}  // namespace

std::string FormatMetric(double value) { return fmt::format("{}", value); }

CsvLog::CsvLog(fs::path path, int64_t resume_step) : path_(std::move(path)) {
  std::string kept;
  if (resume_step >= 0 && fs::exists(path_)) {
    std::istringstream in(ReadFile(path_));
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.empty()) continue;
      if (line_number == 1) {
        const auto header = SplitCsvLine(line);
        if (header.empty() || header[0] != "step") {
          throw MakeError("{}: line 1: expected a header starting with 'step'", path_.string());
        }
        columns_.assign(header.begin() + 1, header.end());
        kept += line + "\n";
        continue;
      }
      // A torn last line (killed mid-write) has no newline and may not parse: it is dropped.
      int64_t step = 0;
      try {
        size_t used = 0;
        step = std::stoll(line.substr(0, line.find(',')), &used);
      } catch (const std::exception&) {
        continue;
      }
      if (step <= resume_step && SplitCsvLine(line).size() == columns_.size() + 1) {
        kept += line + "\n";
      }
    }
  }
  WriteFileAtomic(path_, kept);
  out_.open(path_, std::ios::app | std::ios::binary);
  if (!out_) throw MakeError("{}: cannot open for appending", path_.string());
}

void CsvLog::Append(int64_t step, const Row& values) {
  if (columns_.empty()) {
    if (values.empty()) throw MakeError("{}: a log row needs at least one value", path_.string());
    std::string header = "step";
    for (const auto& [key, value] : values) {
      if (key.find(',') != std::string::npos || key.find('\n') != std::string::npos) {
        throw MakeError("{}: column name '{}' contains a comma or newline", path_.string(), key);
      }
      columns_.push_back(key);
      header += "," + key;
    }
    out_ << header << "\n";
  } else {
    bool same = values.size() == columns_.size();
    for (size_t i = 0; same && i < values.size(); ++i) same = values[i].first == columns_[i];
    if (!same) {
      std::string got;
      for (const auto& [key, value] : values) got += (got.empty() ? "" : ",") + key;
      std::string want;
      for (const auto& c : columns_) want += (want.empty() ? "" : ",") + c;
      throw MakeError("{}: row for step {} has columns [{}], the log has [{}]", path_.string(),
                      step, got, want);
    }
  }
  std::string line = std::to_string(step);
  for (const auto& [key, value] : values) line += "," + FormatMetric(value);
  out_ << line << "\n";
  out_.flush();
  if (!out_) throw MakeError("{}: write failed (disk full?)", path_.string());
}

}  // namespace synface::core::nn
