// The per-sample label record of a synth dataset, NNNNNN.json: everything a reader needs to use a
// sample (pose, intrinsics, landmarks with visibility, what was drawn) in one JSON object, and the
// C++ struct readers load it into. Depends only on core/geometry and nlohmann json, so readers in
// other chapters can use it without pulling in the generator.
//
// Conventions (docs/conventions.md): camera frame OpenCV (x right, y down, z forward), metres;
// 2D points in pixels with pixel (i, j) covering [i, i+1) x [j, j+1) (centre i + 0.5, j + 0.5);
// head pose = cam_from_head (R: head -> camera, t: eye midpoint in camera coordinates), angles
// yaw/pitch/roll with R = Rx(-pitch) Ry(yaw) Rz(roll); depth planar z, 0 = no surface.
// "World" is the neutral head frame (the head's frame before it is rotated about its neck).
// synth/README.md lists every field.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/geometry/camera.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/rigid.h"

namespace synface::synth::labels {

inline constexpr char kLabelSchema[] = "synface.synth.sample/1";

// A set of labelled points: 2D pixels, 3D camera-frame metres, flags, and the mesh vertices they
// come from (-1: the head model has no such landmark; its other fields are then NaN / 0).
struct PointSet {
  std::vector<Eigen::Vector2d> xy;
  std::vector<Eigen::Vector3d> xyz;
  // inside [0, w) x [0, h) and in front of the camera
  std::vector<std::uint8_t> in_image;
  // in the image, between the clip planes, and not hidden by any rendered surface (the
  // renderer's visibility query along the ray from the camera centre)
  std::vector<std::uint8_t> visible;
  std::vector<int> vertices;

  size_t size() const { return xyz.size(); }
  int NumVisible() const;
};

struct SampleLabels {
  std::string schema = kLabelSchema;
  std::string generator = "synth";
  std::string generator_version;
  uint64_t id = 0;
  uint64_t dataset_seed = 0;
  uint64_t sample_seed = 0;                  // core::data::SampleSeed(dataset_seed, id)
  std::map<std::string, std::string> files;  // "rgb", "depth", "mask", "labels" -> file name

  // Camera.
  core::geometry::Intrinsics intrinsics;
  std::string intrinsics_preset;
  double near_clip = 0.01, far_clip = 5.0;
  // cam_from_world as stored (rotation matrix and translation; kept as matrices so that a record
  // reads back bit-exactly); CamFromWorld() gives the Rigid3d.
  Eigen::Matrix3d world_rotation = Eigen::Matrix3d::Identity();
  Eigen::Vector3d world_translation = Eigen::Vector3d::Zero();
  nlohmann::json camera = nlohmann::json::object();  // placement: mode, distance, angles, ...

  // Head pose: the label, measured from the posed head's eye-midpoint frame.
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();  // rotation of cam_from_head
  Eigen::Vector3d t = Eigen::Vector3d::Zero();      // eye midpoint in camera coordinates, metres
  core::geometry::HeadPose pose;                    // HeadPoseFromRotation(cam_from_head)
  nlohmann::json commanded_pose = nlohmann::json::object();  // what the pose sampler asked for

  // Points.
  PointSet landmarks68;  // the 68 Multi-PIE landmarks in iBUG order
  PointSet dense;        // the dense landmark subset
  std::string dense_name;
  Eigen::Vector3d left_eye = Eigen::Vector3d::Zero();  // eyeball centres, camera frame
  Eigen::Vector3d right_eye = Eigen::Vector3d::Zero();
  Eigen::Vector3d neck_pivot = Eigen::Vector3d::Zero();  // camera frame

  // What was drawn (free-form JSON objects; synth/README.md describes them).
  nlohmann::json head = nlohmann::json::object();        // source, subject, identity, expression,
                                                         // appearance
  nlohmann::json background = nlohmann::json::object();  // type and its parameters
  nlohmann::json lighting = nlohmann::json::object();    // lights and ambient
  nlohmann::json render = nlohmann::json::object();      // renderer settings and statistics

  core::geometry::Rigid3d CamFromHead() const { return core::geometry::Rigid3d(R, t); }
  core::geometry::Rigid3d CamFromWorld() const {
    return core::geometry::Rigid3d(world_rotation, world_translation);
  }
  void SetCamFromHead(const core::geometry::Rigid3d& cam_from_head);
  void SetCamFromWorld(const core::geometry::Rigid3d& cam_from_world);
};

// The record as JSON (fixed key order: nlohmann's sorted objects), and back. FromJson checks the
// schema string, every required field's presence and type, array lengths (xy/xyz/flags of a point
// set agree; R is 3x3 and a rotation), and throws core::Error "<origin>: <json pointer>:
// <problem>".
nlohmann::json ToJson(const SampleLabels& labels);
SampleLabels FromJson(const nlohmann::json& json, const std::string& origin);

// Serialised text (indented by one space per level, trailing newline): deterministic bytes.
std::string ToText(const SampleLabels& labels);
// Atomic write / read (errors name the path).
void WriteSampleLabels(const std::filesystem::path& path, const SampleLabels& labels);
SampleLabels ReadSampleLabels(const std::filesystem::path& path);

}  // namespace synface::synth::labels
