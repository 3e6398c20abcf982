// Renderer speed on a head at 640x480 on all cores (issue "synth", item 14):
//   (a) BM_RenderRgbDepthMask: RGB + depth + mask, 4 samples per pixel, shadows from one light;
//   (b) BM_RenderDepthMask: depth + mask only (one centre ray per pixel);
//   BM_RenderRoom: (a) with the head inside a room, so every pixel is shaded (as in the
//   generator's scenes), with a digest of the output bytes;
// each per labelled sample, i.e. including the rebuild of the posed head's scene, as the
// generator does for every sample; plus the raw Embree throughput on the same mesh and the same
// rays (primary and shadow rays; rtcIntersect1 / rtcOccluded1 one ray at a time, the stream API
// rtcIntersect1M / rtcOccluded1M the renderer uses, and 8-wide packets).
//
// Counters: samples_per_s, Mrays_per_s; rays_only_ms = the time the render's own rays take traced
// raw (stream API, same thread count, same scene, measured right after each render), and
// x_rays_only = (scene build + render) / rays_only_ms (the target: <= 2); cpu_ms,
// idle_samples_per_s and x_rays_only_cpu are the same on process CPU time (load-independent).
//
// The head is the ICT Face Model's neutral mesh (52k triangles, helper shells hidden) when the
// model is available, else a procedural head-sized surface of ~51k triangles.
//
//   bazel run -c opt //synth/render:render_benchmark
#include <benchmark/benchmark.h>
#include <embree3/rtcore.h>
#include <fmt/format.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <functional>
#include <opencv2/core.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/geometry/camera.h"
#include "core/io/mesh.h"
#include "core/util/runfiles.h"
#include "synth/render/primitives.h"
#include "synth/render/renderer.h"
#include "synth/render/sampling.h"

namespace synface::synth::render {
namespace {

constexpr int kWidth = 640, kHeight = 480, kSamplesPerPixel = 4, kTile = 16;

// CPU seconds used by the whole process (all threads) so far: with other work on the machine
// (the project's own builds), wall times swing, CPU time much less; CPU time / cores is what the
// wall time would be on idle cores.
double ProcessCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int Threads() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

// ---------------------------------------------------------------------------------------------
// The head.

struct Head {
  std::string source;
  std::shared_ptr<const MeshTopology> topology;
  std::vector<Eigen::Vector3f> positions;  // metres
  std::vector<Material> materials;         // per part
  Eigen::Vector3d centre;                  // eye midpoint (or the procedural head's centre)
};

Material SkinMaterial(PartLabel part, Eigen::Vector3f albedo, float roughness, float specular) {
  Material m;
  m.albedo = albedo;
  m.roughness = roughness;
  m.specular = specular;
  m.part = part;
  return m;
}

Head IctHead() {
  const auto path = core::IctFacekitRoot() / "FaceXModel" / "generic_neutral_mesh.obj";
  core::io::ObjLoadOptions options;
  options.scale_to_metres = 0.01f;
  const core::io::Mesh mesh = core::io::LoadObjKeepingNumbering(path, options);
  Head head;
  head.source = "ICT neutral mesh";
  head.topology = MeshTopology::FromMesh(mesh);
  head.positions = mesh.positions;
  for (const auto& part : mesh.parts) {
    const std::string& n = part.material.empty() ? part.name : part.material;
    Material m = SkinMaterial(PartLabel::kSkin, {0.62f, 0.42f, 0.33f}, 0.5f, 0.03f);
    if (n.find("Teeth") != std::string::npos) {
      m = SkinMaterial(PartLabel::kMouth, {0.8f, 0.78f, 0.7f}, 0.3f, 0.05f);
    } else if (n.find("Gums") != std::string::npos) {
      m = SkinMaterial(PartLabel::kMouth, {0.5f, 0.15f, 0.15f}, 0.4f, 0.03f);
    } else if (n.find("Sclera") != std::string::npos) {
      m = SkinMaterial(PartLabel::kEyes, {0.8f, 0.78f, 0.75f}, 0.1f, 0.04f);
    } else if (n.find("Iris") != std::string::npos) {
      m = SkinMaterial(PartLabel::kEyes, {0.25f, 0.15f, 0.08f}, 0.1f, 0.04f);
    } else if (n.find("Lashes") != std::string::npos) {
      m = SkinMaterial(PartLabel::kOther, {0.05f, 0.04f, 0.03f}, 0.6f, 0.02f);
    } else if (n.find("Lacrimal") != std::string::npos || n.find("Blend") != std::string::npos ||
               n.find("Occlusion") != std::string::npos) {
      m.visible_to_camera = false;  // helper shells of the ICT model
      m.casts_shadow = false;
    }
    m.name = n;
    head.materials.push_back(m);
  }
  // Eyeball vertex ranges of the ICT topology (README): left 21451..23020, right 23021..24590.
  Eigen::AlignedBox3d left, right;
  for (int i = 21451; i <= 23020; ++i) left.extend(mesh.positions[i].cast<double>());
  for (int i = 23021; i <= 24590; ++i) right.extend(mesh.positions[i].cast<double>());
  head.centre = 0.5 * (left.center() + right.center());
  return head;
}

// A closed head-sized surface (~51k triangles): a deformed UV sphere with a nose, brows and
// cheek bumps and fine ripples (so the BVH sees realistic, non-planar detail).
Head ProceduralHead() {
  core::io::Mesh mesh = MakeUvSphere({0, 0, 0}, 1.0f, 128, 200, "procedural head");
  for (auto& p : mesh.positions) {
    const Eigen::Vector3f d = p.normalized();
    float r = 1.0f + 0.02f * std::sin(23 * d.x()) * std::sin(19 * d.y()) * std::sin(17 * d.z());
    const float front = std::max(0.0f, d.z());
    r += 0.25f * std::exp(-((d.x() * d.x()) / 0.004f + (d.y() + 0.05f) * (d.y() + 0.05f) / 0.03f)) *
         front;                                                                  // nose
    r += 0.06f * std::exp(-((d.y() - 0.3f) * (d.y() - 0.3f)) / 0.004f) * front;  // brows
    p = Eigen::Vector3f(0.075f, 0.1f, 0.09f).cwiseProduct(d * r);
  }
  Head head;
  head.source = "procedural surface";
  head.topology = MeshTopology::FromMesh(mesh);
  head.positions = mesh.positions;
  head.materials = {SkinMaterial(PartLabel::kSkin, {0.62f, 0.42f, 0.33f}, 0.5f, 0.03f)};
  head.centre = Eigen::Vector3d(0, 0.02, 0.03);
  return head;
}

const Head& TheHead() {
  static const Head head = core::IctFacekitAvailable() ? IctHead() : ProceduralHead();
  return head;
}

// ---------------------------------------------------------------------------------------------
// The sample: camera 0.3 m in front of the head centre (ch2 digest 3-C2), the authors' intrinsics
// (fx = fy = 400 at 640x480), a 200 W point light behind the camera and to the side (2.5).

Camera TheCamera() {
  Camera camera;
  camera.intrinsics = core::geometry::AuthorsCodePreset(kWidth, kHeight);
  camera.near_clip = 0.01;
  camera.far_clip = 5.0;
  // The face looks along world +z; the camera looks back along -z with image-down = world -y.
  Eigen::Matrix3d r;
  r << 1, 0, 0, 0, -1, 0, 0, 0, -1;
  const Eigen::Vector3d centre = TheHead().centre + Eigen::Vector3d(0, 0, 0.3);
  camera.cam_from_world = core::geometry::Rigid3d(r, -r * centre);
  return camera;
}

Lighting TheLighting() {
  Lighting lighting;
  lighting.lights.push_back(Light::Point(TheHead().centre + Eigen::Vector3d(1.0, 0.5, 2.3), 200));
  lighting.ambient = {0.05f, 0.05f, 0.05f};
  return lighting;
}

// The posed head of sample `index` (a small rotation, so each sample's scene differs).
std::unique_ptr<Scene> BuildScene(int index, BuildQuality quality, bool commit = true) {
  const Head& head = TheHead();
  MeshDesc desc;
  desc.name = head.source;
  desc.topology = head.topology;
  desc.positions = head.positions;
  desc.materials = head.materials;
  const double angle = 0.02 * std::sin(index * 0.7);
  desc.world_from_object = Eigen::Translation3d(head.centre) *
                           Eigen::AngleAxisd(angle, Eigen::Vector3d::UnitY()) *
                           Eigen::Translation3d(-head.centre);
  auto scene = std::make_unique<Scene>(quality);
  scene->AddMesh(std::move(desc));
  if (commit) scene->Commit();
  return scene;
}

RenderSettings TheSettings(bool depth_only) {
  RenderSettings settings;
  settings.samples_per_pixel = kSamplesPerPixel;
  settings.tile_size = kTile;
  settings.depth_only = depth_only;
  settings.threads = 0;
  return settings;
}

// ---------------------------------------------------------------------------------------------
// Raw rays: the renderer's camera rays (per 16x16 tile: centre rays, then 4 jittered rays per
// pixel, with the renderer's own sample positions) and shadow rays from their hits to the light.

struct RaySet {
  std::vector<std::vector<RTCRayHit>> primary;  // per tile
  std::vector<std::vector<RTCRay>> shadow;      // per tile
  long num_primary = 0, num_shadow = 0;
};

void ParallelFor(int count, const std::function<void(int)>& body) {
  std::atomic<int> next{0};
  auto work = [&] {
    const unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040);
    for (int i = next++; i < count; i = next++) body(i);
    _mm_setcsr(csr);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < Threads(); ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

RaySet MakeRays(const Scene& scene, bool depth_only) {
  const Camera camera = TheCamera();
  const Eigen::Matrix3f world_from_cam =
      camera.cam_from_world.RotationMatrix().transpose().cast<float>();
  const Eigen::Vector3f origin = camera.CentreInWorld().cast<float>();
  const auto& k = camera.intrinsics;
  const Eigen::Vector3f light = TheLighting().lights[0].position.cast<float>();
  auto direction = [&](double u, double v) -> Eigen::Vector3f {
    return world_from_cam * Eigen::Vector3f(static_cast<float>((u - k.cx) / k.fx),
                                            static_cast<float>((v - k.cy) / k.fy), 1.0f);
  };
  auto init = [&](RTCRayHit* rh, const Eigen::Vector3f& d) {
    *rh = RTCRayHit{};
    rh->ray.org_x = origin.x();
    rh->ray.org_y = origin.y();
    rh->ray.org_z = origin.z();
    rh->ray.dir_x = d.x();
    rh->ray.dir_y = d.y();
    rh->ray.dir_z = d.z();
    rh->ray.tnear = static_cast<float>(camera.near_clip);
    rh->ray.tfar = static_cast<float>(camera.far_clip);
    rh->ray.mask = kCameraRayMask;
    rh->hit.geomID = rh->hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
  };
  const int tiles_x = (kWidth + kTile - 1) / kTile, tiles_y = (kHeight + kTile - 1) / kTile;
  RaySet set;
  set.primary.resize(tiles_x * tiles_y);
  set.shadow.resize(tiles_x * tiles_y);
  const int spp = depth_only ? 0 : kSamplesPerPixel;
  for (int t = 0; t < tiles_x * tiles_y; ++t) {
    const int x0 = (t % tiles_x) * kTile, y0 = (t / tiles_x) * kTile;
    auto& rays = set.primary[t];
    rays.resize(kTile * kTile * (1 + spp));
    for (int p = 0; p < kTile * kTile; ++p) {
      const int x = x0 + p % kTile, y = y0 + p / kTile;
      init(&rays[p], direction(x + 0.5, y + 0.5));
      const std::uint64_t pixel_key =
          HashKey(0, (static_cast<std::uint64_t>(y) << 32) | static_cast<std::uint32_t>(x));
      for (int s = 0; s < spp; ++s) {
        SampleRandom rng(pixel_key, static_cast<std::uint64_t>(s) << 24);  // as the renderer
        const Eigen::Vector2f j = Strata(spp).Sample(s, rng.Next2(), 0);
        init(&rays[kTile * kTile + p * spp + s], direction(x + j.x(), y + j.y()));
      }
    }
    set.num_primary += static_cast<long>(rays.size());
    // Shadow rays from the jittered samples' hits that face the light.
    std::vector<RTCRayHit> traced = rays;
    RTCIntersectContext context;
    rtcInitIntersectContext(&context);
    rtcIntersect1M(scene.embree_scene(), &context, traced.data(),
                   static_cast<unsigned>(traced.size()), sizeof(RTCRayHit));
    for (size_t i = (spp ? kTile * kTile : 0); i < traced.size() && !depth_only; ++i) {
      const RTCRayHit& rh = traced[i];
      if (rh.hit.geomID == RTC_INVALID_GEOMETRY_ID) continue;
      const Eigen::Vector3f d(rh.ray.dir_x, rh.ray.dir_y, rh.ray.dir_z);
      const Eigen::Vector3f p = origin + rh.ray.tfar * d;
      Eigen::Vector3f n = Eigen::Vector3f(rh.hit.Ng_x, rh.hit.Ng_y, rh.hit.Ng_z).normalized();
      if (n.dot(d) > 0) n = -n;
      const Eigen::Vector3f to_light = light - p;
      if (n.dot(to_light) <= 0) continue;
      RTCRay r{};
      const Eigen::Vector3f o = p + n * 1e-5f;
      r.org_x = o.x();
      r.org_y = o.y();
      r.org_z = o.z();
      const float dist = to_light.norm();
      r.dir_x = to_light.x() / dist;
      r.dir_y = to_light.y() / dist;
      r.dir_z = to_light.z() / dist;
      r.tnear = 0;
      r.tfar = dist;
      r.mask = kSecondaryRayMask;
      set.shadow[t].push_back(r);
    }
    set.num_shadow += static_cast<long>(set.shadow[t].size());
  }
  return set;
}

enum class Api { kSingle, kStream, kPacket8 };
const char* ApiName(Api api) {
  return api == Api::kSingle   ? "rtcIntersect1/rtcOccluded1"
         : api == Api::kStream ? "rtcIntersect1M/rtcOccluded1M (renderer)"
                               : "rtcIntersect8/rtcOccluded8";
}

void TracePrimaryTile(RTCScene scene, std::vector<RTCRayHit>& rays, Api api) {
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  context.flags = RTC_INTERSECT_CONTEXT_FLAG_COHERENT;
  switch (api) {
    case Api::kSingle:
      for (auto& r : rays) rtcIntersect1(scene, &context, &r);
      break;
    case Api::kStream:
      rtcIntersect1M(scene, &context, rays.data(), static_cast<unsigned>(rays.size()),
                     sizeof(RTCRayHit));
      break;
    case Api::kPacket8:
      for (size_t b = 0; b < rays.size(); b += 8) {
        alignas(32) RTCRayHit8 packet;
        alignas(32) int valid[8];
        for (int k = 0; k < 8; ++k) {
          const size_t i = std::min(b + k, rays.size() - 1);
          valid[k] = b + k < rays.size() ? -1 : 0;
          const RTCRay& r = rays[i].ray;
          packet.ray.org_x[k] = r.org_x;
          packet.ray.org_y[k] = r.org_y;
          packet.ray.org_z[k] = r.org_z;
          packet.ray.dir_x[k] = r.dir_x;
          packet.ray.dir_y[k] = r.dir_y;
          packet.ray.dir_z[k] = r.dir_z;
          packet.ray.tnear[k] = r.tnear;
          packet.ray.tfar[k] = r.tfar;
          packet.ray.time[k] = 0;
          packet.ray.mask[k] = r.mask;
          packet.ray.id[k] = 0;
          packet.ray.flags[k] = 0;
          packet.hit.geomID[k] = RTC_INVALID_GEOMETRY_ID;
          packet.hit.instID[0][k] = RTC_INVALID_GEOMETRY_ID;
        }
        rtcIntersect8(valid, scene, &context, &packet);
        benchmark::DoNotOptimize(packet.hit.geomID[0]);
      }
      break;
  }
  benchmark::DoNotOptimize(rays.data());
}

void TraceShadowTile(RTCScene scene, std::vector<RTCRay>& rays, Api api) {
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  context.flags = RTC_INTERSECT_CONTEXT_FLAG_INCOHERENT;
  switch (api) {
    case Api::kSingle:
      for (auto& r : rays) rtcOccluded1(scene, &context, &r);
      break;
    case Api::kStream:
      rtcOccluded1M(scene, &context, rays.data(), static_cast<unsigned>(rays.size()),
                    sizeof(RTCRay));
      break;
    case Api::kPacket8:
      for (size_t b = 0; b < rays.size(); b += 8) {
        alignas(32) RTCRay8 packet;
        alignas(32) int valid[8];
        for (int k = 0; k < 8; ++k) {
          const size_t i = std::min(b + k, rays.size() - 1);
          valid[k] = b + k < rays.size() ? -1 : 0;
          const RTCRay& r = rays[i];
          packet.org_x[k] = r.org_x;
          packet.org_y[k] = r.org_y;
          packet.org_z[k] = r.org_z;
          packet.dir_x[k] = r.dir_x;
          packet.dir_y[k] = r.dir_y;
          packet.dir_z[k] = r.dir_z;
          packet.tnear[k] = r.tnear;
          packet.tfar[k] = r.tfar;
          packet.time[k] = 0;
          packet.mask[k] = r.mask;
          packet.id[k] = 0;
          packet.flags[k] = 0;
        }
        rtcOccluded8(valid, scene, &context, &packet);
        benchmark::DoNotOptimize(packet.tfar[0]);
      }
      break;
  }
  benchmark::DoNotOptimize(rays.data());
}

// Seconds to trace all primary (or shadow) rays of `set` once on all cores; the rays are traced
// in place (callers pass a fresh copy: copying is not part of the time).
double TimeRays(const Scene& scene, RaySet* set, bool shadow, Api api) {
  const auto start = std::chrono::steady_clock::now();
  ParallelFor(static_cast<int>(set->primary.size()), [&](int t) {
    if (shadow)
      TraceShadowTile(scene.embree_scene(), set->shadow[t], api);
    else
      TracePrimaryTile(scene.embree_scene(), set->primary[t], api);
  });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---------------------------------------------------------------------------------------------
// Benchmarks.

void BM_SceneBuild(benchmark::State& state) {
  const auto quality = static_cast<BuildQuality>(state.range(0));
  int index = 0;
  for (auto _ : state) benchmark::DoNotOptimize(BuildScene(index++, quality));
  state.SetLabel(TheHead().source + (quality == BuildQuality::kLow ? ", LOW" : ", MEDIUM") +
                 fmt::format(", {} triangles", TheHead().topology->triangles.size()));
}
BENCHMARK(BM_SceneBuild)
    ->Arg(static_cast<int>(BuildQuality::kLow))
    ->Arg(static_cast<int>(BuildQuality::kMedium))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void RenderBenchmark(benchmark::State& state, bool depth_only) {
  const auto quality = static_cast<BuildQuality>(state.range(0));
  const Camera camera = TheCamera();
  const Lighting lighting = TheLighting();
  const RenderSettings settings = TheSettings(depth_only);
  Background background;
  background.color = {0.5f, 0.55f, 0.6f};
  // The rays alone: the same camera rays and shadow rays traced raw with the stream API, on the
  // same scene, right after each render (outside the timed region), so that both see the same
  // machine conditions.
  const RaySet rays = MakeRays(*BuildScene(0, quality), depth_only);
  int index = 0;
  RenderStats stats;
  double sample_seconds = 0, sample_cpu = 0, render_seconds = 0, rays_seconds = 0, rays_cpu = 0;
  for (auto _ : state) {
    const double c0 = ProcessCpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    const auto scene = BuildScene(index++, quality);
    const RenderOutput out = Render(*scene, camera, lighting, settings, background);
    sample_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sample_cpu += ProcessCpuSeconds() - c0;
    stats = out.stats;
    render_seconds += out.stats.seconds;
    benchmark::DoNotOptimize(out.depth.data);

    state.PauseTiming();
    {  // freeing the copy stays outside the timed region too
      RaySet fresh = rays;
      const double c1 = ProcessCpuSeconds();
      const double primary = TimeRays(*scene, &fresh, false, Api::kStream);
      const double shadow = depth_only ? 0.0 : TimeRays(*scene, &fresh, true, Api::kStream);
      const double cpu = ProcessCpuSeconds() - c1;
      // Scaled to the render's own ray counts (they differ slightly: the render casts shadow rays
      // only where the BRDF is non-zero).
      const double scale_primary = static_cast<double>(out.stats.camera_rays) / rays.num_primary;
      const double scale_shadow =
          rays.num_shadow ? static_cast<double>(out.stats.shadow_rays) / rays.num_shadow : 0.0;
      rays_seconds += primary * scale_primary + shadow * scale_shadow;
      rays_cpu += cpu * (primary * scale_primary + shadow * scale_shadow) /
                  std::max(primary + shadow, 1e-12);
    }
    state.ResumeTiming();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["samples_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["Mrays_per_s"] = benchmark::Counter(
      static_cast<double>(stats.TotalRays()) * n / 1e6, benchmark::Counter::kIsRate);
  state.counters["sample_ms"] = sample_seconds / n * 1e3;  // scene build + render
  state.counters["render_ms"] = render_seconds / n * 1e3;
  state.counters["rays_only_ms"] = rays_seconds / n * 1e3;
  state.counters["x_rays_only"] = sample_seconds / rays_seconds;
  // Load-independent: process CPU time per sample (all threads), the samples/s that makes on
  // idle cores, and its ratio to the CPU time of the rays alone.
  state.counters["cpu_ms"] = sample_cpu / n * 1e3;
  state.counters["idle_samples_per_s"] = Threads() * n / sample_cpu;
  state.counters["x_rays_only_cpu"] = sample_cpu / rays_cpu;
  state.counters["camera_rays"] = static_cast<double>(stats.camera_rays);
  state.counters["shadow_rays"] = static_cast<double>(stats.shadow_rays);
  state.counters["head_pixels"] = static_cast<double>(stats.centre_hits);
  state.SetLabel(fmt::format("{}, {} threads, {}", TheHead().source, stats.threads,
                             quality == BuildQuality::kLow ? "LOW" : "MEDIUM"));
}

void BM_RenderRgbDepthMask(benchmark::State& state) { RenderBenchmark(state, false); }
void BM_RenderDepthMask(benchmark::State& state) { RenderBenchmark(state, true); }
BENCHMARK(BM_RenderRgbDepthMask)
    ->Arg(static_cast<int>(BuildQuality::kLow))
    ->Arg(static_cast<int>(BuildQuality::kMedium))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RenderDepthMask)
    ->Arg(static_cast<int>(BuildQuality::kLow))
    ->Arg(static_cast<int>(BuildQuality::kMedium))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// (a) in a room, as the generator's scenes are: the head inside an inward-facing box (walls,
// floor and ceiling, flat-shaded, slightly glossy) so that every pixel is shaded and casts a
// shadow ray, as in //synth/datagen:generator_benchmark's a_rgb_depth. Arg 0: the point light of
// the head benchmark; arg 1: a 0.5 m x 0.5 m area light of the same power at the same place
// (soft: stratified light samples). Label: an FNV-1a digest of the rgb, depth and mask bytes, to
// check that a speed-up leaves the output unchanged.
std::uint64_t Fnv1a(const cv::Mat& m, std::uint64_t h) {
  for (int y = 0; y < m.rows; ++y) {
    const auto* row = m.ptr<std::uint8_t>(y);
    for (size_t i = 0; i < m.cols * m.elemSize(); ++i) h = (h ^ row[i]) * 0x100000001b3ULL;
  }
  return h;
}

void BM_RenderRoom(benchmark::State& state) {
  const bool area = state.range(0) == 1;
  const Camera camera = TheCamera();
  Lighting lighting = TheLighting();
  if (area) {
    const Light& point = lighting.lights[0];
    lighting.lights[0] = Light::Area(point.position, Eigen::Vector3d(0.5, 0, 0),
                                     Eigen::Vector3d(0, -0.35, 0.35), point.power);
  }
  const RenderSettings settings = TheSettings(false);
  const Eigen::Vector3f c = TheHead().centre.cast<float>();
  core::io::Mesh room = MakeBox(c + Eigen::Vector3f(-1.6f, -1.3f, -2.4f),
                                c + Eigen::Vector3f(1.7f, 1.2f, 2.9f), /*inward=*/true, "room");
  core::io::Mesh table = MakeBox(c + Eigen::Vector3f(-0.9f, -1.3f, -1.6f),
                                 c + Eigen::Vector3f(0.2f, -0.55f, -0.9f), false, "table");
  Material wall;
  wall.albedo = {0.55f, 0.5f, 0.45f};
  wall.roughness = 0.7f;
  wall.specular = 0.04f;
  wall.part = PartLabel::kBackground;
  auto build = [&](int index) {
    std::unique_ptr<Scene> scene = BuildScene(index, BuildQuality::kLow, /*commit=*/false);
    for (const core::io::Mesh* m : {&room, &table}) {
      MeshDesc d = MeshDescFromMesh(*m, {wall});
      d.smooth_shading = false;
      scene->AddMesh(std::move(d));
    }
    scene->Commit();
    return scene;
  };
  int index = 0;
  RenderStats stats;
  std::uint64_t digest = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double c0 = ProcessCpuSeconds();
    const auto scene = build(index++ % 2);
    const RenderOutput out = Render(*scene, camera, lighting, settings);
    cpu += ProcessCpuSeconds() - c0;
    stats = out.stats;
    if (index == 1)
      digest = Fnv1a(out.mask, Fnv1a(out.depth, Fnv1a(out.rgb, 0xcbf29ce484222325ULL)));
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["samples_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["cpu_ms"] = cpu / n * 1e3;
  state.counters["idle_samples_per_s"] = Threads() * n / cpu;
  state.counters["camera_rays"] = static_cast<double>(stats.camera_rays);
  state.counters["shadow_rays"] = static_cast<double>(stats.shadow_rays);
  state.SetLabel(fmt::format("{}, {} light, {} threads, digest {:016x}", TheHead().source,
                             area ? "area" : "point", stats.threads, digest));
}
BENCHMARK(BM_RenderRoom)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();

void RayBenchmark(benchmark::State& state, bool shadow) {
  const auto api = static_cast<Api>(state.range(0));
  static const auto scene = BuildScene(0, BuildQuality::kLow);
  static const RaySet set = MakeRays(*scene, false);
  for (auto _ : state) {
    state.PauseTiming();
    RaySet fresh = set;
    state.ResumeTiming();
    TimeRays(*scene, &fresh, shadow, api);
  }
  const long rays = shadow ? set.num_shadow : set.num_primary;
  state.SetItemsProcessed(state.iterations() * rays);
  state.counters["Mrays_per_s"] = benchmark::Counter(
      static_cast<double>(rays) * state.iterations() / 1e6, benchmark::Counter::kIsRate);
  state.counters["rays"] = static_cast<double>(rays);
  state.SetLabel(fmt::format("{}, {} threads", ApiName(api), Threads()));
}
void BM_RaysPrimary(benchmark::State& state) { RayBenchmark(state, false); }
void BM_RaysShadow(benchmark::State& state) { RayBenchmark(state, true); }
BENCHMARK(BM_RaysPrimary)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_RaysShadow)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace synface::synth::render

int main(int argc, char** argv) {
  synface::core::InitRunfiles(argv[0]);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
