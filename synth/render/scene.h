// Embree scenes for the renderer: triangle meshes (each with its own positions, so a posed head
// is rebuilt cheaply for every sample) and instances of prebuilt prototypes (scenery built once
// and placed by a transform).
//
// Frames: a mesh added to a Scene is given in its object frame and placed by world_from_object;
// camera rays are traced in the world frame. Metres throughout.
//
// Visibility flags become Embree geometry masks: a mesh whose materials differ in
// visible_to_camera / casts_shadow is split into up to three Embree geometries (camera+shadow,
// camera only, shadow only), and camera rays and secondary rays carry different ray masks, so
// hidden helper geometry costs nothing while tracing.
#pragma once

#include <embree3/rtcore.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <memory>
#include <string>
#include <vector>

#include "synth/render/material.h"

namespace synface::core::io {
struct Mesh;
}

namespace synface::synth::render {

// Ray masks (bits of the Embree geometry mask).
inline constexpr unsigned kCameraRayMask = 1u;     // camera (primary) rays
inline constexpr unsigned kSecondaryRayMask = 2u;  // shadow, ambient-occlusion and bounce rays

// Connectivity and per-corner attributes shared by every pose of a mesh.
struct MeshTopology {
  int num_vertices = 0;
  std::vector<Eigen::Vector3i> triangles;  // CCW seen from outside (shading is two-sided)
  std::vector<Eigen::Vector2f> uvs;
  std::vector<Eigen::Vector3i> triangle_uvs;  // empty, or one per triangle (-1: corner has none)
  std::vector<int> triangle_material;         // empty (all use material 0) or one per triangle

  // The project's Mesh: triangles, UV table, and triangle_material = triangle_part (so a mesh's
  // materials are given per part, in the order of mesh.parts).
  static std::shared_ptr<const MeshTopology> FromMesh(const core::io::Mesh& mesh);
  int NumMaterialsUsed() const;  // 1 + the largest material index (1 when none are given)
  // Throws core::Error naming `name` and the first bad index or size.
  void Validate(const std::string& name) const;
};

// One mesh to add: shared topology + this pose's positions + appearance.
struct MeshDesc {
  std::string name;  // for errors
  std::shared_ptr<const MeshTopology> topology;
  std::vector<Eigen::Vector3f> positions;      // one per vertex, object frame, metres
  std::vector<Eigen::Vector3f> normals;        // optional per-vertex shading normals (object frame)
  std::vector<Eigen::Vector3f> vertex_colors;  // optional linear RGB, for use_vertex_colors
  std::vector<Material> materials;             // indexed by topology->triangle_material
  // Interpolate per-vertex normals (from `normals`, else area-weighted from the positions) for
  // shading; false shades every triangle flat (boxes, walls).
  bool smooth_shading = true;
  Eigen::Affine3d world_from_object = Eigen::Affine3d::Identity();
};

// The project's Mesh as a MeshDesc: its topology (FromMesh), positions and normals, and one
// material per part (`part_materials.size()` must cover every part used).
MeshDesc MeshDescFromMesh(const core::io::Mesh& mesh, std::vector<Material> part_materials);

// BVH quality: kLow (Morton builder, fastest build) suits scenes traced once; kMedium (binned
// SAH) traces faster and pays off for big ray counts; kHigh adds spatial splits.
enum class BuildQuality { kLow, kMedium, kHigh };

namespace detail {
// A mesh as stored for shading (normals in the frame of the Embree scene that holds it).
struct MeshRecord {
  std::string name;
  std::shared_ptr<const MeshTopology> topology;
  std::vector<Eigen::Vector3f> normals;  // empty: flat shading
  std::vector<Eigen::Vector3f> vertex_colors;
  std::vector<Material> materials;
  int mesh_index = 0;  // index among the meshes of its prototype (0 for a scene's own mesh)
};
// One Embree geometry: a mesh or the subset of its triangles with one visibility mask.
struct GeometryRecord {
  const MeshRecord* mesh = nullptr;
  std::vector<int> triangle_map;  // Embree primitive -> mesh triangle; empty = identity
  int object_id = -1;             // object id for a scene's own mesh; -1 inside prototypes
  int MeshTriangle(unsigned prim) const {
    return triangle_map.empty() ? static_cast<int>(prim) : triangle_map[prim];
  }
};
// Meshes built into one Embree scene (a Scene's own meshes, or a Prototype).
struct MeshSet {
  std::vector<std::unique_ptr<MeshRecord>> meshes;
  std::vector<GeometryRecord> geometries;  // indexed by Embree geometry id
  Eigen::AlignedBox3d bounds;              // in the frame of the Embree scene
  void Add(RTCDevice device, RTCScene scene, MeshDesc desc, int object_id, RTCBuildQuality quality);
};
RTCDevice SharedDevice();
void CheckDevice(const char* what);
}  // namespace detail

// Meshes built once into their own BVH, to be placed (any number of times) in Scenes by
// AddInstance. Immutable and thread-safe after Build.
class Prototype {
 public:
  static std::shared_ptr<const Prototype> Build(std::vector<MeshDesc> meshes,
                                                BuildQuality quality = BuildQuality::kMedium);
  ~Prototype();
  Prototype(const Prototype&) = delete;
  Prototype& operator=(const Prototype&) = delete;

  int NumMeshes() const { return static_cast<int>(set_.meshes.size()); }
  const Eigen::AlignedBox3d& Bounds() const { return set_.bounds; }  // object frame
  RTCScene embree_scene() const { return scene_; }
  const detail::MeshSet& mesh_set() const { return set_; }

 private:
  Prototype() = default;
  RTCScene scene_ = nullptr;
  detail::MeshSet set_;
};

// What a ray hit, resolved to what was added to the Scene.
struct HitTarget {
  int object_id = -1;  // AddMesh / AddInstance return value
  int mesh_index = 0;  // mesh within the instanced prototype (0 for AddMesh objects)
  int triangle = -1;   // triangle index in that mesh's topology
  const detail::MeshRecord* mesh = nullptr;
  const Eigen::Matrix3f* normal_to_world = nullptr;  // nullptr: normals are already in world
};

// A scene to trace. Add meshes and instances, Commit() once (builds the BVH), then render it
// any number of times from any number of threads.
class Scene {
 public:
  explicit Scene(BuildQuality quality = BuildQuality::kLow);
  ~Scene();
  Scene(const Scene&) = delete;
  Scene& operator=(const Scene&) = delete;

  // Adds a mesh (positions transformed by desc.world_from_object); returns its object id (ids
  // count from 0 over AddMesh and AddInstance together). Throws core::Error for inconsistent
  // input (naming desc.name) or after Commit().
  int AddMesh(MeshDesc desc);
  // Places a prototype; world_from_object may scale, but not mirror or collapse it.
  int AddInstance(std::shared_ptr<const Prototype> prototype,
                  const Eigen::Affine3d& world_from_object);
  // Builds the acceleration structure. Throws core::Error when Embree fails.
  void Commit();

  bool committed() const { return committed_; }
  int NumObjects() const { return num_objects_; }
  // World-frame bounds of everything added.
  Eigen::AlignedBox3d Bounds() const { return bounds_; }
  RTCScene embree_scene() const { return scene_; }

  // Resolves a hit returned by Embree for this scene (geomID, primID, instID[0]). Inline: the
  // renderer calls it for every shaded sample.
  HitTarget Resolve(unsigned geom_id, unsigned prim_id, unsigned inst_id) const {
    HitTarget target;
    if (inst_id == RTC_INVALID_GEOMETRY_ID) {
      const detail::GeometryRecord& g = set_.geometries[geom_id];
      target.object_id = g.object_id;
      target.mesh = g.mesh;
      target.triangle = g.MeshTriangle(prim_id);
    } else {
      const InstanceRecord& instance = *instances_[inst_id];
      const detail::GeometryRecord& g = instance.prototype->mesh_set().geometries[geom_id];
      target.object_id = instance.object_id;
      target.mesh = g.mesh;
      target.mesh_index = g.mesh->mesh_index;
      target.triangle = g.MeshTriangle(prim_id);
      target.normal_to_world = &instance.normal_to_world;
    }
    return target;
  }

 private:
  struct InstanceRecord {
    std::shared_ptr<const Prototype> prototype;
    Eigen::Matrix3f normal_to_world;
    int object_id = -1;
  };
  RTCScene scene_ = nullptr;
  RTCBuildQuality quality_;
  detail::MeshSet set_;  // the scene's own meshes; geometry ids shared with instances below
  std::vector<std::unique_ptr<InstanceRecord>> instances_;  // by Embree geometry id (or null)
  int num_objects_ = 0;
  bool committed_ = false;
  Eigen::AlignedBox3d bounds_;
};

}  // namespace synface::synth::render
