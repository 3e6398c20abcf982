#include "core/io/mesh.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <map>
#include <random>
#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::core::io {
namespace {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")) / "mesh_test"; }

const fs::path kAssimpModels = "/usr/share/assimp/models";

#define SKIP_WITHOUT_ASSIMP_MODELS()    \
  if (!fs::is_directory(kAssimpModels)) \
  GTEST_SKIP() << kAssimpModels << " is missing: install Debian's assimp-testmodels package"

template <typename Body>
void ExpectErrorMentioning(Body&& body, const std::string& needle) {
  try {
    body();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

fs::path WriteText(const std::string& name, const std::string& text) {
  const fs::path path = TmpDir() / name;
  WriteFileAtomic(path, text);
  return path;
}

// Max over vertices of |rest - skinned at the bind pose|.
float RestPoseSkinningError(const Mesh& mesh) {
  const std::vector<Eigen::Vector3f> skinned = SkinPositions(mesh, GlobalNodeTransforms(mesh));
  float error = 0;
  for (int v = 0; v < mesh.NumVertices(); ++v)
    error = std::max(error, (skinned[v] - mesh.positions[v]).norm());
  return error;
}

// Every weighted vertex's weights sum to 1; returns how many vertices are weighted.
int ExpectWeightsSumToOne(const Mesh& mesh) {
  int weighted = 0;
  for (float sum : BoneWeightSums(mesh))
    if (sum > 0) {
      ++weighted;
      EXPECT_NEAR(sum, 1.0f, 1e-3f);
    }
  return weighted;
}

// ---------------------------------------------------------------------------------------------
// The dedicated OBJ reader.

constexpr char kSmallObj[] =
    "# a unit quad, a triangle and a pentagon\r\n"
    "mtllib shapes.mtl\r\n"
    "v 0 0 0\r\n"
    "v 1e0 0 0 0.5 0.5 0.5\r\n"  // vertex colours are ignored
    "v 1 1 0\r\n"
    "v 0 +1 0\r\n"
    "v 2.5E-1 -2.0e+00 3\r\n"
    "vt 0 0\n"
    "vt 1 0\n"
    "vt 1 1\n"
    "vt 0 1\n"
    "vn 0 0 2\n"  // not unit: normalised on use
    "usemtl red\n"
    "s 1\n"
    "f 1/1 2/2 3/3 4/4\n"
    "usemtl blue\n"
    "f -5//-1 -4//1 -1//1\n"  // negative = relative to the end
    "g lid\n"
    "f 1 2 3 4 5\n"
    "   \n"
    "l 1 2\n";

TEST(ObjReader, ParsesFaceFormsPartsAndNumbering) {
  const fs::path path = WriteText("small.obj", kSmallObj);
  const Mesh mesh = LoadObjKeepingNumbering(path);
  ASSERT_EQ(mesh.NumVertices(), 5);
  EXPECT_EQ(mesh.positions[1], Eigen::Vector3f(1, 0, 0));
  EXPECT_EQ(mesh.positions[3], Eigen::Vector3f(0, 1, 0));
  EXPECT_EQ(mesh.positions[4], Eigen::Vector3f(0.25f, -2, 3));
  EXPECT_EQ(mesh.uvs.size(), 4u);
  EXPECT_EQ(mesh.material_libraries, std::vector<std::string>{"shapes.mtl"});
  // Quad -> 2, triangle -> 1, pentagon -> 3, fanned from the first corner.
  ASSERT_EQ(mesh.NumTriangles(), 6);
  EXPECT_EQ(mesh.NumPolygons(), 3);
  EXPECT_EQ(mesh.triangles[0], Eigen::Vector3i(0, 1, 2));
  EXPECT_EQ(mesh.triangles[1], Eigen::Vector3i(0, 2, 3));
  EXPECT_EQ(mesh.triangles[2], Eigen::Vector3i(0, 1, 4));
  EXPECT_EQ(mesh.triangles[5], Eigen::Vector3i(0, 3, 4));
  EXPECT_EQ(mesh.triangle_polygon, (std::vector<int>{0, 0, 1, 2, 2, 2}));
  ASSERT_TRUE(mesh.HasUvs());
  EXPECT_EQ(mesh.triangle_uvs[1], Eigen::Vector3i(0, 2, 3));
  EXPECT_EQ(mesh.triangle_uvs[2], Eigen::Vector3i(-1, -1, -1));
  // Parts: one per usemtl / g change, named by group, else material.
  ASSERT_EQ(mesh.parts.size(), 3u);
  EXPECT_EQ(mesh.parts[0].name, "red");
  EXPECT_EQ(mesh.parts[1].material, "blue");
  EXPECT_EQ(mesh.parts[2].name, "lid");
  EXPECT_EQ(mesh.parts[2].material, "blue");
  EXPECT_EQ(mesh.parts[0].triangle_begin, 0);
  EXPECT_EQ(mesh.parts[0].triangle_end, 2);
  EXPECT_EQ(mesh.parts[1].NumTriangles(), 1);
  EXPECT_EQ(mesh.parts[2].NumTriangles(), 3);
  EXPECT_EQ(mesh.triangle_part, (std::vector<int>{0, 0, 1, 2, 2, 2}));
  // Vertices introduced by each part.
  EXPECT_EQ(mesh.parts[0].vertex_begin, 0);
  EXPECT_EQ(mesh.parts[0].vertex_end, 4);
  EXPECT_EQ(mesh.parts[1].vertex_begin, 4);
  EXPECT_EQ(mesh.parts[1].vertex_end, 5);
  EXPECT_EQ(mesh.parts[2].vertex_begin, mesh.parts[2].vertex_end);
  // Normals: vertices 0, 1, 4 carry the file's vn (0 0 1); 2 and 3 computed from the faces.
  ASSERT_EQ(mesh.normals.size(), 5u);
  EXPECT_TRUE(mesh.normals[0].isApprox(Eigen::Vector3f(0, 0, 1)));
  EXPECT_TRUE(mesh.normals[2].isApprox(Eigen::Vector3f(0, 0, 1)));  // quad faces +z (CCW)
  EXPECT_NEAR(mesh.normals[3].norm(), 1.0f, 1e-6f);
  ValidateMesh(mesh);

  const std::vector<Eigen::Vector3f> positions = ReadObjPositions(path, 0.01f);
  ASSERT_EQ(positions.size(), 5u);
  EXPECT_TRUE(positions[4].isApprox(Eigen::Vector3f(0.0025f, -0.02f, 0.03f)));
}

TEST(ObjReader, ScalesToMetresAndComputesNormals) {
  const fs::path path = WriteText("tet.obj",
                                  "v 0 0 0\nv 100 0 0\nv 0 100 0\nv 0 0 100\n"
                                  "f 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n");
  ObjLoadOptions options;
  options.scale_to_metres = 0.01f;
  const Mesh mesh = LoadObjKeepingNumbering(path, options);
  EXPECT_EQ(mesh.positions[3], Eigen::Vector3f(0, 0, 1));
  EXPECT_FLOAT_EQ(mesh.scale_to_metres, 0.01f);
  // Outward-facing winding: the normal at the corner opposite the origin points away from it.
  EXPECT_GT(mesh.normals[3].dot(Eigen::Vector3f(0, 0, 1)), 0.5f);
  EXPECT_LT(mesh.normals[0].dot(Eigen::Vector3f(1, 1, 1)), -0.9f);
  EXPECT_FALSE(mesh.HasUvs());
  EXPECT_EQ(mesh.parts.size(), 1u);
  EXPECT_EQ(mesh.parts[0].name, "default");
}

TEST(ObjReader, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"v 0 0 0\nv 1 0\n", ":2: malformed v line"},
      {"v 0 0 0\nv 1 x 0\n", ":2: malformed v line"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", ":4: vertex index 4 out of range"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", ":4: vertex index 0 out of range"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf -4 1 2\n", ":4: vertex index -4 out of range"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1 2/1 3/1\n", ":4: texture coordinate index 1"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1//2 2//2 3//2\n", ":4: normal index 2"},
      {"v 0 0 0\nv 1 0 0\nf 1 2\n", ":3: face with 2 corners"},
      {"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2x 3\n", ":4: malformed f line"},
      {"vt\n", ":1: malformed vt line"},
      {"vn 0 0\n", ":1: malformed vn line"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const fs::path path = WriteText("bad" + std::to_string(i++) + ".obj", c.text);
    ExpectErrorMentioning([&] { LoadObjKeepingNumbering(path); }, path.string() + c.needle);
  }
  ExpectErrorMentioning([] { LoadObjKeepingNumbering(TmpDir() / "absent.obj"); }, "absent.obj");
  ExpectErrorMentioning([] { ReadObjPositions(TmpDir() / "absent.obj"); }, "absent.obj");
  const fs::path bad_v = WriteText("badv.obj", "# x\nv 1 2 three\n");
  ExpectErrorMentioning([&] { ReadObjPositions(bad_v); }, bad_v.string() + ":2:");
}

// ---------------------------------------------------------------------------------------------
// The ICT Face Model (runfiles "ict_facekit/FaceXModel/..."; numbers from its MANIFEST.md).

std::string IctMissingReason() {
  if (const char* env = std::getenv("SYNFACE_ICT_FACEKIT"); env && *env)
    return fmt::format("ICT Face Model missing: $SYNFACE_ICT_FACEKIT={} has no FaceXModel/", env);
  return "ICT Face Model missing: runfile ict_facekit/FaceXModel/generic_neutral_mesh.obj not "
         "found (../shared/assets/ict-facekit absent next to the checkout and $SYNFACE_ICT_FACEKIT "
         "unset)";
}

#define SKIP_WITHOUT_ICT_MODEL() \
  if (!IctFacekitAvailable()) GTEST_SKIP() << IctMissingReason()

TEST(IctModel, NeutralMeshKeepsUpstreamNumberingAndParts) {
  SKIP_WITHOUT_ICT_MODEL();
  const fs::path path = IctFacekitRoot() / "FaceXModel" / "generic_neutral_mesh.obj";
  ObjLoadOptions options;
  options.scale_to_metres = 0.01f;  // the model is in centimetres
  const auto start = std::chrono::steady_clock::now();
  const Mesh mesh = LoadObjKeepingNumbering(path, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("LoadObjKeepingNumbering(%s): %.3f s\n", path.filename().c_str(), seconds);

  EXPECT_EQ(mesh.NumVertices(), 26719);
  EXPECT_EQ(mesh.uvs.size(), 28911u);
  EXPECT_EQ(mesh.NumPolygons(), 26384);
  EXPECT_EQ(mesh.NumTriangles(), 25836 * 2 + 548);
  EXPECT_EQ(mesh.material_libraries, std::vector<std::string>{"ICTFaceModelMaterial.mtl"});
  ASSERT_TRUE(mesh.HasUvs());
  ValidateMesh(mesh);

  // Landmark 30 (nose tip) is vertex 4857 at (0, 0.41, 13.07) cm; its normal faces forward (+Z).
  EXPECT_NEAR(mesh.positions[4857].x(), 0.0f, 1e-6f);
  EXPECT_NEAR(mesh.positions[4857].y(), 0.0041f, 5e-5f);
  EXPECT_NEAR(mesh.positions[4857].z(), 0.1307f, 5e-5f);
  EXPECT_GT(mesh.normals[4857].z(), 0.9f);
  // Bounding box (cm): (-12.42, -19.31, -9.23) .. (12.42, 14.50, 13.09).
  Eigen::Vector3f lo = mesh.positions[0], hi = mesh.positions[0];
  for (const auto& p : mesh.positions) {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  EXPECT_TRUE(lo.isApprox(Eigen::Vector3f(-0.1242f, -0.1931f, -0.0923f), 1e-3f)) << lo.transpose();
  EXPECT_TRUE(hi.isApprox(Eigen::Vector3f(0.1242f, 0.1450f, 0.1309f), 1e-3f)) << hi.transpose();

  // The 12 usemtl groups, with the upstream README's vertex and polygon ranges.
  struct Expected {
    const char* name;
    int vertex_begin, vertex_end, polygon_begin;
  };
  const Expected expected[] = {
      {"M_Face", 0, 9409, 0},
      {"M_BackHead", 9409, 14062, 9230},  // head/neck + mouth socket + eye sockets
      {"M_GumsTongue", 14062, 17039, 14034},
      {"M_Teeth", 17039, 21451, 17006},
      {"M_ScleraLeft", 21451, 22221, 21496},
      {"M_IrisLeft", 22221, 23021, -1},
      {"M_ScleraRight", 23021, 23791, 23094},
      {"M_IrisRight", 23791, 24591, -1},
      {"M_LacrimalFluid", 24591, 24999, 24692},
      {"M_EyeBlend", 24999, 25047, 25018},
      {"M_EyeOcclusion", 25047, 25351, 25048},
      {"M_EyeLashes", 25351, 26719, 25304},
  };
  ASSERT_EQ(mesh.parts.size(), 12u);
  for (size_t i = 0; i < 12; ++i) {
    const MeshPart& part = mesh.parts[i];
    EXPECT_EQ(part.name, expected[i].name);
    EXPECT_EQ(part.material, expected[i].name);
    EXPECT_EQ(part.vertex_begin, expected[i].vertex_begin) << part.name;
    EXPECT_EQ(part.vertex_end, expected[i].vertex_end) << part.name;
    if (expected[i].polygon_begin >= 0) {
      EXPECT_EQ(mesh.triangle_polygon[part.triangle_begin], expected[i].polygon_begin) << part.name;
    }
  }
  EXPECT_EQ(mesh.parts.back().triangle_end, mesh.NumTriangles());

  // Shapes share the numbering: read just their positions.
  const std::vector<Eigen::Vector3f> neutral = ReadObjPositions(path, 0.01f);
  ASSERT_EQ(neutral.size(), mesh.positions.size());
  for (size_t v = 0; v < neutral.size(); v += 97) EXPECT_EQ(neutral[v], mesh.positions[v]);
  const std::vector<Eigen::Vector3f> jaw =
      ReadObjPositions(IctFacekitRoot() / "FaceXModel" / "jawOpen.obj", 0.01f);
  ASSERT_EQ(jaw.size(), neutral.size());
  float largest = 0;
  for (size_t v = 0; v < jaw.size(); ++v) largest = std::max(largest, (jaw[v] - neutral[v]).norm());
  EXPECT_NEAR(largest, 0.04199f, 1e-4f);  // "jawOpen: 4.199 cm (chin)"
}

TEST(IctModel, AssimpRenumbersTheSameGeometry) {
  SKIP_WITHOUT_ICT_MODEL();
  SKIP_WITHOUT_ASSIMP_MODELS();
  const fs::path path = IctFacekitRoot() / "FaceXModel" / "generic_neutral_mesh.obj";
  AssimpLoadOptions options;
  options.scale_to_metres = 0.01f;
  const Mesh mesh = LoadMeshAssimp(path, options);
  // Split at UV seams (MANIFEST "Loading notes": 28,716 with JoinIdenticalVertices), same faces.
  EXPECT_EQ(mesh.NumVertices(), 28716);
  EXPECT_EQ(mesh.NumTriangles(), 52220);
  EXPECT_EQ(mesh.parts.size(), 12u);
  EXPECT_EQ(mesh.parts[0].material, "M_Face");
  ASSERT_TRUE(mesh.HasUvs());
}

TEST(IctModel, ObjWriterRoundTripIsExact) {
  SKIP_WITHOUT_ICT_MODEL();
  ObjLoadOptions options;
  options.scale_to_metres = 0.01f;
  const Mesh mesh = LoadObjKeepingNumbering(
      IctFacekitRoot() / "FaceXModel" / "generic_neutral_mesh.obj", options);
  const fs::path path = TmpDir() / "ict_copy.obj";
  WriteMeshObj(path, mesh);
  const Mesh back = LoadObjKeepingNumbering(path);
  EXPECT_EQ(back.positions, mesh.positions);
  EXPECT_EQ(back.uvs, mesh.uvs);
  EXPECT_EQ(back.triangles, mesh.triangles);
  EXPECT_EQ(back.triangle_uvs, mesh.triangle_uvs);
  EXPECT_EQ(back.triangle_part, mesh.triangle_part);
  ASSERT_EQ(back.normals.size(), mesh.normals.size());
  for (size_t v = 0; v < mesh.normals.size(); ++v)
    ASSERT_TRUE(back.normals[v].isApprox(mesh.normals[v], 1e-5f)) << v;
  ASSERT_EQ(back.parts.size(), mesh.parts.size());
  for (size_t i = 0; i < mesh.parts.size(); ++i) {
    EXPECT_EQ(back.parts[i].name, mesh.parts[i].name);
    EXPECT_EQ(back.parts[i].material, mesh.parts[i].material);
    EXPECT_EQ(back.parts[i].vertex_begin, mesh.parts[i].vertex_begin);
  }
}

// ---------------------------------------------------------------------------------------------
// Assimp.

TEST(AssimpLoader, FbxSkeletonBonesWeightsAndPosing) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  const fs::path path = kAssimpModels / "FBX" / "animation_with_skeleton.fbx";
  const Mesh mesh = LoadMeshAssimp(path);
  EXPECT_FLOAT_EQ(mesh.scale_to_metres, 0.01f);  // UnitScaleFactor 1: centimetres
  EXPECT_EQ(mesh.NumVertices(), 2464);
  EXPECT_EQ(mesh.parts.size(), 1u);
  ASSERT_EQ(mesh.bones.size(), 14u);
  EXPECT_EQ(ExpectWeightsSumToOne(mesh), mesh.NumVertices());
  // Blender wrote raw weights: without normalisation they do not sum to 1.
  AssimpLoadOptions raw;
  raw.normalize_bone_weights = false;
  const std::vector<float> raw_sums = BoneWeightSums(LoadMeshAssimp(path, raw));
  EXPECT_GT(*std::max_element(raw_sums.begin(), raw_sums.end()), 1.3f);
  // Two chains: Bone -> Bone.001 -> ... -> Bone.006 and Bone.007 -> ... -> Bone.013.
  const int root = mesh.FindBone("Bone"), child = mesh.FindBone("Bone.001");
  ASSERT_GE(root, 0);
  ASSERT_GE(child, 0);
  EXPECT_EQ(mesh.bones[root].parent, -1);
  EXPECT_EQ(mesh.bones[mesh.FindBone("Bone.007")].parent, -1);
  EXPECT_EQ(mesh.bones[child].parent, root);
  EXPECT_EQ(mesh.bones[mesh.FindBone("Bone.008")].parent, mesh.FindBone("Bone.007"));
  for (const Bone& bone : mesh.bones) {
    ASSERT_GE(bone.node, 0) << bone.name;
    EXPECT_EQ(mesh.nodes[bone.node].name, bone.name);
  }
  // The bar is 58.7 units (cm) long in its mesh and scaled by 100 (and 121 in x) by its node:
  // 71 m from end to end after scaling to metres.
  float min_x = 1e9f, max_x = -1e9f;
  for (const auto& p : mesh.positions) {
    min_x = std::min(min_x, p.x());
    max_x = std::max(max_x, p.x());
  }
  EXPECT_NEAR(max_x - min_x, 0.01f * 121.366f * 2 * 29.3375f, 0.01f);
  // Bones 0-4 and 7-13 are at their bind pose in the file (Global * offset = identity); Bone.005
  // and Bone.006 are posed (rotated 37 degrees).
  const auto globals = GlobalNodeTransforms(mesh);
  for (const Bone& bone : mesh.bones) {
    const bool at_bind = (globals[bone.node] * bone.offset).isIdentity(1e-3f);
    EXPECT_EQ(at_bind, bone.name != "Bone.005" && bone.name != "Bone.006") << bone.name;
  }
  // Moving the armature moves every skinned vertex rigidly (weights sum to 1).
  const auto posed = SkinPositions(mesh, globals);
  Mesh moved = mesh;
  int armature = -1;
  for (size_t n = 0; n < moved.nodes.size(); ++n)
    if (moved.nodes[n].name == "Armature") armature = static_cast<int>(n);
  ASSERT_GE(armature, 0);
  Eigen::Matrix4f shift = Eigen::Matrix4f::Identity();
  shift.topRightCorner<3, 1>() = Eigen::Vector3f(0.1f, 0.2f, 0.3f);
  moved.nodes[armature].local = shift * moved.nodes[armature].local;
  const auto shifted = SkinPositions(moved, GlobalNodeTransforms(moved));
  for (int v = 0; v < mesh.NumVertices(); v += 7)
    ASSERT_LT((shifted[v] - posed[v] - Eigen::Vector3f(0.1f, 0.2f, 0.3f)).norm(), 1e-3f) << v;
  // Rotating one bone moves only the vertices it or its descendants influence.
  Mesh bent = mesh;
  const int bent_node = bent.bones[mesh.FindBone("Bone.010")].node;
  bent.nodes[bent_node].local.topLeftCorner<3, 3>() =
      Eigen::AngleAxisf(0.5f, Eigen::Vector3f::UnitZ()).toRotationMatrix() *
      bent.nodes[bent_node].local.topLeftCorner<3, 3>();
  const auto bent_positions = SkinPositions(bent, GlobalNodeTransforms(bent));
  std::vector<char> influenced(mesh.NumVertices(), 0);
  for (const char* name : {"Bone.010", "Bone.011", "Bone.012", "Bone.013"})
    for (const auto& w : mesh.bones[mesh.FindBone(name)].weights)
      influenced[w.vertex] |= w.weight > 0;
  int moved_count = 0;
  for (int v = 0; v < mesh.NumVertices(); ++v) {
    const bool vertex_moved = (bent_positions[v] - posed[v]).norm() > 1e-5f;
    if (vertex_moved) {
      EXPECT_TRUE(influenced[v]) << v;
    }
    moved_count += vertex_moved;
  }
  EXPECT_GT(moved_count, 100);
}

// Files whose skeleton is stored at its bind pose: skinning at rest changes nothing.
TEST(AssimpLoader, RiggedModelsAtBindPoseSkinToTheirRest) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  struct Case {
    const char* file;
    size_t bones;
  };
  for (const Case& c : {Case{"FBX/huesitos.fbx", 9}, Case{"MD5/SimpleCube.md5mesh", 2},
                        Case{"SMD/WusonSMD.smd", 1}}) {
    const Mesh mesh = LoadMeshAssimp(kAssimpModels / c.file);
    EXPECT_EQ(mesh.bones.size(), c.bones) << c.file;
    EXPECT_EQ(ExpectWeightsSumToOne(mesh), mesh.NumVertices()) << c.file;
    EXPECT_LT(RestPoseSkinningError(mesh), 1e-4f) << c.file;
  }
  // BCN_Epileptic.X: three meshes (torso, head, legs) with 54 bones between them.
  const Mesh bcn = LoadMeshAssimp(kAssimpModels / "X" / "BCN_Epileptic.X");
  EXPECT_EQ(bcn.parts.size(), 3u);
  EXPECT_EQ(bcn.bones.size(), 54u);
  EXPECT_EQ(ExpectWeightsSumToOne(bcn), bcn.NumVertices());
}

TEST(AssimpLoader, GltfSkinFollowsTheFilesBindMatrices) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  // simple_skin.gltf: joints at (0,0,0) and (0,1,0) but both inverse bind matrices translate by
  // (-0.5, -1, 0), so Global * offset = translate(-0.5, 0, 0): the skinned mesh sits 0.5 m to -x.
  const Mesh skin = LoadMeshAssimp(kAssimpModels / "glTF2" / "simple_skin" / "simple_skin.gltf");
  ASSERT_EQ(skin.bones.size(), 2u);
  EXPECT_EQ(skin.bones[1].parent, 0);
  EXPECT_EQ(ExpectWeightsSumToOne(skin), skin.NumVertices());
  const auto skinned = SkinPositions(skin, GlobalNodeTransforms(skin));
  for (int v = 0; v < skin.NumVertices(); ++v)
    EXPECT_TRUE((skinned[v] - skin.positions[v]).isApprox(Eigen::Vector3f(-0.5f, 0, 0), 1e-6f));

  const Mesh cube = LoadMeshAssimp(kAssimpModels / "glTF2" / "glTF-Sample-Models" /
                                   "AnimatedMorphCube-glTF" / "AnimatedMorphCube.gltf");
  ASSERT_EQ(cube.morph_targets.size(), 2u);
  for (const MorphTarget& target : cube.morph_targets) {
    ASSERT_EQ(target.position_deltas.size(), static_cast<size_t>(cube.NumVertices()));
    float largest = 0;
    for (const auto& d : target.position_deltas) largest = std::max(largest, d.norm());
    EXPECT_GT(largest, 1e-3f) << target.name;
  }
  EXPECT_NE(cube.morph_targets[0].name, cube.morph_targets[1].name);
}

std::string Base64(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t n = bytes.size();
  auto byte = [&](size_t i) -> uint32_t { return i < n ? static_cast<uint8_t>(bytes[i]) : 0; };
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t chunk = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

// A glTF file written here: one skinned mesh with two primitives (so Assimp makes two aiMeshes
// that share the skin's two joints and a morph target), joint1 one metre above joint0.
fs::path WriteTwoPrimitiveSkinnedGltf() {
  std::string bin;
  std::string views, accessors;
  int count = 0;
  auto add = [&](const std::string& data, int component, int n, const char* type,
                 const std::string& extra = "") {
    while (bin.size() % 4) bin += '\0';
    views += fmt::format("{}{{\"buffer\":0,\"byteOffset\":{},\"byteLength\":{}}}", count ? "," : "",
                         bin.size(), data.size());
    accessors +=
        fmt::format("{}{{\"bufferView\":{},\"componentType\":{},\"count\":{},\"type\":\"{}\"{}}}",
                    count ? "," : "", count, component, n, type, extra);
    bin += data;
    return count++;
  };
  auto floats = [](std::initializer_list<float> values) {
    std::string s(values.size() * 4, '\0');
    std::memcpy(s.data(), std::data(values), s.size());
    return s;
  };
  auto shorts = [](std::initializer_list<uint16_t> values) {
    std::string s(values.size() * 2, '\0');
    std::memcpy(s.data(), std::data(values), s.size());
    return s;
  };
  const std::string joints(16, '\0');  // every vertex: joints (0, 1, 0, 0) -> set below
  std::string joint_bytes = joints;
  for (int v = 0; v < 4; ++v) joint_bytes[4 * v + 1] = 1;
  const int pa = add(floats({0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0}), 5126, 4, "VEC3",
                     ",\"min\":[0,0,0],\"max\":[1,1,0]");
  const int pb = add(floats({0, 1, 0, 1, 1, 0, 1, 2, 0, 0, 2, 0}), 5126, 4, "VEC3",
                     ",\"min\":[0,1,0],\"max\":[1,2,0]");
  const int indices = add(shorts({0, 1, 2, 0, 2, 3}), 5123, 6, "SCALAR");
  const int joint = add(joint_bytes, 5121, 4, "VEC4");
  const int wa =
      add(floats({1, 0, 0, 0, 1, 0, 0, 0, 0.5f, 0.5f, 0, 0, 0.5f, 0.5f, 0, 0}), 5126, 4, "VEC4");
  const int wb =
      add(floats({0.5f, 0.5f, 0, 0, 0.5f, 0.5f, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0}), 5126, 4, "VEC4");
  const int ibm = add(floats({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0,  0, 1,  // joint0 at origin
                              1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, -1, 0, 1}),  // joint1 at y=1
                      5126, 2, "MAT4");
  const int ta = add(floats({0, 0, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 5126, 4, "VEC3",
                     ",\"min\":[0,0,0],\"max\":[0,0,0.1]");
  const int tb = add(floats({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.2f}), 5126, 4, "VEC3",
                     ",\"min\":[0,0,0],\"max\":[0,0,0.2]");
  const std::string primitive =
      "{{\"attributes\":{{\"POSITION\":{},\"JOINTS_0\":{},\"WEIGHTS_0\":{}}},\"indices\":{},"
      "\"material\":{},\"targets\":[{{\"POSITION\":{}}}]}}";
  const std::string json = fmt::format(
      "{{\"asset\":{{\"version\":\"2.0\"}},\"scene\":0,\"scenes\":[{{\"nodes\":[0]}}],"
      "\"nodes\":[{{\"name\":\"root\",\"children\":[1,3]}},"
      "{{\"name\":\"joint0\",\"children\":[2]}},"
      "{{\"name\":\"joint1\",\"translation\":[0,1,0]}},"
      "{{\"name\":\"body\",\"mesh\":0,\"skin\":0}}],"
      "\"skins\":[{{\"joints\":[1,2],\"inverseBindMatrices\":{}}}],"
      "\"materials\":[{{\"name\":\"matA\"}},{{\"name\":\"matB\"}}],"
      "\"meshes\":[{{\"name\":\"body\",\"weights\":[0],\"primitives\":[{},{}],"
      "\"extras\":{{\"targetNames\":[\"smile\"]}}}}],"
      "\"buffers\":[{{\"byteLength\":{},\"uri\":\"data:application/octet-stream;base64,{}\"}}],"
      "\"bufferViews\":[{}],\"accessors\":[{}]}}",
      ibm, fmt::format(primitive, pa, joint, wa, indices, 0, ta),
      fmt::format(primitive, pb, joint, wb, indices, 1, tb), bin.size(), Base64(bin), views,
      accessors);
  return WriteText("two_primitives.gltf", json);
}

TEST(AssimpLoader, BonesAndMorphTargetsMergeAcrossMeshesByName) {
  AssimpLoadOptions options;
  options.join_identical_vertices = false;
  const Mesh mesh = LoadMeshAssimp(WriteTwoPrimitiveSkinnedGltf(), options);
  ASSERT_EQ(mesh.parts.size(), 2u);
  EXPECT_EQ(mesh.parts[0].material, "matA");
  EXPECT_EQ(mesh.parts[1].material, "matB");
  ASSERT_EQ(mesh.NumVertices(), 8);
  EXPECT_EQ(mesh.NumTriangles(), 4);
  // Two aiMeshes with two aiBones each -> two bones.
  ASSERT_EQ(mesh.bones.size(), 2u);
  const int j0 = mesh.FindBone("joint0"), j1 = mesh.FindBone("joint1");
  ASSERT_GE(j0, 0);
  ASSERT_GE(j1, 0);
  EXPECT_EQ(mesh.bones[j1].parent, j0);
  EXPECT_EQ(ExpectWeightsSumToOne(mesh), 8);
  EXPECT_LT(RestPoseSkinningError(mesh), 1e-6f);
  // One morph target spanning both parts.
  ASSERT_EQ(mesh.morph_targets.size(), 1u);
  const MorphTarget& target = mesh.morph_targets[0];
  EXPECT_TRUE(target.name == "smile" || target.name == "morph0") << target.name;
  float total = 0;
  for (int v = 0; v < 8; ++v) total += target.position_deltas[v].z();
  EXPECT_NEAR(total, 0.3f, 1e-6f);
  EXPECT_NEAR(target.position_deltas[mesh.parts[1].vertex_begin + 3].z(), 0.2f, 1e-6f);
  // Bending joint1 by 90 degrees about z: a vertex bound only to it at (x, 2, 0) goes to (-1, 1+x,
  // 0); one bound half and half at (x, 1, 0) to the mean of both bones' results.
  Mesh bent = mesh;
  bent.nodes[mesh.bones[j1].node].local.topLeftCorner<3, 3>() =
      Eigen::AngleAxisf(static_cast<float>(M_PI / 2), Eigen::Vector3f::UnitZ()).toRotationMatrix();
  const auto p = SkinPositions(bent, GlobalNodeTransforms(bent));
  for (int v = 0; v < 8; ++v) {
    const Eigen::Vector3f rest = mesh.positions[v];
    Eigen::Vector3f expected = rest;
    if (rest.y() == 2) expected = Eigen::Vector3f(-1, 1 + rest.x(), 0);
    if (rest.y() == 1) expected = 0.5f * (rest + Eigen::Vector3f(0, 1 + rest.x(), 0));
    EXPECT_TRUE(p[v].isApprox(expected, 1e-5f) || (p[v] - expected).norm() < 1e-6f)
        << v << ": " << p[v].transpose() << " vs " << expected.transpose();
  }
}

TEST(AssimpLoader, ColladaZaeHumanInMetres) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  const Mesh mesh = LoadMeshAssimp(kAssimpModels / "Collada" / "human.zae");
  EXPECT_EQ(mesh.parts.size(), 2u);
  EXPECT_TRUE(mesh.bones.empty());
  EXPECT_TRUE(mesh.HasUvs());
  float top = -1e9f, bottom = 1e9f;
  for (const auto& p : mesh.positions) {
    top = std::max(top, p.y());
    bottom = std::min(bottom, p.y());
  }
  EXPECT_NEAR(top - bottom, 1.66f, 0.01f);  // a standing adult
  ASSERT_EQ(mesh.normals.size(), mesh.positions.size());
}

TEST(AssimpLoader, ScaleOptionAndObjParts) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  const fs::path box = kAssimpModels / "OBJ" / "box.obj";
  const Mesh metres = LoadMeshAssimp(box);
  AssimpLoadOptions half;
  half.scale_to_metres = 0.5f;
  const Mesh halved = LoadMeshAssimp(box, half);
  ASSERT_EQ(metres.NumVertices(), halved.NumVertices());
  for (int v = 0; v < metres.NumVertices(); ++v)
    EXPECT_TRUE(halved.positions[v].isApprox(0.5f * metres.positions[v]));
  EXPECT_EQ(metres.NumTriangles(), 12);

  const Mesh spider = LoadMeshAssimp(kAssimpModels / "OBJ" / "spider.obj");
  EXPECT_GT(spider.parts.size(), 5u);
  ValidateMesh(spider);
}

// Outward normals stay consistent with the triangle winding, mirrored nodes included.
TEST(AssimpLoader, WindingAgreesWithNormalsUnderMirroring) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  for (const char* file :
       {"FBX/cubes_with_mirroring_and_pivot.fbx", "FBX/box.fbx", "PLY/cube.ply"}) {
    AssimpLoadOptions options;
    options.compute_missing_normals = false;
    const Mesh mesh = LoadMeshAssimp(kAssimpModels / file, options);
    if (mesh.normals.empty()) continue;
    int agree = 0;
    for (const auto& t : mesh.triangles) {
      const Eigen::Vector3f n = (mesh.positions[t[1]] - mesh.positions[t[0]])
                                    .cross(mesh.positions[t[2]] - mesh.positions[t[0]]);
      agree += n.dot(mesh.normals[t[0]] + mesh.normals[t[1]] + mesh.normals[t[2]]) > 0;
    }
    EXPECT_EQ(agree, mesh.NumTriangles()) << file;
  }
}

TEST(AssimpLoader, CorruptTruncatedAndMissingFilesAreErrors) {
  SKIP_WITHOUT_ASSIMP_MODELS();
  const std::string fbx = ReadFile(kAssimpModels / "FBX" / "animation_with_skeleton.fbx");
  const fs::path cut = WriteText("cut.fbx", fbx.substr(0, fbx.size() / 2));
  ExpectErrorMentioning([&] { LoadMeshAssimp(cut); }, cut.string());
  std::mt19937 rng(5);
  std::string noise(5000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  for (const char* name : {"noise.fbx", "noise.ply", "noise.glb", "noise.dae"}) {
    const fs::path path = WriteText(name, noise);
    ExpectErrorMentioning([&] { LoadMeshAssimp(path); }, path.string());
  }
  for (const char* name : {"empty.obj", "empty.ply", "empty.x", "malformed.obj"}) {
    const fs::path path = kAssimpModels / "invalid" / name;
    ExpectErrorMentioning([&] { LoadMeshAssimp(path); }, path.string());
  }
  // Our own OBJ reader says where: the file's face indices run past its 8 vertices.
  const fs::path malformed = kAssimpModels / "invalid" / "malformed.obj";
  ExpectErrorMentioning([&] { LoadObjKeepingNumbering(malformed); }, "out of range");
  ExpectErrorMentioning([] { LoadMeshAssimp(TmpDir() / "absent.fbx"); }, "absent.fbx");
  // Points only: nothing to triangulate.
  const fs::path points = WriteText("points.obj", "v 0 0 0\nv 1 0 0\np 1 2\n");
  ExpectErrorMentioning([&] { LoadMeshAssimp(points); }, points.string());
}

// ---------------------------------------------------------------------------------------------
// Writers.

Mesh SmallMesh() {
  const Mesh mesh = LoadObjKeepingNumbering(WriteText("writer_src.obj", kSmallObj));
  return mesh;
}

TEST(Writers, PlyRoundTripThroughOurReaderAndAssimp) {
  const Mesh mesh = SmallMesh();
  for (bool binary : {true, false}) {
    const fs::path path = TmpDir() / (binary ? "small_bin.ply" : "small_ascii.ply");
    PlyWriteOptions options;
    options.binary = binary;
    WriteMeshPly(path, mesh, options);
    const PointCloud cloud = ReadPlyVertices(path);
    EXPECT_EQ(cloud.points, mesh.positions);
    ASSERT_EQ(cloud.normals.size(), mesh.normals.size());
    for (size_t v = 0; v < cloud.normals.size(); ++v) EXPECT_EQ(cloud.normals[v], mesh.normals[v]);
    if (!fs::is_directory(kAssimpModels))
      continue;  // Assimp itself is there; its models are not needed
    AssimpLoadOptions no_join;
    no_join.join_identical_vertices = false;
    const Mesh back = LoadMeshAssimp(path, no_join);
    ASSERT_EQ(back.NumTriangles(), mesh.NumTriangles());
    for (int t = 0; t < mesh.NumTriangles(); ++t)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(back.positions[back.triangles[t][k]], mesh.positions[mesh.triangles[t][k]]);
  }
}

TEST(Writers, ObjRoundTripKeepsNumberingAndScales) {
  const Mesh mesh = SmallMesh();
  const fs::path path = TmpDir() / "small_copy.obj";
  ObjWriteOptions options;
  options.metres_to_file_units = 100;  // write centimetres
  WriteMeshObj(path, mesh, options);
  ObjLoadOptions read;
  read.scale_to_metres = 0.01f;
  const Mesh back = LoadObjKeepingNumbering(path, read);
  ASSERT_EQ(back.NumVertices(), mesh.NumVertices());
  for (int v = 0; v < mesh.NumVertices(); ++v)
    EXPECT_TRUE(back.positions[v].isApprox(mesh.positions[v], 1e-6f) ||
                (back.positions[v] - mesh.positions[v]).norm() < 1e-7f);
  EXPECT_EQ(back.triangles, mesh.triangles);
  EXPECT_EQ(back.triangle_uvs, mesh.triangle_uvs);
  EXPECT_EQ(back.uvs, mesh.uvs);
  EXPECT_EQ(back.material_libraries, mesh.material_libraries);
  ASSERT_EQ(back.parts.size(), mesh.parts.size());
  for (size_t i = 0; i < mesh.parts.size(); ++i) {
    EXPECT_EQ(back.parts[i].name, mesh.parts[i].name);
    EXPECT_EQ(back.parts[i].material, mesh.parts[i].material);
    EXPECT_EQ(back.parts[i].triangle_begin, mesh.parts[i].triangle_begin);
  }
}

TEST(Writers, PointCloudPlyRoundTrip) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> uniform(-2, 2);
  std::vector<Eigen::Vector3f> points(1000), normals(1000);
  std::vector<Rgb8> colors(1000);
  for (int i = 0; i < 1000; ++i) {
    points[i] = Eigen::Vector3f(uniform(rng), uniform(rng), uniform(rng));
    normals[i] = points[i].normalized();
    colors[i] = Rgb8(static_cast<uint8_t>(i), static_cast<uint8_t>(i / 4), 200);
  }
  const fs::path path = TmpDir() / "cloud" / "points.ply";
  WritePointCloudPly(path, points, colors, normals);
  const PointCloud cloud = ReadPlyVertices(path);
  EXPECT_EQ(cloud.points, points);
  EXPECT_EQ(cloud.colors, colors);
  EXPECT_EQ(cloud.normals, normals);
  // Positions only: 12 bytes a point after the header.
  const fs::path bare = TmpDir() / "cloud" / "bare.ply";
  WritePointCloudPly(bare, points);
  const std::string bytes = ReadFile(bare);
  EXPECT_EQ(bytes.size() - (bytes.find("end_header\n") + 11), 12u * points.size());
  const PointCloud bare_cloud = ReadPlyVertices(bare);
  EXPECT_EQ(bare_cloud.points, points);
  EXPECT_TRUE(bare_cloud.colors.empty());

  ExpectErrorMentioning([&] { WritePointCloudPly(TmpDir() / "bad.ply", points, {Rgb8(1, 2, 3)}); },
                        "bad.ply");
  WriteFileAtomic(TmpDir() / "short.ply", bytes.substr(0, bytes.size() - 5));
  ExpectErrorMentioning([&] { ReadPlyVertices(TmpDir() / "short.ply"); }, "ends early");
  ExpectErrorMentioning([&] { ReadPlyVertices(WriteText("not.ply", "hello\n")); }, "not a PLY");
  ExpectErrorMentioning(
      [&] {
        ReadPlyVertices(
            WriteText("huge.ply",
                      "ply\nformat binary_little_endian 1.0\nelement vertex 999999999999\n"
                      "property float x\nproperty float y\nproperty float z\nend_header\n"));
      },
      "ends early");
}

TEST(Writers, InvalidMeshIsRefusedBeforeWriting) {
  Mesh mesh = SmallMesh();
  mesh.triangles[1][2] = 99;
  const fs::path path = TmpDir() / "invalid.ply";
  ExpectErrorMentioning([&] { WriteMeshPly(path, mesh); }, "vertex 99");
  EXPECT_FALSE(fs::exists(path));
  ExpectErrorMentioning([&] { WriteMeshObj(TmpDir() / "invalid.obj", mesh); }, "vertex 99");
}

}  // namespace
}  // namespace synface::core::io
