// LoadMeshAssimp: any format Assimp reads, merged into one Mesh (see mesh.h).
#include <assimp/config.h>
#include <assimp/material.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <Eigen/LU>
#include <assimp/Importer.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/io/mesh.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace fs = std::filesystem;

namespace {

Eigen::Matrix4f ToEigen(const aiMatrix4x4& m) {
  Eigen::Matrix4f result;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) result(r, c) = m[r][c];
  return result;
}

// Scaling all coordinates by s turns a transform [A t] into [A s*t] (S M S^-1).
Eigen::Matrix4f ScaleTranslation(Eigen::Matrix4f m, float s) {
  m.topRightCorner<3, 1>() *= s;
  return m;
}

Eigen::Vector3f ToEigen(const aiVector3D& v) { return {v.x, v.y, v.z}; }

bool NearlyEqual(const Eigen::Matrix4f& a, const Eigen::Matrix4f& b) {
  return (a - b).cwiseAbs().maxCoeff() <= 1e-4f * (1.0f + a.cwiseAbs().maxCoeff());
}

// FBX states its unit as "UnitScaleFactor" (centimetres per file unit); Assimp leaves the geometry
// in file units unless asked to convert. Other importers either apply their unit (Collada) or have
// none.
float FileScaleToMetres(const aiScene* scene) {
  if (!scene->mMetaData) return 1.0f;
  float f = 0.0f;
  double d = 0.0;
  if (scene->mMetaData->Get("UnitScaleFactor", f) && f > 0) return f * 0.01f;
  if (scene->mMetaData->Get("UnitScaleFactor", d) && d > 0) return static_cast<float>(d * 0.01);
  return 1.0f;
}

struct Instance {
  const aiMesh* mesh;
  Eigen::Matrix4f global;  // node-to-root, scaled translation
  int vertex_offset;
};

class SceneMerger {
 public:
  SceneMerger(const aiScene* scene, const fs::path& path, const AssimpLoadOptions& options)
      : scene_(scene), path_(path.string()), options_(options) {}

  Mesh Merge() {
    mesh_.source = path_;
    scale_ = options_.scale_to_metres.value_or(FileScaleToMetres(scene_));
    if (!(scale_ > 0)) throw MakeError("{}: scale_to_metres must be positive", path_);
    mesh_.scale_to_metres = scale_;
    AddNode(scene_->mRootNode, -1);
    std::vector<Eigen::Matrix4f> globals = GlobalNodeTransforms(mesh_);
    for (size_t n = 0; n < node_pointers_.size(); ++n)
      for (unsigned i = 0; i < node_pointers_[n]->mNumMeshes; ++i) {
        const unsigned index = node_pointers_[n]->mMeshes[i];
        if (index >= scene_->mNumMeshes)
          throw MakeError("{}: node '{}' refers to mesh {} of {}", path_, mesh_.nodes[n].name,
                          index, scene_->mNumMeshes);
        AddInstance(scene_->mMeshes[index], globals[n], mesh_.nodes[n].name);
      }
    if (mesh_.triangles.empty())
      throw MakeError("{}: the file has no triangles (only points, lines or no geometry)", path_);
    FinishNormals();
    if (!any_uv_) {
      mesh_.uvs.clear();
      mesh_.triangle_uvs.clear();
    }
    if (options_.load_bones) FinishBones();
    if (options_.load_morph_targets) AddMorphTargets();
    ValidateMesh(mesh_);
    return std::move(mesh_);
  }

 private:
  void AddNode(const aiNode* node, int parent) {
    const int index = static_cast<int>(mesh_.nodes.size());
    MeshNode n;
    n.name = node->mName.C_Str();
    n.parent = parent;
    n.local = ScaleTranslation(ToEigen(node->mTransformation), scale_);
    mesh_.nodes.push_back(n);
    node_pointers_.push_back(node);
    node_index_.emplace(n.name, index);  // first node of a name wins
    for (unsigned i = 0; i < node->mNumChildren; ++i) AddNode(node->mChildren[i], index);
  }

  void AddInstance(const aiMesh* m, const Eigen::Matrix4f& global, const std::string& node_name) {
    if (!(m->mPrimitiveTypes & aiPrimitiveType_TRIANGLE)) return;
    const int offset = mesh_.NumVertices();
    const int part_index = static_cast<int>(mesh_.parts.size());
    const Eigen::Matrix3f linear = global.topLeftCorner<3, 3>();
    const Eigen::Vector3f translation = global.topRightCorner<3, 1>();
    const Eigen::Matrix3f normal_matrix = linear.inverse().transpose();
    const bool mirrored = linear.determinant() < 0;

    for (unsigned v = 0; v < m->mNumVertices; ++v)
      mesh_.positions.push_back(linear * (scale_ * ToEigen(m->mVertices[v])) + translation);
    has_normals_.resize(mesh_.positions.size(), m->HasNormals());
    for (unsigned v = 0; v < m->mNumVertices; ++v)
      mesh_.normals.push_back(
          m->HasNormals() ? Eigen::Vector3f((normal_matrix * ToEigen(m->mNormals[v])).normalized())
                          : Eigen::Vector3f::Zero());
    const bool uv = m->HasTextureCoords(0);
    any_uv_ |= uv;
    for (unsigned v = 0; v < m->mNumVertices; ++v)
      mesh_.uvs.push_back(uv ? Eigen::Vector2f(m->mTextureCoords[0][v].x, m->mTextureCoords[0][v].y)
                             : Eigen::Vector2f::Zero());

    MeshPart part;
    part.name = m->mName.length ? m->mName.C_Str() : node_name;
    if (part.name.empty()) part.name = fmt::format("mesh{}", part_index);
    if (m->mMaterialIndex < scene_->mNumMaterials) {
      aiString material;
      if (scene_->mMaterials[m->mMaterialIndex]->Get(AI_MATKEY_NAME, material) == AI_SUCCESS)
        part.material = material.C_Str();
    }
    part.triangle_begin = mesh_.NumTriangles();
    part.vertex_begin = offset;
    part.vertex_end = offset + static_cast<int>(m->mNumVertices);
    for (unsigned f = 0; f < m->mNumFaces; ++f) {
      const aiFace& face = m->mFaces[f];
      if (face.mNumIndices != 3) continue;  // points and lines left by mixed meshes
      Eigen::Vector3i t(face.mIndices[0], face.mIndices[1], face.mIndices[2]);
      if (mirrored) std::swap(t[1], t[2]);  // keep counter-clockwise from outside
      mesh_.triangles.push_back(t.array() + offset);
      mesh_.triangle_uvs.push_back(uv ? Eigen::Vector3i(t.array() + offset)
                                      : Eigen::Vector3i(-1, -1, -1));
      mesh_.triangle_part.push_back(part_index);
      mesh_.triangle_polygon.push_back(polygons_ + static_cast<int>(f));
    }
    polygons_ += static_cast<int>(m->mNumFaces);
    part.triangle_end = mesh_.NumTriangles();
    if (part.triangle_end == part.triangle_begin) {
      // Nothing drawable: drop the vertices again so that no unused block remains.
      mesh_.positions.resize(offset);
      mesh_.normals.resize(offset);
      mesh_.uvs.resize(offset);
      has_normals_.resize(offset);
      return;
    }
    mesh_.parts.push_back(part);
    instances_.push_back({m, global, offset});
    if (options_.load_bones) AddBones(m, global, offset);
  }

  void AddBones(const aiMesh* m, const Eigen::Matrix4f& global, int offset) {
    const Eigen::Matrix4f to_mesh = global.inverse();
    for (unsigned b = 0; b < m->mNumBones; ++b) {
      const aiBone* ai_bone = m->mBones[b];
      const std::string name = ai_bone->mName.C_Str();
      // aiBone's offset maps this aiMesh's space to the bone; ours maps the merged root space.
      const Eigen::Matrix4f offset_matrix =
          ScaleTranslation(ToEigen(ai_bone->mOffsetMatrix), scale_) * to_mesh;
      int index = -1;
      auto range = bone_index_.equal_range(name);
      for (auto it = range.first; it != range.second; ++it)
        if (NearlyEqual(mesh_.bones[it->second].offset, offset_matrix)) index = it->second;
      if (index < 0) {
        // A new bone, or the same bone bound with another bind matrix in this aiMesh: a second
        // entry with the same name and node keeps skinning exact.
        index = static_cast<int>(mesh_.bones.size());
        Bone bone;
        bone.name = name;
        auto node = node_index_.find(name);
        bone.node = node == node_index_.end() ? -1 : node->second;
        bone.offset = offset_matrix;
        mesh_.bones.push_back(bone);
        bone_index_.emplace(name, index);
      }
      auto& weights = mesh_.bones[index].weights;
      for (unsigned w = 0; w < ai_bone->mNumWeights; ++w) {
        const aiVertexWeight& vw = ai_bone->mWeights[w];
        if (vw.mVertexId >= m->mNumVertices)
          throw MakeError("{}: bone '{}' weights vertex {} of {}", path_, name, vw.mVertexId,
                          m->mNumVertices);
        weights.push_back({offset + static_cast<int>(vw.mVertexId), vw.mWeight});
      }
    }
  }

  void FinishBones() {
    if (options_.normalize_bone_weights) {
      const std::vector<float> sums = BoneWeightSums(mesh_);
      for (auto& bone : mesh_.bones)
        for (auto& w : bone.weights)
          if (sums[w.vertex] > 0) w.weight /= sums[w.vertex];
    }
    std::map<int, int> bone_of_node;
    for (size_t b = 0; b < mesh_.bones.size(); ++b)
      if (mesh_.bones[b].node >= 0) bone_of_node.emplace(mesh_.bones[b].node, static_cast<int>(b));
    for (auto& bone : mesh_.bones) {
      std::sort(bone.weights.begin(), bone.weights.end(),
                [](const VertexWeight& a, const VertexWeight& b) { return a.vertex < b.vertex; });
      if (bone.node < 0) continue;
      for (int n = mesh_.nodes[bone.node].parent; n >= 0; n = mesh_.nodes[n].parent) {
        auto it = bone_of_node.find(n);
        if (it != bone_of_node.end()) {
          bone.parent = it->second;
          break;
        }
      }
    }
  }

  void AddMorphTargets() {
    const size_t vertices = mesh_.positions.size();
    std::map<std::string, int> index_of;
    for (const Instance& instance : instances_) {
      const aiMesh* m = instance.mesh;
      const Eigen::Matrix3f linear = instance.global.topLeftCorner<3, 3>();
      const Eigen::Matrix3f normal_matrix = linear.inverse().transpose();
      for (unsigned k = 0; k < m->mNumAnimMeshes; ++k) {
        const aiAnimMesh* anim = m->mAnimMeshes[k];
        if (anim->mNumVertices != m->mNumVertices)
          throw MakeError("{}: morph target {} of mesh '{}' has {} vertices, the mesh {}", path_, k,
                          m->mName.C_Str(), anim->mNumVertices, m->mNumVertices);
        std::string name = anim->mName.C_Str();
        if (name.empty()) name = fmt::format("morph{}", k);
        auto [it, inserted] = index_of.emplace(name, static_cast<int>(mesh_.morph_targets.size()));
        if (inserted) {
          MorphTarget target;
          target.name = name;
          target.position_deltas.assign(vertices, Eigen::Vector3f::Zero());
          mesh_.morph_targets.push_back(std::move(target));
        }
        MorphTarget& target = mesh_.morph_targets[it->second];
        // Assimp stores a target's absolute positions; we keep deltas from the rest mesh.
        if (anim->HasPositions())
          for (unsigned v = 0; v < m->mNumVertices; ++v)
            target.position_deltas[instance.vertex_offset + v] =
                linear * (scale_ * (ToEigen(anim->mVertices[v]) - ToEigen(m->mVertices[v])));
        if (anim->HasNormals() && m->HasNormals()) {
          if (target.normal_deltas.empty())
            target.normal_deltas.assign(vertices, Eigen::Vector3f::Zero());
          for (unsigned v = 0; v < m->mNumVertices; ++v)
            target.normal_deltas[instance.vertex_offset + v] =
                normal_matrix * (ToEigen(anim->mNormals[v]) - ToEigen(m->mNormals[v]));
        }
      }
    }
  }

  void FinishNormals() {
    const bool all =
        std::all_of(has_normals_.begin(), has_normals_.end(), [](bool b) { return b; });
    if (all) return;
    if (!options_.compute_missing_normals) {
      if (std::none_of(has_normals_.begin(), has_normals_.end(), [](bool b) { return b; }))
        mesh_.normals.clear();
      return;  // parts without normals keep (0, 0, 0)
    }
    const std::vector<Eigen::Vector3f> computed =
        ComputeVertexNormals(mesh_.positions, mesh_.triangles);
    for (size_t v = 0; v < computed.size(); ++v)
      if (!has_normals_[v]) mesh_.normals[v] = computed[v];
  }

  const aiScene* scene_;
  std::string path_;
  AssimpLoadOptions options_;
  float scale_ = 1.0f;
  Mesh mesh_;
  std::vector<const aiNode*> node_pointers_;
  std::map<std::string, int> node_index_;
  std::multimap<std::string, int> bone_index_;
  std::vector<Instance> instances_;
  std::vector<bool> has_normals_;
  bool any_uv_ = false;
  int polygons_ = 0;
};

}  // namespace

Mesh LoadMeshAssimp(const fs::path& path, const AssimpLoadOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw MakeError("{}: mesh file not found", path.string());
  Assimp::Importer importer;
  // Points and lines are of no use to a triangle mesh; SortByPType drops them.
  importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE,
                              aiPrimitiveType_POINT | aiPrimitiveType_LINE);
  // FBX pivots would otherwise appear as chains of "<name>_$AssimpFbx$_..." helper nodes; folded
  // into one transform per node, the hierarchy matches the file's objects and bones.
  importer.SetPropertyBool(AI_CONFIG_IMPORT_FBX_PRESERVE_PIVOTS, false);
  unsigned flags = aiProcess_Triangulate | aiProcess_SortByPType | aiProcess_ValidateDataStructure;
  if (options.join_identical_vertices) flags |= aiProcess_JoinIdenticalVertices;
  const aiScene* scene = importer.ReadFile(path.string(), flags);
  if (!scene)
    throw MakeError("{}: Assimp cannot load the file: {}", path.string(),
                    importer.GetErrorString());
  if (!scene->mRootNode || scene->mNumMeshes == 0)
    throw MakeError("{}: the file has no meshes", path.string());
  return SceneMerger(scene, path, options).Merge();
}

}  // namespace synface::core::io
