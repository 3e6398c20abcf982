#include "hpe/train_command.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "hpe/inference.h"

namespace synface::hpe {
namespace {
namespace fs = std::filesystem;

// A folder of 12 face images with a path,yaw,pitch,roll CSV (the generic reader's format).
fs::path WriteCsvDataset(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream csv(dir / "poses.csv");
  csv << "path,yaw,pitch,roll\n";
  for (int i = 0; i < 12; ++i) {
    cv::Mat img(80, 80, CV_8UC3, cv::Scalar(40 + 10 * i, 90, 200 - 10 * i));
    const std::string name = "face_" + std::to_string(i) + ".png";
    cv::imwrite((dir / name).string(), img);
    csv << name << "," << (i * 5 - 30) << "," << (i % 3) * 4 << "," << -i << "\n";
  }
  return dir / "poses.csv";
}

TEST(TrainCommand, TrainsFromACsvFolderAndWritesAModelFile) {
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  const fs::path csv = WriteCsvDataset(tmp / "faces");
  const fs::path out = tmp / "run";
  ASSERT_EQ(RunTrainCommand({"data.format=csv", "data.path=" + csv.string(), "out=" + out.string(),
                             "train.epochs=1", "train.batch_size=4", "threads=1", "val.format=csv",
                             "val.path=" + csv.string()}),
            0);
  EXPECT_TRUE(fs::exists(out / "config.resolved.toml"));
  EXPECT_TRUE(fs::exists(out / "train_log.csv"));
  EXPECT_TRUE(fs::exists(out / "best.ckpt"));
  const ModelFile model = LoadModelFile(out / "model.ckpt");
  EXPECT_EQ(model.metadata.at("command"), "hpe:train");
  // Started again with the same arguments: the finished run resumes at its end, still exit 0.
  EXPECT_EQ(RunTrainCommand({"data.format=csv", "data.path=" + csv.string(), "out=" + out.string(),
                             "train.epochs=1", "train.batch_size=4", "threads=1", "val.format=csv",
                             "val.path=" + csv.string()}),
            0);
}

TEST(TrainCommand, BadInputIsOneErrorNamingTheKeyOrFile) {
  const fs::path tmp = std::getenv("TEST_TMPDIR");
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunTrainCommand({"data.format=kinect", "data.path=x", "out=y"}), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("data.format"), std::string::npos);
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunTrainCommand({"data.format=csv", "data.path=" + (tmp / "none.csv").string(),
                             "out=" + (tmp / "r2").string()}),
            1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("none.csv"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "r2" / "model.ckpt"));
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunTrainCommand({"data.format=csv"}), 1);  // data.path and out are required
  EXPECT_NE(testing::internal::GetCapturedStderr().find("data.path"), std::string::npos);
}

}  // namespace
}  // namespace synface::hpe
