#include "synth/labels/labels.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::synth::labels {
namespace {
using core::geometry::RadToDeg;
using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

template <int N>
json Vec(const Eigen::Matrix<double, N, 1>& v) {
  json a = json::array();
  for (int i = 0; i < N; ++i) a.push_back(Num(v[i]));
  return a;
}

json Mat3(const Eigen::Matrix3d& m) {
  json rows = json::array();
  for (int r = 0; r < 3; ++r) rows.push_back(Vec<3>(Eigen::Vector3d(m.row(r).transpose())));
  return rows;
}

json RigidJson(const Eigen::Matrix3d& r, const Eigen::Vector3d& t) {
  return {{"R", Mat3(r)}, {"t", Vec<3>(t)}};
}

json PointSetJson(const PointSet& s) {
  json xy = json::array(), xyz = json::array();
  for (const auto& p : s.xy) xy.push_back(Vec<2>(p));
  for (const auto& p : s.xyz) xyz.push_back(Vec<3>(p));
  return {{"xy", xy},
          {"xyz", xyz},
          {"in_image", s.in_image},
          {"visible", s.visible},
          {"vertices", s.vertices},
          {"count", s.size()},
          {"num_visible", s.NumVisible()}};
}

// Reading with JSON-pointer errors.
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const std::string& pointer, const std::string& what) const {
    throw core::MakeError("{}: {}: {}", origin_, pointer.empty() ? "/" : pointer, what);
  }
  const json& At(const json& j, const std::string& pointer, const std::string& key) const {
    if (!j.is_object()) Fail(pointer, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) Fail(pointer + "/" + key, "missing required field");
    return *it;
  }
  double Double(const json& j, const std::string& pointer) const {
    if (j.is_null()) return kNaN;
    if (!j.is_number()) Fail(pointer, "expected a number");
    return j.get<double>();
  }
  double Double(const json& parent, const std::string& pointer, const std::string& key) const {
    return Double(At(parent, pointer, key), pointer + "/" + key);
  }
  int64_t Int(const json& parent, const std::string& pointer, const std::string& key) const {
    const json& j = At(parent, pointer, key);
    if (!j.is_number_integer()) Fail(pointer + "/" + key, "expected an integer");
    return j.get<int64_t>();
  }
  uint64_t UInt(const json& parent, const std::string& pointer, const std::string& key) const {
    const json& j = At(parent, pointer, key);
    if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0)) {
      Fail(pointer + "/" + key, "expected a non-negative integer");
    }
    return j.get<uint64_t>();
  }
  std::string String(const json& parent, const std::string& pointer, const std::string& key) const {
    const json& j = At(parent, pointer, key);
    if (!j.is_string()) Fail(pointer + "/" + key, "expected a string");
    return j.get<std::string>();
  }
  json Object(const json& parent, const std::string& pointer, const std::string& key) const {
    const json& j = At(parent, pointer, key);
    if (!j.is_object()) Fail(pointer + "/" + key, "expected an object");
    return j;
  }
  template <int N>
  Eigen::Matrix<double, N, 1> Vector(const json& j, const std::string& pointer) const {
    if (!j.is_array() || static_cast<int>(j.size()) != N) {
      Fail(pointer, fmt::format("expected an array of {} numbers", N));
    }
    Eigen::Matrix<double, N, 1> v;
    for (int i = 0; i < N; ++i) v[i] = Double(j[i], fmt::format("{}/{}", pointer, i));
    return v;
  }
  Eigen::Matrix3d Matrix3(const json& j, const std::string& pointer) const {
    if (!j.is_array() || j.size() != 3) Fail(pointer, "expected a 3x3 array");
    Eigen::Matrix3d m;
    for (int r = 0; r < 3; ++r) {
      m.row(r) = Vector<3>(j[r], fmt::format("{}/{}", pointer, r)).transpose();
    }
    return m;
  }
  void Rigid(const json& parent, const std::string& pointer, const std::string& key,
             Eigen::Matrix3d* r, Eigen::Vector3d* t) const {
    const std::string p = pointer + "/" + key;
    const json& j = At(parent, pointer, key);
    *r = Matrix3(At(j, p, "R"), p + "/R");
    if (!core::geometry::IsRotationMatrix(*r, 1e-6)) Fail(p + "/R", "is not a rotation matrix");
    *t = Vector<3>(At(j, p, "t"), p + "/t");
  }
  PointSet Points(const json& parent, const std::string& pointer, const std::string& key) const {
    const std::string p = pointer + "/" + key;
    const json& j = At(parent, pointer, key);
    PointSet s;
    const json& xy = At(j, p, "xy");
    const json& xyz = At(j, p, "xyz");
    if (!xy.is_array() || !xyz.is_array()) Fail(p, "xy and xyz must be arrays");
    for (size_t i = 0; i < xy.size(); ++i)
      s.xy.push_back(Vector<2>(xy[i], fmt::format("{}/xy/{}", p, i)));
    for (size_t i = 0; i < xyz.size(); ++i) {
      s.xyz.push_back(Vector<3>(xyz[i], fmt::format("{}/xyz/{}", p, i)));
    }
    auto flags = [&](const std::string& name) {
      const json& a = At(j, p, name);
      if (!a.is_array()) Fail(p + "/" + name, "expected an array");
      std::vector<std::uint8_t> out;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_number_integer() || (a[i] != 0 && a[i] != 1)) {
          Fail(fmt::format("{}/{}/{}", p, name, i), "expected 0 or 1");
        }
        out.push_back(static_cast<std::uint8_t>(a[i].get<int>()));
      }
      return out;
    };
    s.in_image = flags("in_image");
    s.visible = flags("visible");
    const json& v = At(j, p, "vertices");
    if (!v.is_array()) Fail(p + "/vertices", "expected an array");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number_integer())
        Fail(fmt::format("{}/vertices/{}", p, i), "expected an integer");
      s.vertices.push_back(v[i].get<int>());
    }
    const size_t n = s.xyz.size();
    if (s.xy.size() != n || s.in_image.size() != n || s.visible.size() != n ||
        s.vertices.size() != n) {
      Fail(p, fmt::format("xy ({}), xyz ({}), in_image ({}), visible ({}) and vertices ({}) must "
                          "have the same length",
                          s.xy.size(), n, s.in_image.size(), s.visible.size(), s.vertices.size()));
    }
    return s;
  }

 private:
  std::string origin_;
};

}  // namespace

void SampleLabels::SetCamFromHead(const core::geometry::Rigid3d& cam_from_head) {
  R = cam_from_head.RotationMatrix();
  t = cam_from_head.translation;
}

void SampleLabels::SetCamFromWorld(const core::geometry::Rigid3d& cam_from_world) {
  world_rotation = cam_from_world.RotationMatrix();
  world_translation = cam_from_world.translation;
}

int PointSet::NumVisible() const {
  int n = 0;
  for (std::uint8_t v : visible) n += v != 0;
  return n;
}

json ToJson(const SampleLabels& l) {
  json j;
  j["schema"] = l.schema;
  j["generator"] = l.generator;
  j["generator_version"] = l.generator_version;
  j["id"] = l.id;
  j["seed"] = {{"dataset", l.dataset_seed}, {"sample", l.sample_seed}};
  j["files"] = l.files;
  const auto& k = l.intrinsics;
  json cam = l.camera.is_object() ? l.camera : json::object();
  cam["intrinsics"] = {{"fx", k.fx}, {"fy", k.fy},       {"cx", k.cx},
                       {"cy", k.cy}, {"width", k.width}, {"height", k.height}};
  cam["K"] = Mat3(k.K());
  cam["preset"] = l.intrinsics_preset;
  cam["near_m"] = l.near_clip;
  cam["far_m"] = l.far_clip;
  cam["cam_from_world"] = RigidJson(l.world_rotation, l.world_translation);
  j["camera"] = cam;
  json pose = RigidJson(l.R, l.t);
  pose["yaw_rad"] = l.pose.yaw;
  pose["pitch_rad"] = l.pose.pitch;
  pose["roll_rad"] = l.pose.roll;
  pose["yaw_deg"] = RadToDeg(l.pose.yaw);
  pose["pitch_deg"] = RadToDeg(l.pose.pitch);
  pose["roll_deg"] = RadToDeg(l.pose.roll);
  pose["commanded"] = l.commanded_pose;
  j["head_pose"] = pose;
  j["landmarks_68"] = PointSetJson(l.landmarks68);
  json dense = PointSetJson(l.dense);
  dense["name"] = l.dense_name;
  j["dense_landmarks"] = dense;
  j["eyes"] = {{"left_xyz", Vec<3>(l.left_eye)}, {"right_xyz", Vec<3>(l.right_eye)}};
  j["neck_pivot_xyz"] = Vec<3>(l.neck_pivot);
  j["head"] = l.head;
  j["background"] = l.background;
  j["lighting"] = l.lighting;
  j["render"] = l.render;
  return j;
}

SampleLabels FromJson(const json& j, const std::string& origin) {
  Reader r(origin);
  SampleLabels l;
  if (!j.is_object()) r.Fail("", "expected a JSON object");
  l.schema = r.String(j, "", "schema");
  if (l.schema != kLabelSchema) {
    r.Fail("/schema",
           fmt::format("unsupported schema '{}' (expected '{}')", l.schema, kLabelSchema));
  }
  l.generator = r.String(j, "", "generator");
  l.generator_version = r.String(j, "", "generator_version");
  l.id = r.UInt(j, "", "id");
  const json seed = r.Object(j, "", "seed");
  l.dataset_seed = r.UInt(seed, "/seed", "dataset");
  l.sample_seed = r.UInt(seed, "/seed", "sample");
  const json files = r.Object(j, "", "files");
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (!it.value().is_string()) r.Fail("/files/" + it.key(), "expected a string");
    l.files[it.key()] = it.value().get<std::string>();
  }
  l.camera = r.Object(j, "", "camera");
  const json intr = r.Object(l.camera, "/camera", "intrinsics");
  l.intrinsics.fx = r.Double(intr, "/camera/intrinsics", "fx");
  l.intrinsics.fy = r.Double(intr, "/camera/intrinsics", "fy");
  l.intrinsics.cx = r.Double(intr, "/camera/intrinsics", "cx");
  l.intrinsics.cy = r.Double(intr, "/camera/intrinsics", "cy");
  l.intrinsics.width = static_cast<int>(r.Int(intr, "/camera/intrinsics", "width"));
  l.intrinsics.height = static_cast<int>(r.Int(intr, "/camera/intrinsics", "height"));
  try {
    l.intrinsics.Validate();
  } catch (const core::Error& e) {
    r.Fail("/camera/intrinsics", e.what());
  }
  l.intrinsics_preset = r.String(l.camera, "/camera", "preset");
  l.near_clip = r.Double(l.camera, "/camera", "near_m");
  l.far_clip = r.Double(l.camera, "/camera", "far_m");
  r.Rigid(l.camera, "/camera", "cam_from_world", &l.world_rotation, &l.world_translation);
  for (const char* derived : {"intrinsics", "K", "preset", "near_m", "far_m", "cam_from_world"}) {
    l.camera.erase(derived);  // kept in their own fields; ToJson writes them back
  }
  const json pose = r.Object(j, "", "head_pose");
  r.Rigid(j, "", "head_pose", &l.R, &l.t);
  l.pose.yaw = r.Double(pose, "/head_pose", "yaw_rad");
  l.pose.pitch = r.Double(pose, "/head_pose", "pitch_rad");
  l.pose.roll = r.Double(pose, "/head_pose", "roll_rad");
  l.commanded_pose = r.At(pose, "/head_pose", "commanded");
  l.landmarks68 = r.Points(j, "", "landmarks_68");
  if (l.landmarks68.size() != 68) r.Fail("/landmarks_68", "expected 68 landmarks");
  l.dense = r.Points(j, "", "dense_landmarks");
  l.dense_name = r.String(r.Object(j, "", "dense_landmarks"), "/dense_landmarks", "name");
  const json eyes = r.Object(j, "", "eyes");
  l.left_eye = r.Vector<3>(r.At(eyes, "/eyes", "left_xyz"), "/eyes/left_xyz");
  l.right_eye = r.Vector<3>(r.At(eyes, "/eyes", "right_xyz"), "/eyes/right_xyz");
  l.neck_pivot = r.Vector<3>(r.At(j, "", "neck_pivot_xyz"), "/neck_pivot_xyz");
  l.head = r.Object(j, "", "head");
  l.background = r.Object(j, "", "background");
  l.lighting = r.Object(j, "", "lighting");
  l.render = r.Object(j, "", "render");
  return l;
}

std::string ToText(const SampleLabels& labels) { return ToJson(labels).dump(1) + "\n"; }

void WriteSampleLabels(const std::filesystem::path& path, const SampleLabels& labels) {
  core::WriteFileAtomic(path, ToText(labels));
}

SampleLabels ReadSampleLabels(const std::filesystem::path& path) {
  const std::string text = core::ReadFile(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw core::MakeError("{}: malformed JSON at byte {}: {}", path.string(), e.byte, e.what());
  }
  return FromJson(j, path.string());
}

}  // namespace synface::synth::labels
