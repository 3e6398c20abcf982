// The Embree ray tracer: tiles over all cores, stratified anti-aliasing, direct lighting with
// shadow rays, optional ambient occlusion and one diffuse bounce, and pixel-exact label images.
//
// Output semantics (AOVs):
//   rgb         CV_8UC3 BGR, sRGB-encoded: the box-filtered average of samples_per_pixel jittered,
//               stratified camera rays (hits: radiance * 2^exposure; misses: the background, not
//               exposed), clamped to [0, 1]. A pixel's samples are summed in sample order.
//   depth       CV_32FC1 planar depth z (metres) of the surface hit by the ray through the pixel
//               CENTRE (u, v) = (i + 0.5, j + 0.5); 0 = no surface (miss, or clipped). Like
//               Cycles' Z pass (one unfiltered sample, not an average over the pixel), so depth at
//               a pixel is the true surface z along that pixel-centre ray, and
//               Intrinsics::Unproject(centre, depth) is a point on the surface. With
//               samples_per_pixel > 1 the centre ray is traced in addition to the jittered ones;
//               with 1 it is the only ray (no jitter).
//   distance    CV_32FC1 Euclidean distance from the camera centre along the same ray (metres);
//               0 = no surface. distance = depth * |RayZ1(centre)|.
//   mask        CV_8UC1 PartLabel of the material hit by the centre ray (0 = background).
//   normals     (optional) CV_32FC3 unit shading normal of the centre hit in the camera frame,
//               channels (x, y, z) in that order, facing the camera; 0 where nothing was hit.
//   ids         (optional) CV_32SC3 (object id, mesh index in its prototype, triangle) of the
//               centre hit; (-1, -1, -1) where nothing was hit.
//   barycentrics (optional) CV_32FC2 (b1, b2): weights of the triangle's 2nd and 3rd vertex at
//               the centre hit (the 1st has 1 - b1 - b2); 0 where nothing was hit.
//   linear_rgb  (optional) CV_32FC3 BGR linear radiance before clamping and encoding.
// Only surfaces with visible_to_camera show in any of these; geometry beyond the far clip or
// nearer than the near clip is a miss.
//
// Determinism: every random number comes from a hash of (seed, pixel x, pixel y, sample index),
// never from per-thread state, and all sums run in a fixed order inside a tile, so the output is
// bit-identical for any thread count and tile order (tile_size is part of the input: it groups
// rays into Embree streams).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "synth/render/camera.h"
#include "synth/render/light.h"
#include "synth/render/scene.h"

namespace synface::synth::render {

struct AmbientOcclusionSettings {
  bool enabled = false;
  int rays = 4;               // cosine-weighted rays per camera sample
  double max_distance = 0.1;  // metres; occluders farther away do not darken
};

struct RenderSettings {
  int samples_per_pixel = 4;  // n*n: jittered n x n strata; else Latin-hypercube strata
  int threads = 0;            // 0 = std::thread::hardware_concurrency()
  int tile_size = 16;         // pixels per tile side
  std::uint64_t seed = 0;
  bool depth_only = false;  // no shading: only the centre ray per pixel (depth, distance, mask,
                            // and the optional normals / ids / barycentrics)
  bool shadows = true;
  AmbientOcclusionSettings ambient_occlusion;  // scales Lighting::ambient
  // One diffuse bounce: a cosine-weighted ray per camera sample gathers the direct light and
  // ambient at what it hits (or the ambient when it escapes). Replaces the ambient term (and
  // ambient occlusion) at the first hit.
  bool indirect_diffuse = false;
  double exposure = 0;       // stops
  double ray_offset = 1e-5;  // metres; secondary rays start this far off the surface (plus a
                             // term relative to the coordinates' magnitude)
  bool normals = false, ids = false, barycentrics = false, linear_rgb = false;

  void Validate() const;  // throws core::Error naming the bad field
};

// What camera rays that hit nothing show in rgb.
struct Background {
  Eigen::Vector3f color = Eigen::Vector3f::Zero();  // sRGB in [0, 1] (display values)
  // 8-bit backplate (1, 3 BGR or 4 BGRA channels; alpha ignored), resized to the frame when its
  // size differs (area interpolation down, linear up). Takes precedence over `color`.
  cv::Mat image;
};

struct RenderStats {
  std::int64_t camera_rays = 0;     // centre rays + jittered rays
  std::int64_t shadow_rays = 0;     // light visibility rays
  std::int64_t occlusion_rays = 0;  // ambient-occlusion rays
  std::int64_t bounce_rays = 0;     // diffuse bounce rays
  std::int64_t centre_hits = 0;     // pixels whose centre ray hit a surface
  double seconds = 0;               // wall time of Render
  int threads = 0;
  std::int64_t TotalRays() const {
    return camera_rays + shadow_rays + occlusion_rays + bounce_rays;
  }
};

struct RenderOutput {
  cv::Mat rgb;  // empty when depth_only
  cv::Mat depth, distance, mask;
  cv::Mat normals, ids, barycentrics, linear_rgb;  // empty unless requested
  RenderStats stats;
};

// Renders a committed scene. Throws core::Error for invalid input (uncommitted scene, camera,
// lights, settings, background image).
RenderOutput Render(const Scene& scene, const Camera& camera, const Lighting& lighting,
                    const RenderSettings& settings, const Background& background = {});

// Visibility for labels: true when the camera-frame point projects inside the image, lies
// between the clip planes, and no camera-visible surface crosses the segment from the camera
// centre to it, except within `tolerance` metres of the point (so a point on a surface is visible
// from the side it faces).
bool IsVisible(const Scene& scene, const Camera& camera, const Eigen::Vector3d& point_cam,
               double tolerance = 1e-4);
// IsVisible for many points; 1 = visible.
std::vector<std::uint8_t> AreVisible(const Scene& scene, const Camera& camera,
                                     const std::vector<Eigen::Vector3d>& points_cam,
                                     double tolerance = 1e-4);

}  // namespace synface::synth::render
