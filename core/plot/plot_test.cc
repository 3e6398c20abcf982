#include "core/plot/plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/io/image.h"
#include "core/util/error.h"

namespace synface::core::plot {
namespace {
namespace fs = std::filesystem;

fs::path Tmp(const std::string& name) { return fs::path(std::getenv("TEST_TMPDIR")) / name; }

void WriteText(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(NiceTicks, UsesOneTwoFiveSteps) {
  EXPECT_EQ(NiceTicks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = NiceTicks(0.13, 0.87, 6);  // raw step 0.123 -> 0.2
  ASSERT_EQ(t.size(), 4u);
  EXPECT_NEAR(t[0], 0.2, 1e-12);
  EXPECT_NEAR(t[3], 0.8, 1e-12);
  EXPECT_EQ(NiceTicks(-7, 7, 3), (std::vector<double>{-5, 0, 5}));  // raw 4.67 -> 5
  EXPECT_EQ(NiceTicks(3, 3, 5), (std::vector<double>{3}));
}

// Counts pixels of exactly the first series colour (BGR 180,119,31).
int FirstSeriesPixels(const cv::Mat& img) {
  int n = 0;
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      const auto& p = img.at<cv::Vec3b>(y, x);
      n += p[0] == 180 && p[1] == 119 && p[2] == 31;
    }
  }
  return n;
}

TEST(RenderFigure, DrawsEachSeriesAndStacksPanels) {
  Figure f;
  f.title = "curves";
  Panel loss{"loss", "step", "", {{"train", {0, 1, 2, 3}, {10, 1, 0.1, 0.01}}}};
  Panel empty{"mae", "step", "", {{"val", {0, 1}, {NAN, NAN}}}};
  f.panels = {loss, empty};
  const cv::Mat img = RenderFigure(f);
  EXPECT_EQ(img.cols, 900);
  EXPECT_EQ(img.rows, 34 + 2 * 300);
  EXPECT_GT(FirstSeriesPixels(img(cv::Rect(0, 34, 900, 300))), 100);  // the line is drawn
  EXPECT_EQ(FirstSeriesPixels(img(cv::Rect(0, 334, 900, 300))), 0);   // nothing finite there
  // Deterministic: the same figure gives the same pixels.
  EXPECT_EQ(cv::norm(img, RenderFigure(f), cv::NORM_INF), 0.0);
  f.width = 50;
  EXPECT_THROW(RenderFigure(f), Error);
}

TEST(PanelsFromCsvLog, ReadsTrainerLogsAndNamesBadLines) {
  const fs::path log = Tmp("train_log.csv");
  WriteText(log, "step,epoch,lr,loss\n1,0,0.1,2.5\n2,0,0.1,1.5\n");
  const auto panels = PanelsFromCsvLog(log, {"epoch"});
  ASSERT_EQ(panels.size(), 2u);
  EXPECT_EQ(panels[0].title, "lr");
  EXPECT_EQ(panels[1].series[0].x, (std::vector<double>{1, 2}));
  EXPECT_EQ(panels[1].series[0].y, (std::vector<double>{2.5, 1.5}));

  const fs::path png = Tmp("curves.png");
  WriteFigure(png, Figure{"run", panels});
  EXPECT_EQ(io::ReadImage(png).rows, 34 + 2 * 300);

  WriteText(log, "step,loss\n1,2.5\n2,x\n");
  try {
    PanelsFromCsvLog(log);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3: column 'loss': 'x'"), std::string::npos)
        << e.what();
  }
  WriteText(log, "step,loss\n1,2.5,3\n");
  EXPECT_THROW(PanelsFromCsvLog(log), Error);
  WriteText(log, "epoch,loss\n");
  EXPECT_THROW(PanelsFromCsvLog(log), Error);
  EXPECT_THROW(PanelsFromCsvLog(Tmp("missing.csv")), Error);
}

}  // namespace
}  // namespace synface::core::plot
