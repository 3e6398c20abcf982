// Head poses to command for a sample: uniform per-axis ranges, the authors' two keyframe sequences
// (C3I-SynFace's 70 keys and P1's 3469-frame sweep, ch2 digest section 4), and pose-sequence files
// (CSV yaw,pitch,roll degrees in our convention, or BIWI pose files).
//
// Frames. "World" is the neutral head frame: the head's own axes when it is frontal and upright
// before the camera (x image right = the subject's left, y down, z away from the camera), origin
// at the neutral eye midpoint. A PoseCommand's `rotation` is the world rotation the heads module
// applies to the whole head about its neck pivot. For the default frontal camera it is the
// cam_from_head rotation the command asks for; the label itself is always measured from the posed
// head (its actual eye-midpoint frame), never taken from the command (ch2 digest section 3-C4).
//
// The authors rotate the neck bone in its local axes (Blender). For an upright neck bone, bone
// X = world X (image right), bone Y = up, bone Z = X x Y = towards the camera; in our frame these
// are +x, -y and -z, so a bone rotation (x, y, z) in degrees maps to Rx(x), Ry(-y), Rz(-z).
// Consequently the authors' bone yaw y is our yaw -y and bone pitch x is our pitch -x (P1's label
// signs, ch2 digest section 3-C6).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/schema.h"
#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "synth/scene/config_util.h"

namespace synface::synth::scene {

struct PoseCommand {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();  // world rotation about the neck pivot
  core::geometry::HeadPose nominal;  // HeadPoseFromRotation(rotation): the command in our angles
  std::string source;                // "uniform", "c3i_keyframes", "p1_sweep", "file"
  int64_t frame = -1;                // index in the sequence; -1 for random draws
  // The authors' bone-local Euler angles (degrees, bone X, Y, Z) for their two sequences.
  bool has_bone_euler = false;
  Eigen::Vector3d bone_euler_deg = Eigen::Vector3d::Zero();

  nlohmann::json ToJson() const;
};

// ---- uniform ------------------------------------------------------------------------------
struct UniformPoseRanges {  // radians; thesis data set: +-30 deg on each axis (C10)
  Range yaw{-0.5235987755982988, 0.5235987755982988};
  Range pitch{-0.5235987755982988, 0.5235987755982988};
  Range roll{-0.5235987755982988, 0.5235987755982988};
};
// yaw, pitch, roll each uniform in its range (three draws, in that order); rotation =
// RotationFromHeadPose(yaw, pitch, roll), so for a frontal camera the label equals the draw.
PoseCommand SampleUniformPose(const UniformPoseRanges& ranges, core::data::Rng& rng);

// ---- the authors' sequences ----------------------------------------------------------------
// World rotation of a bone-local rotation sequence applied in `order` (post-multiplied, Blender's
// rotate-axis), e.g. "YX" = R0 Ry_bone(y) Rx_bone(x), mapped into our frame (header comment).
Eigen::Matrix3d RotationFromBoneEuler(const Eigen::Vector3d& bone_deg, const std::string& order);

// C3I-SynFace's 70 keys (repo sceneSetup_V1.py / sceneSetupComplex.py, digest section 4.2): bone
// yaw -30..+30 in 3-degree steps x bone pitch {0, +20, -20}, composed R0 Ry(y) Rx(p). Index k is
// the authors' frame k + 1: keys and renders use the same index set, so no frame is duplicated or
// skipped (digest C14). Their first two loops both sweep yaw 0 .. -27 at pitch 0, so the 70 keys
// hold 60 distinct poses, as the authors' data does. Returns (x = pitch, y = yaw, z = 0) degrees.
std::vector<Eigen::Vector3d> C3iSynFaceKeyframes();
inline constexpr int kC3iSynFaceKeyframeCount = 70;
PoseCommand C3iSynFacePose(int64_t frame);

// P1's continuous sweep (repo HeadPose/sceneSetup.py, digest section 4.4): 3469 frames (0 = the
// calibrated rest pose), each R0 Rx_bone(x) Rz_bone(z) Ry_bone(y) ("PRY"). Some blocks draw the
// roll z uniformly per frame: `roll_half_range_deg` > 0 marks them (z is then drawn from the
// sample's rng in [-h, h)).
struct P1SweepFrame {
  double x_deg = 0, y_deg = 0, z_deg = 0;
  double roll_half_range_deg = 0;
};
std::vector<P1SweepFrame> P1SweepFrames();
inline constexpr int kP1SweepFrameCount = 3469;
// One draw from `rng` (always, also for frames with a fixed roll).
PoseCommand P1SweepPose(int64_t frame, core::data::Rng& rng);

// ---- pose-sequence files --------------------------------------------------------------------
// "csv": one pose per line, "yaw,pitch,roll" in degrees in our convention (commas, semicolons or
// whitespace separate; '#' starts a comment; an optional header line naming the columns yaw,
// pitch and roll in any order). "biwi": a BIWI frame_XXXXX_pose.txt file, or a folder searched
// recursively for *_pose.txt (sorted by path); the stored matrix is our cam_from_head rotation.
// "auto": a folder or a *_pose.txt file is BIWI, anything else CSV.
// Throws core::Error naming the file (and line) for unreadable input or an empty sequence.
std::vector<Eigen::Matrix3d> ReadPoseSequence(const std::filesystem::path& path,
                                              const std::string& format = "auto");

// ---- configuration ------------------------------------------------------------------------
// [pose]
//   mode      "uniform" | "c3i_keyframes" | "p1_sweep" | "file"
//   yaw_deg, pitch_deg, roll_deg   [min, max] for "uniform" (default +-30)
//   order     "cycle" (frame = sample id mod length) | "random" (uniform frame) for sequences
//   file      pose-sequence file or folder for "file"; format "auto" | "csv" | "biwi"
void DeclarePoseKeys(core::config::Schema& schema);

struct PoseConfig {
  std::string mode = "uniform";
  UniformPoseRanges ranges;
  std::string order = "cycle";
  std::filesystem::path file;
  std::string format = "auto";
};
// Reads and checks the [pose] keys (a missing pose file is an error naming pose.file).
PoseConfig ReadPoseConfig(const core::config::Config& config);

class PoseSampler {
 public:
  // Loads the pose file for mode "file"; throws core::Error.
  explicit PoseSampler(PoseConfig config);
  // The command for sample `id`, drawing only from `rng` (pass the sample's "pose" sub-stream).
  PoseCommand Sample(uint64_t id, core::data::Rng& rng) const;
  // Number of frames of the sequence (0 for "uniform").
  int64_t SequenceLength() const;
  const PoseConfig& config() const { return config_; }

 private:
  int64_t Frame(uint64_t id, core::data::Rng& rng) const;
  PoseConfig config_;
  std::vector<Eigen::Matrix3d> file_poses_;
};

}  // namespace synface::synth::scene
