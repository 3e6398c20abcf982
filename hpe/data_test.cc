// Readers (each on a fixture written here in the dataset's own format), FSA-Net's crop rules,
// the metrics and angle filters, the splits, and the torch-free DA pieces — all checked against
// hand-computed answers.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <matio.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/io/image.h"
#include "core/testing/testing.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "hpe/da_sampling.h"
#include "hpe/evaluation.h"
#include "hpe/pose_data.h"
#include "hpe/protocols.h"
#include "hpe/readers.h"

namespace synface::hpe {
namespace {
namespace fs = std::filesystem;
using core::test_support::ErrorOf;
using core::test_support::TestDir;
namespace geo = core::geometry;
using Eigen::Vector2d;
using Eigen::Vector3d;
using Eigen::Vector4d;

void ExpectPoseNear(const geo::HeadPose& a, const geo::HeadPose& b, double tol = 1e-9) {
  EXPECT_NEAR(a.yaw, b.yaw, tol);
  EXPECT_NEAR(a.pitch, b.pitch, tol);
  EXPECT_NEAR(a.roll, b.roll, tol);
}

// An image whose pixel (x, y) has colour (x mod 256, y mod 256, 77): crops are recognisable.
cv::Mat Gradient(int w, int h) {
  cv::Mat im(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) im.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, 77);
  }
  return im;
}

// ---- crop rules
// ----------------------------------------------------------------------------------

TEST(Crop, LandmarkBoxFollowsTheType1Script) {
  // x_min = int(10.7) = 10, x_max = int(50.9) = 50, y: 20 / 80; w = 40, h = 60, ad = 0.1:
  // x0 = int(10 - 4) = 6, x1 = int(50 + 4) = 54, y0 = int(20 - 6) = 14, y1 = int(80 + 6) = 86.
  const std::vector<Vector2d> pts = {{10.7, 20.2}, {50.9, 80.6}, {30, 40}};
  EXPECT_EQ(FsaNetLandmarkBox(pts, 0.1, 100, 120), (PixelBox{6, 14, 54, 86}));
  // ad = 0.6 clips: x0 = max(int(10 - 24), 0) = 0, x1 = min(74, 99), y0 = 0, y1 = min(116, 119).
  EXPECT_EQ(FsaNetLandmarkBox(pts, 0.6, 100, 120), (PixelBox{0, 0, 74, 116}));
  // ... and to W - 1 / H - 1 at the far side (the script's exclusive end drops the last pixel).
  EXPECT_EQ(FsaNetLandmarkBox(pts, 0.6, 60, 90), (PixelBox{0, 0, 59, 89}));
}

TEST(Crop, LandmarkBoxUsesTheScriptsMaskForNegativePoints) {
  // Equal counts of x > 0 and y > 0: the x mask, which keeps (5, -3): y_min = -3.
  const std::vector<Vector2d> equal = {{10, 20}, {50, 80}, {5, -3}, {-2, 30}};
  // x 5..50 (w 45), y -3..80 (h 83), ad 0: box [5, 50) x [0, 80) after clipping y0.
  EXPECT_EQ(FsaNetLandmarkBox(equal, 0.0, 200, 200), (PixelBox{5, 0, 50, 80}));
  // More x > 0 than y > 0: the y mask drops (5, -3): x 10..50, y 20..80.
  const std::vector<Vector2d> more_x = {{10, 20}, {50, 80}, {5, -3}};
  EXPECT_EQ(FsaNetLandmarkBox(more_x, 0.0, 200, 200), (PixelBox{10, 20, 50, 80}));
  EXPECT_CONTAINS(ErrorOf([] { FsaNetLandmarkBox({{-1, -1}}, 0.6, 10, 10, "x.mat"); }), "x.mat");
}

TEST(Crop, DetectionBoxFollowsTheBiwiScript) {
  // x1 = 100.5, w = 80, ad = 0.4: xw1 = int(68.5) = 68, xw2 = int(212.5) = 212 -> [68, 213);
  // y1 = 50.2, h = 100: yw1 = int(10.2) = 10, yw2 = int(190.2) = 190 -> [10, 191).
  EXPECT_EQ(FsaNetDetectionBox(Vector4d(100.5, 50.2, 80, 100), 0.4, 640, 480),
            (PixelBox{68, 10, 213, 191}));
  // Clipped: xw2 = min(int(650), 639) = 639 -> end 640.
  EXPECT_EQ(FsaNetDetectionBox(Vector4d(600, 400, 50, 50), 0.0, 640, 480),
            (PixelBox{600, 400, 640, 451}));
  EXPECT_CONTAINS(ErrorOf([] { FsaNetDetectionBox(Vector4d(0, 0, -1, 5), 0.4, 64, 64, "f"); }),
                  "not a box");
}

TEST(Crop, CropAndResizeTakesTheBox) {
  const cv::Mat im = Gradient(200, 100);
  const cv::Mat c = CropAndResize(im, PixelBox{40, 10, 80, 50}, 40);  // 40x40 -> 40x40: exact
  ASSERT_EQ(c.rows, 40);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 0), cv::Vec3b(40, 10, 77));
  EXPECT_EQ(c.at<cv::Vec3b>(39, 39), cv::Vec3b(79, 49, 77));
  EXPECT_THROW(CropAndResize(im, PixelBox{190, 0, 210, 10}, 8), core::Error);
}

// ---- synface dataset reader
// ----------------------------------------------------------------------

TEST(SynthReader, ReadsPoseFromRAndCropsFromLandmarks) {
  const fs::path dir = TestDir("synth");
  core::data::DatasetInfo info;
  info.generator = "hpe_test";
  info.generator_version = "1";
  info.count = 3;
  info.seed = 5;
  info.labels = {"rgb", "pose", "landmarks"};
  info.files = {"rgb.png", "json"};
  const geo::HeadPose poses[3] = {geo::HeadPoseFromDegrees(30, -10, 5),
                                  geo::HeadPoseFromDegrees(-60, 20, -15),
                                  geo::HeadPoseFromDegrees(0, 0, 40)};
  {
    core::data::ShardWriter writer(dir, info, core::data::Shard::All());
    for (uint64_t id : writer.Pending()) {
      core::io::WriteImage(writer.SamplePath(id, "rgb.png"), Gradient(160, 120));
      const Eigen::Matrix3d r = geo::RotationFromHeadPose(poses[id]);
      std::string lm;
      // Landmarks spanning x 40..80, y 30..90 (with 68 points as the generator writes them).
      for (int k = 0; k < 68; ++k) {
        lm += fmt::format("{}[{}, {}, 1]", k ? ", " : "", 40 + (k % 5) * 10, 30 + (k % 7) * 10);
      }
      const std::string json = fmt::format(
          R"({{"id": {}, "identity": {}, "head_pose": {{"R": [[{:.17g}, {:.17g}, {:.17g}], )"
          R"([{:.17g}, {:.17g}, {:.17g}], [{:.17g}, {:.17g}, {:.17g}]], "t": [0, 0, 0.5]}}, )"
          R"("landmarks_2d": [{}]}})",
          id, id == 2 ? 7 : 3, r(0, 0), r(0, 1), r(0, 2), r(1, 0), r(1, 1), r(1, 2), r(2, 0),
          r(2, 1), r(2, 2), lm);
      core::WriteFileAtomic(writer.SamplePath(id, "json"), json);
      writer.Commit(id);
    }
  }
  core::data::Finalize(dir);
  const std::vector<PoseRecord> records = ReadSynthDataset(dir);
  ASSERT_EQ(records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ExpectPoseNear(records[i].pose, poses[i], 1e-12);
    EXPECT_EQ(records[i].crop, CropKind::kLandmarks);
    EXPECT_EQ(records[i].landmarks.size(), 68u);
  }
  EXPECT_EQ(records[0].name, "000000");
  EXPECT_EQ(records[2].group, 7);
  // Landmark box x 40..80 (w 40), y 30..90 (h 60), ad 0.6 -> [16, 104) x [0, 119) in 160x120.
  EXPECT_EQ(records[0].CropBox(160, 120), (PixelBox{16, 0, 104, 119}));

  LoadOptions load;
  load.size = 16;
  load.threads = 2;
  load.show_progress = false;
  const PoseSet set = LoadPoseSet(records, load);
  ASSERT_EQ(set.count(), 3u);
  EXPECT_EQ(set.images[0].rows, 16);
  EXPECT_NEAR(set.labels[1][0], -60, 1e-9);  // degrees [yaw, pitch, roll]
  EXPECT_NEAR(set.labels[1][1], 20, 1e-9);
  EXPECT_NEAR(set.labels[1][2], -15, 1e-9);
  EXPECT_EQ(set.images[0].at<cv::Vec3b>(0, 0)[2], 77);  // red channel is constant in the fixture

  // The cache file round-trips exactly.
  SavePoseSet(dir / "cache.bin", set);
  const PoseSet back = ReadPoseSet(dir / "cache.bin");
  ASSERT_EQ(back.count(), 3u);
  EXPECT_EQ(back.names, set.names);
  EXPECT_EQ(back.groups, set.groups);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.labels[i], set.labels[i]);
    EXPECT_EQ(cv::norm(back.images[i], set.images[i], cv::NORM_INF), 0);
  }
}

TEST(SynthReader, DefaultKeysAreSynthsLabelFields) {
  // The layout synth/labels writes (trimmed): head_pose.R/t, landmarks_68.xy, camera.K (and the
  // intrinsics object beside it), head.subject.
  std::string xy;
  for (int k = 0; k < 68; ++k) xy += fmt::format("{}[{}, {}]", k ? ", " : "", 10 + k, 20 + k);
  const SynthLabel l = ParseSynthLabel(
      fmt::format(R"({{"head_pose": {{"R": [[1,0,0],[0,1,0],[0,0,1]], "t": [0, 0.01, 0.3],
          "yaw_deg": 0}}, "camera": {{"K": [[120, 0, 96], [0, 121, 72], [0, 0, 1]],
          "intrinsics": {{"fx": 1, "fy": 1, "cx": 0, "cy": 0}}}},
          "landmarks_68": {{"count": 68, "xy": [{}]}}, "head": {{"subject": 42}}}})",
                  xy),
      "000000.json");
  ASSERT_EQ(l.landmarks.size(), 68u);
  EXPECT_EQ(l.landmarks[67].x(), 77);
  ASSERT_TRUE(l.intrinsics.has_value());
  EXPECT_EQ((*l.intrinsics)(1, 1), 121);  // camera.K, not the object beside it
  ASSERT_TRUE(l.translation.has_value());
  EXPECT_EQ(l.translation->z(), 0.3);
  EXPECT_EQ(l.group, 42);
}

TEST(SynthReader, NamesTheFileOfABadLabel) {
  EXPECT_CONTAINS(ErrorOf([] { ParseSynthLabel(R"({"pose": {}})", "s/000004.json"); }),
                  "s/000004.json: no head rotation");
  EXPECT_CONTAINS(ErrorOf([] { ParseSynthLabel(R"({"R": [[1,0,0],[0,1,0],[0,0,2]]})", "a.json"); }),
                  "not a rotation");
  EXPECT_CONTAINS(ErrorOf([] { ParseSynthLabel("{", "b.json"); }), "b.json: not valid JSON");
  // Intrinsics as an object, translation, flat landmarks.
  const SynthLabel l = ParseSynthLabel(
      R"({"R": [1,0,0, 0,1,0, 0,0,1], "t": [0.01, 0, 0.4],
          "intrinsics": {"fx": 400, "fy": 410, "cx": 320, "cy": 240},
          "landmarks_2d": [1, 2, 3, 4]})",
      "c.json");
  EXPECT_EQ(l.landmarks.size(), 2u);
  ASSERT_TRUE(l.intrinsics.has_value());
  EXPECT_EQ((*l.intrinsics)(1, 1), 410);
  ASSERT_TRUE(l.translation.has_value());
  EXPECT_EQ(l.translation->z(), 0.4);
}

// ---- BIWI
// ----------------------------------------------------------------------------------------

constexpr char kRgbCal[] =
    "500 0 320 \n0 500 240 \n0 0 1 \n\n0 0 0 0 \n\n1 0 0 \n0 1 0 \n0 0 1 \n\n-25 0 0 \n\n640 480\n";

TEST(Biwi, CalibrationAndHeadBox) {
  const BiwiCalibration c = ParseBiwiCalibration(kRgbCal, "rgb.cal");
  EXPECT_EQ(c.K(0, 0), 500);
  EXPECT_EQ(c.K(1, 2), 240);
  EXPECT_EQ(c.T_mm.x(), -25);
  EXPECT_EQ(c.width, 640);
  EXPECT_EQ(c.height, 480);
  // Centre (0.05, -0.02, 1.0) m -> RGB (25, -20, 1000) mm -> (332.5, 230); side 2*500*0.09 = 90.
  const Vector4d box = BiwiHeadBox(Vector3d(0.05, -0.02, 1.0), c, 0.09);
  EXPECT_NEAR(box[0], 287.5, 1e-9);
  EXPECT_NEAR(box[1], 185.0, 1e-9);
  EXPECT_NEAR(box[2], 90.0, 1e-9);
  EXPECT_NEAR(box[3], 90.0, 1e-9);
  EXPECT_CONTAINS(ErrorOf([] { ParseBiwiCalibration("1 2 3\n4 x 6\n", "seq/rgb.cal"); }),
                  "seq/rgb.cal: line 2");
  EXPECT_CONTAINS(ErrorOf([] { ParseBiwiCalibration("1 2 3\n", "r.cal"); }), "expected 27");
}

TEST(Biwi, ReadsSequenceFolders) {
  const fs::path root = TestDir("biwi");
  const geo::HeadPose pose = geo::HeadPoseFromDegrees(25, -12, 8);
  for (const char* seq : {"01", "02"}) {
    fs::create_directories(root / seq);
    core::WriteFileAtomic(root / seq / "rgb.cal", kRgbCal);
    core::WriteFileAtomic(root / seq / "depth.cal", "ignored");
    for (int f : {3, 4}) {
      geo::BiwiPose p;
      p.rotation = geo::RotationFromHeadPose(pose);
      p.head_centre_m = Vector3d(0.05, -0.02, 1.0);
      geo::WriteBiwiPose(root / seq / fmt::format("frame_{:05d}_pose.txt", f), p);
      if (f == 3 || std::string(seq) == "02") {
        core::io::WriteImage(root / seq / fmt::format("frame_{:05d}_rgb.png", f),
                             Gradient(640, 480));
      }
    }
  }
  const std::vector<PoseRecord> all = ReadBiwi(root);
  ASSERT_EQ(all.size(), 3u);  // 01/frame_00004 has no image
  EXPECT_EQ(all[0].name, "01/frame_00003");
  EXPECT_EQ(all[2].name, "02/frame_00004");
  EXPECT_EQ(all[2].group, 2);
  ExpectPoseNear(all[0].pose, pose, 1e-6);  // the pose file stores shortest round-trip digits
  // Box (287.5, 185, 90, 90), ad 0.4 -> [int(251.5), int(413.5)] x [int(149), int(311)].
  EXPECT_EQ(all[0].CropBox(640, 480), (PixelBox{251, 149, 414, 312}));

  BiwiReadOptions only2;
  only2.sequences = {2};
  EXPECT_EQ(ReadBiwi(root, only2).size(), 2u);
  EXPECT_EQ(ReadBiwi(root / "01").size(), 1u);  // one sequence folder
  EXPECT_CONTAINS(ErrorOf([&] { ReadBiwi(root / "missing"); }), "BIWI folder not found");
}

// ---- 300W-LP / AFLW2000 (.mat written with matio)
// ------------------------------------------------

void WriteMat(const fs::path& path, const std::vector<float>& pose_para,
              const std::vector<double>& pt2d_colmajor, const std::vector<float>* pt3d) {
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  size_t pdims[2] = {1, pose_para.size()};
  matvar_t* v = Mat_VarCreate("Pose_Para", MAT_C_SINGLE, MAT_T_SINGLE, 2, pdims,
                              const_cast<float*>(pose_para.data()), 0);
  Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE);
  Mat_VarFree(v);
  size_t ldims[2] = {2, pt2d_colmajor.size() / 2};
  v = Mat_VarCreate("pt2d", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ldims,
                    const_cast<double*>(pt2d_colmajor.data()), 0);
  Mat_VarWrite(mat, v, MAT_COMPRESSION_ZLIB);
  Mat_VarFree(v);
  if (pt3d) {
    size_t d3[2] = {3, pt3d->size() / 3};
    v = Mat_VarCreate("pt3d_68", MAT_C_SINGLE, MAT_T_SINGLE, 2, d3,
                      const_cast<float*>(pt3d->data()), 0);
    Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE);
    Mat_VarFree(v);
  }
  Mat_Close(mat);
}

TEST(MatReader, Reads300WLPAndAflw2000Layout) {
  const fs::path root = TestDir("300wlp");
  fs::create_directories(root / "AFW");
  fs::create_directories(root / "HELEN_Flip");
  fs::create_directories(root / "landmarks");
  // Pose_Para = [pitch, yaw, roll, tdx, tdy, tdz, scale], radians.
  const std::vector<float> para = {0.2f, -0.5f, 0.1f, 100, 120, 50, 0.001f};
  // 68 points: x = 20 + (k % 10) * 4 (20..56), y = 30 + (k % 17) * 3 (30..78), one AFLW-style -1.
  std::vector<double> pt2d;
  std::vector<float> pt3d;
  for (int k = 0; k < 68; ++k) {
    pt2d.push_back(k == 5 ? -1.0 : 20 + (k % 10) * 4);
    pt2d.push_back(k == 5 ? -1.0 : 30 + (k % 17) * 3);
    for (int c = 0; c < 3; ++c) pt3d.push_back(static_cast<float>(k * 3 + c));
  }
  WriteMat(root / "AFW" / "AFW_1_0.mat", para, pt2d, &pt3d);
  core::io::WriteImage(root / "AFW" / "AFW_1_0.jpg", Gradient(100, 100));
  WriteMat(root / "AFW" / "AFW_2_0.mat", para, pt2d, nullptr);  // no image: skipped
  WriteMat(root / "HELEN_Flip" / "H_1.mat", para, pt2d, nullptr);
  core::io::WriteImage(root / "HELEN_Flip" / "H_1.jpg", Gradient(100, 100));

  const MatPoseAnnotation a = ReadPoseMat(root / "AFW" / "AFW_1_0.mat");
  ASSERT_EQ(a.pose_para.size(), 7u);
  EXPECT_FLOAT_EQ(static_cast<float>(a.pose_para[1]), -0.5f);
  ASSERT_EQ(a.pt2d.size(), 68u);
  EXPECT_EQ(a.pt2d[1], Vector2d(24, 33));  // column 1 of the 2 x 68 array
  ASSERT_EQ(a.pt3d_68.size(), 68u);
  EXPECT_EQ(a.pt3d_68[2], Vector3d(6, 7, 8));

  const std::vector<PoseRecord> records = Read300WLP(root);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].name, "AFW/AFW_1_0");
  EXPECT_EQ(records[1].group, 4);  // HELEN_Flip is the 4th 300W-LP part
  // Identity mapping: yaw = Pose_Para[1], pitch = [0], roll = [2].
  ExpectPoseNear(records[0].pose, geo::HeadPose{-0.5, 0.2, 0.1}, 1e-7);
  // Box of the valid points: x 20..56 (w 36), y 30..78 (h 48); ad 0.6: x0 = int(20 - 21.6) ->
  // 0, x1 = min(int(77.6), 99) = 77; y0 = int(30 - 28.8) = 1, y1 = min(int(106.8), 99) = 99.
  EXPECT_EQ(records[0].CropBox(100, 100), (PixelBox{0, 1, 77, 99}));

  EXPECT_CONTAINS(ErrorOf([&] { Read300WLP(root / "AFW"); }), "none of the 300W-LP folders");
  core::WriteFileAtomic(root / "bad.mat", "not a mat file");
  EXPECT_CONTAINS(ErrorOf([&] { ReadPoseMat(root / "bad.mat"); }), "bad.mat");
  {
    mat_t* mat = Mat_CreateVer((root / "nopose.mat").c_str(), nullptr, MAT_FT_MAT5);
    double x = 1;
    size_t d[2] = {1, 1};
    matvar_t* v = Mat_VarCreate("roi", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d, &x, 0);
    Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE);
    Mat_VarFree(v);
    Mat_Close(mat);
  }
  EXPECT_CONTAINS(ErrorOf([&] { ReadPoseMat(root / "nopose.mat"); }), "no variable 'Pose_Para'");
}

// ---- CSV
// -------------------------------------------------------------------------------------------

TEST(CsvReader, ReadsPathsAnglesAndOptionalBoxes) {
  const fs::path dir = TestDir("csv");
  fs::create_directories(dir / "img");
  core::io::WriteImage(dir / "img" / "a.png", Gradient(64, 64));
  core::WriteFileAtomic(dir / "poses.csv",
                        "path,yaw,pitch,roll,x0,y0,x1,y1\n"
                        "img/a.png, 10, -20.5, 3\n"
                        "# a comment\n"
                        "\n"
                        "img/a.png,1e1,0,0,10,20,30,50\n");
  const std::vector<PoseRecord> r = ReadPoseCsv(dir / "poses.csv");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].image, dir / "img" / "a.png");
  EXPECT_EQ(r[0].crop, CropKind::kWhole);
  ExpectPoseNear(r[0].pose, geo::HeadPoseFromDegrees(10, -20.5, 3));
  EXPECT_EQ(r[1].crop, CropKind::kBox);
  EXPECT_EQ(r[1].box, Vector4d(10, 20, 20, 30));
  EXPECT_EQ(r[0].CropBox(64, 64), (PixelBox{0, 0, 64, 64}));

  core::WriteFileAtomic(dir / "bad.csv", "a.png,1,2,3\nb.png,1,x,3\n");
  EXPECT_CONTAINS(ErrorOf([&] { ReadPoseCsv(dir / "bad.csv"); }), "bad.csv: line 2: pitch");
  core::WriteFileAtomic(dir / "short.csv", "a.png,1,2\n");
  EXPECT_CONTAINS(ErrorOf([&] { ReadPoseCsv(dir / "short.csv"); }), "line 1: expected path");
}

TEST(CsvReader, LoadingAMissingImageNamesIt) {
  const fs::path dir = TestDir("csv_missing");
  core::WriteFileAtomic(dir / "p.csv", "gone.png,1,2,3\n");
  LoadOptions o;
  o.show_progress = false;
  EXPECT_CONTAINS(ErrorOf([&] { LoadPoseSet(ReadPoseCsv(dir / "p.csv"), o); }), "gone.png");
}

// ---- protocols
// -----------------------------------------------------------------------------------

TEST(Protocols, FsaNetProtocol1FiltersEverySetAt99Degrees) {
  const fs::path root = TestDir("protocols");
  std::vector<double> pt2d;
  for (int k = 0; k < 68; ++k) {
    pt2d.push_back(20 + (k % 10) * 4);
    pt2d.push_back(30 + (k % 17) * 3);
  }
  // [pitch, yaw, roll] radians: 1.8 rad = 103 deg is outside ±99.
  const std::vector<float> inside = {0.2f, -0.5f, 0.1f, 0, 0, 0, 1},
                           outside = {0.1f, 1.8f, 0, 0, 0, 0, 1};
  fs::create_directories(root / "300W_LP" / "AFW");
  fs::create_directories(root / "AFLW2000");
  int n = 0;
  for (const auto& [dir, para] :
       std::vector<std::pair<fs::path, std::vector<float>>>{{root / "300W_LP" / "AFW", inside},
                                                            {root / "300W_LP" / "AFW", outside},
                                                            {root / "AFLW2000", inside},
                                                            {root / "AFLW2000", outside},
                                                            {root / "AFLW2000", inside}}) {
    const std::string name = "img" + std::to_string(n++);
    WriteMat(dir / (name + ".mat"), para, pt2d, nullptr);
    core::io::WriteImage(dir / (name + ".jpg"), Gradient(100, 100));
  }
  for (int seq = 1; seq <= 3; ++seq) {
    const fs::path d = root / "BIWI" / fmt::format("{:02d}", seq);
    fs::create_directories(d);
    core::WriteFileAtomic(d / "rgb.cal", kRgbCal);
    geo::BiwiPose p;
    p.rotation = geo::RotationFromHeadPose(geo::HeadPoseFromDegrees(10.0 * seq, 0, 0));
    p.head_centre_m = Vector3d(0, 0, 1.0);
    geo::WriteBiwiPose(d / "frame_00001_pose.txt", p);
    core::io::WriteImage(d / "frame_00001_rgb.png", Gradient(640, 480));
  }
  LoadOptions load;
  load.show_progress = false;
  const ProtocolSets p1 = FsaNetProtocol1(root / "300W_LP", root / "AFLW2000", root / "BIWI", load);
  EXPECT_EQ(p1.train.count(), 1u);
  ASSERT_EQ(p1.tests.size(), 2u);
  EXPECT_EQ(p1.tests[0].first, "AFLW2000");
  EXPECT_EQ(p1.tests[0].second.count(), 2u);
  EXPECT_EQ(p1.tests[1].second.count(), 3u);
  EXPECT_EQ(p1.filter.name, "fsanet99");
  // A missing dataset is named before anything is read.
  EXPECT_CONTAINS(
      ErrorOf([&] { FsaNetProtocol1(root / "300W_LP", root / "nope", root / "BIWI", load); }),
      "AFLW2000-3D: dataset not found at " + (root / "nope").string());

  const ProtocolSets p2 = BiwiProtocol2(root / "BIWI", 4, load);
  EXPECT_EQ(p2.train_groups.size(), 2u);  // round(16/24 * 3)
  EXPECT_EQ(p2.test_groups.size(), 1u);
  EXPECT_EQ(p2.train.count(), 2u);
  EXPECT_EQ(p2.tests[0].second.groups, p2.test_groups);
}

// ---- metrics and filters
// -------------------------------------------------------------------------

TEST(Metrics, MaePerAxisAndMean) {
  const std::vector<Vector3d> pred = {{1, 2, 3}, {-1, 0, 5}};
  const std::vector<Vector3d> gt = {{0, 0, 0}, {1, 1, 1}};
  // |errors| (1, 2, 3) and (2, 1, 4): yaw 1.5, pitch 1.5, roll 3.5, mean 6.5 / 3.
  const PoseMae m = ComputeMae(pred, gt);
  EXPECT_DOUBLE_EQ(m.yaw, 1.5);
  EXPECT_DOUBLE_EQ(m.pitch, 1.5);
  EXPECT_DOUBLE_EQ(m.roll, 3.5);
  EXPECT_DOUBLE_EQ(m.mean, 6.5 / 3);
  EXPECT_EQ(m.count, 2u);
  // No wrapping: 179 vs -179 is 358 degrees off, as FSA-Net's test computes it.
  EXPECT_DOUBLE_EQ(ComputeMae({{179, 0, 0}}, {{-179, 0, 0}}).yaw, 358);
  EXPECT_THROW(ComputeMae({{0, 0, 0}}, {}), core::Error);
}

TEST(Metrics, AngleFilters) {
  const std::vector<Vector3d> gt = {{95, 0, 0}, {-99, 5, 5}, {50, 5, 5},    {5, 50, 5},
                                    {5, 5, 50}, {50, 50, 5}, {50, -5, 9.9}, {5, 5, 10.5}};
  EXPECT_EQ(FilterIndices(gt, FsaNet99()).size(), 8u);
  EXPECT_EQ(FilterIndices(gt, AuthorsCode90()), (std::vector<size_t>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(FilterIndices(gt, P2TableINarrow()), (std::vector<size_t>{2, 3, 5, 6}));
  const auto t3 = P1Table3Ranges();
  ASSERT_EQ(t3.size(), 6u);
  EXPECT_EQ(FilterIndices(gt, t3[0]), (std::vector<size_t>{2, 6}));        // Y90 P10 R10
  EXPECT_EQ(FilterIndices(gt, t3[1]), (std::vector<size_t>{3}));           // Y10 P90 R10
  EXPECT_EQ(FilterIndices(gt, t3[2]), (std::vector<size_t>{4, 7}));        // Y10 P10 R90
  EXPECT_EQ(FilterIndices(gt, t3[3]), (std::vector<size_t>{2, 3, 5, 6}));  // Y90 P90 R10
  EXPECT_EQ(FilterIndices(gt, t3[4]), (std::vector<size_t>{3, 4, 7}));     // Y10 P90 R90
  EXPECT_EQ(FilterIndices(gt, t3[5]), (std::vector<size_t>{2, 4, 6, 7}));  // Y90 P10 R90
  EXPECT_EQ(AngleLimitsByName("p1t3_y10_p90_r90").roll_deg, 90);
  EXPECT_CONTAINS(ErrorOf([] { AngleLimitsByName("wide"); }), "authors90");

  // Filtered MAE: predictions off by i degrees in yaw; authors90 keeps 2..7 -> mean of 2..7.
  std::vector<Vector3d> pred = gt;
  for (size_t i = 0; i < pred.size(); ++i) pred[i][0] += static_cast<double>(i);
  EXPECT_DOUBLE_EQ(EvaluateFiltered(pred, gt, AuthorsCode90()).yaw, 4.5);
  // The authors' range(N // 4) batches of 4 keep the first 4 of those 6: mean of 2..5.
  EXPECT_DOUBLE_EQ(EvaluateFiltered(pred, gt, AuthorsCode90(), 4).yaw, 3.5);
  EXPECT_CONTAINS(ErrorOf([&] {
                    EvaluateFiltered(pred, gt, AngleLimits{"tiny", 0, 0, 0});
                  }),
                  "tiny");
}

// ---- splits -------------------------------------------------------------------------------------

TEST(Splits, BiwiSixteenOfTwentyFourSequences) {
  std::vector<int> groups;
  for (int s = 1; s <= 24; ++s) {
    for (int f = 0; f < 3; ++f) groups.push_back(s);
  }
  const GroupSplit a = SplitByGroup(groups, kBiwiTrainFraction, 11);
  EXPECT_EQ(a.train_groups.size(), 16u);
  EXPECT_EQ(a.test_groups.size(), 8u);
  EXPECT_EQ(a.train.size(), 48u);
  EXPECT_EQ(a.test.size(), 24u);
  for (size_t i : a.test) {
    EXPECT_EQ(std::count(a.train_groups.begin(), a.train_groups.end(), groups[i]), 0);
  }
  EXPECT_EQ(SplitByGroup(groups, kBiwiTrainFraction, 11).test_groups, a.test_groups);
  EXPECT_NE(SplitByGroup(groups, kBiwiTrainFraction, 12).test_groups, a.test_groups);
  EXPECT_THROW(SplitByGroup({1, 1, 1}, 0.5, 0), core::Error);
}

TEST(Splits, SourceSplitForAdaptationAndSubsets) {
  // poseData[50000:-1] in miniature: n = 10, first 4 -> second = 4..8 (the last is dropped).
  const IndexSplit s = SplitSourceForAdaptation(10, 4, true);
  EXPECT_EQ(s.first, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(s.second, (std::vector<size_t>{4, 5, 6, 7, 8}));
  EXPECT_EQ(SplitSourceForAdaptation(10, 4, false).second.size(), 6u);
  EXPECT_THROW(SplitSourceForAdaptation(5, 4, true), core::Error);
  const auto k = SampleIndices(100, 10, 3);
  EXPECT_EQ(k.size(), 10u);
  EXPECT_TRUE(std::is_sorted(k.begin(), k.end()));
  EXPECT_EQ(std::set<size_t>(k.begin(), k.end()).size(), 10u);
  EXPECT_EQ(SampleIndices(100, 10, 3), k);
}

// ---- domain adaptation (torch-free parts) ------------------------------------------------------

TEST(DomainAdaptation, DannSchedule) {
  EXPECT_DOUBLE_EQ(DannLambda(0.0), 0.0);
  EXPECT_NEAR(DannLambda(0.5), 2.0 / (1.0 + std::exp(-5.0)) - 1.0, 1e-15);
  EXPECT_NEAR(DannLambda(0.5), 0.9866142981514305, 1e-12);
  EXPECT_NEAR(DannLambda(1.0), 0.9999092042625951, 1e-12);
  EXPECT_NEAR(DannLambda(0.1), 0.46211715726000974, 1e-12);  // tanh(0.5)
}

TEST(DomainAdaptation, NearestSourceByPredictedPose) {
  const std::vector<Vector3d> sources = {
      {3, 3, 3}, {0, 0, 8}, {40, 0, 0}, {40, 0, 0}, {-30, 10, 0}};
  NearestSourceOptions o;
  o.jitter_deg = 0;
  // (0,0,0): mean |d| 3 vs 8/3 -> index 1; mean d^2 9 vs 64/3 -> index 0.
  // (39,1,0) -> the first of the two equal candidates (2). (-31, 9, 1) -> 4.
  const std::vector<Vector3d> targets = {{0, 0, 0}, {39, 1, 0}, {-31, 9, 1}};
  EXPECT_EQ(NearestSourceIndices(targets, sources, o), (std::vector<size_t>{1, 2, 4}));
  o.distance = PoseDistance::kMeanSquared;
  EXPECT_EQ(NearestSourceIndices(targets, sources, o), (std::vector<size_t>{0, 2, 4}));
  // With replacement: many targets may take one source.
  o.distance = PoseDistance::kMeanAbsolute;
  EXPECT_EQ(NearestSourceIndices({{41, 0, 0}, {38, 2, 1}}, sources, o),
            (std::vector<size_t>{2, 2}));

  // The ±2° jitter cannot move a prediction across sources 20° apart, and is reproducible.
  std::vector<Vector3d> grid, preds;
  for (int y = -60; y <= 60; y += 20) grid.emplace_back(y, 0, 0);
  for (int i = 0; i < 50; ++i) preds.emplace_back(-60 + (i % 7) * 20 + 0.5, 0.3, -0.2);
  NearestSourceOptions j;
  j.seed = 9;
  j.threads = 2;
  const auto picked = NearestSourceIndices(preds, grid, j);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(picked[i], static_cast<size_t>(i % 7));
  EXPECT_EQ(NearestSourceIndices(preds, grid, j), picked);
  // Jitter changes the choice between two nearly equidistant sources for some targets.
  const std::vector<Vector3d> pair = {{0, 0, 0}, {1, 0, 0}};
  std::vector<Vector3d> mid(40, Vector3d(0.5, 0, 0));
  const auto jittered = NearestSourceIndices(mid, pair, j);
  EXPECT_GT(std::count(jittered.begin(), jittered.end(), 0u), 0);
  EXPECT_GT(std::count(jittered.begin(), jittered.end(), 1u), 0);
  EXPECT_THROW(NearestSourceIndices(mid, {}, j), core::Error);
}

}  // namespace
}  // namespace synface::hpe
