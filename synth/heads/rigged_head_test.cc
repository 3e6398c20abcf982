// Rigged models through Assimp, on Debian's assimp-testmodels (skipped when they are absent).
#include "synth/heads/rigged_head.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "core/geometry/head_pose.h"
#include "core/geometry/rotation.h"
#include "core/io/mesh.h"
#include "core/util/error.h"

namespace synface::synth::heads {
namespace {

namespace fs = std::filesystem;
using Eigen::Vector3f;
const fs::path kModels = "/usr/share/assimp/models";

#define SKIP_WITHOUT_MODELS()                         \
  if (!fs::exists(kModels / "X" / "BCN_Epileptic.X")) \
  GTEST_SKIP() << kModels << " is missing: install Debian's assimp-testmodels package"

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

Eigen::Matrix3d Pose(double yaw, double pitch, double roll) {
  return core::geometry::RotationFromHeadPose(
      core::geometry::HeadPoseFromDegrees(yaw, pitch, roll));
}

// Per vertex: the total weight of the bones at or below `node` in the hierarchy.
std::vector<float> SubtreeWeight(const core::io::Mesh& mesh, int node) {
  std::vector<float> w(mesh.positions.size(), 0.0f);
  for (const auto& bone : mesh.bones) {
    bool below = false;
    for (int n = bone.node; n >= 0 && !below; n = mesh.nodes[n].parent) below = n == node;
    if (below)
      for (const auto& vw : bone.weights) w[vw.vertex] += vw.weight;
  }
  return w;
}

// Checks that posing moves exactly the vertices the neck's bones influence, moves those fully
// influenced rigidly by the reported model_from_head, and that the eyes follow it.
void ExpectNeckPosing(const HeadInstance& h, const Eigen::Matrix3d& r) {
  ASSERT_TRUE(h.rig);
  const HeadRig& rig = *h.rig;
  const std::vector<float> influence = SubtreeWeight(rig.skin, rig.neck_node);
  const PosedHead posed = PoseAboutNeck(h, r);
  int moved_rigidly = 0, still = 0;
  for (int v = 0; v < h.mesh.NumVertices(); ++v) {
    const Vector3f& before = h.mesh.positions[v];
    const Vector3f& after = posed.positions[v];
    if (influence[v] < 1e-6f) {
      ASSERT_LT((after - before).norm(), 1e-5f) << "vertex " << v << " has no neck influence";
      ++still;
    } else if (influence[v] > 0.9999f) {
      const Eigen::Vector3d expected = posed.model_from_head * before.cast<double>();
      ASSERT_LT((after.cast<double>() - expected).norm(), 1e-4) << "vertex " << v;
      ++moved_rigidly;
    }
  }
  EXPECT_GT(moved_rigidly, 50);
  EXPECT_GT(still, 50);
  // The label is the eye-midpoint frame: the eyes went where model_from_head puts them.
  const PosedHead rest = PoseAboutNeck(h, Eigen::Matrix3d::Identity());
  EXPECT_LT(rest.model_from_head.translation.norm(), 1e-5);
  EXPECT_LT(core::geometry::GeodesicAngle(rest.model_from_head.RotationMatrix(),
                                          Eigen::Matrix3d::Identity()),
            1e-6);
  EXPECT_LT(core::geometry::GeodesicAngle(posed.model_from_head.RotationMatrix(), r), 1e-5);
}

TEST(RiggedHead, HumanRigTurnsThroughItsNeckBoneAndLabelsTheEyes) {
  SKIP_WITHOUT_MODELS();
  RiggedHeadOptions o;
  o.neck_bone = "B_Neck";
  o.head_bone = "B_Neck";
  const RiggedHead model = RiggedHead::Load(kModels / "X" / "BCN_Epileptic.X", o);
  EXPECT_TRUE(model.HasRig());
  EXPECT_NE(model.EyeSource().find("B_Eye_Left"), std::string::npos);
  const HeadInstance h = model.Instantiate({});
  EXPECT_NO_THROW(ValidateHead(h));
  // Head frame: eyes at +-x (the subject's left at +x), 7 cm apart, midpoint at the origin.
  EXPECT_LT(h.EyeMidpoint().norm(), 1e-5f);
  EXPECT_NEAR(h.left_eye_centre.x(), 0.035f, 0.002f);
  // The face looks along -z: the head's vertices in front of the eyes are few; the crown is up
  // (-y) and the body below (+y).
  float front = 1e9f, top = 1e9f, bottom = -1e9f;
  for (const auto& p : h.mesh.positions) {
    front = std::min(front, p.z());
    top = std::min(top, p.y());
    bottom = std::max(bottom, p.y());
  }
  EXPECT_LT(front, -0.015f);
  EXPECT_LT(top, -0.08f);
  EXPECT_GT(bottom, 1.0f);  // the feet
  // The neck pivot is the neck bone's origin: below and behind the eyes.
  EXPECT_GT(h.neck_pivot.y(), 0.05f);
  EXPECT_GT(h.neck_pivot.z(), 0.05f);
  ExpectNeckPosing(h, Pose(25, 0, 0));
  ExpectNeckPosing(h, Pose(-10, 20, 15));
  // +yaw turns the face to image left (-x) about the neck.
  const PosedHead yawed = PoseAboutNeck(h, Pose(30, 0, 0));
  int nose = -1;
  for (int v = 0; v < h.mesh.NumVertices(); ++v) {
    const Vector3f& p = h.mesh.positions[v];
    if (std::abs(p.x()) < 0.03f && std::abs(p.y()) < 0.08f &&
        (nose < 0 || p.z() < h.mesh.positions[nose].z()))
      nose = v;
  }
  ASSERT_GE(nose, 0);
  EXPECT_LT(h.mesh.positions[nose].z(), -0.015f);
  EXPECT_LT(yawed.positions[nose].x() - yawed.model_from_head.translation.x(), -0.01);
}

TEST(RiggedHead, AnyNamedBonesWork) {
  SKIP_WITHOUT_MODELS();
  // A bar with two bone chains: "neck" and "head" bones mid-chain, two bones further down the
  // chain stand in for the eyes.
  RiggedHeadOptions o;
  o.neck_bone = "Bone.009";
  o.head_bone = "Bone.010";
  o.left_eye = "^Bone\\.013$";
  o.right_eye = "^Bone\\.012$";
  const RiggedHead model = RiggedHead::Load(kModels / "FBX" / "animation_with_skeleton.fbx", o);
  EXPECT_NE(model.EyeSource().find("Bone.013"), std::string::npos);
  const HeadInstance h = model.Instantiate({});
  ExpectNeckPosing(h, Pose(0, 0, 30));
  ExpectNeckPosing(h, Pose(20, -15, 0));
  // Eyes swapped: refused, naming the problem.
  std::swap(o.left_eye, o.right_eye);
  EXPECT_NE(ErrorOf([&] {
              RiggedHead::Load(kModels / "FBX" / "animation_with_skeleton.fbx", o);
            }).find("subject's left"),
            std::string::npos);
}

TEST(RiggedHead, StaticModelWithOneEyeMeshIsPosedByNeckWeights) {
  SKIP_WITHOUT_MODELS();
  const RiggedHead model = RiggedHead::Load(kModels / "Collada" / "human.zae");
  EXPECT_FALSE(model.HasRig());
  EXPECT_NE(model.EyeSource().find("split"), std::string::npos);
  const HeadInstance h = model.Instantiate({});
  EXPECT_LT(h.EyeMidpoint().norm(), 1e-4f);
  EXPECT_NEAR(h.left_eye_centre.x() - h.right_eye_centre.x(), 0.062f, 0.01f);
  for (size_t p = 0; p < h.mesh.parts.size(); ++p)
    if (h.mesh.parts[p].name.find("eyes") != std::string::npos) {
      EXPECT_EQ(h.part_class[p], PartClass::kEyes);
    }
  const Eigen::Matrix3d r = Pose(30, 10, 0);
  const PosedHead posed = PoseAboutNeck(h, r);
  int feet = 0;
  for (int v = 0; v < h.mesh.NumVertices(); ++v) {
    if (h.mesh.positions[v].y() > 1.2f) {  // 1.2 m below the eyes
      ASSERT_EQ(posed.positions[v], h.mesh.positions[v]);
      ++feet;
    }
    if (h.neck_weight[v] == 1.0f) {
      ASSERT_LT((posed.positions[v].cast<double>() -
                 posed.model_from_head * h.mesh.positions[v].cast<double>())
                    .norm(),
                1e-5);
    }
  }
  EXPECT_GT(feet, 100);
}

TEST(RiggedHead, ErrorsNameWhatIsThere) {
  SKIP_WITHOUT_MODELS();
  RiggedHeadOptions o;
  o.neck_bone = "NoSuchNeck";
  const std::string neck = ErrorOf([&] { RiggedHead::Load(kModels / "X" / "BCN_Epileptic.X", o); });
  EXPECT_NE(neck.find("NoSuchNeck"), std::string::npos);
  EXPECT_NE(neck.find("B_Neck"), std::string::npos);  // lists the bones present
  RiggedHeadOptions no_eyes;
  no_eyes.left_eye = no_eyes.right_eye = no_eyes.eyes = "^nothing$";
  const std::string eyes =
      ErrorOf([&] { RiggedHead::Load(kModels / "Collada" / "human.zae", no_eyes); });
  EXPECT_NE(eyes.find("no eyes"), std::string::npos);
  EXPECT_NE(eyes.find("human-highpolyeyesMesh"), std::string::npos);  // lists the parts
  EXPECT_NE(ErrorOf([&] { RiggedHead::Load(kModels / "X" / "absent.X"); }).find("absent.X"),
            std::string::npos);
  RiggedHeadOptions bad_regex;
  bad_regex.left_eye = "(";
  EXPECT_NE(ErrorOf([&] {
              RiggedHead::Load(kModels / "Collada" / "human.zae", bad_regex);
            }).find("left_eye"),
            std::string::npos);
  const RiggedHead human = RiggedHead::Load(kModels / "Collada" / "human.zae");
  EXPECT_NE(ErrorOf([&] {
              human.Instantiate({{"smile", 1.0f}});
            }).find("no morph target 'smile'"),
            std::string::npos);
}

}  // namespace
}  // namespace synface::synth::heads
