#include "synth/render/renderer.h"

#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/geometry/camera.h"
#include "core/geometry/rigid.h"
#include "core/io/mesh.h"
#include "core/util/error.h"
#include "synth/render/color.h"
#include "synth/render/primitives.h"

namespace synface::synth::render {
namespace {

using core::geometry::PixelCentre;
using core::geometry::Rigid3d;
constexpr double kPi = 3.14159265358979323846;

// A small camera at the world origin looking along +z (world = camera frame) unless posed.
Camera TestCamera(double f = 60, int width = 64, int height = 48) {
  Camera camera;
  camera.intrinsics.fx = camera.intrinsics.fy = f;
  camera.intrinsics.cx = width / 2.0;
  camera.intrinsics.cy = height / 2.0;
  camera.intrinsics.width = width;
  camera.intrinsics.height = height;
  camera.near_clip = 0.01;
  camera.far_clip = 100;
  return camera;
}

Material Matte(const Eigen::Vector3f& albedo, PartLabel part = PartLabel::kSkin) {
  Material m;
  m.albedo = albedo;
  m.specular = 0;
  m.part = part;
  return m;
}

Material Hidden() {
  Material m = Matte(Eigen::Vector3f::Constant(0.5f), PartLabel::kOther);
  m.visible_to_camera = false;
  return m;
}

int AddPlane(Scene* scene, const Eigen::Vector3f& centre, const Eigen::Vector3f& eu,
             const Eigen::Vector3f& ev, const Material& material) {
  return scene->AddMesh(MeshDescFromMesh(MakePlane(centre, eu, ev), {material}));
}

RenderSettings Settings(int spp = 1) {
  RenderSettings s;
  s.samples_per_pixel = spp;
  s.threads = 2;
  s.linear_rgb = true;
  return s;
}

Eigen::Vector3f Linear(const RenderOutput& out, int x, int y) {
  const cv::Vec3f v = out.linear_rgb.at<cv::Vec3f>(y, x);
  return Eigen::Vector3f(v[2], v[1], v[0]);
}

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() && b.empty()) return true;
  if (a.size() != b.size() || a.type() != b.type()) return false;
  return std::memcmp(a.data, b.data, a.total() * a.elemSize()) == 0;
}

TEST(Renderer, PlanarDepthAndRayDistanceAreExactUnderAnyCameraPose) {
  Camera camera = TestCamera();
  camera.cam_from_world = Rigid3d(
      Eigen::Quaterniond(Eigen::AngleAxisd(0.4, Eigen::Vector3d(0.3, -1, 0.2).normalized())),
      Eigen::Vector3d(0.5, -0.2, 1.0));
  const Rigid3d world_from_cam = camera.cam_from_world.Inverse();
  // A tilted square in the camera frame.
  const Eigen::Vector3d p0(0.1, -0.05, 2.0);
  const Eigen::Vector3d n = Eigen::Vector3d(0.2, -0.1, -1).normalized();
  const Eigen::Vector3d eu = n.cross(Eigen::Vector3d::UnitY()).normalized() * 1.4;
  const Eigen::Vector3d ev = n.cross(eu).normalized() * 1.0;
  core::io::Mesh mesh = MakePlane(p0.cast<float>(), eu.cast<float>(), ev.cast<float>());
  for (auto& p : mesh.positions) p = (world_from_cam * p.cast<double>()).cast<float>();
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(mesh, {Matte({0.5f, 0.5f, 0.5f})}));
  scene.Commit();
  for (bool depth_only : {false, true}) {
    RenderSettings settings = Settings(4);
    settings.depth_only = depth_only;
    const RenderOutput out = Render(scene, camera, Lighting(), settings);
    int covered = 0;
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 64; ++x) {
        const Eigen::Vector3d r = camera.intrinsics.RayZ1(PixelCentre(x, y));
        const double z = n.dot(p0) / n.dot(r);
        const Eigen::Vector3d q = r * z - p0;
        const double a = q.dot(eu) / eu.squaredNorm(), b = q.dot(ev) / ev.squaredNorm();
        if (std::abs(std::abs(a) - 0.5) < 1e-3 || std::abs(std::abs(b) - 0.5) < 1e-3) continue;
        const float depth = out.depth.at<float>(y, x), distance = out.distance.at<float>(y, x);
        if (std::abs(a) < 0.5 && std::abs(b) < 0.5) {
          ++covered;
          EXPECT_NEAR(depth, z, 1e-5) << x << "," << y;
          EXPECT_NEAR(distance, z * r.norm(), 1e-5) << x << "," << y;
          EXPECT_NEAR(distance, camera.intrinsics.RayDistanceFromDepth(PixelCentre(x, y), depth),
                      1e-5);
          EXPECT_EQ(out.mask.at<std::uint8_t>(y, x), 1);
        } else {
          EXPECT_EQ(depth, 0.0f) << x << "," << y;
          EXPECT_EQ(distance, 0.0f);
          EXPECT_EQ(out.mask.at<std::uint8_t>(y, x), 0);
        }
      }
    EXPECT_GT(covered, 300);
    EXPECT_LT(covered, 64 * 48 - 100);
  }
}

TEST(Renderer, ProjectedVerticesLandOnPixelsWhoseDepthIsTheirZ) {
  Camera camera = TestCamera(200);
  const Eigen::Vector3f centre(0.01f, -0.005f, 0.5f);
  const float radius = 0.05f;
  const core::io::Mesh sphere = MakeUvSphere(centre, radius, 60, 120);
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(sphere, {Matte({0.5f, 0.5f, 0.5f})}));
  scene.Commit();
  RenderSettings settings = Settings();
  settings.depth_only = true;
  const RenderOutput out = Render(scene, camera, Lighting(), settings);
  const double metres_per_pixel = 0.5 / 200;
  int checked = 0;
  for (int i = 0; i < sphere.NumVertices(); ++i) {
    const Eigen::Vector3d v = sphere.positions[i].cast<double>();
    const Eigen::Vector3d normal = sphere.normals[i].cast<double>();
    const double cos_view = normal.dot(-v.normalized());
    if (cos_view < std::cos(20 * kPi / 180)) continue;  // only surfaces facing the camera
    const Eigen::Vector2d pixel = camera.intrinsics.Project(v);
    ASSERT_TRUE(camera.intrinsics.Contains(pixel));
    const int x = static_cast<int>(std::floor(pixel.x())),
              y = static_cast<int>(std::floor(pixel.y()));
    // The pixel centre is up to 0.71 px from the vertex; the surface's depth changes by at
    // most tan(angle) per unit of lateral offset, plus the facets' sag (< 0.02 mm).
    const double offset = (PixelCentre(x, y) - pixel).norm() * metres_per_pixel;
    const double tolerance = std::tan(std::acos(cos_view) + 0.06) * offset + 5e-5;
    EXPECT_NEAR(out.depth.at<float>(y, x), v.z(), tolerance) << "vertex " << i;
    EXPECT_LT(tolerance, 1e-3);
    ++checked;
  }
  EXPECT_GT(checked, 100);
  // And the other way round: unprojecting any pixel's depth gives a point on the sphere (the
  // facets lie inside it by at most their sag).
  int hits = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const float depth = out.depth.at<float>(y, x);
      if (depth == 0) continue;
      ++hits;
      const Eigen::Vector3d q = camera.intrinsics.Unproject(PixelCentre(x, y), depth);
      const double r = (q - centre.cast<double>()).norm();
      EXPECT_LE(r, radius + 1e-5);
      EXPECT_GE(r, radius * std::cos(kPi / 60) - 1e-5);
    }
  EXPECT_GT(hits, 500);
}

TEST(Renderer, ShadowDarkensExactlyTheExpectedRegion) {
  const Camera camera = TestCamera();
  const Eigen::Vector3d light(0.6, -0.8, 0.3);
  Scene scene;
  AddPlane(&scene, {0, 0, 2}, {4, 0, 0}, {0, 4, 0}, Matte({0.7f, 0.7f, 0.7f}));
  // The occluder is hidden from the camera but casts its shadow.
  AddPlane(&scene, {0, 0, 1.2f}, {0.3f, 0, 0}, {0, 0.3f, 0}, Hidden());
  scene.Commit();
  Lighting lighting;
  lighting.lights.push_back(Light::Point(light, 50));
  const RenderOutput out = Render(scene, camera, lighting, Settings());
  int shadowed = 0, lit = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      EXPECT_NEAR(out.depth.at<float>(y, x), 2.0f, 1e-5);  // the occluder does not show
      const Eigen::Vector3d p = camera.intrinsics.Unproject(PixelCentre(x, y), 2.0);
      const Eigen::Vector3d on_occluder = p + (light - p) * ((2.0 - 1.2) / (2.0 - light.z()));
      const double edge = std::max(std::abs(on_occluder.x()), std::abs(on_occluder.y()));
      if (std::abs(edge - 0.15) < 2e-3) continue;
      const float value = Linear(out, x, y).x();
      if (edge < 0.15) {
        EXPECT_EQ(value, 0.0f) << x << "," << y;
        ++shadowed;
      } else {
        EXPECT_GT(value, 0.01f) << x << "," << y;
        ++lit;
      }
    }
  EXPECT_GT(shadowed, 30);
  EXPECT_GT(lit, 1000);
}

Scene* BusyScene() {
  static Scene* scene = [] {
    auto* s = new Scene();
    Material skin = Matte({0.8f, 0.5f, 0.4f});
    skin.specular = 0.05f;
    skin.roughness = 0.4f;
    s->AddMesh(MeshDescFromMesh(MakeUvSphere({0.05f, 0, 1.5f}, 0.3f, 16, 32), {skin}));
    AddPlane(s, {0, 0.3f, 1.5f}, {3, 0, 0}, {0, 0, 3},
             Matte({0.6f, 0.6f, 0.6f}, PartLabel::kBackground));
    AddPlane(s, {0, 0, 2.5f}, {4, 0, 0}, {0, 4, 0},
             Matte({0.3f, 0.5f, 0.7f}, PartLabel::kBackground));
    s->Commit();
    return s;
  }();
  return scene;
}

Lighting BusyLighting() {
  Lighting lighting;
  lighting.lights.push_back(Light::Area({0.5, -1, 0.5}, {0.3, 0, 0}, {0, 0, 0.3}, 100));
  lighting.lights.push_back(Light::Sun({0.3, 1, 0.5}, 1.5, 0.05));
  lighting.lights.push_back(Light::Spot({-0.5, -0.5, 0.5}, {0.5, 0.5, 1}, 40, 0.3, 0.5));
  lighting.ambient = {0.2f, 0.2f, 0.25f};
  return lighting;
}

TEST(Renderer, BitIdenticalForAnyThreadCount) {
  const Camera camera = TestCamera();
  for (bool indirect : {false, true}) {
    RenderSettings settings = Settings(5);  // not a square: Latin-hypercube strata
    settings.tile_size = 8;
    settings.ambient_occlusion.enabled = true;
    settings.ambient_occlusion.rays = 3;
    settings.indirect_diffuse = indirect;
    settings.normals = settings.ids = settings.barycentrics = true;
    settings.seed = 17;
    settings.threads = 1;
    const RenderOutput a = Render(*BusyScene(), camera, BusyLighting(), settings);
    settings.threads = 3;
    const RenderOutput b = Render(*BusyScene(), camera, BusyLighting(), settings);
    EXPECT_EQ(a.stats.threads, 1);
    EXPECT_EQ(b.stats.threads, 3);
    for (auto [x, y] : {std::pair(&a.rgb, &b.rgb), std::pair(&a.linear_rgb, &b.linear_rgb),
                        std::pair(&a.depth, &b.depth), std::pair(&a.distance, &b.distance),
                        std::pair(&a.mask, &b.mask), std::pair(&a.normals, &b.normals),
                        std::pair(&a.ids, &b.ids), std::pair(&a.barycentrics, &b.barycentrics)})
      EXPECT_TRUE(SameBytes(*x, *y));
    EXPECT_EQ(a.stats.TotalRays(), b.stats.TotalRays());
    EXPECT_GT(indirect ? a.stats.bounce_rays : a.stats.occlusion_rays, 0);
    settings.seed = 18;
    const RenderOutput c = Render(*BusyScene(), camera, BusyLighting(), settings);
    EXPECT_FALSE(SameBytes(a.rgb, c.rgb));     // the seed matters
    EXPECT_TRUE(SameBytes(a.depth, c.depth));  // but not for the centre-ray labels
  }
}

TEST(Renderer, MaskLabelsComeFromTheMaterialAtThePixelCentre) {
  const Camera camera = TestCamera();
  Scene scene;
  AddPlane(&scene, {0, 0, 3}, {6, 0, 0}, {0, 2, 0},
           Matte({0.5f, 0.5f, 0.5f}, PartLabel::kBackground));
  AddPlane(&scene, {-0.3f, 0, 1}, {0.2f, 0, 0}, {0, 0.2f, 0}, Matte({1, 1, 1}, PartLabel::kSkin));
  AddPlane(&scene, {0, 0, 1}, {0.2f, 0, 0}, {0, 0.2f, 0}, Matte({1, 1, 1}, PartLabel::kEyes));
  AddPlane(&scene, {0.3f, 0, 1}, {0.2f, 0, 0}, {0, 0.2f, 0}, Matte({1, 1, 1}, PartLabel::kMouth));
  AddPlane(&scene, {0, 0.3f, 1}, {0.2f, 0, 0}, {0, 0.2f, 0}, Matte({1, 1, 1}, PartLabel::kOther));
  // A hidden shell in front of everything changes nothing.
  AddPlane(&scene, {0, 0, 0.5f}, {5, 0, 0}, {0, 5, 0}, Hidden());
  scene.Commit();
  const RenderOutput out = Render(scene, camera, Lighting(), Settings());
  auto at = [&](double x, double z) {  // pixel of camera point (x, 0, z) (or (0, x, z) below)
    return camera.intrinsics.Project(Eigen::Vector3d(x, 0, z));
  };
  auto mask = [&](const Eigen::Vector2d& p) {
    return static_cast<int>(
        out.mask.at<std::uint8_t>(static_cast<int>(p.y()), static_cast<int>(p.x())));
  };
  auto depth = [&](const Eigen::Vector2d& p) {
    return out.depth.at<float>(static_cast<int>(p.y()), static_cast<int>(p.x()));
  };
  EXPECT_EQ(mask(at(-0.3, 1)), 1);
  EXPECT_EQ(mask(at(0, 1)), 2);
  EXPECT_EQ(mask(at(0.3, 1)), 3);
  EXPECT_EQ(mask(camera.intrinsics.Project(Eigen::Vector3d(0, 0.3, 1))), 4);
  EXPECT_NEAR(depth(at(0, 1)), 1.0f, 1e-5);
  // Scenery: label 0 but a depth.
  EXPECT_EQ(mask(at(0.45, 1)), 0);
  EXPECT_NEAR(depth(at(0.45, 1)), 3.0f, 1e-5);
  // Nothing at all: label 0, depth 0.
  EXPECT_EQ(mask(Eigen::Vector2d(32.5, 0.5)), 0);
  EXPECT_EQ(depth(Eigen::Vector2d(32.5, 0.5)), 0.0f);
}

TEST(Renderer, BackgroundShowsWhereRaysMiss) {
  const Camera camera = TestCamera();
  Scene scene;
  scene.AddMesh(
      MeshDescFromMesh(MakeUvSphere({0, 0, 2}, 0.3f, 12, 24), {Matte({0.8f, 0.2f, 0.2f})}));
  scene.Commit();
  Lighting lighting;
  lighting.ambient = {1, 1, 1};
  cv::Mat plate(48, 64, CV_8UC3);
  cv::randu(plate, 0, 256);
  Background background;
  background.image = plate;
  const RenderOutput out = Render(scene, camera, lighting, Settings(4), background);
  // Sphere silhouette radius: 0.3 / 2 * 60 = 9 px (a bit more with perspective).
  int far = 0, near = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const double r = (PixelCentre(x, y) - Eigen::Vector2d(32, 24)).norm();
      if (r > 12) {
        ++far;
        EXPECT_EQ(out.rgb.at<cv::Vec3b>(y, x), plate.at<cv::Vec3b>(y, x)) << x << "," << y;
        EXPECT_EQ(out.depth.at<float>(y, x), 0.0f);
      } else if (r < 6) {
        ++near;
        EXPECT_NE(out.rgb.at<cv::Vec3b>(y, x), plate.at<cv::Vec3b>(y, x));
      }
    }
  EXPECT_GT(far, 2000);
  EXPECT_GT(near, 50);
  // A backplate of another size is resized to the frame.
  cv::Mat small(24, 32, CV_8UC3);
  cv::randu(small, 0, 256);
  background.image = small;
  cv::Mat expected;
  cv::resize(small, expected, cv::Size(64, 48), 0, 0, cv::INTER_LINEAR);
  const RenderOutput resized = Render(scene, camera, lighting, Settings(1), background);
  EXPECT_EQ(resized.rgb.at<cv::Vec3b>(3, 3), expected.at<cv::Vec3b>(3, 3));
  EXPECT_EQ(resized.rgb.at<cv::Vec3b>(40, 60), expected.at<cv::Vec3b>(40, 60));
  // A flat colour (sRGB values).
  background.image = cv::Mat();
  background.color = Eigen::Vector3f(10, 100, 200) / 255.0f;
  const RenderOutput flat = Render(scene, camera, lighting, Settings(4), background);
  EXPECT_EQ(flat.rgb.at<cv::Vec3b>(2, 2), cv::Vec3b(200, 100, 10));
}

TEST(Renderer, NearAndFarClipPlanesArePlanar) {
  Camera camera = TestCamera();
  Scene scene;
  AddPlane(&scene, {-0.5f, 0, 0.5f}, {1, 0, 0}, {0, 2, 0}, Matte({1, 1, 1}));  // left half
  AddPlane(&scene, {0, 0, 1}, {5, 0, 0}, {0, 5, 0}, Matte({1, 1, 1}));
  scene.Commit();
  RenderSettings settings = Settings();
  camera.near_clip = 0.7;
  RenderOutput out = Render(scene, camera, Lighting(), settings);
  EXPECT_NEAR(out.depth.at<float>(24, 5), 1.0f, 1e-5);  // the near plane is clipped away
  EXPECT_NEAR(out.depth.at<float>(24, 60), 1.0f, 1e-5);
  camera.near_clip = 0.01;
  camera.far_clip = 0.8;
  out = Render(scene, camera, Lighting(), settings);
  EXPECT_NEAR(out.depth.at<float>(24, 5), 0.5f, 1e-5);
  EXPECT_EQ(out.depth.at<float>(24, 60), 0.0f);  // beyond far: a miss
  EXPECT_EQ(out.mask.at<std::uint8_t>(24, 60), 0);
  // Planar, not radial: a wall at z = 0.69 is clipped by near = 0.7 in every pixel, even in the
  // corners where its distance from the camera centre is 0.83 m.
  Scene wall;
  AddPlane(&wall, {0, 0, 0.69f}, {5, 0, 0}, {0, 5, 0}, Matte({1, 1, 1}));
  wall.Commit();
  camera.near_clip = 0.7;
  camera.far_clip = 10;
  out = Render(wall, camera, Lighting(), settings);
  EXPECT_EQ(cv::countNonZero(out.depth), 0);
  camera.near_clip = 0.68;
  out = Render(wall, camera, Lighting(), settings);
  EXPECT_EQ(cv::countNonZero(out.depth), 64 * 48);
}

// Fraction of the unoccluded light that reaches each pixel of a wall behind a hidden occluder.
cv::Mat ShadowRatio(const Light& light, int spp) {
  const Camera camera = TestCamera();
  Lighting lighting;
  lighting.lights.push_back(light);
  cv::Mat lit[2];
  for (int occluded = 0; occluded < 2; ++occluded) {
    Scene scene;
    AddPlane(&scene, {0, 0, 2}, {4, 0, 0}, {0, 4, 0}, Matte({0.7f, 0.7f, 0.7f}));
    if (occluded) AddPlane(&scene, {0, 0, 1.5f}, {0.4f, 0, 0}, {0, 0.4f, 0}, Hidden());
    scene.Commit();
    RenderSettings settings = Settings(spp);
    lit[occluded] = Render(scene, camera, lighting, settings).linear_rgb;
  }
  cv::Mat ratio;
  cv::divide(lit[1], lit[0], ratio);
  cv::extractChannel(ratio, ratio, 1);
  return ratio;
}

void CountRatios(const cv::Mat& ratio, int* dark, int* partial, int* full) {
  *dark = *partial = *full = 0;
  for (int y = 0; y < ratio.rows; ++y)
    for (int x = 0; x < ratio.cols; ++x) {
      const float r = ratio.at<float>(y, x);
      if (r < 0.02f)
        ++*dark;
      else if (r > 0.999f)
        ++*full;
      else if (r > 0.1f && r < 0.9f)
        ++*partial;
    }
}

TEST(Renderer, AreaAndSunLightsCastSoftShadows) {
  int dark, partial, full;
  // A point light: a hard shadow, nothing in between (one sample per pixel).
  CountRatios(ShadowRatio(Light::Point({0, 0, 0.5}, 20), 1), &dark, &partial, &full);
  EXPECT_GT(dark, 20);
  EXPECT_EQ(partial, 0);
  EXPECT_EQ(dark + full, 64 * 48);
  // An area light of 0.6 m at the same place: a wide penumbra.
  CountRatios(ShadowRatio(Light::Area({0, 0, 0.5}, {0.6, 0, 0}, {0, 0.6, 0}, 20), 16), &dark,
              &partial, &full);
  EXPECT_GT(partial, 60);
  EXPECT_GT(full, 500);
  // A sun of angular radius 0.1 rad: a penumbra about 3 px wide around the shadow.
  CountRatios(ShadowRatio(Light::Sun({0.1, 0.05, 1}, 2.0, 0.1), 16), &dark, &partial, &full);
  EXPECT_GT(partial, 30);
  EXPECT_GT(dark, 10);
  CountRatios(ShadowRatio(Light::Sun({0.1, 0.05, 1}, 2.0, 0.0), 1), &dark, &partial, &full);
  EXPECT_EQ(partial, 0);
}

TEST(Renderer, TexturedMaterialSamplesTheRightTexel) {
  const Camera camera = TestCamera();
  // An 8 x 8 texture made of 2 x 2-texel blocks of random colours, on a plane that covers pixels
  // [16, 32) x [8, 24): each block covers 4 x 4 pixels, and the middle 2 x 2 of them sample
  // only that block's texels (bilinear filtering included).
  cv::Mat blocks(4, 4, CV_8UC3);
  cv::randu(blocks, 0, 256);
  cv::Mat texture;
  cv::resize(blocks, texture, cv::Size(8, 8), 0, 0, cv::INTER_NEAREST);
  Material material = Matte({1, 1, 1});
  material.texture = Texture::FromImage(texture);
  Scene scene;
  const float s = 16.0f / 60.0f;
  // v points up in the image, so the texture appears upright.
  AddPlane(&scene, {-s / 2, -s / 2, 1}, {s, 0, 0}, {0, -s, 0}, material);
  scene.Commit();
  Lighting lighting;
  lighting.ambient = {1, 1, 1};  // radiance = albedo: the texel's own colour
  const RenderOutput out = Render(scene, camera, lighting, Settings());
  for (int bj = 0; bj < 4; ++bj)
    for (int bi = 0; bi < 4; ++bi)
      for (int k = 1; k <= 2; ++k)
        for (int l = 1; l <= 2; ++l)
          EXPECT_EQ(out.rgb.at<cv::Vec3b>(8 + 4 * bj + l, 16 + 4 * bi + k),
                    blocks.at<cv::Vec3b>(bj, bi))
              << "block " << bi << "," << bj;
}

TEST(Renderer, LightsFollowTheirRadiometricDefinitions) {
  const Camera camera = TestCamera();
  Scene scene;
  AddPlane(&scene, {0, 0, 1}, {4, 0, 0}, {0, 4, 0}, Matte({0.5f, 0.5f, 0.5f}));
  scene.Commit();
  const int x = 32, y = 24;
  const Eigen::Vector3d q = camera.intrinsics.Unproject(PixelCentre(x, y), 1.0);
  const double d = q.norm(), cos_surface = 1.0 / d;
  auto render = [&](const Lighting& lighting, double exposure = 0) {
    RenderSettings settings = Settings();
    settings.exposure = exposure;
    return Render(scene, camera, lighting, settings);
  };
  Lighting lighting;
  // Point light of 10 W at the camera centre: radiance = albedo / pi * P / (4 pi d^2) * cos.
  lighting.lights = {Light::Point({0, 0, 0}, 10)};
  const double point = 0.5 / kPi * 10 / (4 * kPi * d * d) * cos_surface;
  EXPECT_NEAR(Linear(render(lighting), x, y).x(), point, 1e-5 * point);
  EXPECT_NEAR(Linear(render(lighting, 1.0), x, y).x(), 2 * point, 2e-5 * point);
  // A coloured light tints each channel.
  lighting.lights = {Light::Point({0, 0, 0}, 10, {1, 0.5f, 0})};
  const Eigen::Vector3f tinted = Linear(render(lighting), x, y);
  EXPECT_NEAR(tinted.y(), 0.5 * point, 1e-5);
  EXPECT_EQ(tinted.z(), 0.0f);
  // Sun: radiance = albedo / pi * E * cos.
  lighting.lights = {Light::Sun({0, 0, 1}, 3.0)};
  EXPECT_NEAR(Linear(render(lighting), x, y).x(), 0.5 / kPi * 3.0, 1e-6);
  // Spot: a point light inside its inner cone, nothing outside its outer cone.
  lighting.lights = {Light::Spot({0, 0, 0}, {0, 0, 1}, 10, 0.2, 0.3)};
  const RenderOutput spot = render(lighting);
  EXPECT_NEAR(Linear(spot, x, y).x(), point, 1e-5 * point);
  EXPECT_EQ(Linear(spot, 0, 24).x(), 0.0f);  // 0.48 rad off axis
  // A tiny area light facing the plane: a Lambertian emitter's intensity along its normal is
  // P / pi, four times an isotropic point light's P / (4 pi).
  lighting.lights = {Light::Area({0, 0, 0}, {1e-3, 0, 0}, {0, 1e-3, 0}, 10)};
  EXPECT_NEAR(Linear(render(lighting), x, y).x(), point * 4 * cos_surface, 1e-3 * point);
  // Turned away, it lights nothing.
  lighting.lights = {Light::Area({0, 0, 0}, {0, 1e-3, 0}, {1e-3, 0, 0}, 10)};
  EXPECT_EQ(Linear(render(lighting), x, y).x(), 0.0f);
  // Ambient: radiance = albedo * ambient.
  lighting.lights.clear();
  lighting.ambient = {0.2f, 0.2f, 0.2f};
  EXPECT_NEAR(Linear(render(lighting), x, y).x(), 0.1, 1e-6);
}

TEST(Renderer, SpecularLobePeaksAtTheMirrorDirection) {
  const Camera camera = TestCamera();
  Material glossy = Matte({0.2f, 0.2f, 0.2f});
  glossy.specular = 0.04f;
  glossy.roughness = 0.2f;
  Scene scene;
  AddPlane(&scene, {0, 0, 1}, {4, 0, 0}, {0, 4, 0}, glossy);
  scene.Commit();
  Lighting lighting;
  lighting.lights = {Light::Point({0, 0, 0}, 10)};  // at the camera: highlight at the centre
  const RenderOutput out = Render(scene, camera, lighting, Settings());
  const float centre = Linear(out, 32, 24).x();
  const float lambert_only = static_cast<float>(0.2 * 0.96 / kPi * 10 / (4 * kPi));
  EXPECT_GT(centre, 3 * lambert_only);
  EXPECT_LT(Linear(out, 50, 24).x(), centre / 2);
}

TEST(Renderer, AmbientOcclusionDarkensCreases) {
  const Camera camera = TestCamera();
  Scene scene;
  AddPlane(&scene, {0, 0, 2}, {4, 0, 0}, {0, 4, 0}, Matte({0.8f, 0.8f, 0.8f}));
  scene.AddMesh(MeshDescFromMesh(MakeBox({0.3f, -0.2f, 1.7f}, {0.7f, 0.2f, 2.0f}),
                                 {Matte({0.8f, 0.8f, 0.8f})}));
  scene.Commit();
  Lighting lighting;
  lighting.ambient = {1, 1, 1};
  RenderSettings settings = Settings(4);
  const RenderOutput open = Render(scene, camera, lighting, settings);
  settings.ambient_occlusion.enabled = true;
  settings.ambient_occlusion.rays = 16;
  settings.ambient_occlusion.max_distance = 0.3;
  const RenderOutput ao = Render(scene, camera, lighting, settings);
  EXPECT_NEAR(Linear(open, 40, 24).x(), 0.8f, 1e-6);
  EXPECT_LT(Linear(ao, 40, 24).x(), 0.8f * Linear(open, 40, 24).x());  // 1.7 cm from the box
  EXPECT_NEAR(Linear(ao, 2, 24).x(), Linear(open, 2, 24).x(), 1e-5);   // 1.3 m away
  EXPECT_GT(ao.stats.occlusion_rays, 0);
}

TEST(Renderer, DiffuseBounceCarriesColourToNeighbours) {
  const Camera camera = TestCamera();
  Scene scene;
  AddPlane(&scene, {0, 0, 2}, {4, 0, 0}, {0, 4, 0}, Matte({0.8f, 0.8f, 0.8f}));
  scene.AddMesh(MeshDescFromMesh(MakeBox({0.3f, -0.2f, 1.7f}, {0.7f, 0.2f, 2.0f}),
                                 {Matte({0.9f, 0.05f, 0.05f})}));
  scene.Commit();
  Lighting lighting;
  lighting.lights = {Light::Sun({1, 0, 1}, 3.0)};  // lights the wall and the box's left face
  RenderSettings settings = Settings(16);
  auto red_over_green = [](const RenderOutput& out, int x0, int x1) {
    double r = 0, g = 0;
    for (int y = 20; y < 28; ++y)
      for (int x = x0; x < x1; ++x) {
        r += Linear(out, x, y).x();
        g += Linear(out, x, y).y();
      }
    return r / g;
  };
  const RenderOutput direct = Render(scene, camera, lighting, settings);
  EXPECT_NEAR(red_over_green(direct, 38, 41), 1.0, 1e-5);
  settings.indirect_diffuse = true;
  const RenderOutput bounce = Render(scene, camera, lighting, settings);
  EXPECT_GT(red_over_green(bounce, 38, 41), 1.05);  // next to the red box
  EXPECT_LT(red_over_green(bounce, 2, 5), red_over_green(bounce, 38, 41));
  EXPECT_GT(bounce.stats.bounce_rays, 0);
}

TEST(Texture, FiltersInLinearSpaceWithRepeatWrapping) {
  cv::Mat image(1, 2, CV_8UC3);
  image.at<cv::Vec3b>(0, 0) = cv::Vec3b(0, 0, 0);
  image.at<cv::Vec3b>(0, 1) = cv::Vec3b(255, 128, 255);  // BGR
  const auto texture = Texture::FromImage(image);
  EXPECT_EQ(texture->width(), 2);
  EXPECT_NEAR(texture->Texel(1, 0).y(), SrgbToLinear(128 / 255.0f), 1e-6);
  // Half-way between the texel centres: the mean of the linear values, not of the sRGB codes.
  EXPECT_NEAR(texture->Sample({0.5f, 0.5f}).x(), 0.5f, 1e-6);
  EXPECT_NEAR(texture->Sample({0.25f, 0.5f}).x(), 0.0f, 1e-6);  // texel 0's centre
  EXPECT_NEAR(texture->Sample({1.25f, 0.5f}).x(), 0.0f, 1e-6);  // repeats
  EXPECT_NEAR(texture->Sample({0.0f, 0.5f}).x(), 0.5f, 1e-6);   // wraps across the edge
  const auto data = Texture::FromImage(image, /*srgb=*/false);
  EXPECT_NEAR(data->Texel(1, 0).y(), 128 / 255.0f, 1e-6);
  EXPECT_THROW(Texture::FromImage(cv::Mat()), core::Error);
}

TEST(Renderer, VertexColoursMultiplyTheAlbedo) {
  const Camera camera = TestCamera();
  MeshDesc desc =
      MeshDescFromMesh(MakePlane({0, 0, 1}, {4, 0, 0}, {0, 4, 0}), {Matte({0.5f, 0.5f, 0.5f})});
  desc.vertex_colors = {{1, 0, 0}, {1, 0, 0}, {0, 0, 1}, {0, 0, 1}};  // bottom red, top blue
  desc.materials[0].use_vertex_colors = true;
  Scene scene;
  scene.AddMesh(desc);
  scene.Commit();
  Lighting lighting;
  lighting.ambient = {1, 1, 1};
  const RenderOutput out = Render(scene, camera, lighting, Settings());
  // Pixel row y sees the plane at world y = (y + 0.5 - 24) / 60; v = y_world / 4 + 0.5.
  for (int y : {0, 24, 47}) {
    const float v = static_cast<float>((y + 0.5 - 24) / 60.0 / 4.0 + 0.5);
    const Eigen::Vector3f c = Linear(out, 32, y);
    EXPECT_NEAR(c.x(), 0.5f * (1 - v), 1e-5) << y;
    EXPECT_NEAR(c.z(), 0.5f * v, 1e-5) << y;
    EXPECT_EQ(c.y(), 0.0f);
  }
}

TEST(Renderer, InstancesRenderWithTheirTransform) {
  const Camera camera = TestCamera();
  auto prototype = Prototype::Build(
      {MeshDescFromMesh(MakeUvSphere({0, 0, 0}, 1.0f, 48, 96), {Matte({1, 1, 1})})});
  Scene scene;
  Eigen::Affine3d place = Eigen::Affine3d::Identity();
  place.translate(Eigen::Vector3d(0, 0, 2));
  place.rotate(Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 1, 0).normalized()));
  place.scale(0.3);
  scene.AddInstance(prototype, place);
  scene.Commit();
  RenderSettings settings = Settings();
  settings.normals = settings.ids = true;
  const RenderOutput out = Render(scene, camera, Lighting(), settings);
  // Pixel (32, 24) looks almost straight at the sphere's front pole.
  EXPECT_NEAR(out.depth.at<float>(24, 32), 1.7f, 2e-3);
  const cv::Vec3f n = out.normals.at<cv::Vec3f>(24, 32);
  EXPECT_NEAR(n[2], -1.0f, 5e-3);  // the pixel centre is 0.7 px off the pole
  EXPECT_EQ(out.ids.at<cv::Vec3i>(24, 32)[0], 0);
  // Every hit lies on the placed sphere.
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const float depth = out.depth.at<float>(y, x);
      if (depth == 0) continue;
      const Eigen::Vector3d q = camera.intrinsics.Unproject(PixelCentre(x, y), depth);
      EXPECT_NEAR((q - Eigen::Vector3d(0, 0, 2)).norm(), 0.3, 1e-3);
      const cv::Vec3f nn = out.normals.at<cv::Vec3f>(y, x);
      const Eigen::Vector3d radial = (q - Eigen::Vector3d(0, 0, 2)).normalized();
      EXPECT_GT(radial.dot(Eigen::Vector3d(nn[0], nn[1], nn[2])), 0.99);
    }
}

TEST(Renderer, AovsDescribeTheCentreHit) {
  const Camera camera = TestCamera();
  const core::io::Mesh plane = MakePlane({0, 0, 1}, {1, 0, 0}, {0, 1, 0}, 4, 4);
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(MakePlane({0, 0, 3}, {9, 0, 0}, {0, 9, 0}), {Matte({1, 1, 1})}));
  scene.AddMesh(MeshDescFromMesh(plane, {Matte({1, 1, 1})}));
  scene.Commit();
  RenderSettings settings = Settings();
  settings.normals = settings.ids = settings.barycentrics = true;
  const RenderOutput out = Render(scene, camera, Lighting(), settings);
  int checked = 0;
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      const cv::Vec3i id = out.ids.at<cv::Vec3i>(y, x);
      ASSERT_GE(id[0], 0);
      const cv::Vec3f n = out.normals.at<cv::Vec3f>(y, x);
      EXPECT_NEAR(n[2], -1.0f, 1e-6);  // facing the camera
      if (id[0] != 1) continue;
      EXPECT_EQ(id[1], 0);
      const Eigen::Vector3i& t = plane.triangles[id[2]];
      const cv::Vec2f b = out.barycentrics.at<cv::Vec2f>(y, x);
      const Eigen::Vector3f p = (1 - b[0] - b[1]) * plane.positions[t[0]] +
                                b[0] * plane.positions[t[1]] + b[1] * plane.positions[t[2]];
      const Eigen::Vector3d expected =
          camera.intrinsics.Unproject(PixelCentre(x, y), out.depth.at<float>(y, x));
      EXPECT_NEAR((p.cast<double>() - expected).norm(), 0, 1e-5);
      ++checked;
    }
  EXPECT_GT(checked, 500);
}

TEST(Renderer, DepthOnlyModeGivesTheSameLabels) {
  const Camera camera = TestCamera();
  RenderSettings settings = Settings(4);
  const RenderOutput full = Render(*BusyScene(), camera, BusyLighting(), settings);
  settings.depth_only = true;
  const RenderOutput depth = Render(*BusyScene(), camera, BusyLighting(), settings);
  EXPECT_TRUE(depth.rgb.empty());
  EXPECT_TRUE(SameBytes(full.depth, depth.depth));
  EXPECT_TRUE(SameBytes(full.distance, depth.distance));
  EXPECT_TRUE(SameBytes(full.mask, depth.mask));
  EXPECT_EQ(depth.stats.camera_rays, 64 * 48);
  EXPECT_EQ(depth.stats.shadow_rays, 0);
  EXPECT_EQ(full.stats.camera_rays, 64 * 48 * 5);
  EXPECT_GT(full.stats.shadow_rays, 0);
}

TEST(Renderer, IsVisibleForLandmarks) {
  Camera camera = TestCamera();
  camera.far_clip = 3;
  const core::io::Mesh sphere = MakeUvSphere({0, 0, 1}, 0.2f, 24, 48);
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(sphere, {Matte({1, 1, 1})}));
  AddPlane(&scene, {0, 0, 0.3f}, {2, 0, 0}, {0, 2, 0}, Hidden());  // hidden shells never occlude
  scene.Commit();
  EXPECT_TRUE(IsVisible(scene, camera, {0, 0, 0.8}));     // front pole, on the surface
  EXPECT_FALSE(IsVisible(scene, camera, {0, 0, 1.2}));    // back pole
  EXPECT_FALSE(IsVisible(scene, camera, {5, 0, 1}));      // outside the image
  EXPECT_FALSE(IsVisible(scene, camera, {0, 0, 5}));      // beyond the far plane
  EXPECT_FALSE(IsVisible(scene, camera, {0, 0, 0.005}));  // nearer than the near plane
  EXPECT_TRUE(IsVisible(scene, camera, {0.3, 0.1, 1}));   // nothing in the way
  // 1 mm inside the surface: hidden, unless the tolerance allows for it.
  EXPECT_FALSE(IsVisible(scene, camera, {0, 0, 0.801}, 1e-4));
  EXPECT_TRUE(IsVisible(scene, camera, {0, 0, 0.801}, 2e-3));
  // Sphere vertices: those clearly facing the camera are visible, those facing away are not.
  std::vector<Eigen::Vector3d> points;
  for (const auto& p : sphere.positions) points.push_back(p.cast<double>());
  const std::vector<std::uint8_t> visible = AreVisible(scene, camera, points);
  int front = 0, back = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const double facing = sphere.normals[i].cast<double>().dot(-points[i].normalized());
    if (facing > 0.2) {
      EXPECT_EQ(visible[i], 1) << i;
      ++front;
    } else if (facing < -0.15) {  // clear of the faceted silhouette
      EXPECT_EQ(visible[i], 0) << i;
      ++back;
    }
    EXPECT_EQ(visible[i] != 0, IsVisible(scene, camera, points[i]));
  }
  EXPECT_GT(front, 100);
  EXPECT_GT(back, 100);
}

TEST(Renderer, RejectsInvalidInput) {
  Scene uncommitted;
  EXPECT_THROW(Render(uncommitted, TestCamera(), Lighting(), Settings()), core::Error);
  Camera bad_camera = TestCamera();
  bad_camera.far_clip = 0.001;
  EXPECT_THROW(Render(*BusyScene(), bad_camera, Lighting(), Settings()), core::Error);
  RenderSettings settings = Settings();
  settings.samples_per_pixel = 0;
  EXPECT_THROW(Render(*BusyScene(), TestCamera(), Lighting(), settings), core::Error);
  Lighting lighting;
  lighting.lights = {Light::Spot({0, 0, 0}, {0, 0, 1}, 10, 0.5, 0.2)};  // inner > outer
  EXPECT_THROW(Render(*BusyScene(), TestCamera(), lighting, Settings()), core::Error);
  lighting.lights = {Light::Point({0, 0, 0}, -1)};
  EXPECT_THROW(Render(*BusyScene(), TestCamera(), lighting, Settings()), core::Error);
  Background background;
  background.image = cv::Mat(4, 4, CV_32FC3, cv::Scalar(0));
  EXPECT_THROW(Render(*BusyScene(), TestCamera(), Lighting(), Settings(), background), core::Error);
  EXPECT_THROW(IsVisible(uncommitted, TestCamera(), {0, 0, 1}), core::Error);
}

}  // namespace
}  // namespace synface::synth::render
