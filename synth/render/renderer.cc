#include "synth/render/renderer.h"

#include <pmmintrin.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "core/util/error.h"
#include "synth/render/color.h"
#include "synth/render/sampling.h"

namespace synface::synth::render {
namespace {

constexpr float kInvPi = 0.318309886183790672f;
constexpr float kInfinity = std::numeric_limits<float>::infinity();

// Tags that keep the different uses of one (pixel, sample) key apart.
constexpr std::uint64_t kTagPixel = 0x7069786c;
constexpr std::uint64_t kTagLightStrata = 0x6c737472;
constexpr std::uint64_t kTagLightShuffle = 0x6c736875;
constexpr std::uint64_t kTagOcclusion = 0x616f6363;
// Random numbers of camera sample s of pixel (x, y): the counter-based stream of the pixel key
// hash(seed, x, y) from counter s * 2^24 on (a pure function of seed, x, y, s and the
// dimension). The first two jitter the camera ray, shading draws from 2 on, a diffuse bounce
// from 2^23 on.
constexpr int kSampleStreamShift = 24;
constexpr std::uint64_t kFirstShadingDimension = 2;
constexpr std::uint64_t kFirstBounceDimension = 1ULL << 23;
inline std::uint64_t SampleCounter(int sample) {
  return static_cast<std::uint64_t>(sample) << kSampleStreamShift;
}
inline std::uint64_t PixelKey(std::uint64_t seed, int x, int y) {
  return HashKey(seed, (static_cast<std::uint64_t>(y) << 32) | static_cast<std::uint32_t>(x));
}

// Embree asks for flush-to-zero / denormals-are-zero on every thread that traces (denormal
// arithmetic in traversal is very slow). Restored when the scope ends.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
};

struct Context {
  const Scene* scene = nullptr;
  RTCScene rtc = nullptr;
  const RenderSettings* settings = nullptr;
  int width = 0, height = 0, tile = 16, tiles_x = 0, tiles_y = 0;
  float inv_fx = 1, inv_fy = 1, cx = 0, cy = 0;
  Eigen::Matrix3f world_from_cam = Eigen::Matrix3f::Identity();
  Eigen::Matrix3f cam_from_world = Eigen::Matrix3f::Identity();
  Eigen::Vector3f origin = Eigen::Vector3f::Zero();
  Eigen::Vector3f step_x = Eigen::Vector3f::Zero(),
                  step_y =
                      Eigen::Vector3f::Zero();  // direction change per pixel along the image axes
  float near_clip = 0, far_clip = 0;
  int spp = 1;
  Strata pixel_strata{1};      // camera samples in a pixel (and light samples across them)
  Strata occlusion_strata{1};  // ambient-occlusion rays of a sample
  std::vector<PreparedLight> lights;
  Eigen::Vector3f ambient = Eigen::Vector3f::Zero();
  bool ambient_active = false;
  float exposure = 1;
  std::vector<Eigen::Vector3f> backplate;                // linear RGB per pixel, or empty
  Eigen::Vector3f background = Eigen::Vector3f::Zero();  // linear RGB
  RenderOutput* out = nullptr;
  SrgbEncoder encoder;

  // World direction of the camera ray through pixel position (u, v), camera-frame z = 1.
  inline Eigen::Vector3f Direction(float u, float v) const {
    return world_from_cam.col(0) * ((u - cx) * inv_fx) +
           world_from_cam.col(1) * ((v - cy) * inv_fy) + world_from_cam.col(2);
  }
};

struct Surface {
  Eigen::Vector3f p, ng, n, wo, base;
  const Material* material = nullptr;
  HitTarget target;
  float offset = 0;  // how far secondary rays start off the surface
};

// v / |v| with one division (Eigen's normalized() divides each component).
// 1 / sqrt(x) from the hardware estimate refined by one Newton step (relative error ~1e-7, far
// cheaper than sqrt + division; deterministic on every x86-64 CPU of one vendor family).
inline float InvSqrt(float x) {
  const float y = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x)));
  return y * (1.5f - 0.5f * x * y * y);
}
inline Eigen::Vector3f Normalize(const Eigen::Vector3f& v) { return v * InvSqrt(v.squaredNorm()); }

Eigen::Vector3f RayDir(const RTCRay& r) { return Eigen::Vector3f(r.dir_x, r.dir_y, r.dir_z); }
Eigen::Vector3f RayOrg(const RTCRay& r) { return Eigen::Vector3f(r.org_x, r.org_y, r.org_z); }

void InitRay(RTCRay* r, const Eigen::Vector3f& org, const Eigen::Vector3f& dir, float tnear,
             float tfar, unsigned mask) {
  r->org_x = org.x();
  r->org_y = org.y();
  r->org_z = org.z();
  r->tnear = tnear;
  r->dir_x = dir.x();
  r->dir_y = dir.y();
  r->dir_z = dir.z();
  r->time = 0;
  r->tfar = tfar;
  r->mask = mask;
  r->id = 0;
  r->flags = 0;
}

void InitRayHit(RTCRayHit* rh, const Eigen::Vector3f& org, const Eigen::Vector3f& dir, float tnear,
                float tfar, unsigned mask) {
  InitRay(&rh->ray, org, dir, tnear, tfar, mask);
  // Embree reads only geomID and instID[0] of the hit on input.
  rh->hit.primID = RTC_INVALID_GEOMETRY_ID;
  rh->hit.geomID = RTC_INVALID_GEOMETRY_ID;
  rh->hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
}

bool IsHit(const RTCRayHit& rh) { return rh.hit.geomID != RTC_INVALID_GEOMETRY_ID; }

template <typename T>
T Interpolate(const std::vector<T>& values, const Eigen::Vector3i& v, float b0, float b1,
              float b2) {
  return b0 * values[v[0]] + b1 * values[v[1]] + b2 * values[v[2]];
}

// Everything shading needs about a hit.
void EvalSurface(const Context& c, const RTCRayHit& rh, Surface* s) {
  const RTCHit& h = rh.hit;
  s->target = c.scene->Resolve(h.geomID, h.primID, h.instID[0]);
  const detail::MeshRecord& mesh = *s->target.mesh;
  const MeshTopology& topo = *mesh.topology;
  const int tri = s->target.triangle;
  s->material = &mesh.materials[topo.triangle_material.empty() ? 0 : topo.triangle_material[tri]];
  const Eigen::Vector3f dir = RayDir(rh.ray);
  s->p = RayOrg(rh.ray) + rh.ray.tfar * dir;
  s->wo = -Normalize(dir);
  Eigen::Vector3f ng(h.Ng_x, h.Ng_y, h.Ng_z);
  if (s->target.normal_to_world) ng = *s->target.normal_to_world * ng;
  ng = Normalize(ng);
  const bool back = ng.dot(s->wo) < 0;  // two-sided: shade the side the ray came from
  if (back) ng = -ng;
  s->ng = ng;
  const float b1 = h.u, b2 = h.v, b0 = 1.0f - b1 - b2;
  const Eigen::Vector3i& v = topo.triangles[tri];
  s->n = ng;
  if (!mesh.normals.empty()) {
    Eigen::Vector3f n = Interpolate(mesh.normals, v, b0, b1, b2);
    if (s->target.normal_to_world) n = *s->target.normal_to_world * n;
    n = Normalize(n);
    if (back) n = -n;
    // Interpolated normals can face away from the viewer near silhouettes; keep the true one.
    if (n.dot(s->wo) > 0 && n.allFinite()) s->n = n;
  }
  const Material& m = *s->material;
  s->base = m.albedo;
  if (m.texture && !topo.triangle_uvs.empty()) {
    const Eigen::Vector3i& t = topo.triangle_uvs[tri];
    auto uv = [&](int k) -> Eigen::Vector2f {
      return t[k] >= 0 ? topo.uvs[t[k]] : Eigen::Vector2f::Zero();
    };
    s->base = s->base.cwiseProduct(m.texture->Sample(b0 * uv(0) + b1 * uv(1) + b2 * uv(2)));
  }
  if (m.use_vertex_colors && !mesh.vertex_colors.empty())
    s->base = s->base.cwiseProduct(Interpolate(mesh.vertex_colors, v, b0, b1, b2));
  s->offset = static_cast<float>(c.settings->ray_offset) + 4e-7f * s->p.cwiseAbs().maxCoeff();
}

// BRDF times cos(n, wi): Lambert (scaled by 1 - F0) + GGX with Smith height-correlated
// visibility and Schlick Fresnel. Zero for directions below the shading or geometric surface.
Eigen::Vector3f BrdfCos(const Surface& s, const Eigen::Vector3f& wi) {
  const float nl = s.n.dot(wi);
  if (!(nl > 0) || !(s.ng.dot(wi) > 0)) return Eigen::Vector3f::Zero();
  const Material& m = *s.material;
  const float f0 = m.specular;
  Eigen::Vector3f f = s.base * ((1.0f - f0) * kInvPi);
  if (f0 > 0) {
    const Eigen::Vector3f h = Normalize(wi + s.wo);
    const float nh = std::max(s.n.dot(h), 0.0f);
    const float nv = std::max(s.n.dot(s.wo), 1e-4f);
    const float vh = std::max(s.wo.dot(h), 0.0f);
    const float alpha = std::max(m.roughness * m.roughness, 2e-3f);
    const float a2 = alpha * alpha;
    const float dd = nh * nh * (a2 - 1.0f) + 1.0f;
    const float d = a2 * kInvPi / (dd * dd);
    const float vis = 0.5f / (nl * std::sqrt(nv * nv * (1.0f - a2) + a2) +
                              nv * std::sqrt(nl * nl * (1.0f - a2) + a2));
    const float x = 1.0f - vh, x2 = x * x;
    const float fresnel = f0 + (1.0f - f0) * (x2 * x2 * x);
    f.array() += d * vis * fresnel;
  }
  return f * nl;
}

struct VisibilityEntry {
  int sample;
  Eigen::Vector3f value;  // added to the sample when the ray is not blocked
};
struct BounceEntry {
  int sample;
  Eigen::Vector3f weight;
  std::uint64_t key, counter;  // random stream of the bounce
};

// Per-thread buffers, reused across tiles.
struct Scratch {
  std::vector<RTCRayHit> primary, bounce;
  std::vector<RTCRay> visibility;
  std::vector<VisibilityEntry> visibility_entries;
  std::vector<BounceEntry> bounce_entries;
  std::vector<Eigen::Vector3f> accum;
  std::vector<std::uint8_t> miss;
  std::vector<float> centre_dz;  // camera-frame z component of each traced centre direction
  std::vector<std::uint64_t> pixel_keys;  // PixelKey per pixel of the tile
  std::vector<std::uint64_t> light_keys;  // LightStrata::light_keys of the pixel being shaded
  RenderStats stats;
};

// Light sample positions: across a pixel's samples the light's 2D samples are stratified too
// (a keyed permutation of the strata decorrelates them from the pixel positions).
struct LightStrata {
  const Strata* strata = nullptr;  // null: independent samples
  int sample = 0;
  // Per light j: HashKey(pixel key, kTagLightShuffle, j) at [2j] and HashKey(pixel key,
  // kTagLightStrata, j) at [2j + 1], hashed once per pixel rather than once per sample.
  const std::uint64_t* light_keys = nullptr;
};

// The keys LightStrata::light_keys points to, for pixel key `pixel_key`.
void LightStrataKeys(std::uint64_t pixel_key, size_t num_lights, std::uint64_t* keys) {
  for (size_t j = 0; j < num_lights; ++j) {
    keys[2 * j] = HashKey(pixel_key, kTagLightShuffle, j);
    keys[2 * j + 1] = HashKey(pixel_key, kTagLightStrata, j);
  }
}

// Direct light at s, times `weight`, for camera sample `sample`: unshadowed contributions go
// straight into the accumulator, shadowed ones become visibility rays.
void AddDirect(const Context& c, const Surface& s, const Eigen::Vector3f& weight, int sample,
               SampleRandom* rng, const LightStrata& strata, Scratch* w) {
  const Eigen::Vector3f origin = s.p + s.ng * s.offset;
  for (size_t j = 0; j < c.lights.size(); ++j) {
    const PreparedLight& light = c.lights[j];
    Eigen::Vector2f u(0.5f, 0.5f);
    if (light.soft()) {
      u = rng->Next2();
      if (strata.strata) {
        const int count = strata.strata->count();
        const std::uint32_t stratum =
            PermuteIndex(static_cast<std::uint32_t>(strata.sample),
                         static_cast<std::uint32_t>(count), strata.light_keys[2 * j]);
        u = strata.strata->Sample(static_cast<int>(stratum), u, strata.light_keys[2 * j + 1]);
      }
    }
    // Light sampled from the surface point itself (exact falloff); only the shadow ray starts
    // off the surface.
    const LightSample ls = light.Sample(s.p, u);
    if (!ls.valid) continue;
    const Eigen::Vector3f value =
        BrdfCos(s, ls.direction).cwiseProduct(ls.irradiance).cwiseProduct(weight);
    if (!(value.maxCoeff() > 0)) continue;
    if (c.settings->shadows && light.casts_shadows()) {
      w->visibility.emplace_back();
      const float tfar = std::isinf(ls.distance)
                             ? kInfinity
                             : std::max(0.0f, ls.distance * (1.0f - 1e-5f) - s.offset);
      InitRay(&w->visibility.back(), origin, ls.direction, 0.0f, tfar, kSecondaryRayMask);
      w->visibility_entries.push_back({sample, value});
      ++w->stats.shadow_rays;
    } else {
      w->accum[sample] += value;
    }
  }
}

void RenderTile(const Context& c, int tile_index, Scratch* w) {
  const RenderSettings& settings = *c.settings;
  const int x0 = (tile_index % c.tiles_x) * c.tile, y0 = (tile_index / c.tiles_x) * c.tile;
  const int tw = std::min(c.tile, c.width - x0), th = std::min(c.tile, c.height - y0);
  const int num_pixels = tw * th;
  const int spp = c.spp;
  const bool shade = !settings.depth_only;
  // Camera rays: the centre ray of every pixel, then (spp > 1) each pixel's jittered samples.
  const bool separate_samples = shade && spp > 1;
  const int num_samples = shade ? num_pixels * spp : 0;
  const int num_primary = num_pixels + (separate_samples ? num_samples : 0);
  w->primary.resize(num_primary);
  w->centre_dz.resize(num_pixels);
  w->pixel_keys.resize(num_pixels);
  const float tnear = c.near_clip, tfar = c.far_clip;
  const Eigen::Vector3f cam_z = c.cam_from_world.row(2).transpose();
  RTCRayHit* centre_rays = w->primary.data();
  RTCRayHit* sample_rays = w->primary.data() + num_pixels;
  for (int ly = 0, p = 0; ly < th; ++ly) {
    const int y = y0 + ly;
    const float fy = static_cast<float>(y);
    for (int lx = 0; lx < tw; ++lx, ++p) {
      const int x = x0 + lx;
      const float fx = static_cast<float>(x);
      const Eigen::Vector3f d = c.Direction(fx + 0.5f, fy + 0.5f);
      w->centre_dz[p] = cam_z.dot(d);
      InitRayHit(&centre_rays[p], c.origin, d, tnear, tfar, kCameraRayMask);
      if (!shade) continue;
      // Random numbers of pixel (x, y): a pure function of (seed, x, y, sample index).
      const std::uint64_t pixel_key = PixelKey(settings.seed, x, y);
      w->pixel_keys[p] = pixel_key;
      if (!separate_samples) continue;
      const std::uint64_t permutation_key = Mix64(pixel_key ^ kTagPixel);
      // Jittered rays: the pixel corner's direction plus the camera's x and y axes scaled.
      const Eigen::Vector3f corner = c.Direction(fx, fy);
      RTCRayHit* rays = sample_rays + p * spp;
      for (int s = 0; s < spp; ++s) {
        SampleRandom rng(pixel_key, SampleCounter(s));
        const Eigen::Vector2f j = c.pixel_strata.Sample(s, rng.Next2(), permutation_key);
        InitRayHit(&rays[s], c.origin, corner + c.step_x * j.x() + c.step_y * j.y(), tnear, tfar,
                   kCameraRayMask);
      }
    }
  }
  RTCIntersectContext coherent;
  rtcInitIntersectContext(&coherent);
  coherent.flags = RTC_INTERSECT_CONTEXT_FLAG_COHERENT;
  RTCIntersectContext incoherent;
  rtcInitIntersectContext(&incoherent);
  incoherent.flags = RTC_INTERSECT_CONTEXT_FLAG_INCOHERENT;
  rtcIntersect1M(c.rtc, &coherent, w->primary.data(), static_cast<unsigned>(num_primary),
                 sizeof(RTCRayHit));
  w->stats.camera_rays += num_primary;

  // Labels from the centre rays.
  RenderOutput& out = *c.out;
  for (int p = 0; p < num_pixels; ++p) {
    const RTCRayHit& rh = w->primary[p];
    if (!IsHit(rh)) continue;  // outputs were initialised to "no surface"
    const int x = x0 + p % tw, y = y0 + p / tw;
    ++w->stats.centre_hits;
    const HitTarget target = c.scene->Resolve(rh.hit.geomID, rh.hit.primID, rh.hit.instID[0]);
    const MeshTopology& topo = *target.mesh->topology;
    const Material& material =
        target.mesh
            ->materials[topo.triangle_material.empty() ? 0
                                                       : topo.triangle_material[target.triangle]];
    const float t = rh.ray.tfar;
    out.depth.at<float>(y, x) = t * w->centre_dz[p];
    out.distance.at<float>(y, x) = t * RayDir(rh.ray).norm();
    out.mask.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(material.part);
    if (settings.normals) {
      Surface s;
      EvalSurface(c, rh, &s);
      const Eigen::Vector3f n = c.cam_from_world * s.n;
      out.normals.at<cv::Vec3f>(y, x) = cv::Vec3f(n.x(), n.y(), n.z());
    }
    if (settings.ids)
      out.ids.at<cv::Vec3i>(y, x) = cv::Vec3i(target.object_id, target.mesh_index, target.triangle);
    if (settings.barycentrics) out.barycentrics.at<cv::Vec2f>(y, x) = cv::Vec2f(rh.hit.u, rh.hit.v);
  }
  if (!shade) return;

  // Shading of every camera sample.
  w->accum.assign(num_samples, Eigen::Vector3f::Zero());
  w->miss.assign(num_samples, 0);
  w->visibility.clear();
  w->visibility_entries.clear();
  w->bounce.clear();
  w->bounce_entries.clear();
  const auto& ao = settings.ambient_occlusion;
  const bool occlusion = c.ambient_active && ao.enabled && !settings.indirect_diffuse;
  const RTCRayHit* shaded_rays = separate_samples ? sample_rays : centre_rays;
  w->light_keys.resize(2 * c.lights.size());
  int last_key_pixel = -1;
  for (int i = 0, p = 0; p < num_pixels; ++p)
    for (int sample = 0; sample < spp; ++sample, ++i) {
      const RTCRayHit& rh = shaded_rays[i];
      if (!IsHit(rh)) {
        w->miss[i] = 1;
        continue;
      }
      Surface s;
      EvalSurface(c, rh, &s);
      const std::uint64_t key = w->pixel_keys[p];
      SampleRandom rng(key, SampleCounter(sample) + kFirstShadingDimension);
      if (last_key_pixel != p) {
        if (spp > 1) LightStrataKeys(key, c.lights.size(), w->light_keys.data());
        last_key_pixel = p;
      }
      LightStrata strata;
      strata.strata = spp > 1 ? &c.pixel_strata : nullptr;
      strata.sample = sample;
      strata.light_keys = w->light_keys.data();
      w->accum[i] = s.material->emission;
      AddDirect(c, s, Eigen::Vector3f::Ones(), i, &rng, strata, w);
      const Eigen::Vector3f diffuse = s.base * (1.0f - s.material->specular);
      const Eigen::Vector3f origin = s.p + s.ng * s.offset;
      if (settings.indirect_diffuse) {
        const Eigen::Vector3f dir = CosineHemisphere(s.n, rng.Next2());
        if (dir.dot(s.ng) > 0) {
          w->bounce.emplace_back();
          InitRayHit(&w->bounce.back(), origin, dir, 0.0f, kInfinity, kSecondaryRayMask);
          w->bounce_entries.push_back(
              {i, diffuse, key, SampleCounter(sample) + kFirstBounceDimension});
          ++w->stats.bounce_rays;
        }
      } else if (occlusion) {
        const Eigen::Vector3f value = c.ambient.cwiseProduct(diffuse) / static_cast<float>(ao.rays);
        const std::uint64_t ao_key = HashKey(key ^ kTagOcclusion, sample);
        for (int k = 0; k < ao.rays; ++k) {
          const Eigen::Vector3f dir =
              CosineHemisphere(s.n, c.occlusion_strata.Sample(k, rng.Next2(), ao_key));
          if (!(dir.dot(s.ng) > 0)) continue;  // into the surface: occluded
          w->visibility.emplace_back();
          InitRay(&w->visibility.back(), origin, dir, 0.0f, static_cast<float>(ao.max_distance),
                  kSecondaryRayMask);
          w->visibility_entries.push_back({i, value});
          ++w->stats.occlusion_rays;
        }
      } else if (c.ambient_active) {
        w->accum[i] += c.ambient.cwiseProduct(diffuse);
      }
    }

  // One diffuse bounce: direct light and ambient where the bounce rays land.
  if (!w->bounce.empty()) {
    rtcIntersect1M(c.rtc, &incoherent, w->bounce.data(), static_cast<unsigned>(w->bounce.size()),
                   sizeof(RTCRayHit));
    for (size_t k = 0; k < w->bounce.size(); ++k) {
      const BounceEntry& e = w->bounce_entries[k];
      if (!IsHit(w->bounce[k])) {
        w->accum[e.sample] += c.ambient.cwiseProduct(e.weight);
        continue;
      }
      Surface s;
      EvalSurface(c, w->bounce[k], &s);
      SampleRandom rng(e.key, e.counter);
      w->accum[e.sample] += s.material->emission.cwiseProduct(e.weight);
      AddDirect(c, s, e.weight, e.sample, &rng, LightStrata(), w);
      if (c.ambient_active)
        w->accum[e.sample] +=
            c.ambient.cwiseProduct(s.base * (1.0f - s.material->specular)).cwiseProduct(e.weight);
    }
  }

  if (!w->visibility.empty()) {
    // Incoherent on purpose: the coherent (packet) flag measured no faster here (issue 3 item
    // 14, README) and packet kernels may decide rays grazing an edge differently, which would
    // change the bytes of existing datasets.
    rtcOccluded1M(c.rtc, &incoherent, w->visibility.data(),
                  static_cast<unsigned>(w->visibility.size()), sizeof(RTCRay));
    for (size_t k = 0; k < w->visibility.size(); ++k)
      if (w->visibility[k].tfar >= 0)  // Embree sets tfar to -inf when the ray is blocked
        w->accum[w->visibility_entries[k].sample] += w->visibility_entries[k].value;
  }

  // Resolve: box filter over the pixel's samples, in sample order.
  const float inv_spp = 1.0f / static_cast<float>(spp);
  const SrgbEncoder& encode = c.encoder;
  for (int ly = 0, p = 0; ly < th; ++ly) {
    const int y = y0 + ly;
    cv::Vec3b* rgb_row = out.rgb.ptr<cv::Vec3b>(y) + x0;
    const Eigen::Vector3f* plate_row =
        c.backplate.empty() ? nullptr : c.backplate.data() + static_cast<size_t>(y) * c.width + x0;
    for (int lx = 0; lx < tw; ++lx, ++p) {
      const Eigen::Vector3f& bg = plate_row ? plate_row[lx] : c.background;
      Eigen::Vector3f sum = Eigen::Vector3f::Zero();
      for (int s = 0; s < spp; ++s) {
        const int i = p * spp + s;
        sum += w->miss[i] ? bg : Eigen::Vector3f(w->accum[i] * c.exposure);
      }
      const Eigen::Vector3f rgb = sum * inv_spp;
      rgb_row[lx] = cv::Vec3b(encode(rgb.z()), encode(rgb.y()), encode(rgb.x()));
      if (settings.linear_rgb)
        out.linear_rgb.at<cv::Vec3f>(y, x0 + lx) = cv::Vec3f(rgb.z(), rgb.y(), rgb.x());
    }
  }
}

std::vector<Eigen::Vector3f> LinearBackplate(const cv::Mat& image, int width, int height) {
  if (image.depth() != CV_8U ||
      (image.channels() != 1 && image.channels() != 3 && image.channels() != 4))
    throw core::MakeError(
        "background image: expected 8-bit with 1, 3 or 4 channels (got depth {}, {} channels)",
        image.depth(), image.channels());
  cv::Mat resized = image;
  if (image.cols != width || image.rows != height) {
    const bool shrink = image.cols > width || image.rows > height;
    cv::resize(image, resized, cv::Size(width, height), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const int ch = resized.channels();
  std::vector<Eigen::Vector3f> out(static_cast<size_t>(width) * height);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = resized.ptr<std::uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      const std::uint8_t* px = row + static_cast<size_t>(x) * ch;
      out[static_cast<size_t>(y) * width + x] =
          ch == 1 ? Eigen::Vector3f::Constant(SrgbByteToLinear(px[0]))
                  : Eigen::Vector3f(SrgbByteToLinear(px[2]), SrgbByteToLinear(px[1]),
                                    SrgbByteToLinear(px[0]));
    }
  }
  return out;
}

}  // namespace

void RenderSettings::Validate() const {
  auto bad = [](const char* field, const char* need) {
    return core::MakeError("render settings: {} out of range ({})", field, need);
  };
  if (samples_per_pixel < 1 || samples_per_pixel > 65536)
    throw bad("samples_per_pixel", "1..65536");
  if (threads < 0) throw bad("threads", ">= 0; 0 = all cores");
  if (tile_size < 1 || tile_size > 1024) throw bad("tile_size", "1..1024");
  if (ambient_occlusion.enabled) {
    if (ambient_occlusion.rays < 1 || ambient_occlusion.rays > 4096)
      throw bad("ambient_occlusion.rays", "1..4096");
    if (!(ambient_occlusion.max_distance > 0) || !std::isfinite(ambient_occlusion.max_distance))
      throw bad("ambient_occlusion.max_distance", "finite, > 0 m");
  }
  if (!std::isfinite(exposure)) throw bad("exposure", "finite");
  if (!(ray_offset >= 0) || !std::isfinite(ray_offset)) throw bad("ray_offset", "finite, >= 0");
}

RenderOutput Render(const Scene& scene, const Camera& camera, const Lighting& lighting,
                    const RenderSettings& settings, const Background& background) {
  const auto start = std::chrono::steady_clock::now();
  if (!scene.committed()) throw core::Error("Render: the scene is not committed");
  camera.Validate();
  lighting.Validate();
  settings.Validate();
  if (!background.color.allFinite()) throw core::Error("background colour is not finite");

  Context c;
  c.scene = &scene;
  c.rtc = scene.embree_scene();
  c.settings = &settings;
  c.width = camera.intrinsics.width;
  c.height = camera.intrinsics.height;
  c.tile = settings.tile_size;
  c.tiles_x = (c.width + c.tile - 1) / c.tile;
  c.tiles_y = (c.height + c.tile - 1) / c.tile;
  c.inv_fx = static_cast<float>(1.0 / camera.intrinsics.fx);
  c.inv_fy = static_cast<float>(1.0 / camera.intrinsics.fy);
  c.cx = static_cast<float>(camera.intrinsics.cx);
  c.cy = static_cast<float>(camera.intrinsics.cy);
  c.cam_from_world = camera.cam_from_world.RotationMatrix().cast<float>();
  c.world_from_cam = camera.cam_from_world.RotationMatrix().transpose().cast<float>();
  c.origin = camera.CentreInWorld().cast<float>();
  c.step_x = c.world_from_cam.col(0) * c.inv_fx;
  c.step_y = c.world_from_cam.col(1) * c.inv_fy;
  c.near_clip = static_cast<float>(camera.near_clip);
  c.far_clip = static_cast<float>(camera.far_clip);
  c.spp = settings.depth_only ? 1 : settings.samples_per_pixel;
  c.pixel_strata = Strata(c.spp);
  c.occlusion_strata = Strata(settings.ambient_occlusion.rays);
  for (const Light& light : lighting.lights) c.lights.emplace_back(light);
  c.ambient = lighting.ambient;
  c.ambient_active = lighting.ambient.maxCoeff() > 0;
  c.exposure = ExposureScale(settings.exposure);
  if (!settings.depth_only) {
    if (!background.image.empty())
      c.backplate = LinearBackplate(background.image, c.width, c.height);
    c.background = SrgbToLinear(background.color);
  }

  RenderOutput out;
  const cv::Size size(c.width, c.height);
  out.depth = cv::Mat::zeros(size, CV_32FC1);
  out.distance = cv::Mat::zeros(size, CV_32FC1);
  out.mask = cv::Mat::zeros(size, CV_8UC1);
  if (!settings.depth_only) out.rgb = cv::Mat::zeros(size, CV_8UC3);
  if (!settings.depth_only && settings.linear_rgb) out.linear_rgb = cv::Mat::zeros(size, CV_32FC3);
  if (settings.normals) out.normals = cv::Mat::zeros(size, CV_32FC3);
  if (settings.ids) out.ids = cv::Mat(size, CV_32SC3, cv::Scalar(-1, -1, -1));
  if (settings.barycentrics) out.barycentrics = cv::Mat::zeros(size, CV_32FC2);
  c.out = &out;

  const int num_tiles = c.tiles_x * c.tiles_y;
  const int threads = settings.threads > 0
                          ? settings.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int workers = std::max(1, std::min(threads, num_tiles));
  std::atomic<int> next{0};
  std::vector<RenderStats> stats(workers);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&](int worker) {
    try {
      FlushDenormals flush;
      Scratch scratch;
      for (int t = next++; t < num_tiles; t = next++) RenderTile(c, t, &scratch);
      stats[worker] = scratch.stats;
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = num_tiles;
    }
  };
  std::vector<std::thread> pool;
  for (int k = 1; k < workers; ++k) pool.emplace_back(work, k);
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

  for (const RenderStats& s : stats) {
    out.stats.camera_rays += s.camera_rays;
    out.stats.shadow_rays += s.shadow_rays;
    out.stats.occlusion_rays += s.occlusion_rays;
    out.stats.bounce_rays += s.bounce_rays;
    out.stats.centre_hits += s.centre_hits;
  }
  out.stats.threads = workers;
  out.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::vector<std::uint8_t> AreVisible(const Scene& scene, const Camera& camera,
                                     const std::vector<Eigen::Vector3d>& points_cam,
                                     double tolerance) {
  if (!scene.committed()) throw core::Error("AreVisible: the scene is not committed");
  camera.Validate();
  if (!(tolerance >= 0) || !std::isfinite(tolerance))
    throw core::MakeError("AreVisible: tolerance {} (need finite, >= 0)", tolerance);
  FlushDenormals flush;
  std::vector<std::uint8_t> visible(points_cam.size(), 0);
  std::vector<RTCRay> rays;
  std::vector<size_t> index;
  const Eigen::Matrix3d world_from_cam = camera.cam_from_world.RotationMatrix().transpose();
  const Eigen::Vector3f origin = camera.CentreInWorld().cast<float>();
  for (size_t i = 0; i < points_cam.size(); ++i) {
    const Eigen::Vector3d& q = points_cam[i];
    if (!q.allFinite() || q.z() < camera.near_clip || q.z() > camera.far_clip) continue;
    if (!camera.intrinsics.Contains(camera.intrinsics.Project(q))) continue;
    // Parameter t = 1 at the point; t = near / z on the near plane.
    const double tnear = camera.near_clip / q.z();
    const double tfar = 1.0 - tolerance / q.norm();
    visible[i] = 1;
    if (tfar <= tnear) continue;  // nothing can lie in front of it
    rays.emplace_back();
    InitRay(&rays.back(), origin, (world_from_cam * q).cast<float>(), static_cast<float>(tnear),
            static_cast<float>(tfar), kCameraRayMask);
    index.push_back(i);
  }
  // One ray at a time: single-ray and packet kernels may disagree on rays grazing an edge, and
  // IsVisible must agree with AreVisible.
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  for (size_t k = 0; k < rays.size(); ++k) {
    rtcOccluded1(scene.embree_scene(), &context, &rays[k]);
    if (!(rays[k].tfar >= 0)) visible[index[k]] = 0;
  }
  return visible;
}

bool IsVisible(const Scene& scene, const Camera& camera, const Eigen::Vector3d& point_cam,
               double tolerance) {
  return AreVisible(scene, camera, {point_cam}, tolerance)[0] != 0;
}

}  // namespace synface::synth::render
