#include "synth/heads/rigged_head.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "core/util/error.h"

namespace synface::synth::heads {
namespace {

using core::MakeError;

std::regex Pattern(const std::string& pattern, const char* what) {
  try {
    return std::regex(pattern, std::regex::ECMAScript | std::regex::icase);
  } catch (const std::regex_error& e) {
    throw MakeError("rigged head: {} pattern '{}' is not a valid regex: {}", what, pattern,
                    e.what());
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Exact name, else a case-insensitive suffix after a separator.
int FindNodeByName(const core::io::Mesh& mesh, const std::string& name) {
  for (size_t i = 0; i < mesh.nodes.size(); ++i)
    if (mesh.nodes[i].name == name) return static_cast<int>(i);
  const std::string want = Lower(name);
  for (size_t i = 0; i < mesh.nodes.size(); ++i) {
    const std::string have = Lower(mesh.nodes[i].name);
    if (have.size() > want.size() &&
        have.compare(have.size() - want.size(), want.size(), want) == 0) {
      const char sep = have[have.size() - want.size() - 1];
      if (sep == ':' || sep == '_' || sep == '|' || sep == '.' || sep == ' ')
        return static_cast<int>(i);
    }
  }
  return -1;
}

std::string NamesPresent(const core::io::Mesh& mesh) {
  std::string parts, bones;
  for (const auto& p : mesh.parts)
    parts += fmt::format("{}'{}' (material '{}')", parts.empty() ? "" : ", ", p.name, p.material);
  for (const auto& b : mesh.bones)
    bones += fmt::format("{}'{}'", bones.empty() ? "" : ", ", b.name);
  return fmt::format("parts: {}; bones: {}", parts.empty() ? "none" : parts,
                     bones.empty() ? "none" : bones);
}

std::vector<int> PartVertices(const core::io::Mesh& mesh, const std::vector<int>& parts) {
  std::vector<char> used(mesh.positions.size(), 0);
  for (int p : parts)
    for (int t = mesh.parts[p].triangle_begin; t < mesh.parts[p].triangle_end; ++t)
      for (int k = 0; k < 3; ++k) used[mesh.triangles[t][k]] = 1;
  std::vector<int> out;
  for (size_t v = 0; v < used.size(); ++v)
    if (used[v]) out.push_back(static_cast<int>(v));
  return out;
}

Eigen::Vector3f SphereCentre(const std::vector<Eigen::Vector3f>& positions,
                             const std::vector<int>& ids) {
  std::vector<Eigen::Vector3f> points;
  points.reserve(ids.size());
  for (int v : ids) points.push_back(positions[v]);
  return FitSphere(points).centre;
}

struct Eyes {
  Eigen::Vector3f left, right;  // file frame (skinned at the file pose)
  int left_node = -1, right_node = -1;
  std::vector<int> left_vertices, right_vertices;
  std::string source;
};

Eyes FindEyes(const core::io::Mesh& mesh, const std::vector<Eigen::Vector3f>& posed,
              const std::vector<Eigen::Matrix4f>& globals, const RiggedHeadOptions& o,
              const std::string& file) {
  const std::regex left = Pattern(o.left_eye, "left_eye"),
                   right = Pattern(o.right_eye, "right_eye");
  const std::regex both = Pattern(o.eyes, "eyes"), exclude = Pattern(o.eye_exclude, "eye_exclude");
  auto is = [&](const std::string& text, const std::regex& re) {
    return std::regex_search(text, re) && !std::regex_search(text, exclude);
  };
  Eyes eyes;
  // 1. Separate parts.
  std::vector<int> left_parts, right_parts, both_parts;
  for (size_t p = 0; p < mesh.parts.size(); ++p) {
    const std::string& name = mesh.parts[p].name;
    const std::string& material = mesh.parts[p].material;
    if (is(name, left) || is(material, left))
      left_parts.push_back(static_cast<int>(p));
    else if (is(name, right) || is(material, right))
      right_parts.push_back(static_cast<int>(p));
    else if (is(name, both) || is(material, both))
      both_parts.push_back(static_cast<int>(p));
  }
  auto part_names = [&](const std::vector<int>& parts) {
    std::string s;
    for (int p : parts) s += fmt::format("{}'{}'", s.empty() ? "" : ", ", mesh.parts[p].name);
    return s;
  };
  if (!left_parts.empty() && !right_parts.empty()) {
    eyes.left_vertices = PartVertices(mesh, left_parts);
    eyes.right_vertices = PartVertices(mesh, right_parts);
    eyes.source = fmt::format("parts {} / {}", part_names(left_parts), part_names(right_parts));
  } else {
    // 2. Bones.
    for (const auto& bone : mesh.bones) {
      if (bone.node < 0) continue;
      if (eyes.left_node < 0 && is(bone.name, left))
        eyes.left_node = bone.node;
      else if (eyes.right_node < 0 && is(bone.name, right))
        eyes.right_node = bone.node;
    }
    if (eyes.left_node >= 0 && eyes.right_node >= 0) {
      eyes.source = fmt::format("bones '{}' / '{}'", mesh.nodes[eyes.left_node].name,
                                mesh.nodes[eyes.right_node].name);
    } else if (!both_parts.empty() || !left_parts.empty() || !right_parts.empty()) {
      // 3. One part (or an unpaired side) holding both eyes: split along the subject's left.
      eyes.left_node = eyes.right_node = -1;
      std::vector<int> parts = both_parts;
      parts.insert(parts.end(), left_parts.begin(), left_parts.end());
      parts.insert(parts.end(), right_parts.begin(), right_parts.end());
      const std::vector<int> ids = PartVertices(mesh, parts);
      const Eigen::Vector3f left_axis = o.up.cross(o.forward).normalized();
      Eigen::Vector3f mean = Eigen::Vector3f::Zero();
      for (int v : ids) mean += posed[v];
      mean /= std::max<size_t>(ids.size(), 1);
      for (int v : ids)
        ((posed[v] - mean).dot(left_axis) > 0 ? eyes.left_vertices : eyes.right_vertices)
            .push_back(v);
      eyes.source = fmt::format("part {} split left/right", part_names(parts));
    } else {
      throw MakeError("{}: no eyes found (left_eye '{}', right_eye '{}', eyes '{}'); {}", file,
                      o.left_eye, o.right_eye, o.eyes, NamesPresent(mesh));
    }
  }
  auto centre = [&](int node, const std::vector<int>& ids, const char* side) -> Eigen::Vector3f {
    if (node >= 0) return globals[node].topRightCorner<3, 1>();
    if (ids.size() < 8)
      throw MakeError("{}: the {} eye ({}) has {} vertices, too few for a sphere fit", file, side,
                      eyes.source, ids.size());
    return SphereCentre(posed, ids);
  };
  eyes.left = centre(eyes.left_node, eyes.left_vertices, "left");
  eyes.right = centre(eyes.right_node, eyes.right_vertices, "right");
  return eyes;
}

}  // namespace

std::vector<PartRule> DefaultPartRules() {
  return {
      {"occlusion|tear ?line|tearline|lacrimal|eye ?blend|eye ?shadow|eyewet", PartClass::kHidden,
       Tissue::kHelper},
      {"lash", PartClass::kHairOther, Tissue::kEyelashes},
      {"eyebrow|(^|[^a-z])brows?($|[^a-z])", PartClass::kHairOther, Tissue::kEyebrows},
      {"cornea|iris|pupil", PartClass::kEyes, Tissue::kEye},
      {"sclera|eye", PartClass::kEyes, Tissue::kEye},
      {"teeth|tooth", PartClass::kTeethMouth, Tissue::kTeeth},
      {"tongue|gum", PartClass::kTeethMouth, Tissue::kGums},
      {"mouth", PartClass::kTeethMouth, Tissue::kMouthInterior},
      {"hair|beard|moustache|mustache|scalp", PartClass::kHairOther, Tissue::kHair},
      {"cloth|shirt|jacket|hat|cap|glasses|shoe|pants|trouser|dress|fabric", PartClass::kHairOther,
       Tissue::kHair},
  };
}

RiggedHead RiggedHead::Load(const std::filesystem::path& path, const RiggedHeadOptions& options) {
  const std::string file = path.string();
  core::io::AssimpLoadOptions load;
  load.scale_to_metres = options.scale_to_metres;
  core::io::Mesh mesh = core::io::LoadMeshAssimp(path, load);
  if (mesh.NumTriangles() == 0) throw MakeError("{}: no triangles", file);
  if (options.up.norm() < 1e-6f || options.forward.norm() < 1e-6f ||
      options.up.normalized().cross(options.forward.normalized()).norm() < 0.5f)
    throw MakeError("{}: up and forward axes must be non-zero and not parallel", file);

  RiggedHead head;
  HeadInstance& h = head.neutral_;
  h.source = "rigged:" + file;
  // Classes by rule.
  std::vector<std::regex> rules;
  for (const auto& r : options.part_rules) rules.push_back(Pattern(r.pattern, "part rule"));
  for (const auto& part : mesh.parts) {
    const std::string text = part.name + " " + part.material;
    PartClass c = PartClass::kSkin;
    Tissue t = Tissue::kSkin;
    for (size_t i = 0; i < rules.size(); ++i)
      if (std::regex_search(text, rules[i])) {
        c = options.part_rules[i].part_class;
        t = options.part_rules[i].tissue;
        break;
      }
    h.part_class.push_back(c);
    h.part_tissue.push_back(t);
  }

  const bool rigged = !mesh.bones.empty();
  const std::vector<Eigen::Matrix4f> globals = core::io::GlobalNodeTransforms(mesh);
  const std::vector<Eigen::Vector3f> posed =
      rigged ? core::io::SkinPositions(mesh, globals) : mesh.positions;
  const Eyes eyes = FindEyes(mesh, posed, globals, options, file);
  head.eye_source_ = eyes.source;
  if ((eyes.left - eyes.right).dot(options.up.cross(options.forward)) <= 0)
    throw MakeError(
        "{}: the left eye ({}) is not on the subject's left of the right eye for up "
        "({}) and forward ({}): eye names or axes are wrong",
        file, eyes.source, fmt::join(options.up.data(), options.up.data() + 3, ", "),
        fmt::join(options.forward.data(), options.forward.data() + 3, ", "));
  head.head_from_file_ = HeadFrameFromEyes(eyes.left.cast<double>(), eyes.right.cast<double>(),
                                           options.up.cast<double>());
  const Eigen::Matrix4f to_head = head.head_from_file_.ToMatrix4().cast<float>();
  const Eigen::Matrix3f rotation = to_head.topLeftCorner<3, 3>();
  const Eigen::Vector3f shift = to_head.topRightCorner<3, 1>();

  // Everything into the head frame: rest positions, normals, root nodes, bone offsets, morphs.
  for (auto& p : mesh.positions) p = rotation * p + shift;
  for (auto& n : mesh.normals) n = rotation * n;
  for (auto& node : mesh.nodes)
    if (node.parent < 0) node.local = to_head * node.local;
  const Eigen::Matrix4f from_head = to_head.inverse();
  for (auto& bone : mesh.bones) bone.offset = bone.offset * from_head;
  for (auto& target : mesh.morph_targets) {
    for (auto& d : target.position_deltas) d = rotation * d;
    for (auto& d : target.normal_deltas) d = rotation * d;
    head.morph_names_.push_back(target.name);
  }

  std::shared_ptr<HeadRig> rig;
  if (rigged) {
    rig = std::make_shared<HeadRig>();
    rig->neck_node = FindNodeByName(mesh, options.neck_bone);
    if (rig->neck_node < 0)
      throw MakeError("{}: no neck bone '{}'; {}", file, options.neck_bone, NamesPresent(mesh));
    rig->head_node = FindNodeByName(mesh, options.head_bone);
    if (rig->head_node < 0) rig->head_node = rig->neck_node;
    rig->left_eye_node = eyes.left_node;
    rig->right_eye_node = eyes.right_node;
    rig->left_eye_vertices = eyes.left_vertices;
    rig->right_eye_vertices = eyes.right_vertices;
    rig->skin.positions = mesh.positions;
    rig->skin.nodes = mesh.nodes;
    rig->skin.bones = mesh.bones;
    rig->skin.source = file;
  }
  head.bind_ = mesh;
  h.mesh = std::move(mesh);
  h.mesh.morph_targets.clear();
  h.mesh.bones.clear();
  h.rig = rig;
  if (rigged)
    h.mesh.positions = core::io::SkinPositions(rig->skin, GlobalNodeTransforms(rig->skin));
  h.mesh.normals = HeadVertexNormals(h, h.mesh.positions);
  // Eye centres again, now in the head frame (the midpoint is the origin up to rounding).
  const auto head_globals = GlobalNodeTransforms(head.bind_);
  auto centre = [&](int node, const std::vector<int>& ids) -> Eigen::Vector3f {
    if (node >= 0) return head_globals[node].topRightCorner<3, 1>();
    return SphereCentre(h.mesh.positions, ids);
  };
  h.left_eye_centre = centre(eyes.left_node, eyes.left_vertices);
  h.right_eye_centre = centre(eyes.right_node, eyes.right_vertices);
  h.neck_pivot = rigged ? Eigen::Vector3f(head_globals[rig->neck_node].topRightCorner<3, 1>())
                        : kDefaultNeckPivot;
  if (!rigged) h.neck_weight = NeckWeights(h.mesh.positions, h.neck_pivot);

  if (!options.landmark_vertices.empty()) {
    if (options.landmark_vertices.size() != 68)
      throw MakeError("{}: landmark_vertices has {} entries, expected 68", file,
                      options.landmark_vertices.size());
    for (int i = 0; i < 68; ++i) {
      const int v = options.landmark_vertices[i];
      if (v < 0 || v >= h.mesh.NumVertices())
        throw MakeError("{}: landmark {} is vertex {}, the model has {}", file, i, v,
                        h.mesh.NumVertices());
      h.landmark_vertices[i] = v;
    }
    std::vector<std::uint8_t> skin(h.mesh.NumVertices(), 0);
    for (size_t p = 0; p < h.mesh.parts.size(); ++p)
      if (h.part_tissue[p] == Tissue::kSkin)
        for (int t = h.mesh.parts[p].triangle_begin; t < h.mesh.parts[p].triangle_end; ++t)
          for (int k = 0; k < 3; ++k) skin[h.mesh.triangles[t][k]] = 1;
    h.regions = PaintFaceRegions(h.mesh.positions, h.mesh.normals,
                                 LandmarkPositions(h, h.mesh.positions), skin);
  }
  for (int v : options.dense_vertices)
    if (v < 0 || v >= h.mesh.NumVertices())
      throw MakeError("{}: dense vertex {} out of range ({} vertices)", file, v,
                      h.mesh.NumVertices());
  h.dense_vertices = options.dense_vertices;
  ValidateHead(h);
  return head;
}

HeadInstance RiggedHead::Instantiate(const ExpressionWeights& morphs) const {
  HeadInstance h = neutral_;
  if (morphs.empty()) return h;
  std::vector<Eigen::Vector3f> bind = bind_.positions;
  for (const auto& [name, weight] : morphs) {
    const auto it = std::find(morph_names_.begin(), morph_names_.end(), name);
    if (it == morph_names_.end()) {
      std::string names;
      for (const auto& n : morph_names_) names += (names.empty() ? "'" : ", '") + n + "'";
      throw MakeError("{}: no morph target '{}' (the model has: {})", h.source, name,
                      names.empty() ? "none" : names);
    }
    const auto& deltas = bind_.morph_targets[it - morph_names_.begin()].position_deltas;
    for (size_t v = 0; v < bind.size(); ++v) bind[v] += weight * deltas[v];
    h.expression_weights[name] = weight;
  }
  h.expression_label = "custom";
  if (h.rig) {
    auto rig = std::make_shared<HeadRig>(*h.rig);
    rig->skin.positions = bind;
    h.mesh.positions = core::io::SkinPositions(rig->skin, GlobalNodeTransforms(rig->skin));
    h.rig = rig;
  } else {
    h.mesh.positions = bind;
  }
  h.mesh.normals = HeadVertexNormals(h, h.mesh.positions);
  return h;
}

}  // namespace synface::synth::heads
