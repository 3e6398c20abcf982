#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/config/config.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "synth/scene/backgrounds.h"
#include "synth/scene/scenery.h"
#include "synth/scene/textures.h"

namespace synface::synth::scene {
namespace {
namespace fs = std::filesystem;

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Mean absolute difference between two columns (or rows) of a texture.
double ColumnDiff(const cv::Mat& img, int a, int b, bool rows) {
  cv::Mat x = rows ? img.row(a) : img.col(a), y = rows ? img.row(b) : img.col(b);
  cv::Mat d;
  cv::absdiff(x, y, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3.0;
}

TEST(PeriodicNoise, RepeatsWithItsPeriod) {
  core::data::Rng rng(3);
  PeriodicNoise n(rng);
  for (float x : {0.1f, 1.7f, 3.3f}) {
    for (float y : {0.2f, 2.9f}) {
      EXPECT_NEAR(n.Eval(x, y, 4, 5), n.Eval(x + 4, y, 4, 5), 1e-5);
      EXPECT_NEAR(n.Eval(x, y, 4, 5), n.Eval(x, y + 5, 4, 5), 1e-5);
      EXPECT_NEAR(n.Fbm(x / 4, y / 4, 3, 4), n.Fbm(x / 4 + 1, y / 4 - 1, 3, 4), 1e-4);
    }
  }
}

TEST(Textures, EveryFamilyIsDeterministicVariedAndSeamless) {
  const int size = 96;
  for (const std::string& name : TextureFamilyNames()) {
    const TextureFamily family = ParseTextureFamily(name);
    core::data::Rng a(17), b(17), c(18);
    nlohmann::json params;
    const cv::Mat ta = GenerateTexture(family, size, a, &params);
    const cv::Mat tb = GenerateTexture(family, size, b);
    const cv::Mat tc = GenerateTexture(family, size, c);
    ASSERT_EQ(ta.type(), CV_8UC3);
    ASSERT_EQ(ta.rows, size);
    EXPECT_EQ(cv::norm(ta, tb, cv::NORM_INF), 0) << name;
    EXPECT_GT(cv::norm(ta, tc, cv::NORM_L1), 0) << name;
    EXPECT_EQ(params["family"], name);
    cv::Scalar mean, stddev;
    cv::meanStdDev(ta.reshape(1), mean, stddev);
    EXPECT_GT(stddev[0], 2.0) << name << " is flat";
    // Seamless: the wrap-around step (last -> first column/row) is no larger than a typical
    // step inside the texture.
    double inner_cols = 0, inner_rows = 0;
    for (int i = 0; i + 1 < size; ++i) {
      inner_cols += ColumnDiff(ta, i, i + 1, false);
      inner_rows += ColumnDiff(ta, i, i + 1, true);
    }
    inner_cols /= size - 1;
    inner_rows /= size - 1;
    EXPECT_LE(ColumnDiff(ta, size - 1, 0, false), 4.0 * inner_cols + 3.0) << name;
    EXPECT_LE(ColumnDiff(ta, size - 1, 0, true), 4.0 * inner_rows + 3.0) << name;
  }
  EXPECT_THROW(ParseTextureFamily("brodatz"), core::Error);
}

TEST(ImageHeaders, PngAndJpegLayouts) {
  const fs::path dir = TestDir("headers");
  cv::Mat grey(30, 40, CV_8UC1, cv::Scalar(100)), colour(30, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat rgba(30, 40, CV_8UC4, cv::Scalar(1, 2, 3, 4));
  cv::imwrite((dir / "g.png").string(), grey);
  cv::imwrite((dir / "c.png").string(), colour);
  cv::imwrite((dir / "a.png").string(), rgba);
  cv::imwrite((dir / "g.jpg").string(), grey);
  cv::imwrite((dir / "c.jpg").string(), colour);
  cv::imwrite((dir / "c.bmp").string(), colour);
  struct Case {
    const char* name;
    int channels;
  };
  for (const Case& c : {Case{"g.png", 1}, Case{"c.png", 3}, Case{"a.png", 4}, Case{"g.jpg", 1},
                        Case{"c.jpg", 3}, Case{"c.bmp", 3}}) {
    const ImageHeader h = ReadImageHeader(dir / c.name);
    EXPECT_EQ(h.width, 40) << c.name;
    EXPECT_EQ(h.height, 30) << c.name;
    EXPECT_EQ(h.channels, c.channels) << c.name;
  }
  core::WriteFileAtomic(dir / "bad.png", "not an image");
  EXPECT_THROW(ReadImageHeader(dir / "bad.png"), core::Error);

  ImageFolderFilter f;
  f.colour_only = true;
  f.skip_alpha = true;
  f.exclude = {"*.bmp"};
  const auto kept = ListImages(dir, f, "some.key");
  ASSERT_EQ(kept.size(), 2u);  // c.jpg, c.png
  EXPECT_EQ(kept[0].filename(), "c.jpg");
  f.min_side = 31;
  try {
    ListImages(dir, f, "some.key");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("some.key"), std::string::npos);
  }
  EXPECT_THROW(ListImages(dir / "nope", f, "some.key"), core::Error);
}

TEST(Backplate, CoversTheFrameAndIsDeterministic) {
  cv::Mat photo(300, 500, CV_8UC3);
  cv::randu(photo, 0, 255);
  for (uint64_t seed = 0; seed < 10; ++seed) {
    core::data::Rng a(seed), b(seed);
    nlohmann::json p;
    const cv::Mat x = MakeBackplate(photo, 64, 48, Range{1.0, 1.5}, 0.5, a, &p);
    const cv::Mat y = MakeBackplate(photo, 64, 48, Range{1.0, 1.5}, 0.5, b, nullptr);
    EXPECT_EQ(x.size(), cv::Size(64, 48));
    EXPECT_EQ(cv::norm(x, y, cv::NORM_INF), 0);
    const auto crop = p["crop_xywh"];
    EXPECT_LE(crop[0].get<int>() + crop[2].get<int>(), 500);
    EXPECT_LE(crop[1].get<int>() + crop[3].get<int>(), 300);
    // 4:3 window out of a 5:3 photo: the crop keeps the frame's aspect.
    EXPECT_NEAR(crop[2].get<double>() / crop[3].get<double>(), 64.0 / 48.0, 0.02);
  }
}

TEST(Scenery, PlainRoomMatchesTheAuthorsPlanes) {
  SceneryMaterial wall, floor;
  wall.albedo = Eigen::Vector3f(0.5f, 0.6f, 0.7f);
  const Scenery s = BuildPlainRoom(PlainRoomSpec{}, wall, floor);
  ASSERT_EQ(s.meshes.size(), 5u);
  EXPECT_EQ(s.NumTriangles(), 10);
  for (const SceneryMesh& m : s.meshes) {
    if (m.name == "back_wall") {
      for (const auto& p : m.positions) EXPECT_NEAR(p.z(), 0.51, 1e-6);
      // It faces the head (normal towards -z).
      const Eigen::Vector3f n =
          (m.positions[1] - m.positions[0]).cross(m.positions[2] - m.positions[0]);
      EXPECT_LT(n.z(), 0);
    }
    if (m.name == "floor") {
      for (const auto& p : m.positions) EXPECT_NEAR(p.y(), 1.6779, 1e-6);
      const Eigen::Vector3f n =
          (m.positions[1] - m.positions[0]).cross(m.positions[2] - m.positions[0]);
      EXPECT_LT(n.y(), 0);  // faces up
      EXPECT_EQ(m.material, 1);
    }
  }
  EXPECT_TRUE(s.interior.contains(Eigen::Vector3d::Zero()));
}

TEST(Scenery, FurnishedRoomKeepsClearOfTheHeadAndInsideTheRoom) {
  FurnishedRoomSpec spec;
  spec.texture_size = 16;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    core::data::Rng a(seed), b(seed);
    const Scenery s = BuildFurnishedRoom(spec, a);
    const Scenery t = BuildFurnishedRoom(spec, b);
    EXPECT_EQ(s.params, t.params);
    ASSERT_EQ(s.meshes.size(), t.meshes.size());
    EXPECT_GT(s.meshes.size(), 6u + 20u) << "walls plus furniture";
    Eigen::AlignedBox3d room = s.interior;
    room.extend(room.min() - Eigen::Vector3d::Constant(1e-6));
    room.extend(room.max() + Eigen::Vector3d::Constant(1e-6));
    for (size_t i = 0; i < s.meshes.size(); ++i) {
      const SceneryMesh& m = s.meshes[i];
      EXPECT_EQ(m.positions, t.meshes[i].positions);
      ASSERT_LT(m.material, static_cast<int>(s.materials.size()));
      const bool structure =
          m.name.find("wall") != std::string::npos || m.name == "floor" || m.name == "ceiling";
      for (const auto& p : m.positions) {
        EXPECT_TRUE(room.contains(p.cast<double>())) << m.name;
        if (!structure) {
          EXPECT_GE(std::hypot(p.x(), p.z()), 0.3) << m.name;
        }
      }
    }
  }
}

core::config::Config LoadBackground(const std::string& toml) {
  core::config::Schema schema;
  DeclareBackgroundKeys(schema);
  return core::config::LoadConfigString(toml, "bg.toml", {}, schema);
}

TEST(Backgrounds, SamplesEachTypeFromConfig) {
  const fs::path dir = TestDir("photos");
  cv::Mat photo(200, 300, CV_8UC3);
  cv::randu(photo, 0, 255);
  cv::imwrite((dir / "p1.jpg").string(), photo);
  cv::imwrite((dir / "p2.png").string(), photo);
  cv::imwrite((dir / "tiny.png").string(), cv::Mat(10, 10, CV_8UC3, cv::Scalar(0)));
  const std::string toml =
      "[background]\ntypes = [\"plain\", \"textured\", \"complex\", \"real\"]\n"
      "[background.textured]\ntexture_size = 32\n"
      "[background.complex]\ntexture_size = 16\n"
      "[background.real]\nfolder = \"" +
      dir.string() + "\"\nmin_side = 100\n";
  const BackgroundConfig c = ReadBackgroundConfig(LoadBackground(toml));
  EXPECT_EQ(c.photos.size(), 2u);
  BackgroundSampler sampler(c);
  std::map<std::string, int> seen;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    core::data::Rng rng(seed);
    const SampledBackground b = sampler.Sample(64, 48, rng);
    ++seen[b.type];
    EXPECT_EQ(b.params["type"], b.type);
    if (b.type == "plain") {
      const Eigen::Vector3f w = b.scenery.materials[0].albedo;
      EXPECT_GE(w.minCoeff(), 0.4f);
      EXPECT_LE(w.maxCoeff(), 0.8f);
      EXPECT_FALSE(b.scenery.materials[0].texture);
    } else if (b.type == "textured") {
      ASSERT_TRUE(b.scenery.materials[0].texture);
      EXPECT_EQ(b.scenery.materials[0].texture->rows, 32);
    } else if (b.type == "complex") {
      EXPECT_GT(b.scenery.meshes.size(), 6u);
    } else {
      EXPECT_EQ(b.backplate.size(), cv::Size(64, 48));
      EXPECT_TRUE(b.scenery.meshes.empty());
    }
    core::data::Rng again(seed);
    EXPECT_EQ(sampler.Sample(64, 48, again).params, b.params);
  }
  EXPECT_EQ(seen.size(), 4u);
}

TEST(Backgrounds, ImportedSceneFileAndMissingAssetsAreReportedByKey) {
  const fs::path dir = TestDir("scene");
  core::WriteFileAtomic(dir / "room.obj",
                        "v -1 0 -1\nv 1 0 -1\nv 1 0 1\nv -1 0 1\nf 1 2 3\nf 1 3 4\n");
  const BackgroundConfig c = ReadBackgroundConfig(LoadBackground(
      "[background]\ntypes = [\"complex\"]\n[background.complex]\nsource = \"file\"\nfile = \"" +
      (dir / "room.obj").string() + "\"\nfile_offset_m = [0.0, 1.6, 0.0]\n"));
  BackgroundSampler sampler(c);
  ASSERT_TRUE(sampler.imported_mesh());
  EXPECT_EQ(sampler.imported_mesh()->NumTriangles(), 2);
  // A y-up floor at file y = 0 ends up 1.6 m below the eyes (world y = +1.6).
  EXPECT_NEAR(sampler.ImportedBounds().min().y(), 1.6, 1e-6);
  EXPECT_NEAR(sampler.ImportedBounds().max().y(), 1.6, 1e-6);
  core::data::Rng rng(1);
  const SampledBackground b = sampler.Sample(32, 24, rng);
  EXPECT_TRUE(b.imported_scene);

  auto error_of = [&](const std::string& toml) {
    try {
      ReadBackgroundConfig(LoadBackground(toml));
    } catch (const core::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::string e =
      error_of("[background]\ntypes = [\"real\"]\n[background.real]\nfolder = \"/no/such\"\n");
  EXPECT_NE(e.find("background.real.folder"), std::string::npos) << e;
  EXPECT_NE(e.find("/no/such"), std::string::npos) << e;
  e = error_of("[background]\ntypes = [\"complex\"]\n[background.complex]\nsource = \"file\"\n");
  EXPECT_NE(e.find("background.complex.file"), std::string::npos) << e;
  e = error_of(
      "[background]\ntypes = [\"textured\"]\n[background.textured]\nsource = \"folder\"\n"
      "folder = \"/no/textures\"\n");
  EXPECT_NE(e.find("background.textured.folder"), std::string::npos) << e;
  // Unused types do not need their assets.
  EXPECT_EQ(error_of("[background]\ntypes = [\"plain\"]\n[background.real]\nfolder = \"/no\"\n"),
            "");
  e = error_of("[background]\ntypes = [\"sky\"]\n");
  EXPECT_NE(e.find("background.types"), std::string::npos) << e;
}

}  // namespace
}  // namespace synface::synth::scene
