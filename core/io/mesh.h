// The one triangle-mesh type of synface, its loaders (Assimp for any format; a dedicated OBJ reader
// that keeps the file's vertex numbering) and writers (PLY, OBJ, point-cloud PLY).
//
// Conventions: positions in metres after loading (each loader takes the factor from file units to
// metres), triangles counter-clockwise seen from outside (right-handed, as OBJ/glTF/Assimp give
// them), polygons split into triangles as a fan from their first corner (a quad a b c d becomes
// a b c and a c d).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace synface::core::io {

// A contiguous run of triangles [triangle_begin, triangle_end) with one material: an OBJ usemtl / g
// / o group, or one aiMesh of an Assimp scene.
// [vertex_begin, vertex_end) spans the vertices this part introduces: for Assimp, the aiMesh's own
// vertices; for an OBJ file, the vertices first referenced by this part's faces (its min..max+1;
// empty when all were referenced earlier). For the ICT model these are exactly the part ranges of
// the model's README (e.g. M_BackHead = head/neck + sockets, 9409..14061, whose polygons also use
// face vertices).
struct MeshPart {
  std::string name;
  std::string material;
  int triangle_begin = 0, triangle_end = 0;
  int vertex_begin = 0, vertex_end = 0;
  int NumTriangles() const { return triangle_end - triangle_begin; }
};

// A node of the scene hierarchy (needed to pose bones). `local` maps the node's frame into its
// parent's (column vectors, p_parent = local * p_node); the root's parent is -1. Translations are
// in metres like the vertices.
struct MeshNode {
  std::string name;
  int parent = -1;
  Eigen::Matrix4f local = Eigen::Matrix4f::Identity();
};

struct VertexWeight {
  int vertex = 0;
  float weight = 0.0f;
};

// A skinning bone (Assimp's aiBone, merged across meshes by name).
// `offset` maps the mesh's rest space (the space of Mesh::positions) into the bone's frame (the
// inverse bind matrix). Linear blend skinning: p = sum_b w_b * Global(node_b) * offset_b * p_rest,
// which gives back the rest positions when the nodes are at their bind pose. (Files may store the
// nodes in another pose than the bind pose; then Global * offset is not the identity.)
struct Bone {
  std::string name;
  int node = -1;    // index into Mesh::nodes of the node with the same name (-1 if none)
  int parent = -1;  // index into Mesh::bones of the nearest ancestor node that is a bone
  Eigen::Matrix4f offset = Eigen::Matrix4f::Identity();
  std::vector<VertexWeight> weights;  // sorted by vertex
};

// A blend shape: rest + weight * deltas.
struct MorphTarget {
  std::string name;
  std::vector<Eigen::Vector3f> position_deltas;  // one per vertex (metres)
  std::vector<Eigen::Vector3f> normal_deltas;    // one per vertex, or empty
};

struct Mesh {
  std::vector<Eigen::Vector3f> positions;  // metres
  std::vector<Eigen::Vector3f> normals;    // unit, one per vertex, or empty
  // Texture coordinates are a table of their own, indexed per triangle corner, because an OBJ file
  // numbers `vt` separately from `v` (the ICT model has 26,719 v and 28,911 vt: vertices on UV
  // seams have several). Assimp-loaded meshes have one UV per vertex and triangle_uvs == triangles.
  std::vector<Eigen::Vector2f> uvs;
  std::vector<Eigen::Vector3i> triangles;     // vertex indices, CCW seen from outside
  std::vector<Eigen::Vector3i> triangle_uvs;  // indices into uvs (-1: corner has none), or empty
  std::vector<int> triangle_part;             // index into parts, one per triangle
  std::vector<int> triangle_polygon;  // the source polygon (OBJ `f` line / Assimp face, 0-based)
  std::vector<MeshPart> parts;
  std::vector<std::string> material_libraries;  // OBJ mtllib names, as written
  std::vector<MeshNode> nodes;                  // empty for OBJ files
  std::vector<Bone> bones;
  std::vector<MorphTarget> morph_targets;
  float scale_to_metres = 1.0f;  // factor applied to the file's coordinates
  std::string source;            // file it came from

  int NumVertices() const { return static_cast<int>(positions.size()); }
  int NumTriangles() const { return static_cast<int>(triangles.size()); }
  int NumPolygons() const;  // 1 + the largest triangle_polygon (0 when empty)
  bool HasUvs() const { return !triangle_uvs.empty(); }
  // Index of the part with this name, or -1.
  int FindPart(const std::string& name) const;
  int FindBone(const std::string& name) const;
};

// Area-weighted per-vertex normals from the triangles (vertices on no triangle get (0, 0, 0)).
std::vector<Eigen::Vector3f> ComputeVertexNormals(const std::vector<Eigen::Vector3f>& positions,
                                                  const std::vector<Eigen::Vector3i>& triangles);

// One UV per vertex: the first UV any corner of the vertex uses ((0, 0) when none). Seam vertices
// thereby take one side's UV; use triangle_uvs where that matters.
std::vector<Eigen::Vector2f> PerVertexUvs(const Mesh& mesh);

// Checks every index and array size; throws core::Error naming `mesh.source` and the first problem.
void ValidateMesh(const Mesh& mesh);

// Node-to-root transforms (Global(n) = Global(parent) * local(n)).
std::vector<Eigen::Matrix4f> GlobalNodeTransforms(const Mesh& mesh);
// Linear blend skinning of the rest positions with the given node-to-root transforms (e.g.
// GlobalNodeTransforms after changing some `local`). Vertices without weights stay where they are;
// weights are used as stored (not renormalised).
std::vector<Eigen::Vector3f> SkinPositions(const Mesh& mesh,
                                           const std::vector<Eigen::Matrix4f>& node_globals);
// Sum of bone weights per vertex.
std::vector<float> BoneWeightSums(const Mesh& mesh);

// ---------------------------------------------------------------------------------------------
// Loading.

struct AssimpLoadOptions {
  // Factor from file units to metres. Unset: the unit the file declares where Assimp reports one
  // (FBX "UnitScaleFactor", centimetres per unit); Collada's <unit> is already applied by Assimp;
  // other formats: 1 (file units taken as metres).
  std::optional<float> scale_to_metres;
  bool join_identical_vertices = true;  // else every face corner is its own vertex
  bool compute_missing_normals = true;
  bool load_bones = true;
  // Scale each weighted vertex's bone weights to sum to 1, as skinning expects. Blender's FBX
  // export, for one, writes raw weights (sums 0.94..1.38 in assimp-testmodels'
  // animation_with_skeleton.fbx) and normalises them only when deforming.
  bool normalize_bone_weights = true;
  bool load_morph_targets = true;
};

// Loads any format Assimp reads (OBJ, FBX, glTF/GLB, Collada/.zae, PLY, X, ...). All aiMeshes of
// the scene are merged: each instance of a mesh in the node tree is transformed by its node's
// node-to-root transform into the root frame (winding flipped under mirroring transforms) and
// becomes one part. Bones are merged by name, their offsets re-expressed for the merged rest
// space; morph targets (aiAnimMesh) are merged by name (missing in a part = zero delta).
// Points and lines are skipped. Throws core::Error with Assimp's message and the path.
// The vertex order is Assimp's, not the file's: for OBJ files whose numbering matters (the ICT
// model) use LoadObjKeepingNumbering.
Mesh LoadMeshAssimp(const std::filesystem::path& path, const AssimpLoadOptions& options = {});

struct ObjLoadOptions {
  float scale_to_metres = 1.0f;  // OBJ has no units: e.g. 0.01 for the ICT model (centimetres)
  bool compute_missing_normals = true;  // from the faces, when the file has no vn
};

// A dedicated OBJ reader that keeps the file's numbering: vertex i is the i-th `v` line, UV j the
// j-th `vt` line, polygon k the k-th `f` line. Reads v (extra w or r g b ignored), vt, vn, f (v,
// v/vt, v//vn, v/vt/vn; negative = relative), usemtl / g / o (-> parts), mtllib; skips comments,
// s, l, p and other statements. Normals: from vn (the vn of a vertex's corners averaged), else
// computed from the faces. Throws core::Error "file:line: ..." on malformed lines or indices out of
// range.
Mesh LoadObjKeepingNumbering(const std::filesystem::path& path, const ObjLoadOptions& options = {});

// Only the `v` lines of an OBJ file, in order, times `scale_to_metres` (for shape files that share
// one topology, like the ICT identity and expression meshes).
std::vector<Eigen::Vector3f> ReadObjPositions(const std::filesystem::path& path,
                                              float scale_to_metres = 1.0f);

// ---------------------------------------------------------------------------------------------
// Writing (atomic: temporary file + rename; parent folders are created).

struct PlyWriteOptions {
  bool binary = true;   // binary little endian, else ASCII
  bool normals = true;  // when the mesh has them
  bool uvs = true;      // per-vertex "s t" (PerVertexUvs) when the mesh has UVs
};
void WriteMeshPly(const std::filesystem::path& path, const Mesh& mesh,
                  const PlyWriteOptions& options = {});

// v, vt, vn (one per vertex), then per part `g <name>` + `usemtl <material>` and its triangles as
// f v/vt/vn in the mesh's own numbering (mtllib lines kept), so LoadObjKeepingNumbering reads back
// the same vertices, UVs, triangles and parts. Numbers are written in the shortest form that reads
// back to the same float.
struct ObjWriteOptions {
  float metres_to_file_units = 1.0f;  // e.g. 100 to write centimetres
  bool normals = true;
};
void WriteMeshObj(const std::filesystem::path& path, const Mesh& mesh,
                  const ObjWriteOptions& options = {});

using Rgb8 = Eigen::Matrix<std::uint8_t, 3, 1>;

// A binary little-endian PLY point cloud: float x y z, optionally uchar red green blue (RGB order)
// and float nx ny nz. `colors` / `normals` are empty or one per point. Throws core::Error.
void WritePointCloudPly(const std::filesystem::path& path,
                        const std::vector<Eigen::Vector3f>& points,
                        const std::vector<Rgb8>& colors = {},
                        const std::vector<Eigen::Vector3f>& normals = {});

// A PLY file's vertices (x y z, and red green blue / nx ny nz when present), ASCII or binary
// (either endianness), any numeric property types; other elements (faces, ...) are parsed past and
// dropped. For reading back point clouds and checking writers. Throws core::Error on malformed or
// short files.
struct PointCloud {
  std::vector<Eigen::Vector3f> points;
  std::vector<Rgb8> colors;              // empty when the file has none
  std::vector<Eigen::Vector3f> normals;  // empty when the file has none
};
PointCloud ReadPlyVertices(const std::filesystem::path& path);

}  // namespace synface::core::io
