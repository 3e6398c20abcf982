#include "synth/render/outputs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "synth/render/primitives.h"

namespace synface::synth::render {
namespace {
namespace fs = std::filesystem;

fs::path TempDir() { return fs::path(std::getenv("TEST_TMPDIR")); }

RenderOutput RenderSphere(bool depth_only) {
  static Scene* scene = [] {
    auto* s = new Scene();
    Material skin;
    skin.part = PartLabel::kSkin;
    s->AddMesh(MeshDescFromMesh(MakeUvSphere({0, 0, 1}, 0.2f, 12, 24), {skin}));
    s->Commit();
    return s;
  }();
  Camera camera;
  camera.intrinsics.fx = camera.intrinsics.fy = 40;
  camera.intrinsics.cx = 16;
  camera.intrinsics.cy = 12;
  camera.intrinsics.width = 32;
  camera.intrinsics.height = 24;
  Lighting lighting;
  lighting.lights.push_back(Light::Point({0.3, -0.3, 0}, 20));
  RenderSettings settings;
  settings.samples_per_pixel = 1;
  settings.depth_only = depth_only;
  return Render(*scene, camera, lighting, settings);
}

TEST(Outputs, FilesHoldExactlyWhatWasRendered) {
  const RenderOutput out = RenderSphere(false);
  WriteRgb(TempDir() / "a" / "000001.rgb.png", out);
  WriteDepthExr(TempDir() / "a" / "000001.depth.exr", out);
  WriteMask(TempDir() / "a" / "000001.mask.png", out);

  const cv::Mat rgb = core::io::ReadImage(TempDir() / "a" / "000001.rgb.png");
  EXPECT_EQ(cv::norm(rgb, out.rgb, cv::NORM_INF), 0);
  const cv::Mat mask =
      core::io::ReadImage(TempDir() / "a" / "000001.mask.png", core::io::ImageReadMode::kUnchanged);
  ASSERT_EQ(mask.type(), CV_8UC1);
  EXPECT_EQ(cv::norm(mask, out.mask, cv::NORM_INF), 0);
  EXPECT_GT(cv::countNonZero(mask == 1), 50);

  const core::io::ExrImage exr = core::io::ReadExr(TempDir() / "a" / "000001.depth.exr");
  EXPECT_EQ(cv::norm(exr.Get("Z"), out.depth, cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(exr.Get("distance"), out.distance, cv::NORM_INF), 0);
  EXPECT_EQ(exr.attributes.at("synface.units"), "metres");
  // The project's depth reader finds the Z channel.
  EXPECT_EQ(cv::norm(core::io::ReadDepthExr(TempDir() / "a" / "000001.depth.exr"), out.depth,
                     cv::NORM_INF),
            0);
}

TEST(Outputs, InMemoryEncodingsAreTheFilesBytes) {
  const RenderOutput out = RenderSphere(false);
  const fs::path dir = TempDir() / "enc";
  core::io::ImageWriteOptions png;
  png.png_compression = 6;
  WriteRgb(dir / "x.rgb.png", out, png);
  WriteMask(dir / "x.mask.png", out);
  EXPECT_EQ(EncodeRgb(".png", out, png), core::ReadFile(dir / "x.rgb.png"));
  EXPECT_EQ(EncodeMask(out), core::ReadFile(dir / "x.mask.png"));
  for (const char* name : {"none", "rle", "zips", "zip", "piz"}) {
    core::io::ExrWriteOptions exr;
    exr.compression = core::io::ParseExrCompression(name);
    const fs::path path = dir / (std::string(name) + ".depth.exr");
    WriteDepthExr(path, out, exr);
    EXPECT_EQ(EncodeDepthExr(out, exr), core::ReadFile(path)) << name;
  }
  core::io::ExrWriteOptions half;
  half.pixel_type = core::io::ExrPixelType::kHalf;
  EXPECT_THROW(EncodeDepthExr(out, half), core::Error);
  EXPECT_THROW(EncodeRgb(".png", RenderSphere(true)), core::Error);
}

TEST(Outputs, DepthOnlyRendersHaveNoRgbToWrite) {
  const RenderOutput out = RenderSphere(true);
  EXPECT_THROW(WriteRgb(TempDir() / "b.png", out), core::Error);
  WriteDepthExr(TempDir() / "b.exr", out);
  EXPECT_TRUE(fs::exists(TempDir() / "b.exr"));
}

TEST(Outputs, PreviewsColourLabelsAndDepth) {
  const RenderOutput out = RenderSphere(true);
  const cv::Mat mask = ColorizeMask(out.mask);
  EXPECT_EQ(mask.at<cv::Vec3b>(12, 16), PartLabelColor(PartLabel::kSkin));
  EXPECT_EQ(mask.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  const cv::Mat depth = ColorizeDepth(out.depth);
  EXPECT_EQ(depth.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));  // no surface
  // The sphere's centre is nearer than its rim: brighter.
  const cv::Vec3b centre = depth.at<cv::Vec3b>(12, 16), rim = depth.at<cv::Vec3b>(12, 9);
  EXPECT_GT(centre[0] + centre[1] + centre[2], rim[0] + rim[1] + rim[2]);
  EXPECT_THROW(ColorizeDepth(out.mask), core::Error);
}

}  // namespace
}  // namespace synface::synth::render
