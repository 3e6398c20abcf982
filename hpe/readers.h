// Readers of every head-pose dataset the chapter uses, each producing PoseRecords (pose in the
// synface convention through core/geometry's converters, plus the face-crop rule):
//
//   synth      a synface dataset folder (core/data contract: dataset.toml, manifest.csv,
//              samples/NNNNNN.rgb.png + NNNNNN.json). Pose from the label's rotation matrix R
//              (cam_from_head); crop from the 68 rendered 2D landmarks (FSA-Net landmark rule) or,
//              without landmarks, from the projected head origin.
//   BIWI       <root>/<NN>/frame_XXXXX_rgb.png + frame_XXXXX_pose.txt, <root>/<NN>/rgb.cal. Pose by
//              FSA-Net's conversion (core/geometry HeadPoseFromBiwi); crop from the head centre
//              projected into the RGB camera (FSA-Net's BIWI margin 0.4 around a head-sized box).
//   300W-LP,   <dir>/<name>.jpg + <name>.mat with Pose_Para (1x7: pitch, yaw, roll rad, ...) and
//   AFLW2000   pt2d (2x68), read with libmatio; crop from pt2d with FSA-Net's margin 0.6.
//   CSV        `path,yaw,pitch,roll[,x0,y0,x1,y1]`, degrees in the synface convention, paths
//              relative to the CSV's folder, optional header; the face box, when given, with the
//              detection margin (default 0.4); without it the image is taken whole.
// Every reader throws core::Error naming the file (and line or field) of any bad input.
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hpe/pose_data.h"

namespace synface::hpe {

// ---- synface datasets
// ----------------------------------------------------------------------------

struct SynthReadOptions {
  // JSON pointers tried in order for each field; the first present one is used. The first of
  // each is synth's label field (synth/labels, synth/README.md): head_pose.R / .t,
  // landmarks_68.xy, camera.K, head.subject; the others read older or foreign layouts.
  std::vector<std::string> rotation_keys = {"/head_pose/R", "/pose/R", "/cam_from_head/R", "/R"};
  std::vector<std::string> landmark_keys = {"/landmarks_68/xy", "/landmarks_2d",
                                            "/landmarks/points_2d", "/landmarks/2d",
                                            "/landmarks68_2d"};
  std::vector<std::string> translation_keys = {"/head_pose/t", "/pose/t", "/cam_from_head/t", "/t"};
  std::vector<std::string> intrinsics_keys = {"/camera/K", "/intrinsics", "/camera/intrinsics",
                                              "/K"};
  std::vector<std::string> group_keys = {"/head/subject", "/identity", "/identity_id", "/subject"};
  // Empty: synth's RGB file, whichever format the dataset wrote (rgb.png, else rgb.jpg).
  std::string image_suffix;
  std::string label_suffix = "json";
  double landmark_margin = kLandmarkMargin;
  // Without landmarks: a square of 2 x head_half_size_m around the projected head origin.
  double head_half_size_m = 0.1;
  double box_margin = kDetectionMargin;
  bool allow_incomplete = false;  // datasets not yet finalized complete
};

// One label file's content as the reader needs it.
struct SynthLabel {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();  // cam_from_head
  std::vector<Eigen::Vector2d> landmarks;                  // may be empty
  std::optional<Eigen::Vector3d> translation;              // metres, camera frame
  std::optional<Eigen::Matrix3d> intrinsics;               // K
  int group = 0;
};

// Parses one per-sample JSON label; `source` names it in errors.
SynthLabel ParseSynthLabel(std::string_view json_text, const std::string& source,
                           const SynthReadOptions& options = {});

std::vector<PoseRecord> ReadSynthDataset(const std::filesystem::path& dir,
                                         const SynthReadOptions& options = {});

// ---- BIWI Kinect Head Pose -------------------------------------------------------------------

// rgb.cal / depth.cal: K (3 lines), distortion (1 line, 4 values), R (3 lines), T (1 line, mm),
// image width and height; blank lines between blocks. R, T map depth-camera coordinates to this
// camera's: p_rgb = R p_depth + T (mm).
struct BiwiCalibration {
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();
  Eigen::Vector4d distortion = Eigen::Vector4d::Zero();
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();
  Eigen::Vector3d T_mm = Eigen::Vector3d::Zero();
  int width = 0, height = 0;
};

BiwiCalibration ParseBiwiCalibration(std::string_view text, const std::string& source);

struct BiwiReadOptions {
  // Half the side of the head-sized square around the projected head centre (metres); BIWI faces
  // are about 90 x 110 px at ~1 m (f = 517 px), which a 0.09 m half size reproduces.
  double head_half_size_m = 0.09;
  double margin = kDetectionMargin;
  // Sequences to read (1..24); empty = every numbered sub-folder.
  std::vector<int> sequences;
};

// The face box (x, y, w, h) of a frame: the head centre (depth camera, metres) taken into the RGB
// camera and projected with K; side = 2 f half_size / z.
Eigen::Vector4d BiwiHeadBox(const Eigen::Vector3d& head_centre_depth_m, const BiwiCalibration& rgb,
                            double head_half_size_m);

// `root` is the hpdb folder holding 01..24, or one sequence folder.
std::vector<PoseRecord> ReadBiwi(const std::filesystem::path& root,
                                 const BiwiReadOptions& options = {});

// ---- 300W-LP / AFLW2000-3D (.mat via libmatio) -------------------------------------------------

struct MatPoseAnnotation {
  std::vector<double> pose_para;         // 7 values
  std::vector<Eigen::Vector2d> pt2d;     // 68 points (may be empty for files without pt2d)
  std::vector<Eigen::Vector3d> pt3d_68;  // AFLW2000-3D only
};

// Reads Pose_Para (required), pt2d and pt3d_68 (optional) of any numeric class.
MatPoseAnnotation ReadPoseMat(const std::filesystem::path& path);

struct MatReadOptions {
  double margin = kLandmarkMargin;
  std::string image_extension = ".jpg";
};

// Every <name>.mat with a <name>.jpg in `dir` (not recursive), sorted by name.
std::vector<PoseRecord> ReadMatPoseFolder(const std::filesystem::path& dir,
                                          const MatReadOptions& options = {});
// 300W-LP: the sub-folders AFW, HELEN, IBUG, LFPW and their _Flip versions that exist under
// `root` (the `landmarks` folder holds no Pose_Para and is skipped). Throws when none exists.
std::vector<PoseRecord> Read300WLP(const std::filesystem::path& root,
                                   const MatReadOptions& options = {});

// ---- generic CSV -------------------------------------------------------------------------------

struct CsvReadOptions {
  double margin = kDetectionMargin;  // applied to the x0,y0,x1,y1 face box when present
};

std::vector<PoseRecord> ReadPoseCsv(const std::filesystem::path& csv_path,
                                    const CsvReadOptions& options = {});

}  // namespace synface::hpe
