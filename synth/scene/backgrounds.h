// Backgrounds of the thesis's data sets (ch2 digest section 2.4), drawn per sample:
//   plain     the authors' plain room; walls and ceiling share one colour, each channel
//             U(0.4, 0.8) as the thesis draws it (linear RGB, Blender's scene-linear colours)
//   textured  the same room with a texture on the walls and ceiling: a procedural family
//             (textures.h, standing in for Colored Brodatz) or a random image of a folder
//   complex   a procedural furnished room (scenery.h), or a user's scene file loaded once through
//             Assimp and placed by config (the authors used Blender's classroom and barbershop)
//   real      a photograph behind the head as the backplate (no scenery; the authors composited
//             SynHead's background photos): a random image of a folder (default: the photographs
//             Debian's opencv-doc ships), randomly zoomed, cropped and mirrored to the frame
// A sample draws its type from background.types with background.weights (e.g. textured + real
// for P1 Table 6's best mix).
#pragma once

#include <Eigen/Geometry>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/seed.h"
#include "core/io/mesh.h"
#include "synth/scene/config_util.h"
#include "synth/scene/scenery.h"
#include "synth/scene/textures.h"

namespace synface::synth::scene {

// Where Debian's opencv-doc package puts its example photographs.
inline constexpr char kDefaultPhotoFolder[] = "/usr/share/doc/opencv-doc/examples/data";

// An image file's size and colour layout read from its header (PNG IHDR, JPEG SOFn), or by
// decoding other formats. channels: 1 grey, 3 colour, 4 colour + alpha (PNG alpha or tRNS).
struct ImageHeader {
  int width = 0, height = 0, channels = 0;
};
// Throws core::Error naming the path when the file is not a readable image.
ImageHeader ReadImageHeader(const std::filesystem::path& path);

struct ImageFolderFilter {
  int min_side = 1;                  // shorter side at least this many pixels
  bool colour_only = false;          // skip grey images
  bool skip_alpha = false;           // skip images with an alpha channel (cut-outs, logos)
  std::vector<std::string> exclude;  // fnmatch patterns on the file name
};
// The image files (png, jpg, jpeg, bmp, tif, tiff, webp) directly in `folder`, sorted by name,
// that pass `filter`. Throws core::Error naming `key` and the folder when it does not exist or
// nothing passes.
std::vector<std::filesystem::path> ListImages(const std::filesystem::path& folder,
                                              const ImageFolderFilter& filter,
                                              const std::string& key);

// A width x height BGR backplate from `photo`: scaled to cover the frame, times a zoom drawn in
// `zoom`, a random crop window, mirrored with probability `flip_probability`. Four draws.
cv::Mat MakeBackplate(const cv::Mat& photo, int width, int height, const Range& zoom,
                      double flip_probability, core::data::Rng& rng, nlohmann::json* params);

struct BackgroundConfig {
  WeightedChoice types{{"plain"}, {1.0}};
  PlainRoomSpec room;
  Range wall_color{0.4, 0.8};
  Range floor_color{0.3, 0.6};  // grey floor (the authors left Blender's default material)
  // textured
  std::string texture_source = "procedural";  // "procedural" | "folder"
  WeightedChoice families;
  std::vector<std::filesystem::path> texture_files;
  int texture_size = 512;
  Range texture_tile_m{0.6, 1.4};
  // complex
  std::string complex_source = "procedural";  // "procedural" | "file"
  FurnishedRoomSpec furnished;
  std::filesystem::path scene_file;
  double scene_scale = 0.0;  // 0: the file's own unit (Assimp)
  std::string scene_up = "y";
  Eigen::Vector3d scene_offset = Eigen::Vector3d::Zero();  // metres, world frame
  double scene_yaw = 0.0;                                  // radians about the vertical
  // real
  std::vector<std::filesystem::path> photos;
  Range zoom{1.0, 1.3};
  double flip_probability = 0.5;
};

// background.* keys (see DeclareBackgroundKeys in backgrounds.cc for each key's help).
void DeclareBackgroundKeys(core::config::Schema& schema);
// Reads the keys and lists the folders (texture images, photographs) of the types in use, so a
// missing folder or scene file is one error naming its key before any work.
BackgroundConfig ReadBackgroundConfig(const core::config::Config& config);

struct SampledBackground {
  std::string type;             // "plain" | "textured" | "complex" | "real"
  Scenery scenery;              // meshes to add (empty for real backgrounds and imported scenes)
  bool imported_scene = false;  // place BackgroundSampler::imported_mesh() with scene_pose
  Eigen::Affine3d scene_pose = Eigen::Affine3d::Identity();  // world_from_file
  cv::Mat backplate;                                         // real: width x height BGR
  nlohmann::json params = nlohmann::json::object();
};

class BackgroundSampler {
 public:
  // Loads the complex scene file once when the config uses one. Throws core::Error.
  explicit BackgroundSampler(BackgroundConfig config);
  // Draws the background of one sample (pass the sample's "background" sub-stream).
  SampledBackground Sample(int width, int height, core::data::Rng& rng) const;
  const BackgroundConfig& config() const { return config_; }
  // The scene file's mesh (metres, file frame), or null.
  std::shared_ptr<const core::io::Mesh> imported_mesh() const { return imported_; }
  // world_from_file of the imported scene.
  Eigen::Affine3d ImportedPose() const;
  // Interior box of the imported scene (its world bounds), for keeping lights inside.
  Eigen::AlignedBox3d ImportedBounds() const { return imported_bounds_; }

 private:
  BackgroundConfig config_;
  std::shared_ptr<const core::io::Mesh> imported_;
  Eigen::AlignedBox3d imported_bounds_;
};

}  // namespace synface::synth::scene
