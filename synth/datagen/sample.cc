#include "synth/datagen/sample.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/data/dataset.h"
#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "synth/render/material.h"
#include "synth/render/outputs.h"

namespace synface::synth::datagen {
namespace fs = std::filesystem;
using core::geometry::Rigid3d;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

render::LightType ToRenderType(scene::LightKind kind) {
  switch (kind) {
    case scene::LightKind::kPoint:
      return render::LightType::kPoint;
    case scene::LightKind::kSpot:
      return render::LightType::kSpot;
    case scene::LightKind::kSun:
      return render::LightType::kSun;
    case scene::LightKind::kArea:
      return render::LightType::kArea;
  }
  return render::LightType::kPoint;
}

render::Lighting ToRenderLighting(const scene::SampledLighting& s) {
  render::Lighting out;
  out.ambient = s.ambient;
  for (const scene::SampledLight& l : s.lights) {
    render::Light r;
    r.type = ToRenderType(l.kind);
    r.position = l.position;
    r.direction = l.direction;
    r.color = l.color;
    r.power = l.power;
    r.irradiance = l.irradiance;
    r.radius = l.radius;
    r.inner_angle = l.inner_angle;
    r.outer_angle = l.outer_angle;
    r.angular_radius = l.angular_radius;
    r.edge_u = l.edge_u;
    r.edge_v = l.edge_v;
    r.casts_shadows = l.casts_shadows;
    out.lights.push_back(r);
  }
  return out;
}

render::Material ToRenderMaterial(const scene::SceneryMaterial& m) {
  render::Material r;
  r.name = m.name;
  r.albedo = m.albedo;
  if (m.texture) r.texture = render::Texture::FromImage(*m.texture, /*srgb=*/true);
  r.roughness = m.roughness;
  r.specular = m.specular;
  r.emission = m.emission;
  r.part = render::PartLabel::kBackground;
  return r;
}

// All scenery meshes in (at most) two render meshes, flat and smooth shaded, with one material
// per scenery material: a few Embree geometries however many pieces of furniture there are.
void AddScenery(const scene::Scenery& scenery, render::Scene* scene) {
  if (scenery.meshes.empty()) return;
  std::vector<render::Material> materials;
  materials.reserve(scenery.materials.size());
  for (const auto& m : scenery.materials) materials.push_back(ToRenderMaterial(m));
  for (bool smooth : {false, true}) {
    auto topology = std::make_shared<render::MeshTopology>();
    render::MeshDesc desc;
    desc.name = smooth ? "scenery_smooth" : "scenery_flat";
    desc.smooth_shading = smooth;
    for (const scene::SceneryMesh& m : scenery.meshes) {
      if (m.smooth != smooth) continue;
      const int base = static_cast<int>(desc.positions.size());
      const int uv_base = static_cast<int>(topology->uvs.size());
      desc.positions.insert(desc.positions.end(), m.positions.begin(), m.positions.end());
      for (size_t v = 0; v < m.positions.size(); ++v) {
        topology->uvs.push_back(m.uvs.empty() ? Eigen::Vector2f::Zero() : m.uvs[v]);
      }
      for (const Eigen::Vector3i& t : m.triangles) {
        topology->triangles.push_back(t + Eigen::Vector3i::Constant(base));
        topology->triangle_uvs.push_back(t + Eigen::Vector3i::Constant(uv_base));
        topology->triangle_material.push_back(m.material);
      }
    }
    if (topology->triangles.empty()) continue;
    topology->num_vertices = static_cast<int>(desc.positions.size());
    desc.topology = topology;
    desc.materials = materials;
    scene->AddMesh(std::move(desc));
  }
}

// Albedo of an imported part: a muted colour hashed from its name (the file's own materials are
// not carried by core::io::Mesh).
render::Material ImportedMaterial(const std::string& name) {
  core::data::Rng rng(core::data::Fnv1a64(name));
  render::Material m;
  m.name = name;
  const double grey = rng.Uniform(0.25, 0.75);
  for (int k = 0; k < 3; ++k) {
    m.albedo[k] = static_cast<float>(grey * rng.Uniform(0.75, 1.0));
  }
  m.roughness = static_cast<float>(rng.Uniform(0.4, 0.9));
  m.specular = 0.04f;
  m.part = render::PartLabel::kBackground;
  return m;
}

std::vector<Eigen::Vector3d> ToCamera(const Rigid3d& cam_from_world,
                                      const std::vector<Eigen::Vector3f>& positions,
                                      const std::vector<int>& vertices) {
  std::vector<Eigen::Vector3d> out;
  out.reserve(vertices.size());
  for (int v : vertices) {
    out.push_back(v >= 0 ? Eigen::Vector3d(cam_from_world * positions[v].cast<double>())
                         : Eigen::Vector3d::Constant(kNaN));
  }
  return out;
}

labels::PointSet MakePointSet(const core::geometry::Intrinsics& k, std::vector<int> vertices,
                              std::vector<Eigen::Vector3d> xyz) {
  labels::PointSet s;
  s.vertices = std::move(vertices);
  s.xyz = std::move(xyz);
  for (const Eigen::Vector3d& p : s.xyz) {
    const bool known = std::isfinite(p.z());
    const Eigen::Vector2d uv = known ? k.Project(p) : Eigen::Vector2d::Constant(kNaN);
    s.xy.push_back(uv);
    s.in_image.push_back(known && p.z() > 0 && std::isfinite(uv.x()) && k.Contains(uv));
    s.visible.push_back(0);  // filled by the renderer's visibility query
  }
  return s;
}

// Wall seconds since the last call (or construction), for StageTimes.
class Lap {
 public:
  double operator()() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

StageTimes& StageTimes::operator+=(const StageTimes& o) {
  head += o.head;
  scene += o.scene;
  bvh += o.bvh;
  labels += o.labels;
  render += o.render;
  visibility += o.visibility;
  encode += o.encode;
  write += o.write;
  sync += o.sync;
  return *this;
}

double StageTimes::Total() const {
  return head + scene + bvh + labels + render + visibility + encode + write + sync;
}

std::string StageTimes::Format(uint64_t samples) const {
  const double k = samples > 0 ? 1000.0 / static_cast<double>(samples) : 0.0;
  return fmt::format(
      "head {:.0f}, scene {:.0f}, bvh {:.0f}, labels {:.0f}, render {:.0f}, visibility {:.0f}, "
      "encode {:.0f}, write {:.0f}, fsync {:.0f} ms/sample",
      head * k, scene * k, bvh * k, labels * k, render * k, visibility * k, encode * k, write * k,
      sync * k);
}

SampleGenerator::SampleGenerator(GeneratorConfig config, int threads) : config_(std::move(config)) {
  heads_ = std::make_unique<HeadSource>(config_.head, threads);
  poses_ = std::make_unique<scene::PoseSampler>(config_.pose);
  backgrounds_ = std::make_unique<scene::BackgroundSampler>(config_.background);
  if (auto mesh = backgrounds_->imported_mesh()) {
    std::vector<render::Material> materials;
    for (const auto& part : mesh->parts) {
      materials.push_back(ImportedMaterial(part.name.empty() ? part.material : part.name));
    }
    if (materials.empty()) materials.push_back(ImportedMaterial("scene"));
    render::MeshDesc desc = render::MeshDescFromMesh(*mesh, materials);
    desc.smooth_shading = true;
    std::vector<render::MeshDesc> descs;
    descs.push_back(std::move(desc));
    imported_ = render::Prototype::Build(std::move(descs), render::BuildQuality::kMedium);
  }
  core::data::DatasetInfo info;
  info.count = std::max<uint64_t>(config_.count, 1);
  id_digits_ = info.Digits();
}

std::string SampleGenerator::FileName(uint64_t id, const std::string& suffix) const {
  return core::data::SampleFileName(id, suffix, id_digits_);
}

std::unique_ptr<SampleScene> SampleGenerator::BuildScene(uint64_t id) const {
  const GeneratorConfig& c = config_;
  auto s = std::make_unique<SampleScene>();
  const core::data::Rng rng = core::data::SampleRng(c.seed, id);
  core::data::Rng head_rng = rng.Fork("head"), pose_rng = rng.Fork("pose");
  core::data::Rng camera_rng = rng.Fork("camera"), background_rng = rng.Fork("background");
  core::data::Rng light_rng = rng.Fork("lights"), render_rng = rng.Fork("render");
  Lap lap;

  // Head, posed about its neck; the label is its actual eye-midpoint frame.
  s->head = heads_->Make(c.seed, id, head_rng);
  const heads::HeadInstance& head = s->head.head;
  s->pose = poses_->Sample(id, pose_rng);
  s->posed = heads::PoseAboutNeck(head, s->pose.rotation);
  s->times.head = lap();

  // Camera and background (world = the neutral head frame).
  const scene::CameraPlacement placement = scene::PlaceCamera(c.camera, camera_rng);
  const scene::SampledBackground bg =
      backgrounds_->Sample(placement.intrinsics.width, placement.intrinsics.height, background_rng);
  s->background_type = bg.type;
  s->camera.intrinsics = placement.intrinsics;
  s->camera.cam_from_world = placement.cam_from_world;
  s->camera.near_clip = placement.near;
  s->camera.far_clip = bg.type == "complex" ? c.far_complex : placement.far;
  s->background.image = bg.backplate;

  // Lights, kept inside the room when there is one.
  scene::SampledLighting lighting = scene::SampleLighting(c.lights, light_rng);
  if (!bg.scenery.interior.isEmpty() && bg.scenery.interior.contains(Eigen::Vector3d::Zero())) {
    scene::KeepLightsInside(bg.scenery.interior, 0.05, &lighting);
  }
  s->lighting = ToRenderLighting(lighting);

  // The render scene: the head, then the scenery.
  s->scene = std::make_unique<render::Scene>(render::BuildQuality::kLow);
  const heads::RenderableHead renderable = heads::WithoutHiddenParts(head);
  render::MeshDesc head_desc;
  head_desc.name = head.source;
  head_desc.topology = render::MeshTopology::FromMesh(renderable.mesh);
  head_desc.positions = s->posed.positions;
  head_desc.normals = s->posed.normals;
  head_desc.vertex_colors = head.vertex_albedo;
  head_desc.smooth_shading = true;
  for (size_t p = 0; p < renderable.mesh.parts.size(); ++p) {
    render::Material m;
    m.name = renderable.mesh.parts[p].name;
    m.albedo = Eigen::Vector3f::Ones();
    m.use_vertex_colors = true;
    m.roughness = renderable.part_material[p].roughness;
    m.specular = renderable.part_material[p].specular;
    m.part = static_cast<render::PartLabel>(static_cast<std::uint8_t>(renderable.part_class[p]));
    head_desc.materials.push_back(m);
  }
  s->scene->AddMesh(std::move(head_desc));
  AddScenery(bg.scenery, s->scene.get());
  if (bg.imported_scene && imported_) s->scene->AddInstance(imported_, bg.scene_pose);
  s->times.scene = lap();
  s->scene->Commit();
  s->times.bvh = lap();

  // Render settings.
  render::RenderSettings& r = s->settings;
  r.samples_per_pixel = c.render.samples_per_pixel;
  r.tile_size = c.render.tile_size;
  r.seed = render_rng();
  r.depth_only = !c.output.rgb;
  r.shadows = c.render.shadows;
  r.ambient_occlusion.enabled = c.render.ambient_occlusion;
  r.ambient_occlusion.rays = c.render.ao_rays;
  r.ambient_occlusion.max_distance = c.render.ao_distance;
  r.indirect_diffuse = c.render.indirect_diffuse;
  r.exposure = c.render.exposure;

  // Labels (visibility follows in Generate).
  labels::SampleLabels& l = s->labels;
  l.generator = kGeneratorName;
  l.generator_version = kGeneratorVersion;
  l.id = id;
  l.dataset_seed = c.seed;
  l.sample_seed = core::data::SampleSeed(c.seed, id);
  for (const std::string& suffix : c.Files()) {
    const std::string kind = suffix == "json" ? "labels" : suffix.substr(0, suffix.find('.'));
    l.files[kind] = FileName(id, suffix);
  }
  l.intrinsics = placement.intrinsics;
  l.intrinsics_preset = placement.preset;
  l.near_clip = s->camera.near_clip;
  l.far_clip = s->camera.far_clip;
  l.SetCamFromWorld(placement.cam_from_world);
  l.camera = placement.ToJson();
  const Rigid3d cam_from_head = placement.cam_from_world * s->posed.model_from_head;
  l.SetCamFromHead(cam_from_head);
  l.pose = core::geometry::HeadPoseFromRigid(cam_from_head);
  l.commanded_pose = s->pose.ToJson();
  std::vector<int> landmark_vertices(head.landmark_vertices.begin(), head.landmark_vertices.end());
  l.landmarks68 =
      MakePointSet(placement.intrinsics, landmark_vertices,
                   ToCamera(placement.cam_from_world, s->posed.positions, landmark_vertices));
  l.dense =
      MakePointSet(placement.intrinsics, head.dense_vertices,
                   ToCamera(placement.cam_from_world, s->posed.positions, head.dense_vertices));
  l.dense_name = fmt::format("{}_dense{}", heads_->resolved_source(), head.dense_vertices.size());
  const Rigid3d cam_from_posed_head = cam_from_head;
  l.left_eye = cam_from_posed_head * head.left_eye_centre.cast<double>();
  l.right_eye = cam_from_posed_head * head.right_eye_centre.cast<double>();
  l.neck_pivot = placement.cam_from_world * head.neck_pivot.cast<double>();
  l.head = s->head.params;
  l.background = bg.params;
  l.lighting = lighting.ToJson();
  l.render = {{"renderer", "synface embree"},
              {"samples_per_pixel", r.samples_per_pixel},
              {"shadows", r.shadows},
              {"ambient_occlusion", r.ambient_occlusion.enabled},
              {"indirect_diffuse", r.indirect_diffuse},
              {"exposure", r.exposure},
              {"tile_size", r.tile_size},
              {"seed", r.seed},
              {"depth_only", r.depth_only}};
  s->times.labels = lap();
  return s;
}

SampleResult SampleGenerator::Generate(uint64_t id, int render_threads) const {
  std::unique_ptr<SampleScene> s = BuildScene(id);
  s->settings.threads = std::max(1, render_threads);
  SampleResult result;
  result.times = s->times;
  Lap lap;
  result.output = render::Render(*s->scene, s->camera, s->lighting, s->settings, s->background);
  result.times.render = lap();
  result.labels = std::move(s->labels);
  auto fill_visibility = [&](labels::PointSet* set) {
    std::vector<Eigen::Vector3d> points;
    std::vector<size_t> index;
    for (size_t i = 0; i < set->xyz.size(); ++i) {
      if (set->in_image[i]) {
        points.push_back(set->xyz[i]);
        index.push_back(i);
      }
    }
    const std::vector<std::uint8_t> visible = render::AreVisible(*s->scene, s->camera, points);
    for (size_t k = 0; k < index.size(); ++k) set->visible[index[k]] = visible[k];
  };
  fill_visibility(&result.labels.landmarks68);
  fill_visibility(&result.labels.dense);
  // Deterministic statistics only (no timings: the record's bytes must not depend on the run).
  result.labels.render["stats"] = {{"camera_rays", result.output.stats.camera_rays},
                                   {"shadow_rays", result.output.stats.shadow_rays},
                                   {"occlusion_rays", result.output.stats.occlusion_rays},
                                   {"bounce_rays", result.output.stats.bounce_rays},
                                   {"centre_hits", result.output.stats.centre_hits}};
  result.times.visibility = lap();
  return result;
}

EncodedSample SampleGenerator::Encode(const SampleResult& result, StageTimes* times) const {
  Lap lap;
  const OutputConfig& o = config_.output;
  EncodedSample e;
  e.id = result.labels.id;
  auto add = [&](const std::string& suffix, auto&& encode) {
    const std::string name = FileName(e.id, suffix);
    try {
      e.files.emplace_back(name, encode());
    } catch (const core::Error& err) {
      throw core::MakeError("{}: {}", name, err.what());
    }
  };
  if (o.rgb) {
    core::io::ImageWriteOptions options;
    options.jpeg_quality = o.jpeg_quality;
    options.png_compression = o.png_compression;
    add("rgb." + o.rgb_format,
        [&] { return render::EncodeRgb("." + o.rgb_format, result.output, options); });
  }
  if (o.depth) {
    core::io::ExrWriteOptions options;
    options.compression = core::io::ParseExrCompression(o.exr_compression);
    add("depth.exr", [&] { return render::EncodeDepthExr(result.output, options); });
  }
  if (o.mask) add("mask.png", [&] { return render::EncodeMask(result.output); });
  add("json", [&] { return labels::ToText(result.labels); });  // last: marks it done
  if (times) times->encode += lap();
  return e;
}

void SampleGenerator::Write(const SampleResult& result, const fs::path& dir) const {
  for (const auto& [name, bytes] : Encode(result).files) core::WriteFileAtomic(dir / name, bytes);
}

}  // namespace synface::synth::datagen
