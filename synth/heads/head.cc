#include "synth/heads/head.h"

#include <Eigen/Cholesky>
#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/util/error.h"

namespace synface::synth::heads {

using core::MakeError;
using core::geometry::Rigid3d;

const char* PartClassName(PartClass c) {
  switch (c) {
    case PartClass::kSkin:
      return "skin";
    case PartClass::kEyes:
      return "eyes";
    case PartClass::kTeethMouth:
      return "teeth_mouth";
    case PartClass::kHairOther:
      return "hair_other";
    case PartClass::kHidden:
      return "hidden";
  }
  return "?";
}

const char* TissueName(Tissue t) {
  switch (t) {
    case Tissue::kSkin:
      return "skin";
    case Tissue::kSclera:
      return "sclera";
    case Tissue::kIris:
      return "iris";
    case Tissue::kEye:
      return "eye";
    case Tissue::kTeeth:
      return "teeth";
    case Tissue::kGums:
      return "gums";
    case Tissue::kMouthInterior:
      return "mouth_interior";
    case Tissue::kEyelashes:
      return "eyelashes";
    case Tissue::kEyebrows:
      return "eyebrows";
    case Tissue::kHair:
      return "hair";
    case Tissue::kHelper:
      return "helper";
  }
  return "?";
}

const char* ExpressionName(Expression e) {
  switch (e) {
    case Expression::kNeutral:
      return "neutral";
    case Expression::kAngry:
      return "angry";
    case Expression::kHappy:
      return "happy";
    case Expression::kSad:
      return "sad";
    case Expression::kScared:
      return "scared";
  }
  return "?";
}

Expression ExpressionFromName(const std::string& name) {
  for (Expression e : kAllExpressions)
    if (name == ExpressionName(e)) return e;
  throw MakeError("unknown expression '{}' (valid: neutral, angry, happy, sad, scared)", name);
}

// ---------------------------------------------------------------------------------------------
// Posing.

namespace {

// Rotation by `fraction` of the rotation `axis_angle` (exact slerp from the identity).
Eigen::Matrix3d PartialRotation(const Eigen::AngleAxisd& axis_angle, double fraction) {
  return Eigen::AngleAxisd(axis_angle.angle() * fraction, axis_angle.axis()).toRotationMatrix();
}

std::vector<Eigen::Matrix4f> GlobalsOf(const std::vector<core::io::MeshNode>& nodes) {
  std::vector<Eigen::Matrix4f> global(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const int parent = nodes[i].parent;
    global[i] = parent < 0 ? nodes[i].local : Eigen::Matrix4f(global[parent] * nodes[i].local);
  }
  return global;
}

Eigen::Vector3f EyeCentreFromRig(const HeadRig& rig, const std::vector<Eigen::Matrix4f>& globals,
                                 const std::vector<Eigen::Vector3f>& positions, bool left) {
  const int node = left ? rig.left_eye_node : rig.right_eye_node;
  if (node >= 0) return globals[node].topRightCorner<3, 1>();
  const std::vector<int>& ids = left ? rig.left_eye_vertices : rig.right_eye_vertices;
  std::vector<Eigen::Vector3f> points;
  points.reserve(ids.size());
  for (int v : ids) points.push_back(positions[v]);
  return FitSphere(points).centre;
}

PosedHead PoseRigged(const HeadInstance& head, const Eigen::Matrix3d& rotation) {
  const HeadRig& rig = *head.rig;
  std::vector<core::io::MeshNode> nodes = rig.skin.nodes;
  const std::vector<Eigen::Matrix4f> rest = GlobalsOf(nodes);
  // Rotate the neck node about its own origin, with the axes of the model (head) frame.
  const Eigen::Vector3f origin = rest[rig.neck_node].topRightCorner<3, 1>();
  Eigen::Matrix4f about_neck = Eigen::Matrix4f::Identity();
  const Eigen::Matrix3f r = rotation.cast<float>();
  about_neck.topLeftCorner<3, 3>() = r;
  about_neck.topRightCorner<3, 1>() = origin - r * origin;
  const Eigen::Matrix4f posed_neck = about_neck * rest[rig.neck_node];
  const int parent = nodes[rig.neck_node].parent;
  nodes[rig.neck_node].local =
      parent < 0 ? posed_neck : Eigen::Matrix4f(rest[parent].inverse() * posed_neck);
  const std::vector<Eigen::Matrix4f> posed = GlobalsOf(nodes);

  PosedHead out;
  out.positions = core::io::SkinPositions(rig.skin, posed);
  out.normals = HeadVertexNormals(head, out.positions);
  // The label: rotation of the head node, origin at the eye midpoint actually reached.
  const Eigen::Matrix4f motion = posed[rig.head_node] * rest[rig.head_node].inverse();
  const Eigen::Vector3f midpoint = 0.5f * (EyeCentreFromRig(rig, posed, out.positions, true) +
                                           EyeCentreFromRig(rig, posed, out.positions, false));
  out.model_from_head =
      Rigid3d(motion.topLeftCorner<3, 3>().cast<double>(), midpoint.cast<double>());
  return out;
}

}  // namespace

PosedHead PoseAboutNeck(const HeadInstance& head, const Eigen::Matrix3d& rotation) {
  if (head.rig) return PoseRigged(head, rotation);
  const int n = head.mesh.NumVertices();
  if (static_cast<int>(head.neck_weight.size()) != n)
    throw MakeError("{}: PoseAboutNeck needs {} neck weights, has {}", head.source, n,
                    head.neck_weight.size());
  const Eigen::Vector3d pivot = head.neck_pivot.cast<double>();
  const Eigen::AngleAxisd axis_angle(rotation);
  const Eigen::Matrix3f full = rotation.cast<float>();
  const Eigen::Vector3f full_shift = (pivot - rotation * pivot).cast<float>();

  PosedHead out;
  out.positions.resize(n);
  for (int v = 0; v < n; ++v) {
    const float w = head.neck_weight[v];
    const Eigen::Vector3f& p = head.mesh.positions[v];
    if (w >= 1.0f) {
      out.positions[v] = full * p + full_shift;
    } else if (w <= 0.0f) {
      out.positions[v] = p;
    } else {
      const Eigen::Matrix3d partial = PartialRotation(axis_angle, w);
      out.positions[v] = (partial * (p.cast<double>() - pivot) + pivot).cast<float>();
    }
  }
  out.normals = HeadVertexNormals(head, out.positions);
  out.model_from_head = Rigid3d(rotation, pivot - rotation * pivot);
  return out;
}

std::vector<Eigen::Vector3f> LandmarkPositions(const HeadInstance& head,
                                               const std::vector<Eigen::Vector3f>& positions) {
  if (!head.HasLandmarks()) throw MakeError("{}: head has no 68-point landmarks", head.source);
  std::vector<Eigen::Vector3f> out;
  out.reserve(68);
  for (int v : head.landmark_vertices) out.push_back(positions.at(v));
  return out;
}

std::vector<Eigen::Vector3f> DensePositions(const HeadInstance& head,
                                            const std::vector<Eigen::Vector3f>& positions) {
  std::vector<Eigen::Vector3f> out;
  out.reserve(head.dense_vertices.size());
  for (int v : head.dense_vertices) out.push_back(positions.at(v));
  return out;
}

RenderableHead WithoutHiddenParts(const HeadInstance& head) {
  const core::io::Mesh& in = head.mesh;
  RenderableHead out;
  core::io::Mesh& m = out.mesh;
  m.positions = in.positions;
  m.normals = in.normals;
  m.uvs = in.uvs;
  m.material_libraries = in.material_libraries;
  m.scale_to_metres = in.scale_to_metres;
  m.source = in.source;
  for (size_t p = 0; p < in.parts.size(); ++p) {
    if (head.part_class[p] == PartClass::kHidden) continue;
    core::io::MeshPart part = in.parts[p];
    part.triangle_begin = m.NumTriangles();
    for (int t = in.parts[p].triangle_begin; t < in.parts[p].triangle_end; ++t) {
      m.triangles.push_back(in.triangles[t]);
      if (in.HasUvs()) m.triangle_uvs.push_back(in.triangle_uvs[t]);
      m.triangle_part.push_back(static_cast<int>(m.parts.size()));
      if (!in.triangle_polygon.empty()) m.triangle_polygon.push_back(in.triangle_polygon[t]);
    }
    part.triangle_end = m.NumTriangles();
    m.parts.push_back(part);
    out.part_class.push_back(head.part_class[p]);
    out.part_tissue.push_back(head.part_tissue[p]);
    if (!head.part_material.empty()) out.part_material.push_back(head.part_material[p]);
  }
  return out;
}

void ValidateHead(const HeadInstance& head) {
  core::io::ValidateMesh(head.mesh);
  const size_t parts = head.mesh.parts.size();
  const size_t n = head.mesh.positions.size();
  if (head.part_class.size() != parts || head.part_tissue.size() != parts)
    throw MakeError("{}: {} parts but {} part classes / {} tissues", head.source, parts,
                    head.part_class.size(), head.part_tissue.size());
  if (!head.part_material.empty() && head.part_material.size() != parts)
    throw MakeError("{}: {} parts but {} materials", head.source, parts, head.part_material.size());
  if (!head.vertex_albedo.empty() && head.vertex_albedo.size() != n)
    throw MakeError("{}: {} vertices but {} albedos", head.source, n, head.vertex_albedo.size());
  if (head.mesh.normals.size() != n) throw MakeError("{}: normals missing", head.source);
  if (!head.rig && head.neck_weight.size() != n)
    throw MakeError("{}: {} vertices but {} neck weights", head.source, n, head.neck_weight.size());
  for (const auto* region : {&head.regions.lips, &head.regions.brows, &head.regions.cheeks})
    if (!region->empty() && region->size() != n)
      throw MakeError("{}: a face region has {} weights for {} vertices", head.source,
                      region->size(), n);
  if (head.HasLandmarks())
    for (int i = 0; i < 68; ++i)
      if (head.landmark_vertices[i] < 0 || head.landmark_vertices[i] >= static_cast<int>(n))
        throw MakeError("{}: landmark {} is vertex {} (mesh has {})", head.source, i,
                        head.landmark_vertices[i], n);
  for (int v : head.dense_vertices)
    if (v < 0 || v >= static_cast<int>(n))
      throw MakeError("{}: dense landmark vertex {} out of range ({} vertices)", head.source, v, n);
  if (head.identity_names.size() != head.identity_coefficients.size())
    throw MakeError("{}: {} identity names for {} coefficients", head.source,
                    head.identity_names.size(), head.identity_coefficients.size());
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

Sphere FitSphere(const std::vector<Eigen::Vector3f>& points) {
  if (points.size() < 4)
    throw MakeError("sphere fit needs at least 4 points, got {}", points.size());
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (const auto& p : points) mean += p.cast<double>();
  mean /= static_cast<double>(points.size());
  // |q|^2 = 2 c.q + d with q = p - mean, d = r^2 - |c|^2: linear in (c, d).
  Eigen::Matrix4d ata = Eigen::Matrix4d::Zero();
  Eigen::Vector4d atb = Eigen::Vector4d::Zero();
  for (const auto& p : points) {
    const Eigen::Vector3d q = p.cast<double>() - mean;
    const Eigen::Vector4d row(2 * q.x(), 2 * q.y(), 2 * q.z(), 1.0);
    ata += row * row.transpose();
    atb += row * q.squaredNorm();
  }
  const Eigen::LDLT<Eigen::Matrix4d> ldlt(ata);
  const Eigen::Vector4d x = ldlt.solve(atb);
  const double scale = ata.diagonal().maxCoeff();
  if (ldlt.info() != Eigen::Success || !x.allFinite() ||
      ldlt.vectorD().cwiseAbs().minCoeff() < 1e-12 * scale)
    throw MakeError("sphere fit: the {} points are degenerate (coplanar or coincident)",
                    points.size());
  Sphere s;
  const Eigen::Vector3d c = x.head<3>();
  s.centre = (c + mean).cast<float>();
  s.radius = static_cast<float>(std::sqrt(std::max(0.0, x[3] + c.squaredNorm())));
  return s;
}

Rigid3d HeadFrameFromEyes(const Eigen::Vector3d& left_eye, const Eigen::Vector3d& right_eye,
                          const Eigen::Vector3d& up) {
  const Eigen::Vector3d midpoint = 0.5 * (left_eye + right_eye);
  const Eigen::Vector3d x = (left_eye - right_eye).normalized();
  Eigen::Vector3d y = -up;
  y = (y - y.dot(x) * x);
  if (y.norm() < 1e-9 || !x.allFinite())
    throw MakeError("head frame: the eyes coincide or lie along the up axis");
  y.normalize();
  const Eigen::Vector3d z = x.cross(y);
  Eigen::Matrix3d head_from_source;
  head_from_source.row(0) = x;
  head_from_source.row(1) = y;
  head_from_source.row(2) = z;
  return Rigid3d(head_from_source, -head_from_source * midpoint);
}

namespace {
float SmoothStep(float edge0, float edge1, float x) {
  const float t = std::clamp((x - edge0) / (edge1 - edge0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}
}  // namespace

std::vector<float> NeckWeights(const std::vector<Eigen::Vector3f>& positions,
                               const Eigen::Vector3f& pivot, float band) {
  // Plane through the pivot and the point 8 cm lower, 9.5 cm further forward (below the chin);
  // its normal points up and forward, towards the face.
  const Eigen::Vector3f normal = Eigen::Vector3f(0.0f, -0.095f, -0.08f).normalized();
  std::vector<float> w(positions.size());
  for (size_t v = 0; v < positions.size(); ++v) {
    const Eigen::Vector3f d = positions[v] - pivot;
    const float above = std::max(normal.dot(d), 0.01f - d.y());
    const float lateral = 1.0f - SmoothStep(0.10f, 0.16f, std::abs(d.x()));
    w[v] = SmoothStep(-band, 0.0f, above) * lateral;
  }
  return w;
}

namespace {

// Signed distance from a 2D point to a closed polygon (positive inside).
float PolygonSignedDistance(const std::vector<Eigen::Vector2f>& poly, const Eigen::Vector2f& p) {
  float best = std::numeric_limits<float>::max();
  bool inside = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Eigen::Vector2f& a = poly[j];
    const Eigen::Vector2f& b = poly[i];
    const Eigen::Vector2f ab = b - a;
    const float t = std::clamp((p - a).dot(ab) / std::max(ab.squaredNorm(), 1e-12f), 0.0f, 1.0f);
    best = std::min(best, (a + t * ab - p).norm());
    if ((a.y() > p.y()) != (b.y() > p.y()) &&
        p.x() < (b.x() - a.x()) * (p.y() - a.y()) / (b.y() - a.y()) + a.x())
      inside = !inside;
  }
  return inside ? best : -best;
}

// Distance from p to a polyline and the arc-length fraction (0..1) of the closest point.
void PolylineDistance(const std::vector<Eigen::Vector2f>& line, const Eigen::Vector2f& p,
                      float* distance, float* fraction) {
  float total = 0.0f;
  for (size_t i = 1; i < line.size(); ++i) total += (line[i] - line[i - 1]).norm();
  float best = std::numeric_limits<float>::max(), best_s = 0.0f, s = 0.0f;
  for (size_t i = 1; i < line.size(); ++i) {
    const Eigen::Vector2f ab = line[i] - line[i - 1];
    const float len = ab.norm();
    const float t = std::clamp((p - line[i - 1]).dot(ab) / std::max(len * len, 1e-12f), 0.0f, 1.0f);
    const float d = (line[i - 1] + t * ab - p).norm();
    if (d < best) {
      best = d;
      best_s = s + t * len;
    }
    s += len;
  }
  *distance = best;
  *fraction = total > 0 ? best_s / total : 0.0f;
}

}  // namespace

FaceRegions PaintFaceRegions(const std::vector<Eigen::Vector3f>& positions,
                             const std::vector<Eigen::Vector3f>& normals,
                             const std::vector<Eigen::Vector3f>& landmarks,
                             const std::vector<std::uint8_t>& candidate) {
  if (landmarks.size() != 68) throw MakeError("PaintFaceRegions needs 68 landmarks");
  const size_t n = positions.size();
  FaceRegions r;
  r.lips.assign(n, 0.0f);
  r.brows.assign(n, 0.0f);
  r.cheeks.assign(n, 0.0f);
  auto xy = [](const Eigen::Vector3f& p) { return Eigen::Vector2f(p.x(), p.y()); };

  std::vector<Eigen::Vector2f> lips;
  float lip_depth = -1e9f;
  for (int i = 48; i < 60; ++i) {
    lips.push_back(xy(landmarks[i]));
    lip_depth = std::max(lip_depth, landmarks[i].z());
  }
  const float face_width = (landmarks[16] - landmarks[0]).norm();
  // Brows: the band's centre sits 3 mm below the landmark line (iBUG puts the brow points on its
  // upper edge), half-thickness 5.5 mm at the inner end tapering to 3 mm at the tail.
  std::vector<Eigen::Vector2f> brow_lines[2];
  float brow_depth = -1e9f;
  for (int i = 17; i <= 21; ++i)
    brow_lines[0].push_back(xy(landmarks[i]) + Eigen::Vector2f(0, 0.003f));
  for (int i = 26; i >= 22; --i)
    brow_lines[1].push_back(xy(landmarks[i]) + Eigen::Vector2f(0, 0.003f));
  for (int i = 17; i <= 26; ++i) brow_depth = std::max(brow_depth, landmarks[i].z());
  // Cheeks: between the nose wing and the jaw, level with the gap between eye and nose base.
  Eigen::Vector2f cheek[2];
  for (int side = 0; side < 2; ++side) {
    const int wing = side == 0 ? 31 : 35, jaw = side == 0 ? 2 : 14, eye = side == 0 ? 40 : 47;
    cheek[side] = Eigen::Vector2f(0.55f * landmarks[wing].x() + 0.45f * landmarks[jaw].x(),
                                  0.5f * (landmarks[eye].y() + landmarks[wing].y()));
  }
  const float cheek_sigma = 0.12f * face_width;
  const float feather = 0.0015f;
  // Bounding boxes (x-y) of the regions, to skip the exact tests far away.
  auto box_of = [](const std::vector<Eigen::Vector2f>& pts, float margin) {
    Eigen::AlignedBox2f box;
    for (const auto& q : pts) box.extend(q);
    box.min() -= Eigen::Vector2f::Constant(margin);
    box.max() += Eigen::Vector2f::Constant(margin);
    return box;
  };
  const Eigen::AlignedBox2f lip_box = box_of(lips, feather);
  Eigen::AlignedBox2f brow_box = box_of(brow_lines[0], 0.01f);
  brow_box.extend(box_of(brow_lines[1], 0.01f));

  for (size_t v = 0; v < n; ++v) {
    if (!candidate[v] || normals[v].z() > 0.35f) continue;
    const Eigen::Vector3f& p = positions[v];
    const Eigen::Vector2f q = xy(p);
    if (p.z() < lip_depth + 0.012f && lip_box.contains(q)) {
      r.lips[v] = SmoothStep(-feather, feather, PolygonSignedDistance(lips, q));
    }
    if (p.z() < brow_depth + 0.015f && brow_box.contains(q)) {
      for (const auto& line : brow_lines) {
        float d, f;
        PolylineDistance(line, q, &d, &f);
        const float half = 0.003f + 0.0025f * f;
        r.brows[v] = std::max(r.brows[v], 1.0f - SmoothStep(half - feather, half + feather, d));
      }
    }
    if (p.z() < landmarks[33].z() + 0.03f) {
      for (const auto& c : cheek) {
        const float d2 = (q - c).squaredNorm() / (2 * cheek_sigma * cheek_sigma);
        if (d2 < 9.0f) r.cheeks[v] = std::max(r.cheeks[v], std::exp(-d2));
      }
    }
  }
  return r;
}

std::vector<int> FarthestPointSubset(const std::vector<Eigen::Vector3f>& positions,
                                     const std::vector<int>& candidates, int count, int first) {
  if (candidates.empty() || count <= 0) return {};
  count = std::min<int>(count, static_cast<int>(candidates.size()));
  const auto it = std::find(candidates.begin(), candidates.end(), first);
  if (it == candidates.end())
    throw MakeError("farthest-point subset: start vertex {} is not a candidate", first);
  std::vector<float> dist(candidates.size(), std::numeric_limits<float>::max());
  std::vector<int> out;
  out.reserve(count);
  size_t current = static_cast<size_t>(it - candidates.begin());
  for (int k = 0; k < count; ++k) {
    out.push_back(candidates[current]);
    const Eigen::Vector3f c = positions[candidates[current]];
    size_t next = 0;
    float far = -1.0f;
    for (size_t i = 0; i < candidates.size(); ++i) {
      dist[i] = std::min(dist[i], (positions[candidates[i]] - c).squaredNorm());
      if (dist[i] > far) {
        far = dist[i];
        next = i;
      }
    }
    current = next;
  }
  return out;
}

std::vector<Eigen::Vector3f> HeadVertexNormals(const HeadInstance& head,
                                               const std::vector<Eigen::Vector3f>& positions) {
  // Area-weighted sums (the cross product is twice the area), visible parts and hidden parts
  // accumulated separately; the same computation as core::io::ComputeVertexNormals, here so that
  // it is optimised with the heads (it runs for every instance and every pose).
  const core::io::Mesh& m = head.mesh;
  std::vector<Eigen::Vector3f> visible(positions.size(), Eigen::Vector3f::Zero());
  std::vector<Eigen::Vector3f> hidden;
  for (size_t p = 0; p < m.parts.size(); ++p) {
    const bool is_hidden = head.part_class[p] == PartClass::kHidden;
    if (is_hidden && hidden.empty()) hidden.assign(positions.size(), Eigen::Vector3f::Zero());
    std::vector<Eigen::Vector3f>& sums = is_hidden ? hidden : visible;
    for (int t = m.parts[p].triangle_begin; t < m.parts[p].triangle_end; ++t) {
      const Eigen::Vector3i& tri = m.triangles[t];
      const Eigen::Vector3f n =
          (positions[tri[1]] - positions[tri[0]]).cross(positions[tri[2]] - positions[tri[0]]);
      sums[tri[0]] += n;
      sums[tri[1]] += n;
      sums[tri[2]] += n;
    }
  }
  // Vertices used only by hidden parts take their normals from those parts.
  for (size_t v = 0; v < visible.size(); ++v) {
    if (visible[v].squaredNorm() == 0.0f && !hidden.empty()) visible[v] = hidden[v];
    const float length = visible[v].norm();
    if (length > 0) visible[v] /= length;
  }
  return visible;
}

}  // namespace synface::synth::heads
