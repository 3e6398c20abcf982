#include "synth/heads/ict_face_model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::synth::heads {
namespace fs = std::filesystem;
using core::MakeError;

namespace {

constexpr int kVertices = 26719;
constexpr int kPolygons = 26384;
constexpr float kCentimetre = 0.01f;

// The parts of the ICT topology by polygon range (MANIFEST "Parts"; 0-based, inclusive).
struct IctPart {
  const char* name;
  int first_polygon, last_polygon;
  PartClass part_class;
  Tissue tissue;
};
constexpr IctPart kParts[] = {
    {"face", 0, 9229, PartClass::kSkin, Tissue::kSkin},
    {"head_neck", 9230, 11143, PartClass::kSkin, Tissue::kSkin},
    // The mouth socket is the inside of the mouth: it shows only when the lips part.
    {"mouth_socket", 11144, 13225, PartClass::kTeethMouth, Tissue::kMouthInterior},
    {"eye_socket_left", 13226, 13629, PartClass::kSkin, Tissue::kSkin},
    {"eye_socket_right", 13630, 14033, PartClass::kSkin, Tissue::kSkin},
    {"gums_tongue", 14034, 17005, PartClass::kTeethMouth, Tissue::kGums},
    {"teeth", 17006, 21495, PartClass::kTeethMouth, Tissue::kTeeth},
    {"eyeball_left", 21496, 23093, PartClass::kEyes, Tissue::kSclera},
    {"eyeball_right", 23094, 24691, PartClass::kEyes, Tissue::kSclera},
    // Overlay helpers (Unreal Digital Human eye style): never rendered.
    {"lacrimal_fluid_left", 24692, 24854, PartClass::kHidden, Tissue::kHelper},
    {"lacrimal_fluid_right", 24855, 25017, PartClass::kHidden, Tissue::kHelper},
    {"eye_blend_left", 25018, 25032, PartClass::kHidden, Tissue::kHelper},
    {"eye_blend_right", 25033, 25047, PartClass::kHidden, Tissue::kHelper},
    {"eye_occlusion_left", 25048, 25175, PartClass::kHidden, Tissue::kHelper},
    {"eye_occlusion_right", 25176, 25303, PartClass::kHidden, Tissue::kHelper},
    {"eyelashes_left", 25304, 25843, PartClass::kHairOther, Tissue::kEyelashes},
    {"eyelashes_right", 25844, 26383, PartClass::kHairOther, Tissue::kEyelashes},
};
// Scleras (vertex ranges, inclusive): the eye centres are sphere fits to them.
constexpr int kScleraLeft[2] = {21451, 22220};
constexpr int kScleraRight[2] = {23021, 23790};
constexpr int kIrisLeft[2] = {22221, 23020};
constexpr int kIrisRight[2] = {23791, 24590};
constexpr int kFaceVertices = 9409;        // part 0: vertices 0-9408
constexpr int kNarrowFaceVertices = 6706;  // README's narrow face area: 0-6705

int PartOfPolygon(int polygon) {
  for (int i = 0; i < static_cast<int>(std::size(kParts)); ++i)
    if (polygon >= kParts[i].first_polygon && polygon <= kParts[i].last_polygon) return i;
  return -1;
}

// Regroups the OBJ's usemtl groups into the model's parts (eyeballs split into sclera and iris by
// their materials), in triangle order.
void Repartition(core::io::Mesh* mesh, std::vector<PartClass>* classes,
                 std::vector<Tissue>* tissues) {
  std::vector<core::io::MeshPart> parts;
  classes->clear();
  tissues->clear();
  int current_key = -1;
  for (int t = 0; t < mesh->NumTriangles(); ++t) {
    const int ict = PartOfPolygon(mesh->triangle_polygon[t]);
    const std::string& material = mesh->parts[mesh->triangle_part[t]].material;
    const bool iris = material.find("Iris") != std::string::npos;
    const int key = ict * 2 + (iris ? 1 : 0);
    if (key != current_key) {
      if (!parts.empty()) parts.back().triangle_end = t;
      core::io::MeshPart part;
      part.name = kParts[ict].name;
      if (kParts[ict].tissue == Tissue::kSclera) {
        const std::string side = part.name.substr(part.name.find('_'));  // "_left" / "_right"
        part.name = (iris ? "iris" : "sclera") + side;
      }
      part.material = material;
      part.triangle_begin = t;
      parts.push_back(part);
      classes->push_back(kParts[ict].part_class);
      tissues->push_back(iris ? Tissue::kIris : kParts[ict].tissue);
      current_key = key;
    }
    mesh->triangle_part[t] = static_cast<int>(parts.size()) - 1;
  }
  if (!parts.empty()) parts.back().triangle_end = mesh->NumTriangles();
  // Vertex spans: min..max+1 of the vertices each part's triangles use first.
  std::vector<char> seen(mesh->positions.size(), 0);
  for (auto& part : parts) {
    int lo = std::numeric_limits<int>::max(), hi = -1;
    for (int t = part.triangle_begin; t < part.triangle_end; ++t)
      for (int k = 0; k < 3; ++k) {
        const int v = mesh->triangles[t][k];
        if (seen[v]) continue;
        seen[v] = 1;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    part.vertex_begin = hi < 0 ? 0 : lo;
    part.vertex_end = hi < 0 ? 0 : hi + 1;
  }
  mesh->parts = std::move(parts);
}

// Moves the triangles of part `p` whose three vertices are all in `mask` into a new part placed
// right after it (triangle order and per-triangle arrays are rebuilt).
void SplitPart(core::io::Mesh* mesh, std::vector<PartClass>* classes, std::vector<Tissue>* tissues,
               int p, const std::vector<char>& mask, const std::string& name, PartClass c,
               Tissue t) {
  std::vector<int> order;
  order.reserve(mesh->NumTriangles());
  std::vector<core::io::MeshPart> parts;
  for (int q = 0; q < static_cast<int>(mesh->parts.size()); ++q) {
    const core::io::MeshPart& src = mesh->parts[q];
    auto emit = [&](bool in_mask, const std::string& part_name) {
      core::io::MeshPart part = src;
      part.name = part_name;
      part.triangle_begin = static_cast<int>(order.size());
      for (int tri = src.triangle_begin; tri < src.triangle_end; ++tri) {
        const Eigen::Vector3i& f = mesh->triangles[tri];
        const bool inside = q == p && mask[f[0]] && mask[f[1]] && mask[f[2]];
        if (inside == in_mask) order.push_back(tri);
      }
      part.triangle_end = static_cast<int>(order.size());
      parts.push_back(part);
    };
    emit(false, src.name);
    if (q == p) emit(true, name);
  }
  auto permute = [&](auto& values) {
    if (values.empty()) return;
    auto copy = values;
    for (size_t i = 0; i < order.size(); ++i) values[i] = copy[order[i]];
  };
  permute(mesh->triangles);
  permute(mesh->triangle_uvs);
  permute(mesh->triangle_polygon);
  for (size_t q = 0; q < parts.size(); ++q)
    for (int tri = parts[q].triangle_begin; tri < parts[q].triangle_end; ++tri)
      mesh->triangle_part[tri] = static_cast<int>(q);
  mesh->parts = std::move(parts);
  classes->insert(classes->begin() + p + 1, c);
  tissues->insert(tissues->begin() + p + 1, t);
}

Eigen::VectorXf Flatten(const std::vector<Eigen::Vector3f>& positions) {
  Eigen::VectorXf x(3 * positions.size());
  for (size_t v = 0; v < positions.size(); ++v) x.segment<3>(3 * v) = positions[v];
  return x;
}

// Reads the positions of `files` in parallel into the columns of `deltas` minus `neutral`.
void ReadDeltas(const std::vector<fs::path>& files, const Eigen::VectorXf& neutral, int threads,
                Eigen::MatrixXf* deltas) {
  deltas->resize(neutral.size(), static_cast<Eigen::Index>(files.size()));
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      try {
        const std::vector<Eigen::Vector3f> p = core::io::ReadObjPositions(files[i], kCentimetre);
        if (static_cast<Eigen::Index>(3 * p.size()) != neutral.size())
          throw MakeError("{}: {} vertices, the neutral mesh has {}", files[i].string(), p.size(),
                          neutral.size() / 3);
        deltas->col(static_cast<Eigen::Index>(i)) = Flatten(p) - neutral;
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(files.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::vector<int> JsonIndices(const nlohmann::json& json, const char* key, const fs::path& file) {
  if (!json.contains(key) || !json[key].is_array())
    throw MakeError("{}: missing array '{}'", file.string(), key);
  std::vector<int> out;
  for (const auto& value : json[key]) {
    if (!value.is_number_integer() || value.get<long>() < 0 || value.get<long>() >= kVertices)
      throw MakeError("{}: '{}' holds a value that is not a vertex index: {}", file.string(), key,
                      value.dump());
    out.push_back(value.get<int>());
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Presets.

ExpressionWeights IctPresetWeights(Expression expression, float intensity) {
  ExpressionWeights w;
  auto both = [&](const std::string& shape, float weight) {
    w[shape + "_L"] = weight * intensity;
    w[shape + "_R"] = weight * intensity;
  };
  switch (expression) {
    case Expression::kNeutral:
      break;
    case Expression::kHappy:  // AU12 lip-corner pull, AU6/7 cheek raise (eye squint), lips apart
      both("mouthSmile", 0.85f);
      both("eyeSquint", 0.4f);
      both("cheekSquint", 0.5f);
      w["jawOpen"] = 0.08f * intensity;
      break;
    case Expression::kSad:  // AU1 inner brow raise, AU4 brow lowerer (light), AU15 corner depressor
      both("browInnerUp", 0.8f);
      both("browDown", 0.2f);
      both("mouthFrown", 0.7f);
      w["mouthShrugLower"] = 0.3f * intensity;
      break;
    case Expression::kAngry:  // AU4 brow lowerer, AU7 lid tightener, AU5 (light), lips pressed
      both("browDown", 0.9f);
      both("eyeSquint", 0.5f);
      both("eyeWide", 0.15f);
      both("mouthFrown", 0.3f);
      both("noseSneer", 0.4f);
      both("mouthPress", 0.3f);
      break;
    case Expression::kScared:  // AU1 + AU2 brows up, AU5 upper lid raise, AU26 jaw drop
      both("browInnerUp", 0.8f);
      both("browOuterUp", 0.6f);
      both("eyeWide", 0.8f);
      both("mouthStretch", 0.4f);
      w["jawOpen"] = 0.25f * intensity;
      break;
  }
  return w;
}

ExpressionWeights IctJawOpen(float amount) { return {{"jawOpen", amount}}; }
ExpressionWeights IctBlink(float amount) {
  return {{"eyeBlink_L", amount}, {"eyeBlink_R", amount}};
}

// ---------------------------------------------------------------------------------------------
// Loading.

IctFaceModel IctFaceModel::Load(const fs::path& root, const IctLoadOptions& options) {
  IctFaceModel model;
  std::error_code ec;
  model.folder_ =
      fs::is_regular_file(root / "generic_neutral_mesh.obj", ec) ? root : root / "FaceXModel";
  const fs::path neutral_path = model.folder_ / "generic_neutral_mesh.obj";
  if (!fs::is_regular_file(neutral_path, ec))
    throw MakeError("ICT Face Model: {} not found (point at the folder holding FaceXModel/)",
                    neutral_path.string());

  core::io::ObjLoadOptions obj;
  obj.scale_to_metres = kCentimetre;
  obj.compute_missing_normals = false;
  model.topology_ = core::io::LoadObjKeepingNumbering(neutral_path, obj);
  if (model.topology_.NumVertices() != kVertices || model.topology_.NumPolygons() != kPolygons)
    throw MakeError("{}: {} vertices and {} polygons; the ICT Face Model has {} and {}",
                    neutral_path.string(), model.topology_.NumVertices(),
                    model.topology_.NumPolygons(), kVertices, kPolygons);
  Repartition(&model.topology_, &model.part_class_, &model.part_tissue_);
  model.neutral_ = Flatten(model.topology_.positions);
  if (!options.render_eyelashes)
    for (size_t p = 0; p < model.part_class_.size(); ++p)
      if (model.part_tissue_[p] == Tissue::kEyelashes) model.part_class_[p] = PartClass::kHidden;
  // Corneas. The iris layer's front is a flat disc: its vertices lie within 1 mm of the layer's
  // most forward point (along the shell's forward-biased mean direction); the axis through their
  // centroid is the gaze and their largest distance from it the iris radius. The shell is
  // hidden within 1.1 iris radii of that axis, in front of the eye centre.
  for (int side = 0; side < 2; ++side) {
    const int* range = side == 0 ? kScleraLeft : kScleraRight;
    const int iris_first = side == 0 ? kIrisLeft[0] : kIrisRight[0];
    const int iris_last = side == 0 ? kIrisLeft[1] : kIrisRight[1];
    const auto& pos = model.topology_.positions;
    const Sphere sphere =
        FitSphere(std::vector<Eigen::Vector3f>(pos.begin() + range[0], pos.begin() + range[1] + 1));
    Eigen::Vector3f mean = Eigen::Vector3f::Zero();
    for (int v = range[0]; v <= range[1]; ++v) mean += pos[v];
    Eigen::Vector3f axis = (mean / float(range[1] - range[0] + 1) - sphere.centre).normalized();
    float front = -1e9f;
    for (int v = iris_first; v <= iris_last; ++v)
      front = std::max(front, (pos[v] - sphere.centre).dot(axis));
    Eigen::Vector3f disc_mean = Eigen::Vector3f::Zero();
    for (int v = iris_first; v <= iris_last; ++v)
      if ((pos[v] - sphere.centre).dot(axis) > front - 0.001f) {
        model.iris_disc_[side].push_back(v);
        disc_mean += pos[v];
      }
    axis = (disc_mean / float(model.iris_disc_[side].size()) - sphere.centre).normalized();
    auto radial = [&](int v) {
      const Eigen::Vector3f d = pos[v] - sphere.centre;
      return (d - d.dot(axis) * axis).norm();
    };
    float rim = 0.0f;
    for (int v : model.iris_disc_[side]) rim = std::max(rim, radial(v));
    std::vector<char> mask(kVertices, 0);
    int hidden = 0;
    for (int v = range[0]; v <= range[1]; ++v)
      if ((pos[v] - sphere.centre).dot(axis) > 0 && radial(v) < 1.1f * rim) mask[v] = 1, ++hidden;
    if (model.iris_disc_[side].size() < 8 || hidden < 8)
      throw MakeError("{}: no iris disc / cornea found on the {} eyeball", neutral_path.string(),
                      side == 0 ? "left" : "right");
    const std::string sclera = side == 0 ? "sclera_left" : "sclera_right";
    const int part = model.topology_.FindPart(sclera);
    if (part < 0) throw MakeError("{}: no part {}", neutral_path.string(), sclera);
    SplitPart(&model.topology_, &model.part_class_, &model.part_tissue_, part, mask,
              side == 0 ? "cornea_left" : "cornea_right", PartClass::kHidden, Tissue::kHelper);
  }

  // Landmarks and the expression order.
  const fs::path json_path = model.folder_ / "vertex_indices.json";
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(core::ReadFile(json_path));
  } catch (const nlohmann::json::exception& e) {
    throw MakeError("{}: {}", json_path.string(), e.what());
  }
  const std::vector<int> landmarks = JsonIndices(json, "idx_to_landmark_verts", json_path);
  if (landmarks.size() != 68)
    throw MakeError("{}: idx_to_landmark_verts has {} entries, expected 68", json_path.string(),
                    landmarks.size());
  std::copy(landmarks.begin(), landmarks.end(), model.landmarks_.begin());
  std::vector<std::string> listed;
  if (json.contains("expressions") && json["expressions"].is_array())
    for (const auto& name : json["expressions"])
      if (name.is_string()) listed.push_back(name.get<std::string>());

  // Shape files: identityNNN.obj in order, then expressions by the names found on disk.
  const int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  std::vector<fs::path> identity_files;
  for (int k = 0; options.max_identity_modes < 0 || k < options.max_identity_modes; ++k) {
    const std::string name = fmt::format("identity{:03d}", k);
    const fs::path path = model.folder_ / (name + ".obj");
    if (!fs::is_regular_file(path, ec)) break;
    identity_files.push_back(path);
    model.identity_names_.push_back(name);
  }
  if (!options.expressions.empty()) {
    for (const std::string& name : options.expressions) {
      if (!fs::is_regular_file(model.folder_ / (name + ".obj"), ec))
        throw MakeError("ICT Face Model: expression '{}' requested but {} is missing", name,
                        (model.folder_ / (name + ".obj")).string());
      model.expression_names_.push_back(name);
    }
  } else {
    // The listed order first (upstream's weight-vector order), then other shape files on disk.
    std::set<std::string> on_disk;
    for (const auto& entry : fs::directory_iterator(model.folder_)) {
      const std::string stem = entry.path().stem().string();
      if (entry.path().extension() == ".obj" && stem != "generic_neutral_mesh" &&
          stem.rfind("identity", 0) != 0)
        on_disk.insert(stem);
    }
    for (const std::string& name : listed)
      if (on_disk.erase(name)) model.expression_names_.push_back(name);
    model.expression_names_.insert(model.expression_names_.end(), on_disk.begin(), on_disk.end());
  }
  std::vector<fs::path> expression_files;
  for (const auto& name : model.expression_names_)
    expression_files.push_back(model.folder_ / (name + ".obj"));
  ReadDeltas(identity_files, model.neutral_, threads, &model.identity_deltas_);
  ReadDeltas(expression_files, model.neutral_, threads, &model.expression_deltas_);

  // Regions and the dense subset, on the neutral head; both stay attached to their vertices.
  const HeadInstance neutral = model.Instantiate({}, {}, "neutral");
  std::vector<std::uint8_t> face(kVertices, 0);
  std::fill(face.begin(), face.begin() + kFaceVertices, 1);
  model.regions_ = PaintFaceRegions(neutral.mesh.positions, neutral.mesh.normals,
                                    LandmarkPositions(neutral, neutral.mesh.positions), face);
  if (!options.dense_vertices.empty()) {
    for (int v : options.dense_vertices)
      if (v < 0 || v >= kVertices)
        throw MakeError("ICT Face Model: dense vertex {} out of range 0..{}", v, kVertices - 1);
    model.dense_ = options.dense_vertices;
  } else {
    std::vector<int> narrow(kNarrowFaceVertices);
    for (int v = 0; v < kNarrowFaceVertices; ++v) narrow[v] = v;
    model.dense_ = FarthestPointSubset(neutral.mesh.positions, narrow, options.dense_count,
                                       model.landmarks_[30]);
  }
  return model;
}

bool IctFaceModel::HasExpression(const std::string& name) const {
  return std::find(expression_names_.begin(), expression_names_.end(), name) !=
         expression_names_.end();
}

// ---------------------------------------------------------------------------------------------
// Instances.

HeadInstance IctFaceModel::Instantiate(const std::vector<float>& identity,
                                       const ExpressionWeights& expression,
                                       const std::string& expression_label) const {
  const int n = NumVertices();
  const int modes = std::min<int>(NumIdentityModes(), static_cast<int>(identity.size()));
  Eigen::VectorXf x = neutral_;
  for (int k = 0; k < modes; ++k)
    if (identity[k] != 0.0f) x.noalias() += identity[k] * identity_deltas_.col(k);

  // Eye centres from the identity's scleras (before expressions: the head frame belongs to the
  // identity; upstream's eye-look shapes rotate the eyeballs about these centres).
  auto sphere_of = [&](const int range[2]) {
    std::vector<Eigen::Vector3f> points;
    points.reserve(range[1] - range[0] + 1);
    for (int v = range[0]; v <= range[1]; ++v) points.push_back(x.segment<3>(3 * v));
    return FitSphere(points);
  };
  const Eigen::Vector3f left = sphere_of(kScleraLeft).centre;
  const Eigen::Vector3f right = sphere_of(kScleraRight).centre;

  HeadInstance head;
  head.expression_label = expression_label;
  for (const auto& [name, weight] : expression) {
    const auto it = std::find(expression_names_.begin(), expression_names_.end(), name);
    if (it == expression_names_.end()) {
      std::string available;
      for (const auto& e : expression_names_) available += (available.empty() ? "" : ", ") + e;
      throw MakeError("ICT Face Model: no expression '{}' in {} (available: {})", name,
                      folder_.string(), available);
    }
    if (!std::isfinite(weight) || weight < -1.0f || weight > 2.0f)
      throw MakeError("ICT Face Model: expression '{}' weight {} outside [-1, 2]", name, weight);
    if (weight != 0.0f)
      x.noalias() += weight * expression_deltas_.col(it - expression_names_.begin());
    head.expression_weights[name] = weight;
  }

  const core::geometry::Rigid3d head_from_ict =
      HeadFrameFromEyes(left.cast<double>(), right.cast<double>(), Eigen::Vector3d::UnitY());
  const Eigen::Matrix3f rotation = head_from_ict.RotationMatrix().cast<float>();
  const Eigen::Vector3f translation = head_from_ict.translation.cast<float>();

  head.source = "ict";
  head.mesh = topology_;  // topology, UVs and parts; positions replaced below
  head.mesh.source = (folder_ / "generic_neutral_mesh.obj").string();
  for (int v = 0; v < n; ++v) head.mesh.positions[v] = rotation * x.segment<3>(3 * v) + translation;
  head.part_class = part_class_;
  head.part_tissue = part_tissue_;
  head.mesh.normals = HeadVertexNormals(head, head.mesh.positions);
  head.left_eye_centre = rotation * left + translation;
  head.right_eye_centre = rotation * right + translation;
  // Gaze: from each eye centre through the centre of its iris disc; the disc's rim is the iris
  // radius.
  float rim = 0.0f;
  for (int side = 0; side < 2; ++side) {
    const Eigen::Vector3f centre = side == 0 ? head.left_eye_centre : head.right_eye_centre;
    Eigen::Vector3f mean = Eigen::Vector3f::Zero();
    for (int v : iris_disc_[side]) mean += head.mesh.positions[v];
    const Eigen::Vector3f gaze =
        (mean / static_cast<float>(iris_disc_[side].size()) - centre).normalized();
    (side == 0 ? head.left_gaze : head.right_gaze) = gaze;
    for (int v : iris_disc_[side]) {
      const Eigen::Vector3f d = head.mesh.positions[v] - centre;
      rim = std::max(rim, (d - d.dot(gaze) * gaze).norm());
    }
  }
  head.iris_radius = rim;
  head.landmark_vertices = landmarks_;
  head.dense_vertices = dense_;
  head.regions = regions_;
  head.identity_names.assign(identity_names_.begin(), identity_names_.begin() + NumIdentityModes());
  head.identity_coefficients.assign(NumIdentityModes(), 0.0f);
  for (int k = 0; k < modes; ++k) head.identity_coefficients[k] = identity[k];
  head.neck_pivot = kDefaultNeckPivot;
  head.neck_weight = NeckWeights(head.mesh.positions, head.neck_pivot);
  return head;
}

std::vector<float> IctFaceModel::RandomIdentity(core::data::Rng& rng, float sigma,
                                                float clamp) const {
  std::vector<float> w(NumIdentityModes());
  for (float& value : w)
    value = std::clamp(static_cast<float>(rng.Normal(0.0, sigma)), -clamp, clamp);
  return w;
}

ExpressionWeights IctFaceModel::Preset(Expression expression, float intensity) const {
  ExpressionWeights out;
  for (const auto& [name, weight] : IctPresetWeights(expression, intensity))
    if (HasExpression(name)) out[name] = weight;
  return out;
}

ExpressionWeights IctFaceModel::RandomExpression(core::data::Rng& rng, Expression* base,
                                                 const IctRandomExpressionOptions& o) const {
  const Expression chosen = kAllExpressions[rng.UniformInt(uint64_t{kAllExpressions.size()})];
  if (base) *base = chosen;
  ExpressionWeights w =
      Preset(chosen, static_cast<float>(rng.Uniform(o.intensity_min, o.intensity_max)));
  // Both draws happen for every shape whether or not the extra is used, so the number of draws
  // depends only on the loaded shape set, not on the outcomes.
  for (const std::string& name : expression_names_) {
    const bool extra = rng.Bernoulli(o.extra_probability);
    const float amount = static_cast<float>(rng.Uniform(0.0, o.extra_max));
    if (extra) w[name] += amount;
  }
  if (HasExpression("jawOpen")) {
    const bool open = rng.Bernoulli(o.jaw_open_probability);
    const float amount = static_cast<float>(rng.Uniform(0.0, o.jaw_open_max));
    if (open) w["jawOpen"] += amount;
  }
  if (HasExpression("eyeBlink_L") && HasExpression("eyeBlink_R")) {
    const bool blink = rng.Bernoulli(o.blink_probability);
    const float amount = static_cast<float>(rng.Uniform(0.5, 1.0));
    if (blink) {
      w["eyeBlink_L"] = amount;
      w["eyeBlink_R"] = amount;
    }
  }
  // Left/right asymmetry, then clamp to the activation range.
  for (auto& [name, weight] : w) {
    const float a = static_cast<float>(rng.Uniform(-o.asymmetry, o.asymmetry));
    const bool left = name.size() > 2 && name.compare(name.size() - 2, 2, "_L") == 0;
    const bool right = name.size() > 2 && name.compare(name.size() - 2, 2, "_R") == 0;
    if (left) weight *= 1.0f + a;
    if (right) weight *= 1.0f - a;
    weight = std::clamp(weight, 0.0f, 1.0f);
  }
  return w;
}

}  // namespace synface::synth::heads
