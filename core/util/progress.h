// A one-line progress display for long work: "label  123/1000  12.3 it/s  ETA 1m11s", redrawn in
// place on a terminal, printed every few seconds as plain lines otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace synface::core {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  // Marks `done` items complete (absolute count) with an optional suffix ("loss 0.12").
  void Update(int64_t done, const std::string& suffix = "");
  void Finish(const std::string& suffix = "");

 private:
  void Print(bool final_line);
  std::string label_, unit_, suffix_;
  int64_t total_, done_ = 0, start_done_ = -1;
  bool tty_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_print_;
};

// "1h02m", "3m05s", "12.3s"
std::string FormatDuration(double seconds);

}  // namespace synface::core
