// Torch-free parts of depth/: metrics (hand-computed values, facial crop, legacy quirks), the
// readers on fixtures written in each dataset's own format, and the pictures / point clouds.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <matio.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/data/dataset.h"
#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/io/mesh.h"
#include "core/testing/testing.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "depth/metrics.h"
#include "depth/readers.h"
#include "depth/toy_data.h"
#include "depth/visualize.h"

namespace synface::depth {
namespace {
namespace fs = std::filesystem;
using core::test_support::ErrorOf;
using core::test_support::TestDir;

cv::Mat Row(std::initializer_list<float> v) {
  cv::Mat m(1, static_cast<int>(v.size()), CV_32F);
  int i = 0;
  for (float x : v) m.at<float>(0, i++) = x;
  return m;
}

// ---- Metrics -------------------------------------------------------------------------------

TEST(Metrics, HandComputedVector) {
  // Digest ch6_7 §3.4: g = [1, 2, 4], d = [1.5, 2, 3].
  const DepthMetrics m = EvaluateDepth(Row({1.5f, 2, 3}), Row({1, 2, 4}));
  EXPECT_NEAR(m.abs_rel, 0.25, 1e-6);
  EXPECT_NEAR(m.sq_rel, 0.166667, 1e-6);
  EXPECT_NEAR(m.rmse, 0.645497, 1e-6);
  EXPECT_NEAR(m.rmse_log, 0.287032, 1e-6);
  EXPECT_NEAR(m.log10, 0.100343, 1e-6);
  EXPECT_NEAR(m.delta1, 1.0 / 3.0, 1e-9);
  EXPECT_NEAR(m.delta2, 1.0, 1e-9);
  EXPECT_NEAR(m.delta3, 1.0, 1e-9);
  EXPECT_NEAR(m.silog, 28.4335, 1e-3);
  // R^2 = 1 - 1.25 / sum (g - 7/3)^2 = 1 - 1.25 / 4.6667; NRMSE = RMSE / (4 - 1).
  EXPECT_NEAR(m.r2, 1 - 1.25 / (14.0 / 3.0), 1e-6);
  EXPECT_NEAR(m.nrmse, 0.645497 / 3.0, 1e-6);
  EXPECT_EQ(m.pixels, 3);
}

TEST(Metrics, InvalidPixelsFacialCropAndClamping) {
  // 0 and NaN ground truth never count; FC keeps g < 0.5 m only.
  const cv::Mat g = Row({0.f, NAN, 0.4f, 0.45f, 1.2f});
  const cv::Mat d = Row({0.3f, 0.3f, 0.44f, 0.45f, 1.0f});
  EXPECT_EQ(EvaluateDepth(d, g).pixels, 3);
  EvalOptions fc;
  fc.facial_crop = true;
  const DepthMetrics m = EvaluateDepth(d, g, fc);
  EXPECT_EQ(m.pixels, 2);
  EXPECT_NEAR(m.abs_rel, (0.04 / 0.4 + 0.0) / 2, 1e-6);
  // Predictions are clamped to [min_depth, max_depth]: a negative one costs as min_depth.
  EvalOptions capped;
  capped.max_depth = 1.0;
  EXPECT_NEAR(EvaluateDepth(Row({-5.f, 7.f}), Row({0.5f, 1.0f}), capped).abs_rel,
              (std::abs(1e-3 - 0.5) / 0.5 + 0.0) / 2, 1e-6);
  EXPECT_CONTAINS(ErrorOf([&] { EvaluateDepth(cv::Mat(), g); }), "empty");
}

TEST(Metrics, PerImageMeanVersusPooledAndResizing) {
  DepthEvaluator e;
  e.Add(Row({2.f}), Row({1.f}));                // AbsRel 1
  e.Add(Row({1.f, 1, 1}), Row({1, 1, 1}));      // AbsRel 0
  EXPECT_NEAR(e.Result().abs_rel, 0.5, 1e-12);  // mean over images
  EXPECT_EQ(e.Result().images, 2);
  EvalOptions pooled;
  pooled.legacy.pooled = true;
  DepthEvaluator p(pooled);
  p.Add(Row({2.f}), Row({1.f}));
  p.Add(Row({1.f, 1, 1}), Row({1, 1, 1}));
  EXPECT_NEAR(p.Result().abs_rel, 0.25, 1e-12);  // over the 4 pixels
  // A half-resolution prediction is up-sampled to the ground truth (correct) ...
  cv::Mat gt(4, 4, CV_32F, cv::Scalar(2.0f)), pred(2, 2, CV_32F, cv::Scalar(2.0f));
  EXPECT_EQ(EvaluateDepth(pred, gt).pixels, 16);
  // ... or the ground truth down-sampled to it (legacy).
  EvalOptions legacy;
  legacy.legacy.gt_to_prediction_size = true;
  EXPECT_EQ(EvaluateDepth(pred, gt, legacy).pixels, 4);
}

TEST(Metrics, LegacyQuirksChangeWhatTheyShould) {
  const cv::Mat d = Row({1.5f, 2, 3}), g = Row({1, 2, 4});
  EvalOptions o;
  o.legacy.swap_arguments = true;  // AbsRel divides by the prediction
  EXPECT_NEAR(EvaluateDepth(d, g, o).abs_rel, (0.5 / 1.5 + 0 + 1.0 / 3.0) / 3, 1e-6);
  EXPECT_NEAR(EvaluateDepth(d, g, o).rmse, 0.645497, 1e-6);  // symmetric metrics unchanged
  o = {};
  o.legacy.rmse_log_no_sqrt = true;
  EXPECT_NEAR(EvaluateDepth(d, g, o).rmse_log, 0.287032 * 0.287032, 1e-6);
  o = {};
  o.legacy.r2_prediction_spread = true;  // sum (d - mean g)^2 = 1.25 here: R^2 = 0
  EXPECT_NEAR(EvaluateDepth(d, g, o).r2, 0.0, 1e-6);
  o = EvalOptions::ForMode("legacy");
  DepthEvaluator e(o);
  e.Add(Row({1.f}), Row({1.f}));   // RMSE 0 (the minimum)
  e.Add(Row({2.f}), Row({1.f}));   // RMSE 1 (the maximum)
  e.Add(Row({1.5f}), Row({1.f}));  // RMSE 0.5
  EXPECT_NEAR(e.Result().nrmse, (0 + 1 + 0.5) / 3, 1e-9);
  EXPECT_TRUE(EvalOptions::ForMode("legacy").legacy.Any());
  EXPECT_FALSE(EvalOptions::ForMode("correct").legacy.Any());
  EXPECT_THROW(EvalOptions::ForMode("nope"), core::Error);
}

// ---- Synthetic datasets ----------------------------------------------------------------------

TEST(Readers, SynthDatasetFromDisk) {
  const fs::path dir = TestDir("toy");
  ToyDatasetOptions o;
  o.count = 5;
  o.width = 40;
  o.height = 30;
  WriteToyDepthDataset(dir, o);
  auto src = OpenDepthSource("auto", dir);
  ASSERT_EQ(src->kind(), "synth");
  ASSERT_EQ(src->size(), 5u);
  const DepthSample s = src->Read(3);
  EXPECT_EQ(s.id, "000003");
  EXPECT_EQ(s.rgb.size(), cv::Size(40, 30));
  EXPECT_EQ(s.depth.type(), CV_32FC1);
  ASSERT_TRUE(s.has_intrinsics);
  EXPECT_NEAR(s.intrinsics.cx, 20.0, 1e-9);
  double lo, hi;
  cv::minMaxLoc(s.depth, &lo, &hi);
  EXPECT_GT(lo, 0.3);
  EXPECT_LT(hi, 2.3);
  EXPECT_EQ(src->Group(3), "s3");
  const DepthSplit split = SplitByGroup(*src, 0.5);
  EXPECT_EQ(split.train.size() + split.test.size(), 5u);
  EXPECT_FALSE(split.test.empty());
  EXPECT_FALSE(split.train.empty());
  EXPECT_FALSE(SplitByGroup(*src, 0.01).test.empty());  // a tiny fraction still tests a subject
  EXPECT_TRUE(SplitByGroup(*src, 0.0).test.empty());
  for (size_t i : split.test) {  // subject-disjoint
    for (size_t j : split.train) EXPECT_NE(src->Group(i), src->Group(j));
  }
  // A dataset without depth is refused, naming what is missing.
  EXPECT_CONTAINS(ErrorOf([&] { SynthDepthDataset(dir / "samples"); }), "dataset.toml");
}

TEST(Readers, SampleJsonIntrinsics) {
  auto k = IntrinsicsFromSampleJson(
      R"({"intrinsics": {"fx": 400, "fy": 400, "cx": 320, "cy": 240, "width": 640,
          "height": 480}})",
      "a.json", 320, 240);
  ASSERT_TRUE(k.has_value());
  EXPECT_NEAR(k->fx, 200.0, 1e-9);  // rescaled to the map's size
  EXPECT_NEAR(k->cx, 160.0, 1e-9);
  auto k2 = IntrinsicsFromSampleJson(R"({"K": [[500, 0, 10], [0, 501, 20], [0, 0, 1]]})", "b.json",
                                     20, 40);
  EXPECT_NEAR(k2->fy, 501.0, 1e-9);
  // synth's records: camera.intrinsics (preferred, rescaled) beside camera.K.
  auto k3 = IntrinsicsFromSampleJson(
      R"({"camera": {"K": [[100, 0, 80], [0, 100, 60], [0, 0, 1]], "intrinsics": {"cx": 80.0,
          "cy": 60.0, "fx": 100.0, "fy": 100.0, "height": 120, "width": 160}}})",
      "s.json", 80, 60);
  ASSERT_TRUE(k3.has_value());
  EXPECT_NEAR(k3->fx, 50.0, 1e-9);
  EXPECT_NEAR(k3->cy, 30.0, 1e-9);
  EXPECT_CONTAINS(
      ErrorOf([] { IntrinsicsFromSampleJson(R"({"camera": {"K": [1, 2]}})", "f.json", 2, 2); }),
      "camera.K");
  EXPECT_FALSE(IntrinsicsFromSampleJson(R"({"pose": 1})", "c.json", 2, 2).has_value());
  EXPECT_CONTAINS(ErrorOf([] { IntrinsicsFromSampleJson("{", "d.json", 2, 2); }), "d.json");
  EXPECT_CONTAINS(
      ErrorOf([] { IntrinsicsFromSampleJson(R"({"intrinsics": {"fx": 1}})", "e.json", 2, 2); }),
      "intrinsics.fy");
}

// A dataset exactly as synth writes it (synth/README.md "Files of a sample", synth/labels):
// dataset.toml with the generator config, manifest columns without "subject" here (subject =
// id / head.samples_per_subject), and label records whose intrinsics live under camera.K only.
TEST(Readers, SynthFormatWithoutSubjectColumn) {
  const fs::path dir = TestDir("synth_format");
  core::data::DatasetInfo info;
  info.generator = "synth";
  info.generator_version = "1.0";
  info.count = 6;
  info.labels = {"rgb", "depth", "intrinsics"};
  info.files = {"rgb.png", "depth.exr", "mask.png", "json"};
  info.manifest_columns = {"yaw_deg", "pitch_deg", "roll_deg", "background"};
  info.config = toml::table{{"head", toml::table{{"samples_per_subject", 2}}},
                            {"camera", toml::table{{"width", 8}, {"height", 6}}}};
  core::data::ShardWriter writer(dir, info, core::data::Shard::All());
  for (uint64_t id : writer.Pending()) {
    core::io::WriteImage(writer.SamplePath(id, "rgb.png"), cv::Mat(6, 8, CV_8UC3, cv::Scalar(9)));
    core::io::WriteDepthExr(writer.SamplePath(id, "depth.exr"),
                            cv::Mat(6, 8, CV_32F, cv::Scalar(0.3f + 0.01f * id)));
    core::io::WriteImage(writer.SamplePath(id, "mask.png"), cv::Mat(6, 8, CV_8UC1, cv::Scalar(1)));
    core::WriteFileAtomic(writer.SamplePath(id, "json"),
                          R"({"schema": "synface.synth.sample/1", "camera": {"K": [[5.0, 0.0, 4.0],
                              [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]], "near_m": 0.01}})");
    writer.Commit(
        id,
        {{"yaw_deg", "0.0"}, {"pitch_deg", "0.0"}, {"roll_deg", "0.0"}, {"background", "plain"}});
  }
  core::data::Finalize(dir);
  SynthDepthDataset src(dir);
  ASSERT_EQ(src.size(), 6u);
  EXPECT_EQ(src.Group(0), "0");
  EXPECT_EQ(src.Group(1), "0");
  EXPECT_EQ(src.Group(2), "1");
  EXPECT_EQ(src.Group(5), "2");
  const DepthSample s = src.Read(4);
  ASSERT_TRUE(s.has_intrinsics);
  EXPECT_NEAR(s.intrinsics.fx, 5.0, 1e-12);
  EXPECT_NEAR(s.intrinsics.fy, 6.0, 1e-12);
  EXPECT_NEAR(s.intrinsics.cx, 4.0, 1e-12);
  EXPECT_NEAR(s.depth.at<float>(2, 3), 0.34f, 1e-6);
  const DepthSplit split = SplitByGroup(src, 0.34);
  ASSERT_FALSE(split.test.empty());
  ASSERT_FALSE(split.train.empty());
  for (size_t i : split.test) {  // whole subjects (pairs of ids) go to one side
    for (size_t j : split.train) EXPECT_NE(src.Group(i), src.Group(j));
  }
  EXPECT_EQ(split.test.size() % 2, 0u);
}

// ---- NYU Depth v2 (MATLAB v7.3 through matio) -------------------------------------------------

void WriteNyuFixture(const fs::path& path, int h, int w, int n, mat_ft version) {
  mat_t* mat = Mat_CreateVer(path.string().c_str(), nullptr, version);
  ASSERT_NE(mat, nullptr) << "matio cannot create " << path;
  std::vector<uint8_t> images(static_cast<size_t>(h) * w * 3 * n);
  std::vector<float> depths(static_cast<size_t>(h) * w * n);
  // Column-major: images(r, c, ch, k) = 10 k + ch + (r + c) % 7; depths(r, c, k) = k + r/10 +
  // c/100.
  for (int k = 0; k < n; ++k) {
    for (int ch = 0; ch < 3; ++ch) {
      for (int c = 0; c < w; ++c) {
        for (int r = 0; r < h; ++r) {
          images[r + h * (c + w * (ch + 3 * k))] = static_cast<uint8_t>(10 * k + ch + (r + c) % 7);
        }
      }
    }
    for (int c = 0; c < w; ++c) {
      for (int r = 0; r < h; ++r) depths[r + h * (c + w * k)] = 1.0f + k + r / 10.0f + c / 100.0f;
    }
  }
  size_t idims[4] = {static_cast<size_t>(h), static_cast<size_t>(w), 3, static_cast<size_t>(n)};
  size_t ddims[3] = {static_cast<size_t>(h), static_cast<size_t>(w), static_cast<size_t>(n)};
  matvar_t* vi = Mat_VarCreate("images", MAT_C_UINT8, MAT_T_UINT8, 4, idims, images.data(), 0);
  matvar_t* vd = Mat_VarCreate("depths", MAT_C_SINGLE, MAT_T_SINGLE, 3, ddims, depths.data(), 0);
  ASSERT_EQ(Mat_VarWrite(mat, vi, MAT_COMPRESSION_NONE), 0);
  ASSERT_EQ(Mat_VarWrite(mat, vd, MAT_COMPRESSION_NONE), 0);
  Mat_VarFree(vi);
  Mat_VarFree(vd);
  Mat_Close(mat);
}

TEST(Readers, NyuLabelledMatV73) {
  const fs::path dir = TestDir("nyu");
  const fs::path file = dir / "nyu_depth_v2_labeled.mat";
  WriteNyuFixture(file, 6, 8, 3, MAT_FT_MAT73);
  // v7.3 is an HDF5 file: the signature proves matio wrote the HDF5 flavour.
  const std::string bytes = core::ReadFile(file);
  ASSERT_GT(bytes.size(), 520u);
  EXPECT_EQ(bytes.substr(512, 4), "\x89HDF");
  auto src = OpenDepthSource("auto", file);
  ASSERT_EQ(src->kind(), "nyu");
  ASSERT_EQ(src->size(), 3u);
  const DepthSample s = src->Read(2);
  EXPECT_EQ(s.id, "0003");
  ASSERT_EQ(s.rgb.size(), cv::Size(8, 6));
  // Row 4, column 5 of frame index 2: R = 20 + 0 + 9 % 7 = 22, G = 23, B = 24 (stored BGR).
  EXPECT_EQ(s.rgb.at<cv::Vec3b>(4, 5), cv::Vec3b(24, 23, 22));
  EXPECT_NEAR(s.depth.at<float>(4, 5), 3.0f + 0.4f + 0.05f, 1e-6);
  EXPECT_TRUE(s.has_intrinsics);
  EXPECT_NEAR(s.intrinsics.fx, 518.8579 * 8 / 640, 1e-5);  // rescaled to the 8x6 fixture
  EXPECT_THROW(src->Read(3), core::Error);
  // The same content in a v5 file reads identically.
  WriteNyuFixture(dir / "v5.mat", 6, 8, 3, MAT_FT_MAT5);
  const DepthSample s5 = NyuDepthV2Reader(dir / "v5.mat").Read(2);
  EXPECT_EQ(cv::norm(s5.depth, s.depth, cv::NORM_INF), 0.0);
  EXPECT_CONTAINS(ErrorOf([&] { NyuDepthV2Reader(dir / "missing.mat"); }), "missing.mat");
  core::WriteFileAtomic(dir / "junk.mat", "not a mat file at all");
  EXPECT_CONTAINS(ErrorOf([&] { NyuDepthV2Reader(dir / "junk.mat"); }), "junk.mat");
}

// ---- Biwi ------------------------------------------------------------------------------------

void WriteCal(const fs::path& path, const std::string& k, const std::string& t) {
  core::WriteFileAtomic(path, k + "\n\n0 0 0 0\n\n1 0 0\n0 1 0\n0 0 1\n\n" + t + "\n");
}

TEST(Readers, BiwiDepthBinCalibrationAndRegistration) {
  const fs::path root = TestDir("biwi");
  fs::create_directories(root / "01");
  cv::Mat depth(6, 8, CV_32F, cv::Scalar(0));
  depth(cv::Rect(2, 1, 4, 3)).setTo(0.9f);
  depth.at<float>(5, 7) = 1.234f;
  WriteBiwiDepthBin(root / "01" / "frame_00003_depth.bin", depth);
  const cv::Mat back = ReadBiwiDepthBin(root / "01" / "frame_00003_depth.bin");
  EXPECT_EQ(cv::norm(back, depth, cv::NORM_INF) < 1e-6, true);
  // The exact byte layout: width, height, then {empty, full, values...} runs.
  const std::string bytes = core::ReadFile(root / "01" / "frame_00003_depth.bin");
  int32_t head[4];
  std::memcpy(head, bytes.data(), 16);
  EXPECT_EQ(head[0], 8);
  EXPECT_EQ(head[1], 6);
  EXPECT_EQ(head[2], 10);  // row 0 (8) + 2 pixels of row 1 are empty
  EXPECT_EQ(head[3], 4);
  // Truncated and inconsistent files are refused with the byte offset.
  core::WriteFileAtomic(root / "cut.bin", bytes.substr(0, bytes.size() - 3));
  EXPECT_CONTAINS(ErrorOf([&] { ReadBiwiDepthBin(root / "cut.bin"); }), "truncated");
  std::string bad = bytes;
  const int32_t huge = 1000;
  std::memcpy(&bad[8], &huge, 4);
  core::WriteFileAtomic(root / "bad.bin", bad);
  EXPECT_CONTAINS(ErrorOf([&] { ReadBiwiDepthBin(root / "bad.bin"); }), "bad run");

  WriteCal(root / "01" / "depth.cal", "575.816 0 320\n0 575.816 240\n0 0 1", "0 0 0");
  WriteCal(root / "01" / "rgb.cal", "517.679 0 320\n0 517.679 240.5\n0 0 1",
           "-24.0198 5.8896 -13.2308");
  const BiwiCalibration c = ReadBiwiCalibration(root / "01" / "rgb.cal");
  EXPECT_NEAR(c.K(1, 2), 240.5, 1e-12);
  EXPECT_NEAR(c.t.x(), -24.0198, 1e-12);
  EXPECT_NEAR(c.Intrinsics().cx, 320.5, 1e-12);
  core::WriteFileAtomic(root / "short.cal", "1 2 3\n");
  EXPECT_CONTAINS(ErrorOf([&] { ReadBiwiCalibration(root / "short.cal"); }), "25 numbers");

  cv::Mat rgb(6, 8, CV_8UC3, cv::Scalar(10, 20, 30));
  core::io::WriteImage(root / "01" / "frame_00003_rgb.png", rgb);
  BiwiDepthReader reader(root);
  ASSERT_EQ(reader.size(), 1u);
  const DepthSample s = reader.Read(0);
  EXPECT_EQ(s.id, "01/frame_00003");
  EXPECT_FALSE(s.registered);
  EXPECT_NEAR(s.intrinsics.fx, 575.816, 1e-9);
  EXPECT_EQ(reader.Group(0), "01");
  // Registration: same camera with identity extrinsics reproduces the map.
  core::geometry::Intrinsics k{5.0, 5.0, 4.0, 3.0, 8, 6};
  const cv::Mat same =
      ReprojectDepth(depth, k, k, Eigen::Matrix3d::Identity(), Eigen::Vector3d::Zero());
  EXPECT_LT(cv::norm(same, depth, cv::NORM_INF), 1e-6);
  // A 0.18 m shift along x at 0.9 m depth moves the patch by f * 0.18 / 0.9 = 1 px.
  const cv::Mat moved =
      ReprojectDepth(depth, k, k, Eigen::Matrix3d::Identity(), Eigen::Vector3d(0.18, 0, 0));
  EXPECT_NEAR(moved.at<float>(1, 3), 0.9f, 1e-6);  // x 2 -> 3 (one pixel right)
  EXPECT_EQ(moved.at<float>(1, 2), 0.0f);
  BiwiOptions reg;
  reg.register_to_rgb = true;
  EXPECT_TRUE(BiwiDepthReader(root, reg).Read(0).registered);
  EXPECT_CONTAINS(ErrorOf([&] { BiwiDepthReader(root / "nothing"); }), "nothing");
}

// ---- Pandora and EURECOM ---------------------------------------------------------------------

TEST(Readers, PandoraSequences) {
  const fs::path root = TestDir("pandora");
  const fs::path seq = root / "01" / "base_1_ID_01";
  fs::create_directories(seq / "RGB");
  fs::create_directories(seq / "DEPTH");
  cv::Mat d16(4, 5, CV_16U, cv::Scalar(0));
  d16.at<uint16_t>(2, 3) = 812;
  core::io::WriteImage(seq / "DEPTH" / "000007_DEPTH.png", d16);
  core::io::WriteImage(seq / "RGB" / "000007_RGB.png",
                       cv::Mat(8, 10, CV_8UC3, cv::Scalar(1, 2, 3)));
  PandoraReader reader(root);
  ASSERT_EQ(reader.size(), 1u);
  const DepthSample s = reader.Read(0);
  EXPECT_EQ(s.id, "01/base_1_ID_01/000007");
  EXPECT_NEAR(s.depth.at<float>(2, 3), 0.812f, 1e-6);
  EXPECT_FALSE(s.registered);  // different sensors' sizes
  EXPECT_FALSE(s.has_intrinsics);
  core::io::WriteImage(seq / "DEPTH" / "000008_DEPTH.png", d16);
  PandoraReader two(root);
  EXPECT_CONTAINS(ErrorOf([&] { two.Read(1); }), "000008_RGB.png");
}

TEST(Readers, EurecomDepthText) {
  const fs::path root = TestDir("eurecom");
  const fs::path s1 = root / "0001" / "s1";
  fs::create_directories(s1 / "RGB");
  fs::create_directories(s1 / "Depth" / "DepthKinect");
  core::io::WriteImage(s1 / "RGB" / "rgb_0001_s1_Smile.bmp",
                       cv::Mat(256, 256, CV_8UC3, cv::Scalar(9)));
  std::string txt;
  for (int y = 74; y < 74 + 256; y += 64) {
    for (int x = 192; x < 192 + 256; x += 64) txt += fmt::format("{} {} {}\n", x, y, 700 + x - 192);
  }
  core::WriteFileAtomic(s1 / "Depth" / "DepthKinect" / "depth_0001_s1_Smile.txt", txt);
  EurecomReader reader(root);
  ASSERT_EQ(reader.size(), 1u);
  const DepthSample s = reader.Read(0);
  EXPECT_EQ(s.id, "0001/s1/Smile");
  EXPECT_NEAR(s.depth.at<float>(64, 128), 0.828f, 1e-6);  // x = 320 -> 700 + 128 mm
  EXPECT_EQ(s.depth.at<float>(1, 1), 0.0f);
  EXPECT_TRUE(s.intrinsics_nominal);
  EXPECT_NEAR(s.intrinsics.cx, 128.0, 1e-12);
  core::WriteFileAtomic(root / "bad.txt", "192 74 700\n10 10 600\n");
  EXPECT_CONTAINS(ErrorOf([&] { ReadEurecomDepthText(root / "bad.txt"); }), "bad.txt:2");
  core::WriteFileAtomic(root / "bad2.txt", "192 74\n");
  EXPECT_CONTAINS(ErrorOf([&] { ReadEurecomDepthText(root / "bad2.txt"); }), "bad2.txt:1");
}

TEST(Readers, ImageFoldersAndUnknownKinds) {
  const fs::path dir = TestDir("images");
  core::io::WriteImage(dir / "b.png", cv::Mat(3, 4, CV_8UC3, cv::Scalar(1)));
  core::io::WriteImage(dir / "a.jpg", cv::Mat(3, 4, CV_8UC3, cv::Scalar(1)));
  core::WriteFileAtomic(dir / "notes.txt", "x");
  auto src = OpenDepthSource("auto", dir);
  ASSERT_EQ(src->size(), 2u);
  EXPECT_EQ(src->Read(0).id, "a");
  EXPECT_TRUE(src->Read(1).depth.empty());
  EXPECT_CONTAINS(ErrorOf([&] { OpenDepthSource("kinect", dir); }), "kinect");
  EXPECT_CONTAINS(ErrorOf([&] { OpenDepthSource("images", dir / "none"); }), "none");
}

// ---- Pictures and point clouds -----------------------------------------------------------------

TEST(Visualize, ColourMapPanelAndPointCloud) {
  cv::Mat d = (cv::Mat_<float>(1, 3) << 0.5f, 1.0f, 0.0f);
  const cv::Mat c = ColorizeDepth(d);
  ASSERT_EQ(c.type(), CV_8UC3);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 2), cv::Vec3b(0, 0, 0));  // no surface: black
  const auto bright = [&](int x) {
    const auto v = c.at<cv::Vec3b>(0, x);
    return v[0] + v[1] + v[2];
  };
  EXPECT_GT(bright(0), bright(1));  // nearer is brighter
  const cv::Mat rgb(1, 3, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_EQ(DepthPanel(rgb, d, d).size(), cv::Size(12, 1));
  EXPECT_EQ(DepthPanel(rgb, cv::Mat(), d).size(), cv::Size(6, 1));

  const fs::path dir = TestDir("ply");
  const core::geometry::Intrinsics k{2.0, 2.0, 1.5, 0.5, 3, 1};
  WriteDepthPly(dir / "c.ply", d, k, rgb);
  const core::io::PointCloud cloud = core::io::ReadPlyVertices(dir / "c.ply");
  ASSERT_EQ(cloud.points.size(), 2u);
  // Pixel (0, 0): centre (0.5, 0.5) -> x = (0.5 - 1.5) / 2 * 0.5 = -0.25, y = 0, z = 0.5.
  EXPECT_NEAR(cloud.points[0].x(), -0.25f, 1e-6);
  EXPECT_NEAR(cloud.points[0].y(), 0.0f, 1e-6);
  EXPECT_NEAR(cloud.points[0].z(), 0.5f, 1e-6);
  EXPECT_EQ(cloud.colors[0], core::io::Rgb8(3, 2, 1));  // BGR in, RGB out
  // A half-resolution map uses the intrinsics rescaled to its own grid.
  EXPECT_EQ(BackProject(cv::Mat(1, 2, CV_32F, cv::Scalar(1.0f)),
                        core::geometry::Intrinsics{2, 2, 2, 1, 4, 2})
                .points.size(),
            2u);
  EXPECT_CONTAINS(
      ErrorOf([&] { WriteDepthPly(dir / "e.ply", cv::Mat(2, 2, CV_32F, cv::Scalar(0)), k); }),
      "e.ply");
}

}  // namespace
}  // namespace synface::depth
