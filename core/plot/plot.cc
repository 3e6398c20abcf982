#include "core/plot/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/io/image.h"
#include "core/util/error.h"

namespace synface::core::plot {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kBlack(30, 30, 30), kGrid(225, 225, 225), kWhite(255, 255, 255);

// Tableau-like colours in BGR, distinct for up to eight series.
const cv::Scalar kPalette[] = {{180, 119, 31},  {14, 127, 255}, {44, 160, 44},   {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140},  {194, 119, 227}, {34, 189, 188}};

// One format per axis (decided by its largest tick), so labels of one axis never mix fixed and
// exponent notation.
std::string TickLabel(double v, double step, double largest, bool log) {
  if (log) return fmt::format("{:g}", v);
  if (v == 0) return "0";
  if (largest >= 1e5 || largest < 1e-3) return fmt::format("{:.1e}", v);
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  return fmt::format("{:.{}f}", v, decimals);
}

double LargestAbs(const std::vector<double>& ticks) {
  double m = 0;
  for (double t : ticks) m = std::max(m, std::abs(t));
  return m;
}

void PutText(cv::Mat& img, const std::string& text, cv::Point at, double scale,
             const cv::Scalar& colour, int thickness = 1) {
  cv::putText(img, text, at, kFont, scale, colour, thickness, cv::LINE_AA);
}

int TextWidth(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, 1, &baseline).width;
}

void DrawPanel(cv::Mat& img, const cv::Rect& area, const Panel& panel) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo;
  double y_lo = x_lo, y_hi = -x_lo;
  bool all_positive = true;
  for (const auto& s : panel.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
      all_positive = all_positive && s.y[i] > 0;
    }
  }
  const cv::Rect plot(area.x + 80, area.y + 30, area.width - 100, area.height - 70);
  PutText(img, panel.title, {area.x + 80, area.y + 20}, 0.55, kBlack);
  cv::rectangle(img, plot, kBlack, 1);
  if (!std::isfinite(x_lo)) {
    PutText(img, "no data", {plot.x + plot.width / 2 - 30, plot.y + plot.height / 2}, 0.5, kBlack);
    return;
  }
  const bool log_y = panel.log_y || (panel.auto_log_y && all_positive && y_hi > 100 * y_lo);
  auto ty = [&](double v) { return log_y ? std::log10(v) : v; };
  double lo = ty(y_lo), hi = ty(y_hi);
  if (hi - lo < 1e-12) {
    lo -= log_y ? 0.5 : std::max(1e-6, std::abs(lo) * 0.1);
    hi += log_y ? 0.5 : std::max(1e-6, std::abs(hi) * 0.1);
  }
  const double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  if (x_hi - x_lo < 1e-12) {
    x_lo -= 0.5;
    x_hi += 0.5;
  }
  auto px = [&](double x) {
    return plot.x + static_cast<int>(std::lround((x - x_lo) / (x_hi - x_lo) * plot.width));
  };
  auto py = [&](double v) {
    return plot.y + plot.height -
           static_cast<int>(std::lround((ty(v) - lo) / (hi - lo) * plot.height));
  };

  // Grid and tick labels.
  std::vector<double> yticks;
  if (log_y) {
    for (int e = static_cast<int>(std::floor(lo)); e <= static_cast<int>(std::ceil(hi)); ++e) {
      if (e >= lo && e <= hi) yticks.push_back(std::pow(10.0, e));
    }
    if (yticks.size() < 2) {  // under a decade: linear ticks of the values themselves
      yticks.clear();
      for (double t : NiceTicks(std::pow(10.0, lo), std::pow(10.0, hi), 5)) yticks.push_back(t);
    }
  } else {
    yticks = NiceTicks(lo, hi, 6);
  }
  const double ystep = yticks.size() > 1 ? yticks[1] - yticks[0] : 1.0;
  for (double t : yticks) {
    if (t <= 0 && log_y) continue;
    const int y = py(t);
    if (y < plot.y || y > plot.y + plot.height) continue;
    cv::line(img, {plot.x + 1, y}, {plot.x + plot.width - 1, y}, kGrid, 1);
    const std::string label = TickLabel(t, ystep, LargestAbs(yticks), log_y);
    PutText(img, label, {plot.x - 8 - TextWidth(label, 0.4), y + 5}, 0.4, kBlack);
  }
  const auto xticks = NiceTicks(x_lo, x_hi, 8);
  const double xstep = xticks.size() > 1 ? xticks[1] - xticks[0] : 1.0;
  for (double t : xticks) {
    const int x = px(t);
    if (x < plot.x || x > plot.x + plot.width) continue;
    cv::line(img, {x, plot.y + 1}, {x, plot.y + plot.height - 1}, kGrid, 1);
    const std::string label = TickLabel(t, xstep, LargestAbs(xticks), false);
    PutText(img, label, {x - TextWidth(label, 0.4) / 2, plot.y + plot.height + 18}, 0.4, kBlack);
  }
  cv::rectangle(img, plot, kBlack, 1);
  PutText(img, panel.x_label,
          {plot.x + plot.width / 2 - TextWidth(panel.x_label, 0.45) / 2, area.y + area.height - 6},
          0.45, kBlack);
  if (!panel.y_label.empty() || log_y) {
    PutText(img, panel.y_label + (log_y ? " (log)" : ""), {area.x + 4, area.y + 20}, 0.4, kBlack);
  }

  // Series and legend.
  int legend_y = plot.y + 16;
  for (size_t k = 0; k < panel.series.size(); ++k) {
    const Series& s = panel.series[k];
    const cv::Scalar colour = kPalette[k % (sizeof(kPalette) / sizeof(kPalette[0]))];
    std::vector<cv::Point> run;
    auto flush = [&] {
      if (run.size() == 1) cv::circle(img, run[0], 2, colour, cv::FILLED, cv::LINE_AA);
      if (run.size() > 1) cv::polylines(img, run, false, colour, 2, cv::LINE_AA);
      run.clear();
    };
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (log_y && s.y[i] <= 0)) {
        flush();
        continue;
      }
      run.emplace_back(px(s.x[i]), py(s.y[i]));
    }
    flush();
    if (panel.series.size() > 1 || !s.name.empty()) {
      const int x = plot.x + plot.width - 10 - TextWidth(s.name, 0.45);
      cv::line(img, {x - 28, legend_y - 4}, {x - 6, legend_y - 4}, colour, 2, cv::LINE_AA);
      PutText(img, s.name, {x, legend_y}, 0.45, kBlack);
      legend_y += 18;
    }
  }
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || target < 1) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-300) return {lo};
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

cv::Mat RenderFigure(const Figure& figure) {
  if (figure.width < 200 || figure.panel_height < 120) {
    throw MakeError("plot: figure {}x{} per panel is too small (at least 200x120)", figure.width,
                    figure.panel_height);
  }
  const int title_h = figure.title.empty() ? 0 : 34;
  const int panels = std::max<int>(1, static_cast<int>(figure.panels.size()));
  cv::Mat img(title_h + panels * figure.panel_height, figure.width, CV_8UC3, kWhite);
  if (!figure.title.empty()) PutText(img, figure.title, {12, 24}, 0.65, kBlack, 2);
  for (size_t i = 0; i < figure.panels.size(); ++i) {
    DrawPanel(img,
              cv::Rect(0, title_h + static_cast<int>(i) * figure.panel_height, figure.width,
                       figure.panel_height),
              figure.panels[i]);
  }
  return img;
}

void WriteFigure(const std::filesystem::path& path, const Figure& figure) {
  io::WriteImage(path, RenderFigure(figure));
}

std::vector<Panel> PanelsFromCsvLog(const std::filesystem::path& csv,
                                    const std::vector<std::string>& skip) {
  std::ifstream in(csv);
  if (!in) throw MakeError("{}: cannot open", csv.string());
  std::string line;
  if (!std::getline(in, line)) throw MakeError("{}: empty (no header line)", csv.string());
  std::vector<std::string> columns;
  {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) columns.push_back(cell);
  }
  if (columns.empty() || columns[0] != "step") {
    throw MakeError("{}: line 1: the first column must be 'step'", csv.string());
  }
  std::vector<std::vector<double>> values(columns.size());
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string cell;
    size_t c = 0;
    while (std::getline(ss, cell, ',')) {
      if (c >= columns.size()) {
        throw MakeError("{}: line {}: more cells than the {} columns of the header", csv.string(),
                        line_number, columns.size());
      }
      size_t used = 0;
      double v = std::numeric_limits<double>::quiet_NaN();
      try {
        v = std::stod(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cell.size() && !cell.empty()) {
        throw MakeError("{}: line {}: column '{}': '{}' is not a number", csv.string(), line_number,
                        columns[c], cell);
      }
      values[c].push_back(v);
      ++c;
    }
    if (c != columns.size()) {
      throw MakeError("{}: line {}: {} cells, the header has {}", csv.string(), line_number, c,
                      columns.size());
    }
  }
  std::vector<Panel> panels;
  for (size_t c = 1; c < columns.size(); ++c) {
    if (std::find(skip.begin(), skip.end(), columns[c]) != skip.end()) continue;
    Panel p;
    p.title = columns[c];
    p.x_label = "step";
    p.series.push_back({"", values[0], values[c]});
    panels.push_back(std::move(p));
  }
  return panels;
}

}  // namespace synface::core::plot
