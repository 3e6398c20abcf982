#include "core/io/exr.h"

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfOutputFile.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")) / "exr_test"; }

// A depth map like a rendered face: a smooth bump between 0.4 and 0.6 m, 0 (no surface) outside.
cv::Mat TestDepth(int width = 40, int height = 30) {
  cv::Mat depth(height, width, CV_32FC1, cv::Scalar(0));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const float u = (x + 0.5f) / width - 0.5f, v = (y + 0.5f) / height - 0.5f;
      const float r2 = u * u + v * v;
      if (r2 < 0.16f) depth.at<float>(y, x) = 0.6f - 0.2f * std::cos(7.0f * r2) + 1e-4f * x;
    }
  return depth;
}

template <typename Body>
void ExpectErrorMentioning(Body&& body, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

ExrWriteOptions With(ExrCompression compression, ExrPixelType type = ExrPixelType::kFloat) {
  ExrWriteOptions options;
  options.compression = compression;
  options.pixel_type = type;
  return options;
}

TEST(Exr, DepthRoundTripForEveryCompression) {
  const cv::Mat depth = TestDepth();
  for (ExrCompression c :
       {ExrCompression::kNone, ExrCompression::kRle, ExrCompression::kZips, ExrCompression::kZip,
        ExrCompression::kPiz, ExrCompression::kPxr24, ExrCompression::kB44, ExrCompression::kB44a,
        ExrCompression::kDwaa, ExrCompression::kDwab}) {
    const std::string name = ExrCompressionName(c);
    const fs::path path = TmpDir() / ("depth_" + name + ".exr");
    WriteDepthExr(path, depth, With(c));
    const ExrHeaderInfo header = ReadExrHeader(path);
    EXPECT_EQ(header.compression, c) << name;
    ASSERT_EQ(header.channels.size(), 1u);
    EXPECT_EQ(header.channels[0].name, "Z");
    EXPECT_EQ(header.channels[0].type, ExrPixelType::kFloat);
    const cv::Mat back = ReadDepthExr(path);
    ASSERT_EQ(back.type(), CV_32FC1) << name;
    ASSERT_EQ(back.size(), depth.size()) << name;
    const double error = cv::norm(back, depth, cv::NORM_INF);
    if (c == ExrCompression::kPxr24) {
      // 24-bit float: relative error below 2^-15.
      EXPECT_GT(error, 0.0) << "pxr24 is documented as lossy for float32";
      EXPECT_LT(error, 0.6 * std::ldexp(1.0, -15));
    } else {
      EXPECT_EQ(error, 0.0) << name << " should be lossless for a float32 Z channel";
    }
  }
}

TEST(Exr, NamedChannelsHeaderAndAttributes) {
  ExrImage image;
  const cv::Mat z = TestDepth(17, 9);
  cv::Mat distance = z * 1.1f;
  image.Add("Z", z);
  image.Add("distance", distance);
  image.attributes["synface.units"] = "metres";
  const fs::path path = TmpDir() / "multi.exr";
  WriteExr(path, image, With(ExrCompression::kPiz));

  const ExrHeaderInfo header = ReadExrHeader(path);
  EXPECT_EQ(header.width, 17);
  EXPECT_EQ(header.height, 9);
  EXPECT_EQ(header.display_width, 17);
  EXPECT_FALSE(header.tiled);
  ASSERT_EQ(header.channels.size(), 2u);
  EXPECT_TRUE(header.HasChannel("Z"));
  EXPECT_TRUE(header.HasChannel("distance"));
  EXPECT_EQ(header.attributes.at("synface.units"), "metres");

  const ExrImage all = ReadExr(path);
  EXPECT_EQ(cv::norm(all.Get("Z"), z, cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(all.Get("distance"), distance, cv::NORM_INF), 0.0);
  EXPECT_EQ(all.attributes.at("synface.units"), "metres");

  const ExrImage only = ReadExr(path, {"distance"});
  ASSERT_EQ(only.channels.size(), 1u);
  EXPECT_EQ(only.Find("Z"), nullptr);
  ExpectErrorMentioning([&] { ReadExr(path, {"depth"}); }, "distance");
  ExpectErrorMentioning([&] { only.Get("Z"); }, "distance");
}

TEST(Exr, HalfStorageReadsBackAsFloat) {
  ExrImage image;
  const cv::Mat z = TestDepth();
  image.Add("Z", z);
  const fs::path path = TmpDir() / "half.exr";
  WriteExr(path, image, With(ExrCompression::kZip, ExrPixelType::kHalf));
  EXPECT_EQ(ReadExrHeader(path).channels[0].type, ExrPixelType::kHalf);
  const cv::Mat back = ReadDepthExr(path);
  ASSERT_EQ(back.type(), CV_32FC1);
  const double error = cv::norm(back, z, cv::NORM_INF);
  EXPECT_GT(error, 0.0);
  EXPECT_LT(error, 0.6 * std::ldexp(1.0, -11));  // half: 11 significant bits, values < 1
}

// A file written by another tool: half RGB, uint ID channel and a data window not at the origin.
TEST(Exr, ForeignFileWithHalfUintAndOffsetDataWindow) {
  const int width = 6, height = 4;
  Imath::Box2i display(Imath::V2i(0, 0), Imath::V2i(19, 9));
  Imath::Box2i data(Imath::V2i(10, 3), Imath::V2i(10 + width - 1, 3 + height - 1));
  Imf::Header header(display, data);
  header.channels().insert("R", Imf::Channel(Imf::HALF));
  header.channels().insert("id", Imf::Channel(Imf::UINT));
  std::vector<half> red(width * height);
  std::vector<uint32_t> id(width * height);
  for (int i = 0; i < width * height; ++i) {
    red[i] = half(0.25f * i);
    id[i] = 1000u + i;
  }
  Imf::FrameBuffer frame;
  const ptrdiff_t origin = -(data.min.x + data.min.y * ptrdiff_t{width});
  frame.insert("R", Imf::Slice(Imf::HALF, reinterpret_cast<char*>(red.data() + origin),
                               sizeof(half), sizeof(half) * width));
  frame.insert("id", Imf::Slice(Imf::UINT, reinterpret_cast<char*>(id.data() + origin),
                                sizeof(uint32_t), sizeof(uint32_t) * width));
  const fs::path path = TmpDir() / "foreign.exr";
  fs::create_directories(TmpDir());
  {
    Imf::OutputFile file(path.c_str(), header);
    file.setFrameBuffer(frame);
    file.writePixels(height);
  }
  const ExrHeaderInfo info = ReadExrHeader(path);
  EXPECT_EQ(info.width, width);
  EXPECT_EQ(info.data_min_x, 10);
  EXPECT_EQ(info.data_min_y, 3);
  EXPECT_EQ(info.display_width, 20);
  const cv::Mat depth = ReadDepthExr(path);  // no Z: falls back to R
  ASSERT_EQ(depth.size(), cv::Size(width, height));
  EXPECT_FLOAT_EQ(depth.at<float>(0, 0), 0.0f);
  EXPECT_FLOAT_EQ(depth.at<float>(1, 2), 0.25f * 8);
  const ExrImage image = ReadExr(path, {"id"});
  EXPECT_FLOAT_EQ(image.Get("id").at<float>(3, 5), 1000.0f + 23);
}

TEST(Exr, CorruptTruncatedAndMissingFilesAreErrorsNamingThePath) {
  const fs::path good = TmpDir() / "good.exr";
  ExrImage image;
  image.Add("Z", TestDepth(64, 64));
  image.Add("distance", TestDepth(64, 64));
  WriteExr(good, image, With(ExrCompression::kNone));
  const std::string bytes = ReadFile(good);

  for (size_t keep : {size_t{0}, size_t{3}, size_t{40}, bytes.size() / 4, bytes.size() / 2,
                      bytes.size() - 100, bytes.size() - 1}) {
    const fs::path cut = TmpDir() / ("cut" + std::to_string(keep) + ".exr");
    WriteFileAtomic(cut, bytes.substr(0, keep));
    ExpectErrorMentioning([&] { ReadExr(cut); }, cut.string());
    ExpectErrorMentioning([&] { ReadDepthExr(cut); }, cut.string());
  }
  // Compressed files cut in half too.
  for (ExrCompression c : {ExrCompression::kZip, ExrCompression::kPiz, ExrCompression::kDwaa}) {
    const fs::path path = TmpDir() / ("c" + ExrCompressionName(c) + ".exr");
    WriteExr(path, image, With(c));
    const std::string full = ReadFile(path);
    WriteFileAtomic(path, full.substr(0, full.size() / 2));
    ExpectErrorMentioning([&] { ReadExr(path); }, path.string());
  }

  std::mt19937 rng(3);
  std::string noise(10000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  const fs::path random = TmpDir() / "random.exr";
  WriteFileAtomic(random, noise);
  ExpectErrorMentioning([&] { ReadExr(random); }, random.string());
  ExpectErrorMentioning([&] { ReadExrHeader(random); }, random.string());
  // Random bytes behind a valid magic number and version.
  WriteFileAtomic(random, bytes.substr(0, 8) + noise);
  ExpectErrorMentioning([&] { ReadExr(random); }, random.string());

  ExpectErrorMentioning([&] { ReadExr(TmpDir() / "missing.exr"); }, "missing.exr");
}

TEST(Exr, DepthChannelChoice) {
  ExrImage image;
  image.Add("A", TestDepth());
  image.Add("B", TestDepth());
  const fs::path path = TmpDir() / "ab.exr";
  WriteExr(path, image);
  ExpectErrorMentioning([&] { ReadDepthExr(path); }, "A, B");
  ExrImage single;
  single.Add("depth", TestDepth());
  WriteExr(TmpDir() / "single.exr", single);
  EXPECT_EQ(cv::norm(ReadDepthExr(TmpDir() / "single.exr"), TestDepth(), cv::NORM_INF), 0.0);
}

TEST(Exr, InvalidImagesAreRefusedAndNothingIsWritten) {
  ExrImage image;
  EXPECT_THROW(image.Add("Z", cv::Mat(4, 4, CV_64FC1)), Error);
  image.Add("Z", cv::Mat(4, 5, CV_32FC1, cv::Scalar(1)));
  EXPECT_THROW(image.Add("distance", cv::Mat(5, 4, CV_32FC1)), Error);
  const fs::path path = TmpDir() / "refused" / "x.exr";
  ExpectErrorMentioning([&] { WriteExr(path, ExrImage{}); }, path.string());
  ExpectErrorMentioning([&] { WriteDepthExr(path, cv::Mat()); }, path.string());
  image.channels.push_back(image.channels[0]);  // duplicate name, bypassing Add
  ExpectErrorMentioning([&] { WriteExr(path, image); }, "duplicate");
  EXPECT_FALSE(fs::exists(path));
  if (fs::exists(path.parent_path())) {
    EXPECT_TRUE(fs::is_empty(path.parent_path()));
  }
}

TEST(Exr, CompressionNames) {
  EXPECT_EQ(ParseExrCompression("ZIP"), ExrCompression::kZip);
  EXPECT_EQ(ParseExrCompression("pxr24"), ExrCompression::kPxr24);
  EXPECT_EQ(ExrCompressionName(ExrCompression::kDwab), "dwab");
  ExpectErrorMentioning([] { ParseExrCompression("lzw"); }, "piz");
}

}  // namespace
}  // namespace synface::core::io
