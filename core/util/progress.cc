#include "core/util/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace synface::core {

std::string FormatDuration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      tty_(::isatty(::fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()), last_print_(start_) {}

Progress::~Progress() {
  if (!finished_ && done_ > 0) Finish();
}

void Progress::Update(int64_t done, const std::string& suffix) {
  if (start_done_ < 0) start_done_ = done > 0 ? 0 : done;
  done_ = done;
  suffix_ = suffix;
  auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since >= (tty_ ? 0.2 : 5.0)) {
    last_print_ = now;
    Print(false);
  }
}

void Progress::Finish(const std::string& suffix) {
  if (!suffix.empty()) suffix_ = suffix;
  finished_ = true;
  Print(true);
}

void Progress::Print(bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - std::max<int64_t>(start_done_, 0)) / elapsed : 0;
  std::string line = fmt::format("{}  {}/{}  {:.2f} {}/s", label_, done_, total_, rate, unit_);
  if (!final_line && rate > 0 && total_ > done_)
    line += "  ETA " + FormatDuration(static_cast<double>(total_ - done_) / rate);
  if (final_line) line += "  in " + FormatDuration(elapsed);
  if (!suffix_.empty()) line += "  " + suffix_;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace synface::core
