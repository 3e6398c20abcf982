// The ICT Face Model source (numbers from /work/shared/assets/ict-facekit/MANIFEST.md). Skipped,
// with the reason, when the model is not available.
#include "synth/heads/ict_face_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/io/mesh.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/heads/appearance.h"
#include "synth/heads/head_sources.h"

namespace synface::synth::heads {
namespace {

namespace fs = std::filesystem;
using Eigen::Vector3f;

#define SKIP_WITHOUT_ICT()                                                                 \
  if (!core::IctFacekitAvailable())                                                        \
  GTEST_SKIP() << "ICT Face Model missing: runfile ict_facekit/FaceXModel not found (put " \
                  "../shared/assets/ict-facekit next to the checkout or set $SYNFACE_ICT_FACEKIT)"

const IctFaceModel& Model() {
  static const IctFaceModel model = IctFaceModel::Load(core::IctFacekitRoot());
  return model;
}

Vector3f Landmark(const HeadInstance& h, int i) { return h.mesh.positions[h.landmark_vertices[i]]; }

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::Error& e) {
    return e.what();
  }
  return "";
}

TEST(IctFaceModel, LoadsTheModesAndExpressionsFoundOnDisk) {
  SKIP_WITHOUT_ICT();
  const IctFaceModel& m = Model();
  EXPECT_EQ(m.NumVertices(), 26719);
  EXPECT_EQ(m.NumIdentityModes(), 5);
  ASSERT_EQ(m.ExpressionNames().size(), 17u);
  // The upstream weight-vector order, restricted to the files present.
  EXPECT_EQ(m.ExpressionNames().front(), "browDown_L");
  EXPECT_EQ(m.ExpressionNames().back(), "mouthSmile_R");
  for (const char* name : {"jawOpen", "eyeBlink_L", "eyeBlink_R", "mouthSmile_L", "eyeWide_R"})
    EXPECT_TRUE(m.HasExpression(name)) << name;
  EXPECT_FALSE(m.HasExpression("cheekPuff_L"));  // listed in the JSON, absent on disk
  EXPECT_EQ(m.DenseVertices().size(), 520u);
  for (int v : m.DenseVertices()) EXPECT_LT(v, 6706);
}

TEST(IctFaceModel, NeutralHeadFrameIsTheEyeMidpointOfTheModel) {
  SKIP_WITHOUT_ICT();
  const HeadInstance h = Model().Instantiate({}, {});
  EXPECT_NO_THROW(ValidateHead(h));
  // Sphere fits to the scleras: (+-3.116, 3.602, 7.982) cm; their midpoint is the origin.
  EXPECT_NEAR(h.left_eye_centre.x(), 0.03116f, 2e-5f);
  EXPECT_NEAR(h.right_eye_centre.x(), -0.03116f, 2e-5f);
  EXPECT_LT(h.EyeMidpoint().norm(), 1e-6f);
  // Every vertex: head = diag(1, -1, -1) (ict - (0, 3.61, 7.99) cm), metres, within 0.2 mm.
  const auto ict = core::io::ReadObjPositions(Model().Folder() / "generic_neutral_mesh.obj", 0.01f);
  float worst = 0;
  for (size_t v = 0; v < ict.size(); v += 7) {
    const Vector3f expected(ict[v].x(), -(ict[v].y() - 0.0361f), -(ict[v].z() - 0.0799f));
    worst = std::max(worst, (h.mesh.positions[v] - expected).norm());
  }
  EXPECT_LT(worst, 2e-4f);
  // Nose tip (landmark 30; (0, 0.41, 13.07) cm in the model) in front, chin (8) below, the
  // subject's left eye (42-47) at +x.
  EXPECT_LT(Landmark(h, 30).z(), -0.045f);
  EXPECT_NEAR(Landmark(h, 30).y(), 0.032f, 5e-4f);
  EXPECT_GT(Landmark(h, 8).y(), 0.1f);
  for (int i = 42; i <= 47; ++i) EXPECT_GT(Landmark(h, i).x(), 0.01f) << i;
  for (int i = 36; i <= 41; ++i) EXPECT_LT(Landmark(h, i).x(), -0.01f) << i;
  EXPECT_NEAR((Landmark(h, 45) - Landmark(h, 36)).norm(), 0.089f, 0.001f);  // outer corners
  for (int v : h.landmark_vertices) EXPECT_EQ(h.neck_weight[v], 1.0f);
  // Gaze straight ahead (within the eyes' slight outward turn).
  EXPECT_GT(-h.left_gaze.z(), 0.98f);
  EXPECT_NEAR(h.iris_radius, 0.0057f, 0.0006f);
}

TEST(IctFaceModel, PartsAreClassifiedAndHelpersHidden) {
  SKIP_WITHOUT_ICT();
  const HeadInstance h = Model().Instantiate({}, {});
  std::map<std::string, PartClass> c;
  for (size_t p = 0; p < h.mesh.parts.size(); ++p) c[h.mesh.parts[p].name] = h.part_class[p];
  for (const char* name : {"lacrimal_fluid_left", "lacrimal_fluid_right", "eye_blend_left",
                           "eye_blend_right", "eye_occlusion_left", "eye_occlusion_right",
                           "cornea_left", "cornea_right", "eyelashes_left", "eyelashes_right"})
    EXPECT_EQ(c.at(name), PartClass::kHidden) << name;
  for (const char* name : {"face", "head_neck", "eye_socket_left", "eye_socket_right"})
    EXPECT_EQ(c.at(name), PartClass::kSkin) << name;
  for (const char* name : {"mouth_socket", "gums_tongue", "teeth"})
    EXPECT_EQ(c.at(name), PartClass::kTeethMouth) << name;
  for (const char* name : {"sclera_left", "iris_left", "sclera_right", "iris_right"})
    EXPECT_EQ(c.at(name), PartClass::kEyes) << name;
  // The renderable mesh drops exactly the hidden triangles.
  const RenderableHead r = WithoutHiddenParts(h);
  int hidden = 0;
  for (size_t p = 0; p < h.mesh.parts.size(); ++p)
    if (h.part_class[p] == PartClass::kHidden) hidden += h.mesh.parts[p].NumTriangles();
  EXPECT_EQ(r.mesh.NumTriangles() + hidden, h.mesh.NumTriangles());
  // Eyelashes on request.
  IctLoadOptions lashes;
  lashes.render_eyelashes = true;
  lashes.max_identity_modes = 1;
  lashes.expressions = {"jawOpen"};
  const IctFaceModel with = IctFaceModel::Load(core::IctFacekitRoot(), lashes);
  EXPECT_EQ(with.NumIdentityModes(), 1);
  const HeadInstance hl = with.Instantiate({}, {});
  for (size_t p = 0; p < hl.mesh.parts.size(); ++p)
    if (hl.mesh.parts[p].name.rfind("eyelashes", 0) == 0) {
      EXPECT_EQ(hl.part_class[p], PartClass::kHairOther);
    }
}

TEST(IctFaceModel, ExpressionsAndIdentitiesDeformTheMesh) {
  SKIP_WITHOUT_ICT();
  const IctFaceModel& m = Model();
  const HeadInstance n = m.Instantiate({}, {});
  const HeadInstance open = m.Instantiate({}, IctJawOpen(1.0f), "jaw");
  EXPECT_GT(Landmark(open, 8).y() - Landmark(n, 8).y(), 0.02f);       // chin down (+y)
  EXPECT_NEAR(Landmark(open, 30).y(), Landmark(n, 30).y(), 1e-3f);    // the nose barely moves
  EXPECT_GT(Landmark(open, 66).y() - Landmark(open, 62).y(), 0.01f);  // the lips part
  EXPECT_EQ(open.expression_label, "jaw");
  EXPECT_EQ(open.expression_weights.at("jawOpen"), 1.0f);
  const HeadInstance blink = m.Instantiate({}, IctBlink(1.0f));
  EXPECT_LT(Landmark(blink, 41).y() - Landmark(blink, 37).y(),
            Landmark(n, 41).y() - Landmark(n, 37).y());
  // The expression moves the eyelids, not the eyes: the head frame is the identity's.
  EXPECT_EQ(blink.left_eye_centre, n.left_eye_centre);

  const HeadInstance id = m.Instantiate({2.0f}, {});
  float moved = 0;
  for (int v = 0; v < n.mesh.NumVertices(); ++v)
    moved = std::max(moved, (id.mesh.positions[v] - n.mesh.positions[v]).norm());
  EXPECT_GT(moved, 0.01f);  // mode 0 moves up to 1.5 cm per unit
  EXPECT_EQ(id.identity_coefficients.size(), 5u);
  EXPECT_EQ(id.identity_coefficients[0], 2.0f);
  EXPECT_EQ(id.identity_names[4], "identity004");
  EXPECT_LT(id.EyeMidpoint().norm(), 1e-6f);  // re-fitted eyes: still the origin
  // Longer identity vectors (upstream's 200-value sample file) use the first modes.
  std::vector<float> long_identity(200, 0.0f);
  long_identity[0] = 2.0f;
  EXPECT_TRUE(m.Instantiate(long_identity, {}).mesh.positions == id.mesh.positions);

  const std::string error = ErrorOf([&] { m.Instantiate({}, {{"cheekPuff_L", 1.0f}}); });
  EXPECT_NE(error.find("cheekPuff_L"), std::string::npos);
  EXPECT_NE(error.find("jawOpen"), std::string::npos);  // lists what is available
  EXPECT_NE(ErrorOf([&] { m.Instantiate({}, {{"jawOpen", 5.0f}}); }), "");
}

TEST(IctFaceModel, PresetsUseOnlyLoadedShapesAndRandomDrawsAreValid) {
  SKIP_WITHOUT_ICT();
  const IctFaceModel& m = Model();
  const ExpressionWeights happy = m.Preset(Expression::kHappy);
  EXPECT_GT(happy.at("mouthSmile_L"), 0.5f);
  EXPECT_EQ(happy.count("cheekSquint_L"), 0u);  // upstream-only shape, dropped here
  EXPECT_GT(IctPresetWeights(Expression::kHappy).count("cheekSquint_L"), 0u);
  EXPECT_TRUE(m.Preset(Expression::kNeutral).empty());
  for (Expression e : kAllExpressions) EXPECT_NO_THROW(m.Instantiate({}, m.Preset(e)));
  core::data::Rng a(4), b(4);
  EXPECT_EQ(m.RandomExpression(a), m.RandomExpression(b));
  EXPECT_EQ(m.RandomIdentity(a), m.RandomIdentity(b));
  for (int i = 0; i < 20; ++i) {
    const ExpressionWeights w = m.RandomExpression(a);
    for (const auto& [name, value] : w) {
      EXPECT_TRUE(m.HasExpression(name)) << name;
      EXPECT_GE(value, 0.0f);
      EXPECT_LE(value, 1.0f);
    }
    for (float x : m.RandomIdentity(a, 1.0f, 3.0f)) EXPECT_LE(std::abs(x), 3.0f);
  }
}

TEST(IctFaceModel, PaintingAndPosing) {
  SKIP_WITHOUT_ICT();
  HeadInstance h = Model().Instantiate({}, {});
  core::data::Rng rng(1);
  const Appearance a = SampleAppearance(rng);
  ApplyAppearance(a, &h);
  // Lip region between the mouth corners, brows above the eyes.
  int lips = 0, brows = 0;
  for (int v = 0; v < h.mesh.NumVertices(); ++v) {
    if (h.regions.lips[v] > 0.5f) {
      ++lips;
      EXPECT_GT(h.mesh.positions[v].x(), Landmark(h, 48).x() - 0.003f);
      EXPECT_LT(h.mesh.positions[v].x(), Landmark(h, 54).x() + 0.003f);
    }
    if (h.regions.brows[v] > 0.5f) {
      ++brows;
      EXPECT_LT(h.mesh.positions[v].y(), 0.0f);
    }
  }
  EXPECT_GT(lips, 100);
  EXPECT_GT(brows, 50);
  const PosedHead posed = PoseAboutNeck(
      h, core::geometry::RotationFromHeadPose(core::geometry::HeadPoseFromDegrees(-20, 10, 5)));
  for (int v : h.landmark_vertices)
    EXPECT_LT((posed.positions[v].cast<double>() -
               posed.model_from_head * h.mesh.positions[v].cast<double>())
                  .norm(),
              1e-6);
}

TEST(IctFaceModel, ClearErrors) {
  SKIP_WITHOUT_ICT();
  const fs::path empty = fs::path(std::getenv("TEST_TMPDIR")) / "no_model";
  fs::create_directories(empty);
  EXPECT_NE(ErrorOf([&] { IctFaceModel::Load(empty); }).find("generic_neutral_mesh.obj"),
            std::string::npos);
  IctLoadOptions missing;
  missing.expressions = {"jawOpen", "mouthPucker"};
  EXPECT_NE(
      ErrorOf([&] { IctFaceModel::Load(core::IctFacekitRoot(), missing); }).find("mouthPucker"),
      std::string::npos);
  // A truncated shape file names itself.
  const fs::path copy = fs::path(std::getenv("TEST_TMPDIR")) / "short_model" / "FaceXModel";
  fs::create_directories(copy);
  for (const char* f :
       {"generic_neutral_mesh.obj", "vertex_indices.json", "ICTFaceModelMaterial.mtl"})
    fs::copy_file(Model().Folder() / f, copy / f, fs::copy_options::overwrite_existing);
  core::WriteFileAtomic(copy / "identity000.obj", "v 0 0 0\nv 1 1 1\n");
  EXPECT_NE(ErrorOf([&] { IctFaceModel::Load(copy.parent_path()); }).find("identity000.obj"),
            std::string::npos);
}

TEST(IctFaceModel, HeadSourceAutoPicksIct) {
  SKIP_WITHOUT_ICT();
  const HeadSource s = HeadSource::Open({});
  EXPECT_EQ(s.Name(), "ict");
  core::data::Rng rng = core::data::SampleRng(1, 2);
  const HeadInstance h = s.Sample(rng, "scared");
  EXPECT_EQ(h.source, "ict");
  EXPECT_EQ(h.expression_label, "scared");
  EXPECT_GT(h.expression_weights.at("eyeWide_L"), 0.5f);
}

}  // namespace
}  // namespace synface::synth::heads
