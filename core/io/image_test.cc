#include "core/io/image.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <random>
#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")) / "image_test"; }

// A smooth colour gradient with some structure: compresses like a photo under JPEG.
ImageWriteOptions Jpeg(int quality) {
  ImageWriteOptions options;
  options.jpeg_quality = quality;
  return options;
}

ImageWriteOptions Png(int compression) {
  ImageWriteOptions options;
  options.png_compression = compression;
  return options;
}

cv::Mat TestImage(int width = 64, int height = 48) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(4 * x), static_cast<uchar>(5 * y),
                                            static_cast<uchar>(128 + 60 * ((x / 8 + y / 8) % 2)));
  return image;
}

// Expects `body` to throw core::Error whose message contains `needle`.
template <typename Body>
void ExpectErrorMentioning(Body&& body, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Image, PngRoundTripIsExact) {
  const fs::path path = TmpDir() / "sub" / "a.png";
  const cv::Mat image = TestImage();
  WriteImage(path, image);
  const cv::Mat back = ReadImage(path);
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(cv::norm(image, back, cv::NORM_INF), 0.0);
}

TEST(Image, JpegRoundTripIsClose) {
  const fs::path path = TmpDir() / "b.jpg";
  const cv::Mat image = TestImage();
  WriteImage(path, image, Jpeg(95));
  const cv::Mat back = ReadImage(path);
  ASSERT_EQ(back.size(), image.size());
  const double error = cv::norm(image, back, cv::NORM_L1) / image.total() / 3;
  EXPECT_LT(error, 5.0);  // sharp colour edges suffer from 4:2:0 chroma subsampling
  // Lower quality gives a smaller file and a larger error.
  WriteImage(TmpDir() / "c.jpg", image, Jpeg(20));
  EXPECT_LT(fs::file_size(TmpDir() / "c.jpg"), fs::file_size(path));
  EXPECT_GT(cv::norm(image, ReadImage(TmpDir() / "c.jpg"), cv::NORM_L1) / image.total() / 3, error);
}

TEST(Image, ReadModes) {
  cv::Mat deep(10, 12, CV_16UC1);
  for (int y = 0; y < deep.rows; ++y)
    for (int x = 0; x < deep.cols; ++x)
      deep.at<uint16_t>(y, x) = static_cast<uint16_t>(1000 * x + y);
  const fs::path path = TmpDir() / "deep.png";
  WriteImage(path, deep);
  const cv::Mat unchanged = ReadImage(path, ImageReadMode::kUnchanged);
  ASSERT_EQ(unchanged.type(), CV_16UC1);
  EXPECT_EQ(cv::norm(deep, unchanged, cv::NORM_INF), 0.0);
  EXPECT_EQ(ReadImage(path, ImageReadMode::kColor).type(), CV_8UC3);
  EXPECT_EQ(ReadImage(path, ImageReadMode::kGrayscale).type(), CV_8UC1);

  cv::Mat rgba(8, 8, CV_8UC4, cv::Scalar(10, 20, 30, 40));
  WriteImage(TmpDir() / "alpha.png", rgba);
  EXPECT_EQ(ReadImage(TmpDir() / "alpha.png", ImageReadMode::kUnchanged).type(), CV_8UC4);
  EXPECT_EQ(ReadImage(TmpDir() / "alpha.png").type(), CV_8UC3);
}

TEST(Image, PngCompressionLevelsAreLossless) {
  const cv::Mat image = TestImage(128, 96);
  const std::string fast = EncodeImage(".png", image, Png(0));
  const std::string small = EncodeImage(".png", image, Png(9));
  EXPECT_LT(small.size(), fast.size());
  EXPECT_EQ(cv::norm(DecodeImage(small, "small"), image, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(DecodeImage(fast, "fast"), image, cv::NORM_INF), 0.0);
}

TEST(Image, MissingFileNamesPath) {
  ExpectErrorMentioning([] { ReadImage(TmpDir() / "nope.png"); }, "nope.png");
}

TEST(Image, RandomBytesAndEmptyFilesAreErrors) {
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  WriteFileAtomic(TmpDir() / "noise.png", noise);
  ExpectErrorMentioning([] { ReadImage(TmpDir() / "noise.png"); }, "noise.png");
  WriteFileAtomic(TmpDir() / "empty.jpg", "");
  ExpectErrorMentioning([] { ReadImage(TmpDir() / "empty.jpg"); }, "empty.jpg");
}

TEST(Image, TruncatedPngAndJpegAreErrors) {
  for (const std::string ext : {".png", ".jpg"}) {
    const std::string bytes = EncodeImage(ext, TestImage(96, 64));
    ASSERT_TRUE(LooksComplete(bytes)) << ext;
    for (size_t keep : {bytes.size() / 4, bytes.size() / 2, bytes.size() - 20, bytes.size() - 1}) {
      const fs::path path = TmpDir() / ("cut" + std::to_string(keep) + ext);
      WriteFileAtomic(path, bytes.substr(0, keep));
      EXPECT_FALSE(LooksComplete(bytes.substr(0, keep))) << ext << " cut to " << keep;
      ExpectErrorMentioning([&] { ReadImage(path); }, path.filename().string());
    }
  }
}

TEST(Image, JpegWithTrailingBytesAfterEndMarkerIsComplete) {
  const std::string bytes = EncodeImage(".jpg", TestImage()) + std::string(100, '\x42');
  EXPECT_TRUE(LooksComplete(bytes));
  EXPECT_EQ(DecodeImage(bytes, "trailing").size(), TestImage().size());
}

// Real-world files (baseline and progressive JPEGs, PNGs with various chunks) from Debian's
// opencv-doc, when installed.
TEST(Image, RealFilesFromOpencvDocAreCompleteAndTheirCutsAreNot) {
  const fs::path dir = "/usr/share/doc/opencv-doc/examples/data";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " missing (Debian package opencv-doc)";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".jpg" && ext != ".png") continue;
    const std::string bytes = ReadFile(entry.path());
    EXPECT_TRUE(LooksComplete(bytes)) << entry.path();
    EXPECT_FALSE(LooksComplete(bytes.substr(0, bytes.size() / 2))) << entry.path();
    EXPECT_FALSE(LooksComplete(bytes.substr(0, bytes.size() - 2))) << entry.path();
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_EQ(ReadImage(dir / "HappyFish.jpg").type(), CV_8UC3);
}

TEST(Image, WriteRefusesWhatTheFormatCannotHold) {
  const cv::Mat depth(4, 4, CV_32FC1, cv::Scalar(1.5));
  ExpectErrorMentioning([&] { WriteImage(TmpDir() / "depth.png", depth); }, "depth.png");
  ExpectErrorMentioning([&] { WriteImage(TmpDir() / "deep.jpg", cv::Mat(4, 4, CV_16UC1)); },
                        "deep.jpg");
  ExpectErrorMentioning([&] { WriteImage(TmpDir() / "x.unknownext", TestImage()); },
                        "x.unknownext");
  ExpectErrorMentioning([&] { WriteImage(TmpDir() / "empty.png", cv::Mat()); }, "empty.png");
  EXPECT_FALSE(fs::exists(TmpDir() / "depth.png"));
  // Float TIFF is fine.
  WriteImage(TmpDir() / "depth.tiff", depth);
  const cv::Mat back = ReadImage(TmpDir() / "depth.tiff", ImageReadMode::kUnchanged);
  ASSERT_EQ(back.type(), CV_32FC1);
  EXPECT_EQ(cv::norm(back, depth, cv::NORM_INF), 0.0);
}

TEST(Image, OverwriteIsAtomicAndLeavesNoTemporaries) {
  const fs::path dir = TmpDir() / "atomic";
  WriteImage(dir / "a.png", TestImage());
  WriteImage(dir / "a.png", TestImage(32, 32));
  EXPECT_EQ(ReadImage(dir / "a.png").cols, 32);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace synface::core::io
