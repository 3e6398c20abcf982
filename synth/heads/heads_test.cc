// The common head type, the procedural head and the appearance (no external files needed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/data/seed.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"
#include "synth/heads/appearance.h"
#include "synth/heads/head.h"
#include "synth/heads/head_sources.h"
#include "synth/heads/preview.h"
#include "synth/heads/procedural_head.h"

namespace synface::synth::heads {
namespace {

using core::geometry::DegToRad;
using core::geometry::HeadPoseFromDegrees;
using core::geometry::RotationFromHeadPose;
using Eigen::Vector3f;

// One shared neutral average head (a build is a few ms, but many tests use it).
const HeadInstance& MeanHead() {
  static const HeadInstance head = ProceduralHead::Build({});
  return head;
}

HeadInstance Build(const ProceduralIdentity& id, const ProceduralExpression& e = {}) {
  ProceduralHeadParams p;
  p.identity = id;
  p.expression = e;
  return ProceduralHead::Build(p);
}

Vector3f Landmark(const HeadInstance& h, int i) { return h.mesh.positions[h.landmark_vertices[i]]; }

// Signed volume of the triangles (positive for closed meshes whose triangles are CCW seen from
// outside).
double SignedVolume(const HeadInstance& h, const std::set<std::string>& parts) {
  double v = 0;
  for (const auto& part : h.mesh.parts) {
    if (!parts.count(part.name)) continue;
    for (int t = part.triangle_begin; t < part.triangle_end; ++t) {
      const auto& f = h.mesh.triangles[t];
      v += h.mesh.positions[f[0]].cast<double>().dot(
               h.mesh.positions[f[1]].cast<double>().cross(h.mesh.positions[f[2]].cast<double>())) /
           6.0;
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

TEST(HeadBasics, SphereFitRecoversCentreAndRadiusFromACap) {
  std::vector<Vector3f> points;
  const Vector3f centre(0.1f, -0.2f, 0.3f);
  for (int i = 0; i < 200; ++i) {
    // Only a 60-degree cap: a plain mean would be far off.
    const float a = 0.01f * i, b = 0.5f + 0.5f * std::sin(0.37f * i);
    const Vector3f d(std::sin(b) * std::cos(a * 7), std::sin(b) * std::sin(a * 7), std::cos(b));
    points.push_back(centre + 0.012f * d.normalized());
  }
  const Sphere s = FitSphere(points);
  EXPECT_LT((s.centre - centre).norm(), 1e-5f);
  EXPECT_NEAR(s.radius, 0.012f, 1e-5f);
  EXPECT_THROW(FitSphere({Vector3f::Zero(), Vector3f::UnitX(), Vector3f::UnitY()}), core::Error);
  std::vector<Vector3f> flat = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {2, 1, 0}};
  EXPECT_THROW(FitSphere(flat), core::Error);
}

TEST(HeadBasics, HeadFrameFromEyesOfAYUpModelFacingPlusZ) {
  // ICT-like axes: +Y up, face towards +Z, subject's left at +X.
  const auto head_from_model =
      HeadFrameFromEyes({0.03, 0.036, 0.08}, {-0.03, 0.036, 0.08}, Eigen::Vector3d::UnitY());
  EXPECT_LT((head_from_model * Eigen::Vector3d(0, 0.036, 0.08)).norm(), 1e-12);
  // The nose (in front, +Z) is at -z in the head frame; the chin (below) at +y; left eye at +x.
  EXPECT_LT((head_from_model * Eigen::Vector3d(0, 0.036, 0.13)).z(), 0);
  EXPECT_GT((head_from_model * Eigen::Vector3d(0, -0.07, 0.1)).y(), 0);
  EXPECT_GT((head_from_model * Eigen::Vector3d(0.03, 0.036, 0.08)).x(), 0);
  EXPECT_NEAR(head_from_model.RotationMatrix().determinant(), 1.0, 1e-12);
  EXPECT_THROW(HeadFrameFromEyes({0, 1, 0}, {0, 0, 0}, Eigen::Vector3d::UnitY()), core::Error);
}

TEST(HeadBasics, ExpressionNamesRoundTrip) {
  for (Expression e : kAllExpressions) EXPECT_EQ(ExpressionFromName(ExpressionName(e)), e);
  try {
    ExpressionFromName("smirk");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("scared"), std::string::npos);
  }
}

TEST(HeadBasics, FarthestPointSubsetIsEvenAndDeterministic) {
  std::vector<Vector3f> grid;
  std::vector<int> all;
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 30; ++j) {
      all.push_back(static_cast<int>(grid.size()));
      grid.emplace_back(0.001f * i, 0.001f * j, 0);
    }
  const auto a = FarthestPointSubset(grid, all, 9, 0);
  EXPECT_EQ(a, FarthestPointSubset(grid, all, 9, 0));
  ASSERT_EQ(a.size(), 9u);
  EXPECT_EQ(std::set<int>(a.begin(), a.end()).size(), 9u);
  // The first picks after the start are the far corners.
  EXPECT_TRUE(grid[a[1]].isApprox(Vector3f(0.029f, 0.029f, 0)));
}

// ---------------------------------------------------------------------------------------------
// Procedural head: construction.

TEST(ProceduralHead, SameParametersGiveIdenticalMeshes) {
  core::data::Rng a(17), b(17);
  const ProceduralIdentity ia = RandomProceduralIdentity(a), ib = RandomProceduralIdentity(b);
  const ProceduralExpression ea = RandomProceduralExpression(a), eb = RandomProceduralExpression(b);
  const HeadInstance ha = Build(ia, ea), hb = Build(ib, eb);
  ASSERT_EQ(ha.mesh.positions.size(), hb.mesh.positions.size());
  EXPECT_TRUE(ha.mesh.positions == hb.mesh.positions);
  EXPECT_TRUE(ha.mesh.triangles == hb.mesh.triangles);
  EXPECT_EQ(ha.landmark_vertices, hb.landmark_vertices);
  EXPECT_EQ(ha.identity_coefficients, hb.identity_coefficients);
  // Another seed: another head.
  core::data::Rng c(18);
  const HeadInstance hc = Build(RandomProceduralIdentity(c));
  EXPECT_FALSE(ha.mesh.positions == hc.mesh.positions);
}

TEST(ProceduralHead, ClosedConsistentlyOrientedMeshOfPlausibleSize) {
  const HeadInstance& h = MeanHead();
  EXPECT_NO_THROW(ValidateHead(h));
  EXPECT_GT(h.mesh.NumTriangles(), 20000);
  EXPECT_LT(h.mesh.NumTriangles(), 60000);
  // Every directed edge once, its reverse once: closed (watertight) and consistently oriented.
  std::map<std::pair<int, int>, int> edges;
  for (const auto& f : h.mesh.triangles)
    for (int k = 0; k < 3; ++k) ++edges[{f[k], f[(k + 1) % 3]}];
  int bad = 0;
  for (const auto& [e, n] : edges) bad += n != 1 || edges.count({e.second, e.first}) != 1;
  EXPECT_EQ(bad, 0);
  // Outward: each closed piece has a positive signed volume.
  EXPECT_GT(SignedVolume(h, {"skin", "eyebrows", "hair", "mouth_interior"}), 0.002);  // > 2 litres
  EXPECT_GT(SignedVolume(h, {"iris_left", "sclera_left"}), 0);
  EXPECT_GT(SignedVolume(h, {"iris_right", "sclera_right"}), 0);
  EXPECT_GT(SignedVolume(h, {"teeth_upper"}), 0);
  EXPECT_GT(SignedVolume(h, {"teeth_lower"}), 0);
  // Size: eye to crown ~11 cm, eye to chin ~11 cm, head ~15-19 cm wide with the ears.
  float top = 1e9f, width = 0;
  for (const auto& p : h.mesh.positions) {
    top = std::min(top, p.y());
    width = std::max(width, std::abs(p.x()));
  }
  EXPECT_NEAR(top, -0.11f, 0.015f);
  EXPECT_NEAR(Landmark(h, 8).y(), 0.112f, 0.012f);
  EXPECT_GT(2 * width, 0.15f);
  EXPECT_LT(2 * width, 0.21f);
}

TEST(ProceduralHead, PartsAndClasses) {
  const HeadInstance& h = MeanHead();
  std::map<std::string, PartClass> classes;
  for (size_t p = 0; p < h.mesh.parts.size(); ++p) classes[h.mesh.parts[p].name] = h.part_class[p];
  EXPECT_EQ(classes.at("skin"), PartClass::kSkin);
  EXPECT_EQ(classes.at("eyebrows"), PartClass::kHairOther);
  EXPECT_EQ(classes.at("hair"), PartClass::kHairOther);
  EXPECT_EQ(classes.at("mouth_interior"), PartClass::kTeethMouth);
  EXPECT_EQ(classes.at("teeth_upper"), PartClass::kTeethMouth);
  EXPECT_EQ(classes.at("iris_left"), PartClass::kEyes);
  EXPECT_EQ(classes.at("sclera_right"), PartClass::kEyes);
  for (const auto& part : h.mesh.parts) EXPECT_GT(part.NumTriangles(), 100) << part.name;
  ProceduralIdentity bald;
  bald.hair_style = 0;
  const HeadInstance b = Build(bald);
  for (const auto& part : b.mesh.parts) EXPECT_NE(part.name, "hair");
}

TEST(ProceduralHead, LandmarksSitWhereTheyBelong) {
  for (uint64_t seed : {0u, 1u, 2u}) {
    core::data::Rng rng(seed);
    const HeadInstance h = seed == 0 ? MeanHead() : Build(RandomProceduralIdentity(rng));
    ASSERT_TRUE(h.HasLandmarks());
    std::set<int> distinct(h.landmark_vertices.begin(), h.landmark_vertices.end());
    EXPECT_EQ(distinct.size(), 68u);
    const Vector3f eye_mid = h.EyeMidpoint();
    EXPECT_LT(eye_mid.norm(), 1e-6f);
    // Subject's right (image left) = -x, subject's left = +x.
    for (int i = 0; i <= 7; ++i) EXPECT_LT(Landmark(h, i).x(), 0) << i;
    for (int i = 9; i <= 16; ++i) EXPECT_GT(Landmark(h, i).x(), 0) << i;
    for (int i = 17; i <= 21; ++i) EXPECT_LT(Landmark(h, i).x(), 0) << i;
    for (int i = 22; i <= 26; ++i) EXPECT_GT(Landmark(h, i).x(), 0) << i;
    for (int i = 36; i <= 41; ++i) EXPECT_LT(Landmark(h, i).x(), 0) << i;
    for (int i = 42; i <= 47; ++i) EXPECT_GT(Landmark(h, i).x(), 0) << i;
    for (int i : {27, 28, 29, 30, 33, 51, 57, 62, 66, 8})
      EXPECT_NEAR(Landmark(h, i).x(), 0, 1e-4f) << i;
    // The jaw runs down to the chin and back up; the chin is the lowest contour point.
    for (int i = 0; i < 8; ++i) EXPECT_LT(Landmark(h, i).y(), Landmark(h, i + 1).y()) << i;
    for (int i = 8; i < 16; ++i) EXPECT_GT(Landmark(h, i).y(), Landmark(h, i + 1).y()) << i;
    // Brows above the eyes above the nose tip above the mouth above the chin (y down).
    EXPECT_LT(Landmark(h, 19).y(), Landmark(h, 37).y());
    EXPECT_LT(Landmark(h, 37).y(), Landmark(h, 41).y());
    EXPECT_LT(Landmark(h, 27).y(), Landmark(h, 30).y());
    EXPECT_LT(Landmark(h, 30).y(), Landmark(h, 33).y());
    EXPECT_LT(Landmark(h, 33).y(), Landmark(h, 51).y());
    EXPECT_LT(Landmark(h, 51).y(), Landmark(h, 62).y());
    EXPECT_LE(Landmark(h, 62).y(), Landmark(h, 66).y());
    EXPECT_LT(Landmark(h, 66).y(), Landmark(h, 57).y());
    EXPECT_LT(Landmark(h, 57).y(), Landmark(h, 8).y());
    // The nose tip is the most forward landmark (-z), well in front of the eyes.
    for (int i = 0; i < 68; ++i) EXPECT_LE(Landmark(h, 30).z(), Landmark(h, i).z()) << i;
    EXPECT_LT(Landmark(h, 30).z(), -0.04f);
    // Eye corners: outer corners wider than inner ones; eye landmarks hug the eye centres.
    EXPECT_LT(Landmark(h, 36).x(), Landmark(h, 39).x());
    EXPECT_LT(Landmark(h, 42).x(), Landmark(h, 45).x());
    for (int i = 36; i <= 47; ++i) {
      const Vector3f c = i < 42 ? h.right_eye_centre : h.left_eye_centre;
      EXPECT_LT((Landmark(h, i) - c).head<2>().norm(), 0.02f) << i;
    }
    EXPECT_LT(Landmark(h, 48).x(), Landmark(h, 54).x());
    // Everything the label needs moves rigidly with the head.
    for (int v : h.landmark_vertices) EXPECT_EQ(h.neck_weight[v], 1.0f);
    EXPECT_GE(h.dense_vertices.size(), 500u);
  }
}

TEST(ProceduralHead, IdentityParametersChangeTheShape) {
  const HeadInstance& mean = MeanHead();
  ProceduralIdentity id;
  id.nose_projection = 2;
  EXPECT_LT(Landmark(Build(id), 30).z(), Landmark(mean, 30).z() - 0.005f);
  id = {};
  id.jaw_width = 2;
  EXPECT_GT(std::abs(Landmark(Build(id), 4).x()), std::abs(Landmark(mean, 4).x()) + 0.003f);
  id = {};
  id.eye_spacing = 2;
  const HeadInstance wide = Build(id);
  EXPECT_GT(wide.left_eye_centre.x() - wide.right_eye_centre.x(),
            mean.left_eye_centre.x() - mean.right_eye_centre.x() + 0.004f);
  id = {};
  id.mouth_width = 2;
  const HeadInstance mouth = Build(id);
  EXPECT_GT(Landmark(mouth, 54).x() - Landmark(mouth, 48).x(),
            Landmark(mean, 54).x() - Landmark(mean, 48).x() + 0.004f);
  id = {};
  id.ear_protrusion = 2;
  float ear = 0, ear_mean = 0;
  for (const auto& p : Build(id).mesh.positions) ear = std::max(ear, p.x());
  for (const auto& p : mean.mesh.positions) ear_mean = std::max(ear_mean, p.x());
  EXPECT_GT(ear, ear_mean + 0.004f);
  id = {};
  id.skull_width = 9;
  EXPECT_THROW(Build(id), core::Error);
}

TEST(ProceduralHead, ExpressionsMoveTheRightParts) {
  const HeadInstance& n = MeanHead();
  ProceduralExpression e;
  e.jaw_open = 1;
  const HeadInstance open = Build({}, e);
  EXPECT_GT(Landmark(open, 8).y(), Landmark(n, 8).y() + 0.025f);       // chin drops ~4 cm
  EXPECT_GT(Landmark(open, 66).y() - Landmark(open, 62).y(), 0.015f);  // lips part
  EXPECT_NEAR(Landmark(open, 51).y(), Landmark(n, 51).y(), 0.002f);    // upper lip stays
  EXPECT_NEAR(Landmark(open, 30).y(), Landmark(n, 30).y(), 1e-6f);     // nose untouched
  e = {};
  e.smile = 1;
  const HeadInstance smile = Build({}, e);
  EXPECT_LT(Landmark(smile, 48).y(), Landmark(n, 48).y() - 0.003f);  // corners up
  EXPECT_LT(Landmark(smile, 48).x(), Landmark(n, 48).x());           // and out
  e = {};
  e.brow_raise = 1;
  EXPECT_LT(Landmark(Build({}, e), 19).y(), Landmark(n, 19).y() - 0.004f);
  e = {};
  e.eye_close_left = e.eye_close_right = 1;
  const HeadInstance closed = Build({}, e);
  EXPECT_GT(Landmark(n, 41).y() - Landmark(n, 37).y(), 0.006f);
  EXPECT_LT(Landmark(closed, 41).y() - Landmark(closed, 37).y(), 0.0035f);
  // The head frame does not depend on the expression.
  EXPECT_EQ(closed.left_eye_centre, n.left_eye_centre);
  e = {};
  e.jaw_open = 1.5f;
  EXPECT_THROW(Build({}, e), core::Error);
}

TEST(ProceduralHead, PresetsAndRandomDraws) {
  EXPECT_GT(ProceduralExpressionPreset(Expression::kHappy).smile, 0.5f);
  EXPECT_LT(ProceduralExpressionPreset(Expression::kSad).smile, 0);
  EXPECT_LT(ProceduralExpressionPreset(Expression::kAngry).brow_raise, -0.5f);
  EXPECT_GT(ProceduralExpressionPreset(Expression::kScared).jaw_open, 0.1f);
  const auto neutral = ExpressionControls(ProceduralExpressionPreset(Expression::kNeutral));
  for (const auto& [name, value] : neutral) EXPECT_EQ(value, 0) << name;
  // Random draws are valid parameters (Build accepts them) and cover the presets.
  core::data::Rng rng(3);
  std::set<Expression> bases;
  for (int i = 0; i < 40; ++i) {
    Expression base;
    ProceduralHeadParams p;
    p.identity = RandomProceduralIdentity(rng);
    p.expression = RandomProceduralExpression(rng, &base);
    bases.insert(base);
    if (i < 4) {
      EXPECT_NO_THROW(ProceduralHead::Build(p));
    }
  }
  EXPECT_EQ(bases.size(), 5u);
}

// ---------------------------------------------------------------------------------------------
// Posing about the neck (rigless).

TEST(Posing, RotationAboutTheNeckMovesTheHeadRigidlyAndLabelsTheEyeFrame) {
  const HeadInstance& h = MeanHead();
  const Eigen::Matrix3d r = RotationFromHeadPose(HeadPoseFromDegrees(30, 20, -10));
  const PosedHead posed = PoseAboutNeck(h, r);
  EXPECT_LT(core::geometry::GeodesicAngle(posed.model_from_head.RotationMatrix(), r), 1e-9);
  // The eye midpoint moves (rotation about the neck, not about the eyes) ...
  EXPECT_GT(posed.model_from_head.translation.norm(), 0.02);
  int rigid = 0, fixed = 0;
  for (int v = 0; v < h.mesh.NumVertices(); ++v) {
    const Eigen::Vector3d expected = posed.model_from_head * h.mesh.positions[v].cast<double>();
    if (h.neck_weight[v] == 1.0f) {
      ASSERT_LT((posed.positions[v].cast<double>() - expected).norm(), 1e-6) << v;
      ++rigid;
    } else if (h.neck_weight[v] == 0.0f) {
      ASSERT_EQ(posed.positions[v], h.mesh.positions[v]) << v;
      ++fixed;
    }
  }
  EXPECT_GT(rigid, h.mesh.NumVertices() / 2);
  EXPECT_GT(fixed, 100);  // the neck base stays with the torso
  // ... and the labelled frame is where the eyes went.
  const Eigen::Vector3d eyes = 0.5 * (posed.model_from_head * h.left_eye_centre.cast<double>() +
                                      posed.model_from_head * h.right_eye_centre.cast<double>());
  EXPECT_LT((eyes - posed.model_from_head.translation).norm(), 1e-9);
  // Identity: nothing moves.
  const PosedHead same = PoseAboutNeck(h, Eigen::Matrix3d::Identity());
  EXPECT_TRUE(same.positions == h.mesh.positions);
  EXPECT_LT(same.model_from_head.translation.norm(), 1e-12);
}

TEST(Posing, PositiveYawTurnsTheNoseTowardsImageLeftAndPitchLiftsIt) {
  const HeadInstance& h = MeanHead();
  const int nose = h.landmark_vertices[30];
  const auto yawed = PoseAboutNeck(h, RotationFromHeadPose(HeadPoseFromDegrees(30, 0, 0)));
  const Vector3f rel = yawed.positions[nose] - yawed.model_from_head.translation.cast<float>();
  EXPECT_LT(rel.x(), -0.02f);  // camera x = image right: the nose went to image left
  const auto pitched = PoseAboutNeck(h, RotationFromHeadPose(HeadPoseFromDegrees(0, 25, 0)));
  const Vector3f up = pitched.positions[nose] - pitched.model_from_head.translation.cast<float>();
  EXPECT_LT(up.y(), h.mesh.positions[nose].y() - 0.01f);  // y down: the nose rose
}

TEST(Posing, FrontalCameraSeesTheFaceAndTellsLeftFromRight) {
  const HeadInstance& h = MeanHead();
  const PosedHead rest = PoseAboutNeck(h, Eigen::Matrix3d::Identity());
  PreviewOptions o;
  o.width = o.height = 200;
  const PreviewBuffers front = RasterisePreview(h, rest, o);
  std::map<int, int> counts;
  for (int y = 0; y < front.labels.rows; ++y)
    for (int x = 0; x < front.labels.cols; ++x) ++counts[front.labels.at<std::uint8_t>(y, x)];
  EXPECT_GT(counts[static_cast<int>(PartClass::kSkin)], 5000);
  EXPECT_GT(counts[static_cast<int>(PartClass::kEyes)], 10);
  EXPECT_GT(counts[static_cast<int>(PartClass::kHairOther)], 100);
  EXPECT_GT(counts[kMaskBackground], 5000);
  // The nose tip is the nearest point of the face at the image centre column.
  const float focal = static_cast<float>(o.height * o.distance / o.view_height);
  const Vector3f tip = Landmark(h, 30) + Vector3f(0, 0, static_cast<float>(o.distance));
  const int u = static_cast<int>(focal * tip.x() / tip.z() + 100),
            v = static_cast<int>(focal * tip.y() / tip.z() + 100);
  EXPECT_NEAR(front.depth.at<float>(v, u), tip.z(), 0.002f);
  // Seen from behind the face is hidden: no eyes.
  o.yaw = DegToRad(180);
  const PreviewBuffers back = RasterisePreview(h, rest, o);
  EXPECT_EQ(cv::countNonZero(back.labels == static_cast<int>(PartClass::kEyes)), 0);
}

TEST(Posing, WithoutHiddenPartsKeepsNumbering) {
  HeadInstance h = MeanHead();
  h.part_class[0] = PartClass::kHidden;  // hide the skin
  const RenderableHead r = WithoutHiddenParts(h);
  EXPECT_EQ(r.mesh.NumVertices(), h.mesh.NumVertices());
  EXPECT_EQ(r.mesh.parts.size(), h.mesh.parts.size() - 1);
  EXPECT_EQ(r.mesh.NumTriangles(), h.mesh.NumTriangles() - h.mesh.parts[0].NumTriangles());
  EXPECT_NO_THROW(core::io::ValidateMesh(r.mesh));
  for (PartClass c : r.part_class) EXPECT_NE(c, PartClass::kHidden);
}

// ---------------------------------------------------------------------------------------------
// Appearance.

TEST(Appearance, SkinModelHitsItsAnchorsAndDarkensMonotonically) {
  // tone 1/9 -> melanin index 0.2: the ColorChecker "light skin" patch, sRGB (194, 150, 130).
  const Vector3f light = SkinAlbedo(1.0f / 9.0f, 0.5f);
  EXPECT_NEAR(light.x(), 0.5395f, 2e-3f);
  EXPECT_NEAR(light.y(), 0.3050f, 2e-3f);
  EXPECT_NEAR(light.z(), 0.2232f, 2e-3f);
  const Vector3f dark = SkinAlbedo(5.0f / 9.0f, 0.5f);  // "dark skin", (115, 82, 68)
  EXPECT_NEAR(dark.x(), 0.1714f, 2e-3f);
  EXPECT_NEAR(dark.y(), 0.0844f, 2e-3f);
  Vector3f previous = SkinAlbedo(0, 0.5f);
  EXPECT_LT(previous.x(), 0.8f);  // no unphysically bright skin
  for (int i = 1; i <= 20; ++i) {
    const Vector3f a = SkinAlbedo(i / 20.0f, 0.5f);
    EXPECT_TRUE((a.array() < previous.array()).all()) << i;
    EXPECT_GT(a.x(), a.y());  // skin is red-dominant
    EXPECT_GT(a.y(), a.z());
    previous = a;
  }
  EXPECT_GT(previous.minCoeff(), 0.005f);
  // More blood: redder (green falls more than red).
  const Vector3f pale = SkinAlbedo(0.3f, 0.2f), flushed = SkinAlbedo(0.3f, 0.8f);
  EXPECT_GT(flushed.x() / flushed.y(), pale.x() / pale.y());
}

TEST(Appearance, DrawsAreDeterministicAndCoverTheRanges) {
  core::data::Rng a(5), b(5);
  const Appearance x = SampleAppearance(a), y = SampleAppearance(b);
  EXPECT_EQ(x.skin_albedo, y.skin_albedo);
  EXPECT_EQ(x.iris_colour, y.iris_colour);
  EXPECT_EQ(x.mottling_waves[3], y.mottling_waves[3]);
  core::data::Rng rng(9);
  std::map<IrisColour, int> iris;
  std::map<HairColour, int> hair;
  float tone_min = 1, tone_max = 0;
  const int n = 3000;
  AppearanceOptions light;
  light.tone_max = 0.5f;
  for (int i = 0; i < n; ++i) {
    const Appearance s = SampleAppearance(rng, light);
    ++iris[s.iris_colour];
    ++hair[s.hair_colour];
    tone_min = std::min(tone_min, s.tone);
    tone_max = std::max(tone_max, s.tone);
    ASSERT_TRUE((s.skin_albedo.array() > 0).all() && (s.skin_albedo.array() <= 1).all());
    ASSERT_GE(s.skin.roughness, 0.35f);
    ASSERT_LE(s.skin.roughness, 0.6f);
    ASSERT_GT(s.lip_albedo.x() / s.lip_albedo.y(), s.skin_albedo.x() / s.skin_albedo.y());
  }
  EXPECT_LT(tone_min, 0.01f);
  EXPECT_GT(tone_max, 0.49f);
  EXPECT_LE(tone_max, 0.5f);
  EXPECT_NEAR(iris[IrisColour::kBlue] / double(n), 0.17, 0.03);
  EXPECT_NEAR((iris[IrisColour::kBrown] + iris[IrisColour::kDarkBrown]) / double(n), 0.55, 0.04);
  EXPECT_EQ(iris.size(), 6u);
  EXPECT_EQ(hair.size(), 6u);
  AppearanceOptions blue;
  blue.iris_probabilities = std::array<float, 6>{0, 0, 0, 0, 1, 0};
  EXPECT_EQ(SampleAppearance(rng, blue).iris_colour, IrisColour::kBlue);
  AppearanceOptions bad;
  bad.tone_min = 0.8f;
  bad.tone_max = 0.2f;
  EXPECT_THROW(SampleAppearance(rng, bad), core::Error);
}

TEST(Appearance, PaintsSkinLipsEyesAndTeeth) {
  HeadInstance h = MeanHead();
  core::data::Rng rng(2);
  Appearance a = SampleAppearance(rng);
  a.iris_colour = IrisColour::kBlue;
  a.iris_albedo = Vector3f(0.1f, 0.17f, 0.26f);
  ApplyAppearance(a, &h);
  ASSERT_EQ(h.vertex_albedo.size(), h.mesh.positions.size());
  ASSERT_EQ(h.part_material.size(), h.mesh.parts.size());
  for (const auto& c : h.vertex_albedo)
    ASSERT_TRUE((c.array() >= 0).all() && (c.array() <= 1).all());
  // Lips are redder than the skin around them.
  double lip_ratio = 0, n_lips = 0;
  for (size_t v = 0; v < h.regions.lips.size(); ++v)
    if (h.regions.lips[v] > 0.9f) {
      lip_ratio += h.vertex_albedo[v].x() / h.vertex_albedo[v].y();
      ++n_lips;
    }
  ASSERT_GT(n_lips, 20);
  EXPECT_GT(lip_ratio / n_lips, 1.05 * a.skin_albedo.x() / a.skin_albedo.y());
  // The vertex at the centre of each iris is pupil-dark; the iris rim is blue-dominant.
  for (const auto& part : h.mesh.parts) {
    if (part.name != "iris_left") continue;
    float darkest = 1, bluest = 0;
    for (int t = part.triangle_begin; t < part.triangle_end; ++t)
      for (int k = 0; k < 3; ++k) {
        const Vector3f& c = h.vertex_albedo[h.mesh.triangles[t][k]];
        darkest = std::min(darkest, c.maxCoeff());
        bluest = std::max(bluest, c.z() - c.x());
      }
    EXPECT_LT(darkest, 0.02f);
    EXPECT_GT(bluest, 0.1f);
  }
  for (size_t p = 0; p < h.mesh.parts.size(); ++p)
    if (h.part_tissue[p] == Tissue::kTeeth) {
      EXPECT_EQ(h.vertex_albedo[h.mesh.triangles[h.mesh.parts[p].triangle_begin][0]],
                a.teeth_albedo);
    }
  EXPECT_EQ(h.part_material[0].roughness, a.skin.roughness);
}

TEST(HeadSources, ProceduralSourceDrawsFromForkedStreams) {
  HeadSourceOptions o;
  o.source = "procedural";
  const HeadSource source = HeadSource::Open(o);
  EXPECT_EQ(source.Name(), "procedural");
  core::data::Rng a = core::data::SampleRng(7, 3), b = core::data::SampleRng(7, 3);
  const HeadInstance x = source.Sample(a, "happy"), y = source.Sample(b, "sad");
  // Same sample id: same identity whatever the expression.
  EXPECT_EQ(x.identity_coefficients, y.identity_coefficients);
  EXPECT_EQ(x.expression_label, "happy");
  EXPECT_EQ(y.expression_label, "sad");
  core::data::Rng c = core::data::SampleRng(7, 3);
  EXPECT_EQ(source.Sample(c, "random").expression_label.rfind("random:", 0), 0u);
  EXPECT_THROW(source.Sample(c, "grumpy"), core::Error);
}

}  // namespace
}  // namespace synface::synth::heads
