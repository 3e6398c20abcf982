#include "synth/scene/pose_sampling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::synth::scene {
namespace fs = std::filesystem;
using core::geometry::DegToRad;
using core::geometry::HeadPose;
using core::geometry::RadToDeg;

namespace {

nlohmann::json Matrix3ToJson(const Eigen::Matrix3d& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (int r = 0; r < 3; ++r) rows.push_back({m(r, 0), m(r, 1), m(r, 2)});
  return rows;
}

PoseCommand CommandFromRotation(const Eigen::Matrix3d& rotation, const std::string& source,
                                int64_t frame) {
  PoseCommand c;
  c.rotation = rotation;
  c.nominal = core::geometry::HeadPoseFromRotation(rotation);
  c.source = source;
  c.frame = frame;
  return c;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> fields;
  std::string cur;
  for (char c : line) {
    if (c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r') {
      if (!cur.empty()) fields.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) fields.push_back(cur);
  return fields;
}

bool ParseDouble(const std::string& s, double* out) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(v)) return false;
    *out = v;
    return true;
  } catch (...) {
    return false;
  }
}

std::vector<Eigen::Matrix3d> ReadCsvPoses(const fs::path& path) {
  const std::string text = core::ReadFile(path);
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  int col_yaw = 0, col_pitch = 1, col_roll = 2;
  bool header_seen = false, data_seen = false;
  std::vector<Eigen::Matrix3d> poses;
  while (std::getline(in, line)) {
    ++line_no;
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const std::vector<std::string> f = SplitFields(line);
    if (f.empty()) continue;
    std::vector<double> v(f.size());
    bool numeric = true;
    for (size_t i = 0; i < f.size(); ++i) numeric = numeric && ParseDouble(f[i], &v[i]);
    if (!numeric) {
      if (header_seen || data_seen) {
        throw core::MakeError("{}:{}: expected numbers (yaw, pitch, roll in degrees), got '{}'",
                              path.string(), line_no, line);
      }
      header_seen = true;
      col_yaw = col_pitch = col_roll = -1;
      for (size_t i = 0; i < f.size(); ++i) {
        const std::string name = Lower(f[i]);
        if (name == "yaw") col_yaw = static_cast<int>(i);
        if (name == "pitch") col_pitch = static_cast<int>(i);
        if (name == "roll") col_roll = static_cast<int>(i);
      }
      if (col_yaw < 0 || col_pitch < 0 || col_roll < 0) {
        throw core::MakeError(
            "{}:{}: header '{}' must name the columns yaw, pitch and roll (degrees)", path.string(),
            line_no, line);
      }
      continue;
    }
    const int needed = std::max({col_yaw, col_pitch, col_roll}) + 1;
    if (static_cast<int>(v.size()) < needed || (!header_seen && v.size() != 3)) {
      throw core::MakeError("{}:{}: expected {} values (yaw, pitch, roll in degrees), got {}",
                            path.string(), line_no, header_seen ? needed : 3, v.size());
    }
    data_seen = true;
    poses.push_back(core::geometry::RotationFromHeadPose(
        core::geometry::HeadPoseFromDegrees(v[col_yaw], v[col_pitch], v[col_roll])));
  }
  return poses;
}

std::vector<Eigen::Matrix3d> ReadBiwiPoses(const fs::path& path) {
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    for (const auto& entry : fs::recursive_directory_iterator(path)) {
      if (entry.is_regular_file() && EndsWith(entry.path().filename().string(), "_pose.txt")) {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      throw core::MakeError("{}: no BIWI pose files (*_pose.txt) in this folder", path.string());
    }
  } else {
    files.push_back(path);
  }
  std::vector<Eigen::Matrix3d> poses;
  poses.reserve(files.size());
  for (const fs::path& f : files) {
    const core::geometry::BiwiPose p = core::geometry::ReadBiwiPose(f);
    poses.push_back(core::geometry::NearestRotation(p.rotation));
  }
  return poses;
}

}  // namespace

nlohmann::json PoseCommand::ToJson() const {
  nlohmann::json j;
  j["source"] = source;
  j["frame"] = frame;
  j["R"] = Matrix3ToJson(rotation);
  j["yaw_deg"] = RadToDeg(nominal.yaw);
  j["pitch_deg"] = RadToDeg(nominal.pitch);
  j["roll_deg"] = RadToDeg(nominal.roll);
  if (has_bone_euler) {
    j["bone_euler_deg"] = {bone_euler_deg.x(), bone_euler_deg.y(), bone_euler_deg.z()};
  }
  return j;
}

PoseCommand SampleUniformPose(const UniformPoseRanges& ranges, core::data::Rng& rng) {
  HeadPose pose;
  pose.yaw = ranges.yaw.Sample(rng);
  pose.pitch = ranges.pitch.Sample(rng);
  pose.roll = ranges.roll.Sample(rng);
  PoseCommand c = CommandFromRotation(core::geometry::RotationFromHeadPose(pose), "uniform", -1);
  c.nominal = pose;  // exact draw (the decomposition returns the same angles within rounding)
  return c;
}

Eigen::Matrix3d RotationFromBoneEuler(const Eigen::Vector3d& bone_deg, const std::string& order) {
  Eigen::Matrix3d m = Eigen::Matrix3d::Identity();
  for (char axis : order) {
    switch (axis) {
      case 'X':
        m = m * core::geometry::RotationX(DegToRad(bone_deg.x()));
        break;
      case 'Y':
        m = m * core::geometry::RotationY(-DegToRad(bone_deg.y()));
        break;
      case 'Z':
        m = m * core::geometry::RotationZ(-DegToRad(bone_deg.z()));
        break;
      default:
        throw core::MakeError("RotationFromBoneEuler: bad axis '{}' in order '{}'", axis, order);
    }
  }
  return m;
}

std::vector<Eigen::Vector3d> C3iSynFaceKeyframes() {
  std::vector<Eigen::Vector3d> keys;
  keys.reserve(kC3iSynFaceKeyframeCount);
  for (int f = 1; f <= kC3iSynFaceKeyframeCount; ++f) {
    double y = 0, p = 0;
    if (f <= 10) {
      y = -3.0 * (f - 1);
    } else if (f <= 30) {
      y = -30.0 + 3.0 * (f - 11);
    } else if (f <= 50) {
      y = 27.0 - 3.0 * (f - 31);
      p = 20.0;
    } else {
      y = -27.0 + 3.0 * (f - 51);
      p = -20.0;
    }
    keys.emplace_back(p, y, 0.0);
  }
  return keys;
}

PoseCommand C3iSynFacePose(int64_t frame) {
  static const std::vector<Eigen::Vector3d> keys = C3iSynFaceKeyframes();
  if (frame < 0 || frame >= kC3iSynFaceKeyframeCount) {
    throw core::MakeError("C3I-SynFace keyframe {} out of range [0, {})", frame,
                          kC3iSynFaceKeyframeCount);
  }
  const Eigen::Vector3d& k = keys[static_cast<size_t>(frame)];
  PoseCommand c = CommandFromRotation(RotationFromBoneEuler(k, "YX"), "c3i_keyframes", frame);
  c.has_bone_euler = true;
  c.bone_euler_deg = k;
  return c;
}

std::vector<P1SweepFrame> P1SweepFrames() {
  std::vector<P1SweepFrame> frames;
  frames.reserve(kP1SweepFrameCount);
  auto add = [&](double x, double y, double z, double h) { frames.push_back({x, y, z, h}); };
  add(0, 0, 0, 0);  // frame 0: the calibrated rest pose
  // Yaw ramps with a random roll per frame: (pitch x, yaw step, count, roll half-range), first
  // the negative then the positive half unless `positive_first`.
  struct Block {
    double x, step;
    int count;
    double roll;
    bool positive_first;
  };
  const Block blocks[] = {
      {0, 4, 20, 8, false},     {-10, 3, 20, 10, false},   {10, 3, 20, 10, false},
      {20, 2.5, 30, 20, false}, {-20, 2.5, 30, 20, false}, {35, 3, 20, 30, true},
      {-35, 3, 20, 30, true},
  };
  for (const Block& b : blocks) {
    for (int half = 0; half < 2; ++half) {
      const double sign = (half == 0) == b.positive_first ? 1.0 : -1.0;
      for (int k = 1; k <= b.count; ++k) add(b.x, sign * b.step * (k + 1), 0, b.roll);
    }
  }
  for (int k = 0; k < 40; ++k) add(0, -2.0 * k, 0, 0);  // 321-360: 0 .. -78
  for (int k = 0; k < 60; ++k) add(0, 2.0 * k, 0, 0);   // 361-420: 0 .. +118
  auto level = [&](double x, int steps) {
    for (int j = 1; j <= steps; ++j) add(x, -2.0 * j, 0, 0);
    for (int j = 1; j <= steps; ++j) add(x, 2.0 * j, 0, 0);
  };
  for (int m = 1; m <= 25; ++m) level(-2.5 * m, 35);       // 421-2170: pitch up 2.5 .. 62.5
  for (int m = 1; m <= 15; ++m) level(2.5 * m, 35);        // 2171-3220: pitch down 2.5 .. 37.5
  for (double x : {40.0, 42.5, 45.0, 47.5}) level(x, 25);  // 3221-3420
  for (int j = 1; j <= 24; ++j) add(0, 0, -2.0 * j, 0);    // 3421-3444: roll ramp
  for (int j = 1; j <= 24; ++j) add(0, 0, 2.0 * j, 0);     // 3445-3468
  return frames;
}

PoseCommand P1SweepPose(int64_t frame, core::data::Rng& rng) {
  static const std::vector<P1SweepFrame> frames = P1SweepFrames();
  if (frame < 0 || frame >= kP1SweepFrameCount) {
    throw core::MakeError("P1 sweep frame {} out of range [0, {})", frame, kP1SweepFrameCount);
  }
  const P1SweepFrame& f = frames[static_cast<size_t>(frame)];
  const double u = rng.Uniform();
  const double z = f.roll_half_range_deg > 0 ? (2.0 * u - 1.0) * f.roll_half_range_deg : f.z_deg;
  const Eigen::Vector3d bone(f.x_deg, f.y_deg, z);
  PoseCommand c = CommandFromRotation(RotationFromBoneEuler(bone, "XZY"), "p1_sweep", frame);
  c.has_bone_euler = true;
  c.bone_euler_deg = bone;
  return c;
}

std::vector<Eigen::Matrix3d> ReadPoseSequence(const fs::path& path, const std::string& format) {
  if (!fs::exists(path)) {
    throw core::MakeError("{}: pose-sequence file or folder does not exist", path.string());
  }
  std::string f = format;
  if (f == "auto") {
    f = fs::is_directory(path) || EndsWith(path.filename().string(), "_pose.txt") ? "biwi" : "csv";
  }
  std::vector<Eigen::Matrix3d> poses;
  if (f == "csv") {
    if (fs::is_directory(path)) {
      throw core::MakeError("{}: is a folder, but format 'csv' needs a file", path.string());
    }
    poses = ReadCsvPoses(path);
  } else if (f == "biwi") {
    poses = ReadBiwiPoses(path);
  } else {
    throw core::MakeError("{}: unknown pose-sequence format '{}' (auto, csv, biwi)", path.string(),
                          format);
  }
  if (poses.empty()) throw core::MakeError("{}: the pose sequence holds no poses", path.string());
  return poses;
}

void DeclarePoseKeys(core::config::Schema& schema) {
  schema.Choice("pose.mode", {"uniform", "c3i_keyframes", "p1_sweep", "file"},
                std::string("uniform"),
                "uniform per-axis ranges, the authors' 70 C3I-SynFace keys, P1's 3469-frame "
                "sweep, or a pose-sequence file");
  DeclareRange(schema, "pose.yaw_deg", {-30, 30}, "uniform mode: yaw range, degrees");
  DeclareRange(schema, "pose.pitch_deg", {-30, 30}, "uniform mode: pitch range, degrees");
  DeclareRange(schema, "pose.roll_deg", {-30, 30}, "uniform mode: roll range, degrees");
  schema.Choice("pose.order", {"cycle", "random"}, std::string("cycle"),
                "sequences: frame = sample id mod length (cycle) or a uniform random frame");
  schema.Optional<std::string>("pose.file", "", "file mode: CSV (yaw,pitch,roll deg) or BIWI");
  schema.Choice("pose.format", {"auto", "csv", "biwi"}, std::string("auto"),
                "file mode: format of pose.file");
}

PoseConfig ReadPoseConfig(const core::config::Config& config) {
  PoseConfig c;
  c.mode = config.Get<std::string>("pose.mode");
  const double d = DegToRad(1.0);
  c.ranges.yaw = ReadRange(config, "pose.yaw_deg", -180, 180, d);
  c.ranges.pitch = ReadRange(config, "pose.pitch_deg", -180, 180, d);
  c.ranges.roll = ReadRange(config, "pose.roll_deg", -180, 180, d);
  c.order = config.Get<std::string>("pose.order");
  c.format = config.Get<std::string>("pose.format");
  const std::string file = config.Get<std::string>("pose.file");
  if (c.mode == "file") {
    if (file.empty())
      throw ConfigError(config, "pose.file", "must be set when pose.mode = \"file\"");
    c.file = core::ResolveUserPath(file);
    if (!fs::exists(c.file)) {
      throw ConfigError(config, "pose.file",
                        fmt::format("names '{}', which does not exist", c.file.string()));
    }
  } else if (!file.empty()) {
    c.file = core::ResolveUserPath(file);
  }
  return c;
}

PoseSampler::PoseSampler(PoseConfig config) : config_(std::move(config)) {
  if (config_.mode == "file") file_poses_ = ReadPoseSequence(config_.file, config_.format);
  if (config_.mode != "uniform" && config_.mode != "c3i_keyframes" && config_.mode != "p1_sweep" &&
      config_.mode != "file") {
    throw core::MakeError("pose.mode: unknown mode '{}'", config_.mode);
  }
}

int64_t PoseSampler::SequenceLength() const {
  if (config_.mode == "c3i_keyframes") return kC3iSynFaceKeyframeCount;
  if (config_.mode == "p1_sweep") return kP1SweepFrameCount;
  if (config_.mode == "file") return static_cast<int64_t>(file_poses_.size());
  return 0;
}

int64_t PoseSampler::Frame(uint64_t id, core::data::Rng& rng) const {
  const uint64_t n = static_cast<uint64_t>(SequenceLength());
  const uint64_t random_frame = rng.UniformInt(n);  // always drawn: the stream stays aligned
  return static_cast<int64_t>(config_.order == "random" ? random_frame : id % n);
}

PoseCommand PoseSampler::Sample(uint64_t id, core::data::Rng& rng) const {
  if (config_.mode == "uniform") return SampleUniformPose(config_.ranges, rng);
  const int64_t frame = Frame(id, rng);
  if (config_.mode == "c3i_keyframes") return C3iSynFacePose(frame);
  if (config_.mode == "p1_sweep") return P1SweepPose(frame, rng);
  return CommandFromRotation(file_poses_[static_cast<size_t>(frame)], "file", frame);
}

}  // namespace synface::synth::scene
