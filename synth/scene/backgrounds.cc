#include "synth/scene/backgrounds.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/geometry/rotation.h"
#include "core/io/image.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::synth::scene {
namespace fs = std::filesystem;

namespace {

std::string LowerExtension(const fs::path& p) {
  std::string e = p.extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

bool IsImageExtension(const std::string& e) {
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp" || e == ".tif" || e == ".tiff" ||
         e == ".webp";
}

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint16_t Be16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

std::string ReadPrefix(const fs::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::MakeError("{}: cannot open", path.string());
  std::string buf(n, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(n));
  buf.resize(static_cast<size_t>(in.gcount()));
  return buf;
}

bool PngHeader(const std::string& b, ImageHeader* h) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 33 || std::memcmp(b.data(), sig, 8) != 0) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  if (std::memcmp(p + 12, "IHDR", 4) != 0) return false;
  h->width = static_cast<int>(Be32(p + 16));
  h->height = static_cast<int>(Be32(p + 20));
  const int colour_type = p[25];
  const int channels[] = {1, 0, 3, 3, 2, 0, 4};
  if (colour_type > 6 || channels[colour_type] == 0) return false;
  h->channels = channels[colour_type];
  // A tRNS chunk (before IDAT) adds transparency to grey, RGB and palette images.
  size_t pos = 33;
  while (pos + 8 <= b.size()) {
    const uint32_t len = Be32(p + pos);
    const std::string type = b.substr(pos + 4, 4);
    if (type == "IDAT" || type == "IEND") break;
    if (type == "tRNS") {
      h->channels = h->channels == 1 ? 2 : 4;
      break;
    }
    pos += 12 + static_cast<size_t>(len);
  }
  return true;
}

bool JpegHeader(const std::string& b, ImageHeader* h) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 4 || p[0] != 0xFF || p[1] != 0xD8) return false;
  size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (p[pos] != 0xFF) return false;
    const int marker = p[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;
      continue;
    }
    const uint16_t len = Be16(p + pos + 2);
    const bool sof =
        (marker >= 0xC0 && marker <= 0xCF) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (pos + 10 > b.size()) return false;
      h->height = Be16(p + pos + 5);
      h->width = Be16(p + pos + 7);
      h->channels = p[pos + 9] == 1 ? 1 : 3;
      return true;
    }
    pos += 2 + len;
  }
  return false;
}

}  // namespace

ImageHeader ReadImageHeader(const fs::path& path) {
  ImageHeader h;
  const std::string prefix = ReadPrefix(path, 1 << 20);
  if (PngHeader(prefix, &h) || JpegHeader(prefix, &h)) {
    if (h.width <= 0 || h.height <= 0) throw core::MakeError("{}: bad image header", path.string());
    return h;
  }
  const cv::Mat img = core::io::ReadImage(path, core::io::ImageReadMode::kUnchanged);
  h.width = img.cols;
  h.height = img.rows;
  h.channels = img.channels();
  return h;
}

std::vector<fs::path> ListImages(const fs::path& folder, const ImageFolderFilter& filter,
                                 const std::string& key) {
  if (!fs::is_directory(folder)) {
    throw core::MakeError("config key '{}': folder '{}' does not exist", key, folder.string());
  }
  std::vector<fs::path> all;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.is_regular_file() && IsImageExtension(LowerExtension(entry.path()))) {
      all.push_back(entry.path());
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<fs::path> kept;
  for (const fs::path& p : all) {
    const std::string name = p.filename().string();
    bool excluded = false;
    for (const std::string& pattern : filter.exclude) {
      excluded = excluded || fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
    }
    if (excluded) continue;
    ImageHeader h;
    try {
      h = ReadImageHeader(p);
    } catch (const core::Error&) {
      continue;  // not an image after all
    }
    if (std::min(h.width, h.height) < filter.min_side) continue;
    if (filter.colour_only && h.channels < 3) continue;
    if (filter.skip_alpha && (h.channels == 2 || h.channels == 4)) continue;
    kept.push_back(p);
  }
  if (kept.empty()) {
    throw core::MakeError(
        "config key '{}': folder '{}' holds no usable image ({} image files; filters: shorter "
        "side >= {} px{}{})",
        key, folder.string(), all.size(), filter.min_side, filter.colour_only ? ", colour" : "",
        filter.skip_alpha ? ", no alpha" : "");
  }
  return kept;
}

cv::Mat MakeBackplate(const cv::Mat& photo, int width, int height, const Range& zoom,
                      double flip_probability, core::data::Rng& rng, nlohmann::json* params) {
  const double z = zoom.Sample(rng);
  const double ux = rng.Uniform(), uy = rng.Uniform();
  const bool flip = rng.Uniform() < flip_probability;
  const double cover =
      std::max(static_cast<double>(width) / photo.cols, static_cast<double>(height) / photo.rows);
  const double s = cover * z;
  const int cw = std::clamp(static_cast<int>(std::lround(width / s)), 1, photo.cols);
  const int ch = std::clamp(static_cast<int>(std::lround(height / s)), 1, photo.rows);
  const int x0 = static_cast<int>(std::floor(ux * (photo.cols - cw + 1)));
  const int y0 = static_cast<int>(std::floor(uy * (photo.rows - ch + 1)));
  const cv::Mat roi =
      photo(cv::Rect(std::min(x0, photo.cols - cw), std::min(y0, photo.rows - ch), cw, ch));
  cv::Mat out;
  cv::resize(roi, out, cv::Size(width, height), 0, 0,
             cw > width ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (flip) cv::flip(out, out, 1);
  if (params) {
    *params = {{"zoom", z},
               {"crop_xywh", {x0, y0, cw, ch}},
               {"flipped", flip},
               {"source_w", photo.cols},
               {"source_h", photo.rows}};
  }
  return out;
}

void DeclareBackgroundKeys(core::config::Schema& schema) {
  schema.Optional<std::vector<std::string>>("background.types", {"plain"},
                                            "background types drawn per sample: plain, "
                                            "textured, complex, real");
  schema.Optional<std::vector<double>>("background.weights", {},
                                       "relative weights of background.types (empty: equal)");
  // The plain room (also carries textured walls).
  schema.Optional<double>("background.room.wall_distance_m", 0.51,
                          "back wall behind the eye midpoint (authors' code 0.51; P1 text 2 m)");
  schema.Range("background.room.wall_distance_m", 0.05, 100.0);
  schema.Optional<double>("background.room.side_distance_m", 2.0, "side walls at +-x");
  schema.Range("background.room.side_distance_m", 0.1, 100.0);
  schema.Optional<double>("background.room.eye_height_m", 1.6779, "eye midpoint above the floor");
  schema.Range("background.room.eye_height_m", 0.1, 100.0);
  schema.Optional<double>("background.room.ceiling_height_m", 3.0, "ceiling above the floor");
  schema.Range("background.room.ceiling_height_m", 0.2, 100.0);
  DeclareRange(schema, "background.plain.wall_color", {0.4, 0.8},
               "plain: each wall colour channel (linear), thesis U(0.4, 0.8)");
  DeclareRange(schema, "background.room.floor_grey", {0.8, 0.8},
               "floor grey level (linear; Blender's default material is 0.8)");
  // Textured walls.
  schema.Choice("background.textured.source", {"procedural", "folder"}, std::string("procedural"),
                "procedural families or images of a folder");
  schema.Optional<std::vector<std::string>>("background.textured.families", TextureFamilyNames(),
                                            "procedural families to draw from");
  schema.Optional<std::vector<double>>("background.textured.family_weights", {},
                                       "relative weights of the families (empty: equal)");
  schema.Optional<std::string>("background.textured.folder", "",
                               "folder of texture images (source = folder)");
  schema.Optional<int64_t>("background.textured.texture_size", 512,
                           "procedural texture side, pixels");
  schema.Range("background.textured.texture_size", 8, 4096);
  DeclareRange(schema, "background.textured.tile_m", {0.6, 1.4},
               "size of one texture tile on the walls, metres");
  // Complex scenes.
  schema.Choice("background.complex.source", {"procedural", "file"}, std::string("procedural"),
                "procedural furnished room or a scene file (Assimp)");
  schema.Optional<std::vector<int64_t>>("background.complex.furniture", {6, 14},
                                        "procedural: number of furniture items [min, max]");
  schema.Optional<int64_t>("background.complex.texture_size", 256,
                           "procedural: texture side of the room's materials, pixels");
  schema.Range("background.complex.texture_size", 8, 4096);
  schema.Optional<std::string>("background.complex.file", "", "scene file (any Assimp format)");
  schema.Optional<double>("background.complex.file_scale", 0.0,
                          "file units to metres (0: the unit the file declares)");
  schema.Range("background.complex.file_scale", 0.0, 1e6);
  schema.Choice("background.complex.file_up", {"y", "z"}, std::string("y"),
                "the file's up axis (y: glTF/FBX/OBJ, z: Blender/3ds Max)");
  schema.Optional<std::vector<double>>("background.complex.file_offset_m", {0.0, 0.0, 0.0},
                                       "where the file's origin goes in the world frame "
                                       "(x right, y down, z away from the camera), metres");
  schema.Optional<double>("background.complex.file_yaw_deg", 0.0,
                          "rotation of the scene about the vertical, degrees");
  // Real-image backplates.
  schema.Optional<std::string>("background.real.folder", kDefaultPhotoFolder,
                               "folder of photographs (default: Debian opencv-doc's examples)");
  schema.Optional<int64_t>("background.real.min_side", 240, "skip images smaller than this");
  schema.Range("background.real.min_side", 1, 100000);
  schema.Optional<bool>("background.real.colour_only", true, "skip grey images");
  schema.Optional<bool>("background.real.skip_alpha", true, "skip images with alpha (cut-outs)");
  schema.Optional<std::vector<std::string>>("background.real.exclude", {},
                                            "file-name patterns to skip (fnmatch)");
  DeclareRange(schema, "background.real.zoom", {1.0, 1.3}, "zoom beyond covering the frame");
  schema.Optional<double>("background.real.flip_probability", 0.5, "mirror probability");
  schema.Range("background.real.flip_probability", 0.0, 1.0);
}

BackgroundConfig ReadBackgroundConfig(const core::config::Config& config) {
  BackgroundConfig c;
  c.types = ReadWeightedChoice(config, "background.types", "background.weights",
                               {"plain", "textured", "complex", "real"});
  auto uses = [&](const std::string& type) {
    for (size_t i = 0; i < c.types.names.size(); ++i) {
      if (c.types.names[i] == type && c.types.weights[i] > 0) return true;
    }
    return false;
  };
  c.room.wall_distance = config.Get<double>("background.room.wall_distance_m");
  c.room.side_distance = config.Get<double>("background.room.side_distance_m");
  c.room.eye_height = config.Get<double>("background.room.eye_height_m");
  c.room.ceiling_height = config.Get<double>("background.room.ceiling_height_m");
  if (c.room.ceiling_height <= c.room.eye_height) {
    throw ConfigError(config, "background.room.ceiling_height_m",
                      "must exceed background.room.eye_height_m (the head would be above it)");
  }
  c.wall_color = ReadRange(config, "background.plain.wall_color", 0.0, 1.0);
  c.floor_color = ReadRange(config, "background.room.floor_grey", 0.0, 1.0);
  c.texture_source = config.Get<std::string>("background.textured.source");
  c.families = ReadWeightedChoice(config, "background.textured.families",
                                  "background.textured.family_weights", TextureFamilyNames());
  c.texture_size = config.Get<int>("background.textured.texture_size");
  c.texture_tile_m = ReadRange(config, "background.textured.tile_m", 0.01, 100.0);
  if (uses("textured") && c.texture_source == "folder") {
    const std::string folder = config.Get<std::string>("background.textured.folder");
    if (folder.empty()) {
      throw ConfigError(config, "background.textured.folder",
                        "must be set when background.textured.source = \"folder\"");
    }
    ImageFolderFilter f;
    f.min_side = 8;
    c.texture_files = ListImages(core::ResolveUserPath(folder), f, "background.textured.folder");
  }
  c.complex_source = config.Get<std::string>("background.complex.source");
  const std::vector<int64_t> furniture =
      config.Get<std::vector<int64_t>>("background.complex.furniture");
  if (furniture.size() != 2 || furniture[0] < 0 || furniture[0] > furniture[1] ||
      furniture[1] > 200) {
    throw ConfigError(config, "background.complex.furniture",
                      "must be [min, max] with 0 <= min <= max <= 200");
  }
  c.furnished.furniture_min = static_cast<int>(furniture[0]);
  c.furnished.furniture_max = static_cast<int>(furniture[1]);
  c.furnished.texture_size = config.Get<int>("background.complex.texture_size");
  if (uses("complex") && c.complex_source == "file") {
    const std::string file = config.Get<std::string>("background.complex.file");
    if (file.empty()) {
      throw ConfigError(config, "background.complex.file",
                        "must be set when background.complex.source = \"file\"");
    }
    c.scene_file = core::ResolveUserPath(file);
    if (!fs::is_regular_file(c.scene_file)) {
      throw ConfigError(config, "background.complex.file",
                        fmt::format("names '{}', which does not exist", c.scene_file.string()));
    }
  }
  c.scene_scale = config.Get<double>("background.complex.file_scale");
  c.scene_up = config.Get<std::string>("background.complex.file_up");
  const std::vector<double> offset =
      config.Get<std::vector<double>>("background.complex.file_offset_m");
  if (offset.size() != 3) {
    throw ConfigError(config, "background.complex.file_offset_m", "must hold 3 numbers");
  }
  c.scene_offset = Eigen::Vector3d(offset[0], offset[1], offset[2]);
  c.scene_yaw = core::geometry::DegToRad(config.Get<double>("background.complex.file_yaw_deg"));
  c.zoom = ReadRange(config, "background.real.zoom", 1.0, 100.0);
  c.flip_probability = config.Get<double>("background.real.flip_probability");
  if (uses("real")) {
    const std::string folder = config.Get<std::string>("background.real.folder");
    if (folder.empty()) throw ConfigError(config, "background.real.folder", "must name a folder");
    ImageFolderFilter f;
    f.min_side = config.Get<int>("background.real.min_side");
    f.colour_only = config.Get<bool>("background.real.colour_only");
    f.skip_alpha = config.Get<bool>("background.real.skip_alpha");
    f.exclude = config.Get<std::vector<std::string>>("background.real.exclude");
    const fs::path dir = core::ResolveUserPath(folder);
    if (!fs::is_directory(dir)) {
      throw ConfigError(config, "background.real.folder",
                        fmt::format("names '{}', which is not a folder{}", dir.string(),
                                    folder == kDefaultPhotoFolder
                                        ? " (install Debian's opencv-doc package, or set the "
                                          "key to a folder of photographs)"
                                        : ""));
    }
    c.photos = ListImages(dir, f, "background.real.folder");
  }
  return c;
}

BackgroundSampler::BackgroundSampler(BackgroundConfig config) : config_(std::move(config)) {
  if (!config_.scene_file.empty()) {
    core::io::AssimpLoadOptions options;
    if (config_.scene_scale > 0) options.scale_to_metres = static_cast<float>(config_.scene_scale);
    options.load_bones = false;
    options.load_morph_targets = false;
    auto mesh =
        std::make_shared<core::io::Mesh>(core::io::LoadMeshAssimp(config_.scene_file, options));
    if (mesh->NumTriangles() == 0) {
      throw core::MakeError("{}: the scene file holds no triangles", config_.scene_file.string());
    }
    const Eigen::Affine3d pose = ImportedPose();
    imported_bounds_.setEmpty();
    for (const Eigen::Vector3f& p : mesh->positions)
      imported_bounds_.extend(pose * p.cast<double>());
    imported_ = std::move(mesh);
  }
}

Eigen::Affine3d BackgroundSampler::ImportedPose() const {
  Eigen::Matrix3d up;
  if (config_.scene_up == "z") {
    up << 1, 0, 0, 0, 0, -1, 0, 1, 0;  // file (x, y, z up) -> ours (x, -z, y)
  } else {
    up << 1, 0, 0, 0, -1, 0, 0, 0, -1;  // file (x, y up, z) -> ours (x, -y, -z)
  }
  Eigen::Affine3d pose = Eigen::Affine3d::Identity();
  pose.translate(config_.scene_offset);
  pose.rotate(core::geometry::RotationY(config_.scene_yaw));
  pose.rotate(up);
  return pose;
}

SampledBackground BackgroundSampler::Sample(int width, int height, core::data::Rng& rng) const {
  SampledBackground out;
  out.type = config_.types.names[config_.types.Sample(rng)];
  core::data::Rng r = rng.Fork(out.type);
  nlohmann::json p;
  p["type"] = out.type;
  auto room_floor = [&](core::data::Rng& g) {
    SceneryMaterial floor;
    floor.name = "floor";
    const float grey = static_cast<float>(config_.floor_color.Sample(g));
    floor.albedo = Eigen::Vector3f::Constant(grey);
    floor.params = {{"kind", "paint"}, {"albedo_linear", {grey, grey, grey}}};
    return floor;
  };
  if (out.type == "plain") {
    SceneryMaterial wall;
    wall.name = "wall";
    for (int k = 0; k < 3; ++k) wall.albedo[k] = static_cast<float>(config_.wall_color.Sample(r));
    wall.params = {{"kind", "paint"},
                   {"albedo_linear", {wall.albedo.x(), wall.albedo.y(), wall.albedo.z()}}};
    p["wall_color_linear"] = {wall.albedo.x(), wall.albedo.y(), wall.albedo.z()};
    out.scenery = BuildPlainRoom(config_.room, wall, room_floor(r));
  } else if (out.type == "textured") {
    SceneryMaterial wall;
    wall.name = "wall";
    wall.albedo = Eigen::Vector3f::Ones();
    const double tile = config_.texture_tile_m.Sample(r);
    if (config_.texture_source == "folder") {
      const size_t i = r.UniformInt(config_.texture_files.size());
      const fs::path& file = config_.texture_files[i];
      wall.texture = std::make_shared<const cv::Mat>(core::io::ReadImage(file));
      wall.params = {{"kind", "texture"}, {"file", file.filename().string()}};
      p["texture_file"] = file.string();
    } else {
      const TextureFamily family =
          ParseTextureFamily(config_.families.names[config_.families.Sample(r)]);
      core::data::Rng tr = r.Fork("texture");
      nlohmann::json tex;
      wall.texture =
          std::make_shared<const cv::Mat>(GenerateTexture(family, config_.texture_size, tr, &tex));
      wall.params = {{"kind", "texture"}, {"texture", tex}};
      p["texture"] = tex;
    }
    p["tile_m"] = tile;
    PlainRoomSpec room = config_.room;
    room.wall_tile_m = tile;
    out.scenery = BuildPlainRoom(room, wall, room_floor(r));
  } else if (out.type == "complex") {
    if (config_.complex_source == "file") {
      out.imported_scene = true;
      out.scene_pose = ImportedPose();
      out.scenery.interior = imported_bounds_;
      p["file"] = config_.scene_file.string();
      p["file_up"] = config_.scene_up;
      p["file_offset_m"] = {config_.scene_offset.x(), config_.scene_offset.y(),
                            config_.scene_offset.z()};
      p["file_yaw_deg"] = core::geometry::RadToDeg(config_.scene_yaw);
    } else {
      out.scenery = BuildFurnishedRoom(config_.furnished, r);
    }
  } else {  // real
    const size_t i = r.UniformInt(config_.photos.size());
    const fs::path& file = config_.photos[i];
    const cv::Mat photo = core::io::ReadImage(file);
    nlohmann::json crop;
    out.backplate =
        MakeBackplate(photo, width, height, config_.zoom, config_.flip_probability, r, &crop);
    p["photo"] = file.filename().string();
    p["photo_folder"] = file.parent_path().string();
    p["crop"] = crop;
  }
  if (!out.scenery.params.empty()) p["scene"] = out.scenery.params;
  out.params = p;
  return out;
}

}  // namespace synface::synth::scene
