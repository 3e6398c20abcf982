// Scenery around the head as plain triangle meshes with simple materials, independent of the
// renderer (the generator converts them): the thesis's plain room (a back wall, two side walls, a
// floor and a ceiling, repo-BDG SimpleScene/sceneSetup_V1.py) and a procedural furnished room
// standing in for the Blender classroom / barbershop interiors (ch2 digest section 2.4).
//
// Frame: the world frame of pose_sampling.h (neutral head frame: origin at the neutral eye
// midpoint, x right, y DOWN, z away from the camera). The floor is at y = +eye_height.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/data/seed.h"
#include "synth/scene/config_util.h"
#include "synth/scene/textures.h"

namespace synface::synth::scene {

struct SceneryMaterial {
  std::string name;
  Eigen::Vector3f albedo = Eigen::Vector3f::Constant(0.8f);  // linear RGB (multiplies texture)
  std::shared_ptr<const cv::Mat> texture;  // CV_8UC3 BGR sRGB, tiled by the mesh UVs; or null
  float roughness = 0.8f;
  float specular = 0.04f;
  Eigen::Vector3f emission = Eigen::Vector3f::Zero();  // W/(m^2 sr), shows but lights nothing
  nlohmann::json params = nlohmann::json::object();    // what was drawn (texture family, ...)
};

struct SceneryMesh {
  std::string name;
  std::vector<Eigen::Vector3f> positions;  // world, metres
  std::vector<Eigen::Vector3i> triangles;  // counter-clockwise seen from the viewer's side
  std::vector<Eigen::Vector2f> uvs;        // one per vertex (texture repeats), or empty
  int material = 0;                        // index into Scenery::materials
  bool smooth = false;                     // interpolate normals (curved parts)
};

struct Scenery {
  std::vector<SceneryMaterial> materials;
  std::vector<SceneryMesh> meshes;
  // Free space of the room (lights are kept inside it); empty when the scene is open.
  Eigen::AlignedBox3d interior;
  nlohmann::json params = nlohmann::json::object();

  int AddMaterial(SceneryMaterial material);
  // A rectangle from `corner` spanning edge_u and edge_v; it faces edge_u x edge_v. UVs run along
  // the edges in metres / tile_m (tile_m <= 0: the whole quad is one texture tile).
  void AddQuad(const std::string& name, const Eigen::Vector3d& corner,
               const Eigen::Vector3d& edge_u, const Eigen::Vector3d& edge_v, int material,
               double tile_m = 0.0);
  // An axis-aligned box (6 outward-facing quads).
  void AddBox(const std::string& name, const Eigen::Vector3d& min, const Eigen::Vector3d& max,
              int material, double tile_m = 0.0);
  // A vertical cylinder (y down: `base` is the bottom centre, it extends to y - height), capped.
  void AddCylinder(const std::string& name, const Eigen::Vector3d& base, double radius,
                   double height, int material, int segments = 16);
  // A UV sphere (smooth), scaled per axis.
  void AddEllipsoid(const std::string& name, const Eigen::Vector3d& centre,
                    const Eigen::Vector3d& radii, int material, int segments = 16);

  int NumTriangles() const;
};

// The thesis's plain room (six-metre planes). Back wall at z = wall_distance behind the eye
// midpoint, side walls at x = +-side_distance, floor eye_height below, ceiling ceiling_height
// above the floor. `wall` is used by the walls and the ceiling (the authors' shared
// MaterialPlane001), `floor` by the floor.
struct PlainRoomSpec {
  double wall_distance = 0.51;  // repo: wall at Blender y = 0.5, eye midpoint at y = -0.0136
  double side_distance = 2.0;
  double eye_height = 1.6779;  // the published annotation's eye-midpoint height
  double ceiling_height = 3.0;
  double plane_size = 6.0;   // the default 2 m planes scaled x3
  double wall_tile_m = 0.0;  // texture tile size on the walls (0: one tile per plane)
};
Scenery BuildPlainRoom(const PlainRoomSpec& spec, SceneryMaterial wall, SceneryMaterial floor);

// A furnished room drawn from `rng`: room size and eye height, wall/floor/ceiling materials
// (paint, wallpaper, wood, tiles, carpet from the procedural families), and furniture (tables,
// chairs, shelves with books, cabinets, floor lamps, pictures, windows, doors, plants) kept out of
// a clearance disc around the head so nothing stands between it and the camera.
struct FurnishedRoomSpec {
  int furniture_min = 6, furniture_max = 14;
  int texture_size = 256;
  double head_clearance = 0.9;  // metres (xz distance from the eye midpoint)
};
Scenery BuildFurnishedRoom(const FurnishedRoomSpec& spec, core::data::Rng& rng);

}  // namespace synface::synth::scene
