// Line plots as PNG images, drawn with OpenCV: training curves (loss, learning rate, validation
// metrics against the step) and any x/y series a report wants to show. Deterministic pixels for
// the same input (no fonts beyond OpenCV's built-in Hershey set, no anti-aliasing differences).
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace synface::core::plot {

struct Series {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points are skipped
};

struct Panel {
  std::string title;
  std::string x_label, y_label;
  std::vector<Series> series;
  // Log-scaled y axis; `auto_log_y` chooses it when every value is positive and they span more
  // than two decades (typical of losses).
  bool log_y = false;
  bool auto_log_y = true;
};

struct Figure {
  std::string title;
  std::vector<Panel> panels;  // stacked top to bottom, sharing the width
  int width = 900;
  int panel_height = 300;
};

// "Nice" tick positions (1, 2, 5 × 10^k steps) covering [lo, hi] with about `target` ticks.
std::vector<double> NiceTicks(double lo, double hi, int target = 6);

// Renders the figure (BGR, 8-bit). A panel without finite points says "no data".
cv::Mat RenderFigure(const Figure& figure);

// Renders and writes a PNG atomically.
void WriteFigure(const std::filesystem::path& path, const Figure& figure);

// One panel per value column of a CSV metric log ("step,<col>,..." as core/nn's CsvLog writes),
// x = step; columns named in `skip` are left out. Throws core::Error naming the file and line
// for a malformed log.
std::vector<Panel> PanelsFromCsvLog(const std::filesystem::path& csv,
                                    const std::vector<std::string>& skip = {});

}  // namespace synface::core::plot
