// Rigged head (or full-body) models read through Assimp (FBX, glTF, Collada, X, ...: what
// iClone / Character Creator export), posed as the thesis does: the head is rotated through a
// named neck bone and the mesh re-skinned with linear blend skinning (core::io::SkinPositions);
// the head frame sits at the midpoint of the two eyeballs, found by name (ch2 digest §2.7, §3-C4,
// C8). Models without bones are posed with the rigless neck weights of head.h.
//
// The head frame of a model: origin = eye midpoint, x = from the right to the left eyeball, y =
// -up (orthogonalised), z = x cross y. A model's neutral pose is therefore frontal by definition
// when `up` is right (the calibration step of the thesis, §3-C13, is built in).
#pragma once

#include <Eigen/Core>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "synth/heads/head.h"

namespace synface::synth::heads {

// Part classification: the first rule whose pattern (ECMAScript regex, case-insensitive) is found
// in "<part name> <material name>" decides; unmatched parts are skin.
struct PartRule {
  std::string pattern;
  PartClass part_class = PartClass::kSkin;
  Tissue tissue = Tissue::kSkin;
};
// Helper overlays hidden (occlusion, tear line, lacrimal, eye blend / shadow), then eyes
// (eye, cornea, iris, sclera, pupil), teeth and mouth (teeth, tooth, tongue, gum, mouth), hair
// (hair, beard, moustache), eyebrows, eyelashes, clothing and accessories (cloth, shirt, hat,
// glasses -> hair_other).
std::vector<PartRule> DefaultPartRules();

struct RiggedHeadOptions {
  // Bones, matched exactly or as a suffix after ':', '_', '|', '.' or ' ' (case-insensitive), so
  // "NeckTwist01" finds "CC_Base_NeckTwist01" and "Head" finds "mixamorig:Head".
  std::string neck_bone = "NeckTwist01";  // rotated to pose the head (Character Creator rigs)
  std::string head_bone = "Head";         // carries the eyes; its rotation is the label's (if
                                          // absent: the neck bone)
  // Eyes (regexes, case-insensitive), tried in order: parts (by part or material name) for
  // `left_eye` and `right_eye` (sphere fit to their vertices); bones of those names (their
  // origins); one part holding both eyes (`eyes`), split into left and right by the `up` and
  // `forward` axes. Names matching `eye_exclude` are never eyes.
  std::string left_eye =
      "(^|[^a-z])(l|left)[_. -]*eye($|[^a-z])|eye(ball)?[_. -]*(l|left)($|[^a-z])";
  std::string right_eye =
      "(^|[^a-z])(r|right)[_. -]*eye($|[^a-z])|eye(ball)?[_. -]*(r|right)($|[^a-z])";
  std::string eyes = "eye";
  std::string eye_exclude = "occlusion|tear|lash|brow|lid|socket|blend|lacrimal|wet|shadow";
  std::optional<float> scale_to_metres;  // file units -> metres (default: what the file declares)
  // The model's up and forward (face) directions in file coordinates (glTF, FBX and Collada
  // exports face +Z with +Y up).
  Eigen::Vector3f up = Eigen::Vector3f::UnitY();
  Eigen::Vector3f forward = Eigen::Vector3f::UnitZ();
  std::vector<PartRule> part_rules = DefaultPartRules();
  std::vector<int> landmark_vertices;  // 68 vertex indices (Assimp's numbering), or empty
  std::vector<int> dense_vertices;
};

class RiggedHead {
 public:
  // Throws core::Error naming the file and, when an eye or bone is not found, the part,
  // material and bone names present.
  static RiggedHead Load(const std::filesystem::path& path, const RiggedHeadOptions& options = {});

  // The model at its file pose in its head frame, with `morphs` (morph target name -> weight)
  // applied before skinning; an unknown name throws, listing the model's morph targets.
  HeadInstance Instantiate(const ExpressionWeights& morphs) const;

  bool HasRig() const { return neutral_.rig != nullptr; }
  const std::vector<std::string>& MorphTargetNames() const { return morph_names_; }
  // How the eyes were found, e.g. "bones 'B_Eye_Left' / 'B_Eye_Right'".
  const std::string& EyeSource() const { return eye_source_; }
  // head_from_file: file coordinates (after scaling to metres) -> head frame.
  const core::geometry::Rigid3d& HeadFromFile() const { return head_from_file_; }

 private:
  HeadInstance neutral_;
  core::io::Mesh bind_;  // head frame: bind positions, bones, nodes, morph targets
  std::vector<std::string> morph_names_;
  std::string eye_source_;
  core::geometry::Rigid3d head_from_file_;
};

}  // namespace synface::synth::heads
