#include "synth/render/scene.h"

#include <gtest/gtest.h>

#include "core/io/mesh.h"
#include "core/util/error.h"
#include "synth/render/primitives.h"

namespace synface::synth::render {
namespace {

// Traces one ray and returns what it hit (or object_id -1).
HitTarget Trace(const Scene& scene, const Eigen::Vector3f& org, const Eigen::Vector3f& dir,
                unsigned mask = kCameraRayMask, float* t = nullptr) {
  RTCRayHit rh{};
  rh.ray.org_x = org.x();
  rh.ray.org_y = org.y();
  rh.ray.org_z = org.z();
  rh.ray.dir_x = dir.x();
  rh.ray.dir_y = dir.y();
  rh.ray.dir_z = dir.z();
  rh.ray.tnear = 0;
  rh.ray.tfar = 1e30f;
  rh.ray.mask = mask;
  rh.hit.geomID = RTC_INVALID_GEOMETRY_ID;
  rh.hit.instID[0] = RTC_INVALID_GEOMETRY_ID;
  RTCIntersectContext context;
  rtcInitIntersectContext(&context);
  rtcIntersect1(scene.embree_scene(), &context, &rh);
  if (t) *t = rh.ray.tfar;
  if (rh.hit.geomID == RTC_INVALID_GEOMETRY_ID) return HitTarget();
  return scene.Resolve(rh.hit.geomID, rh.hit.primID, rh.hit.instID[0]);
}

TEST(MeshTopology, FromMeshKeepsPartsAsMaterials) {
  core::io::Mesh mesh = MakePlane({0, 0, 0}, {1, 0, 0}, {0, 1, 0}, 2, 1);
  mesh.triangle_part = {0, 0, 1, 1};
  mesh.parts.push_back(mesh.parts[0]);
  const auto topology = MeshTopology::FromMesh(mesh);
  EXPECT_EQ(topology->num_vertices, 6);
  EXPECT_EQ(topology->triangles.size(), 4u);
  EXPECT_EQ(topology->NumMaterialsUsed(), 2);
  EXPECT_EQ(topology->triangle_uvs.size(), 4u);
}

TEST(MeshTopology, ValidateNamesTheProblem) {
  MeshTopology topo;
  topo.num_vertices = 3;
  topo.triangles = {{0, 1, 3}};
  try {
    topo.Validate("head");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("head: triangle 0 uses vertex 3"), std::string::npos)
        << e.what();
  }
  topo.triangles = {{0, 1, 2}};
  topo.triangle_material = {0, 1};
  EXPECT_THROW(topo.Validate("head"), core::Error);
}

TEST(Scene, RejectsInconsistentMeshes) {
  Scene scene;
  MeshDesc desc = MeshDescFromMesh(MakePlane({0, 0, 1}, {1, 0, 0}, {0, 1, 0}), {Material()});
  desc.positions.pop_back();
  EXPECT_THROW(scene.AddMesh(desc), core::Error);
  desc = MeshDescFromMesh(MakePlane({0, 0, 1}, {1, 0, 0}, {0, 1, 0}), {});
  EXPECT_THROW(scene.AddMesh(desc), core::Error);  // no material
  desc = MeshDescFromMesh(MakePlane({0, 0, 1}, {1, 0, 0}, {0, 1, 0}), {Material()});
  desc.materials[0].roughness = 2;
  EXPECT_THROW(scene.AddMesh(desc), core::Error);
  desc.materials[0].roughness = 0.5f;
  desc.world_from_object.linear().setZero();
  EXPECT_THROW(scene.AddMesh(desc), core::Error);
  desc.world_from_object.setIdentity();
  EXPECT_EQ(scene.AddMesh(desc), 0);
  scene.Commit();
  EXPECT_THROW(scene.AddMesh(desc), core::Error);
}

TEST(Scene, VisibilityFlagsSplitTrianglesByRayMask) {
  // Two quads side by side in one mesh: left visible to the camera only, right to shadow rays
  // only.
  core::io::Mesh mesh = MakePlane({0, 0, 1}, {2, 0, 0}, {0, 1, 0}, 2, 1);
  mesh.triangle_part = {0, 0, 1, 1};
  Material camera_only, shadow_only;
  camera_only.casts_shadow = false;
  shadow_only.visible_to_camera = false;
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(mesh, {camera_only, shadow_only}));
  scene.Commit();
  const Eigen::Vector3f org(0, 0, 0);
  const HitTarget left = Trace(scene, org, {-0.5f, 0, 1}, kCameraRayMask);
  EXPECT_EQ(left.object_id, 0);
  EXPECT_TRUE(left.triangle == 0 || left.triangle == 1);  // mesh triangle ids survive the split
  EXPECT_EQ(Trace(scene, org, {-0.5f, 0, 1}, kSecondaryRayMask).object_id, -1);
  EXPECT_EQ(Trace(scene, org, {0.5f, 0, 1}, kCameraRayMask).object_id, -1);
  const HitTarget right = Trace(scene, org, {0.5f, 0, 1}, kSecondaryRayMask);
  EXPECT_EQ(right.object_id, 0);
  EXPECT_TRUE(right.triangle == 2 || right.triangle == 3);
}

TEST(Scene, InstancesResolveToTheirObjectAndTransform) {
  auto prototype = Prototype::Build(
      {MeshDescFromMesh(MakeUvSphere({0, 0, 0}, 1.0f, 8, 16), {Material()}),
       MeshDescFromMesh(MakePlane({0, 0, 3}, {3, 0, 0}, {0, 3, 0}), {Material()})});
  EXPECT_EQ(prototype->NumMeshes(), 2);
  Scene scene;
  scene.AddMesh(MeshDescFromMesh(MakePlane({0, 0, 10}, {100, 0, 0}, {0, 100, 0}), {Material()}));
  Eigen::Affine3d a = Eigen::Affine3d::Identity();
  a.translate(Eigen::Vector3d(-2, 0, 5));
  a.scale(0.5);
  Eigen::Affine3d b = Eigen::Affine3d::Identity();
  b.translate(Eigen::Vector3d(2, 0, 5));
  EXPECT_EQ(scene.AddInstance(prototype, a), 1);
  EXPECT_EQ(scene.AddInstance(prototype, b), 2);
  scene.Commit();
  EXPECT_EQ(scene.NumObjects(), 3);
  float t = 0;
  HitTarget hit = Trace(scene, {-2, 0, 0}, {0, 0, 1}, kCameraRayMask, &t);
  EXPECT_EQ(hit.object_id, 1);
  EXPECT_EQ(hit.mesh_index, 0);
  EXPECT_NE(hit.normal_to_world, nullptr);
  EXPECT_NEAR(t, 4.5, 0.02);  // scaled sphere of radius 0.5 (faceted)
  hit = Trace(scene, {2, 0, 0}, {0, 0, 1}, kCameraRayMask, &t);
  EXPECT_EQ(hit.object_id, 2);
  EXPECT_NEAR(t, 4.0, 0.05);
  hit = Trace(scene, {3.2f, 0.2f, 0}, {0, 0, 1}, kCameraRayMask, &t);  // misses the sphere
  EXPECT_EQ(hit.object_id, 2);
  EXPECT_EQ(hit.mesh_index, 1);  // the prototype's plane at z = 3 + 5
  EXPECT_NEAR(t, 8.0, 1e-5);
  hit = Trace(scene, {0, 0, 0}, {0, 0, 1}, kCameraRayMask, &t);
  EXPECT_EQ(hit.object_id, 0);
  EXPECT_EQ(hit.normal_to_world, nullptr);
  const Eigen::AlignedBox3d bounds = scene.Bounds();
  EXPECT_NEAR(bounds.min().z(), 4.0, 1e-6);  // sphere of instance b
  EXPECT_NEAR(bounds.max().z(), 10.0, 1e-6);
}

}  // namespace
}  // namespace synface::synth::render
