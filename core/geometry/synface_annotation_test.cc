#include "core/geometry/synface_annotation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "core/geometry/blender.h"
#include "core/geometry/camera.h"
#include "core/geometry/head_pose.h"
#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {
namespace fs = std::filesystem;

fs::path TmpDir() { return fs::path(std::getenv("TEST_TMPDIR")); }

// The sample printed in the Data in Brief paper (thesis L825-828), byte for byte.
constexpr const char* kSample =
    "Camera Location: (-0.0002, -0.3136, 1.6779)\n"
    "Head Point Location: (-0.0002, -0.0136, 1.6779)\n"
    "Camera Rotation: Yaw 0.00 Pitch 90.00 Roll -0.00\n"
    "Head Rotation: Yaw -17.90 Pitch 19.43 Roll 2.90\n";

template <typename Fn>
void ExpectErrorContaining(Fn f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

void ExpectPoseNear(const HeadPose& a, const HeadPose& b, double tol) {
  EXPECT_NEAR(AngleDifference(a.yaw, b.yaw), 0.0, tol) << "yaw";
  EXPECT_NEAR(AngleDifference(a.pitch, b.pitch), 0.0, tol) << "pitch";
  EXPECT_NEAR(AngleDifference(a.roll, b.roll), 0.0, tol) << "roll";
}

TEST(SynFaceAnnotation, ParsesThePublishedSample) {
  const SynFaceAnnotation a = ParseSynFaceAnnotation(kSample, "data_0046.txt");
  EXPECT_TRUE(a.camera_location.isApprox(Eigen::Vector3d(-0.0002, -0.3136, 1.6779)));
  EXPECT_TRUE(a.head_location.isApprox(Eigen::Vector3d(-0.0002, -0.0136, 1.6779)));
  EXPECT_NEAR(RadToDeg(a.camera_rotation.x), 90.0, 1e-12);  // Pitch = Euler x
  EXPECT_EQ(a.camera_rotation.y, 0.0);                      // Roll = Euler y ("-0.00")
  EXPECT_EQ(a.camera_rotation.z, 0.0);                      // Yaw = Euler z
  EXPECT_NEAR(RadToDeg(a.head_rotation.x), 19.43, 1e-12);
  EXPECT_NEAR(RadToDeg(a.head_rotation.y), 2.90, 1e-12);
  EXPECT_NEAR(RadToDeg(a.head_rotation.z), -17.90, 1e-12);
  // Writing it again gives the same bytes.
  EXPECT_EQ(FormatSynFaceAnnotation(a), kSample);
}

TEST(SynFaceAnnotation, DigestWorkedSample) {
  // ch2 digest section 5.2: R_wh = Rz(Yaw) Ry(Roll) Rx(Pitch) of the sample.
  const SynFaceAnnotation a = ParseSynFaceAnnotation(kSample, "data_0046.txt");
  const Eigen::Matrix3d r_wh = MatrixFromBlenderEuler(a.head_rotation);
  Eigen::Matrix3d expected;
  expected << 0.9504, 0.3059, -0.0568, -0.3070, 0.8922, -0.3312, -0.0506, 0.3322, 0.9418;
  EXPECT_LT((r_wh - expected).cwiseAbs().maxCoeff(), 5e-5) << r_wh;
  // P1 eq. (9) (= Blender's to_euler) returns (Pitch, Roll, Yaw) = (19.43, 2.90, -17.90).
  const BlenderEulerXyz e = BlenderEulerFromMatrix(r_wh);
  EXPECT_NEAR(RadToDeg(e.x), 19.43, 1e-9);
  EXPECT_NEAR(RadToDeg(e.y), 2.90, 1e-9);
  EXPECT_NEAR(RadToDeg(e.z), -17.90, 1e-9);
  // The default camera in OpenCV axes: R_wcv = [[1, 0, 0], [0, 0, 1], [0, -1, 0]].
  Eigen::Matrix3d r_wcv;
  r_wcv << 1, 0, 0, 0, 0, 1, 0, -1, 0;
  EXPECT_TRUE(WorldFromCamera(a).RotationMatrix().isApprox(r_wcv, 1e-12));
  EXPECT_TRUE(EmptyFromHead().isApprox(r_wcv));
  // t = R_wcv^T (p_head - p_cam) = (0, 0, 0.300); it projects to the principal point.
  const Rigid3d cam_from_head = CamFromHead(a);
  EXPECT_LT((cam_from_head.translation - Eigen::Vector3d(0, 0, 0.3)).norm(), 1e-12);
  const Eigen::Vector2d px = AuthorsCodePreset().Project(cam_from_head.translation);
  EXPECT_NEAR(px.x(), 320.0, 1e-9);
  EXPECT_NEAR(px.y(), 240.0, 1e-9);
  // The face turns towards image left and looks down (digest 3-C6 worked check).
  const Eigen::Vector3d face = FaceDirection(cam_from_head.RotationMatrix());
  EXPECT_NEAR(face.x(), -0.3059, 1e-4);
  EXPECT_NEAR(face.y(), 0.3322, 1e-4);
  EXPECT_NEAR(face.z(), -0.8922, 1e-4);
}

TEST(SynFaceAnnotation, ExactPoseVersusTheAuthorsP1Label) {
  const SynFaceAnnotation a = ParseSynFaceAnnotation(kSample, "data_0046.txt");
  // Our convention, from the matrix (hand-checked with an independent script):
  const HeadPose exact = HeadPoseFromRigid(CamFromHead(a));
  EXPECT_NEAR(RadToDeg(exact.yaw), 17.8104, 1e-4);
  EXPECT_NEAR(RadToDeg(exact.pitch), -20.4233, 1e-4);
  EXPECT_NEAR(RadToDeg(exact.roll), -3.4228, 1e-4);
  // The authors' label (-Z, -X, +Y): yaw and pitch close, roll of the other sign, 6.3 deg away.
  const HeadPose p1 = P1LabelFromBlenderEuler(a.head_rotation);
  EXPECT_NEAR(RadToDeg(p1.yaw), 17.90, 1e-12);
  EXPECT_NEAR(RadToDeg(p1.pitch), -19.43, 1e-12);
  EXPECT_NEAR(RadToDeg(p1.roll), 2.90, 1e-12);
  EXPECT_EQ(FormatP1Label(p1), "17.90, -19.43, 2.90\n");
  // BIWI's FSA-Net conversion of the same matrix agrees with ours, not with the P1 label.
  ExpectPoseNear(HeadPoseFromBiwiMatrixFsaNet(CamFromHead(a).RotationMatrix()), exact, 1e-12);
}

TEST(SynFaceAnnotation, P1LabelHasOurSignOnEverySingleAxis) {
  // With the default camera, a pure Blender Z, X or Y rotation of the head empty gives the same
  // angle through the exact path and through the authors' (-Z, -X, +Y) mapping.
  SynFaceAnnotation a = ParseSynFaceAnnotation(kSample, "data.txt");
  a.head_location = a.camera_location + Eigen::Vector3d(0, 0.3, 0);
  for (double deg : {-60.0, -12.5, 7.0, 45.0}) {
    const double rad = DegToRad(deg);
    for (int axis = 0; axis < 3; ++axis) {
      a.head_rotation =
          BlenderEulerXyz{axis == 0 ? rad : 0.0, axis == 1 ? rad : 0.0, axis == 2 ? rad : 0.0};
      ExpectPoseNear(HeadPoseFromRigid(CamFromHead(a)), P1LabelFromBlenderEuler(a.head_rotation),
                     1e-12);
    }
  }
  // Blender +Z (yaw in the file) turns the face towards image right: our yaw is negative.
  a.head_rotation = BlenderEulerXyz{0, 0, DegToRad(30)};
  EXPECT_GT(FaceDirection(CamFromHead(a).RotationMatrix()).x(), 0.4);
  EXPECT_LT(HeadPoseFromRigid(CamFromHead(a)).yaw, 0.0);
  // Blender +X (pitch in the file) tilts the face down: our pitch is negative.
  a.head_rotation = BlenderEulerXyz{DegToRad(30), 0, 0};
  EXPECT_GT(FaceDirection(CamFromHead(a).RotationMatrix()).y(), 0.4);
  EXPECT_LT(HeadPoseFromRigid(CamFromHead(a)).pitch, 0.0);
  // Blender +Y (roll in the file) tilts the top of the head to image right: our roll is positive.
  a.head_rotation = BlenderEulerXyz{0, DegToRad(30), 0};
  const Eigen::Vector3d head_up = -CamFromHead(a).RotationMatrix().col(1);
  EXPECT_GT(head_up.x(), 0.4);
  EXPECT_GT(HeadPoseFromRigid(CamFromHead(a)).roll, 0.0);
  // Round trip of the label mapping.
  const HeadPose label = HeadPoseFromDegrees(10, -20, 30);
  ExpectPoseNear(P1LabelFromBlenderEuler(BlenderEulerFromP1Label(label)), label, 0.0);
}

TEST(SynFaceAnnotation, CamFromHeadIgnoresWhereTheRigStandsInTheWorld) {
  // Moving and turning camera and head together does not change the head pose seen by the camera.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const Rigid3d world_from_cam(RotationZ(0.3) * RotationX(1.4), Eigen::Vector3d(0.1, -0.3, 1.6));
  const Rigid3d world_from_head(RotationZ(-0.2) * RotationY(0.1) * EmptyFromHead(),
                                Eigen::Vector3d(0.12, 0.0, 1.62));
  const Rigid3d expected = world_from_cam.Inverse() * world_from_head;
  for (int i = 0; i < 20; ++i) {
    const Rigid3d move(RotationZ(u(rng) * 3) * RotationX(u(rng)),
                       Eigen::Vector3d(u(rng), u(rng), u(rng)));
    const SynFaceAnnotation a =
        SynFaceAnnotationFromPoses(move * world_from_cam, move * world_from_head);
    const Rigid3d got = CamFromHead(a);
    EXPECT_LT(RotationDistance(got, expected), 1e-12);
    EXPECT_LT(TranslationDistance(got, expected), 1e-12);
    EXPECT_LT(RotationDistance(WorldFromHead(a), move * world_from_head), 1e-12);
  }
}

TEST(SynFaceAnnotation, WritesLikeThePythonScript) {
  SynFaceAnnotation a;
  a.camera_location = Eigen::Vector3d(0.0, -0.3, 1.50004);
  a.head_location = Eigen::Vector3d(12.34565, -0.31365, -0.00001);
  // Degrees are rounded to 4 decimals first, then printed with 2: 0.00499996 -> 0.005 -> "0.01".
  a.camera_rotation = BlenderEulerXyz{DegToRad(90.0), DegToRad(-1e-7), DegToRad(0.00499996)};
  a.head_rotation = BlenderEulerXyz{DegToRad(-0.125), DegToRad(179.994), DegToRad(-45.0)};
  EXPECT_EQ(FormatSynFaceAnnotation(a),
            "Camera Location: (0.0, -0.3, 1.5)\n"
            "Head Point Location: (12.3456, -0.3136, -0.0)\n"
            "Camera Rotation: Yaw 0.01 Pitch 90.00 Roll -0.00\n"
            "Head Rotation: Yaw -45.00 Pitch -0.12 Roll 179.99\n");
  // Files round-trip to the printed precision.
  const fs::path path = TmpDir() / "synface" / "data_0001.txt";
  WriteSynFaceAnnotation(path, a);
  EXPECT_EQ(ReadFile(path), FormatSynFaceAnnotation(a));
  const SynFaceAnnotation back = ReadSynFaceAnnotation(path);
  EXPECT_NEAR(back.head_location.x(), 12.3456, 1e-12);
  EXPECT_NEAR(RadToDeg(back.head_rotation.y), 179.99, 1e-12);
  EXPECT_EQ(FormatSynFaceAnnotation(back), FormatSynFaceAnnotation(a));
}

TEST(SynFaceAnnotation, TextRoundTripsOverManyValues) {
  std::mt19937 rng(21);
  std::uniform_real_distribution<double> loc(-3.0, 3.0), deg(-180.0, 180.0);
  for (int i = 0; i < 300; ++i) {
    SynFaceAnnotation a;
    a.camera_location = Eigen::Vector3d(loc(rng), loc(rng), loc(rng));
    a.head_location = Eigen::Vector3d(loc(rng), loc(rng), loc(rng));
    a.camera_rotation = BlenderEulerXyz{DegToRad(deg(rng)), DegToRad(deg(rng)), DegToRad(deg(rng))};
    a.head_rotation = BlenderEulerXyz{DegToRad(deg(rng)), DegToRad(deg(rng)), DegToRad(deg(rng))};
    const std::string text = FormatSynFaceAnnotation(a);
    const SynFaceAnnotation back = ParseSynFaceAnnotation(text, "random.txt");
    EXPECT_EQ(FormatSynFaceAnnotation(back), text);
    EXPECT_LT((back.camera_location - a.camera_location).cwiseAbs().maxCoeff(), 0.5e-4 + 1e-12);
    // Rounded twice (4 then 2 decimals): off by at most 0.005 + 0.00005 deg.
    EXPECT_LT(std::abs(RadToDeg(back.head_rotation.z - a.head_rotation.z)), 0.00505 + 1e-9);
  }
}

TEST(SynFaceAnnotation, MalformedFilesNameFileAndLine) {
  ExpectErrorContaining(
      [] { ParseSynFaceAnnotation("Camera Location: (0, 0, 0)\n", "data_0001.txt"); },
      "data_0001.txt: line 1: a C3I-SynFace annotation has exactly 4 lines, found 1");
  ExpectErrorContaining(
      [] {
        ParseSynFaceAnnotation(
            "Camera Location: (0.0, 0.0, 0.0)\nHead Location: (0.0, 0.0, 0.0)\n"
            "Camera Rotation: Yaw 0.00 Pitch 90.00 Roll 0.00\nHead Rotation: Yaw 0 Pitch 0 Roll "
            "0\n",
            "data_0002.txt");
      },
      "data_0002.txt: line 2: expected a line starting with 'Head Point Location:'");
  ExpectErrorContaining(
      [] {
        ParseSynFaceAnnotation(
            "Camera Location: (0.0, 0.0)\nHead Point Location: (0.0, 0.0, 0.0)\n"
            "Camera Rotation: Yaw 0.00 Pitch 90.00 Roll 0.00\nHead Rotation: Yaw 0 Pitch 0 Roll "
            "0\n",
            "data_0003.txt");
      },
      "data_0003.txt: line 1: Camera Location: needs 3 coordinates, found 2");
  ExpectErrorContaining(
      [] {
        ParseSynFaceAnnotation(
            "Camera Location: (0.0, 0.0, 0.0)\nHead Point Location: (0.0, 0.0, 0.0)\n"
            "Camera Rotation: Yaw 0.00 Roll 90.00 Pitch 0.00\nHead Rotation: Yaw 0 Pitch 0 Roll "
            "0\n",
            "data_0004.txt");
      },
      "data_0004.txt: line 3: Camera Rotation: expected 'Pitch' as token 3, found 'Roll'");
  ExpectErrorContaining(
      [] {
        ParseSynFaceAnnotation(
            "Camera Location: (0.0, 0.0, 0.0)\nHead Point Location: (0.0, 0.0, 0.0)\n"
            "Camera Rotation: Yaw 0.00 Pitch 90.00 Roll 0.00\nHead Rotation: Yaw 0 Pitch 1,5 Roll "
            "0\n",
            "data_0005.txt");
      },
      "data_0005.txt: line 4: Head Rotation: Pitch: cannot read '1,5' as a number");
  ExpectErrorContaining(
      [] {
        ParseSynFaceAnnotation(
            "Camera Location: 0.0, 0.0, 0.0\nHead Point Location: (0.0, 0.0, 0.0)\n"
            "Camera Rotation: Yaw 0.00 Pitch 90.00 Roll 0.00\nHead Rotation: Yaw 0 Pitch 0 Roll "
            "0\n",
            "data_0006.txt");
      },
      "data_0006.txt: line 1: Camera Location: expected '(x, y, z)'");
  ExpectErrorContaining([] { ReadSynFaceAnnotation(TmpDir() / "nope" / "data_9.txt"); },
                        "data_9.txt");
}

// ---- Blender Euler ------------------------------------------------------------------------------

TEST(BlenderEuler, MatchesBlendersChoiceOfTriple) {
  // Rz(170) Ry(10) Rx(170) is also Rz(-10) Ry(170) Rx(-10); Blender returns the second because
  // |-10| + |170| + |-10| < |170| + |10| + |170|.
  const Eigen::Matrix3d r =
      MatrixFromBlenderEuler(BlenderEulerXyz{DegToRad(170), DegToRad(10), DegToRad(170)});
  const BlenderEulerXyz e = BlenderEulerFromMatrix(r);
  EXPECT_NEAR(RadToDeg(e.x), -10.0, 1e-9);
  EXPECT_NEAR(RadToDeg(e.y), 170.0, 1e-9);
  EXPECT_NEAR(RadToDeg(e.z), -10.0, 1e-9);
  // Gimbal lock (y = 90 deg): z is set to 0 and x carries the rest.
  const Eigen::Matrix3d g =
      MatrixFromBlenderEuler(BlenderEulerXyz{DegToRad(20), DegToRad(90), DegToRad(30)});
  const BlenderEulerXyz eg = BlenderEulerFromMatrix(g);
  EXPECT_EQ(eg.z, 0.0);
  EXPECT_NEAR(RadToDeg(eg.y), 90.0, 1e-4);
  EXPECT_LT(GeodesicAngle(MatrixFromBlenderEuler(eg), g), 1e-6);
  // Any rotation survives matrix -> Euler -> matrix.
  std::mt19937 rng(17);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int i = 0; i < 1000; ++i) {
    const Eigen::Matrix3d q =
        Eigen::Quaterniond(n(rng), n(rng), n(rng), n(rng)).normalized().toRotationMatrix();
    EXPECT_LT(GeodesicAngle(MatrixFromBlenderEuler(BlenderEulerFromMatrix(q)), q), 1e-12);
  }
}

TEST(BlenderEuler, CameraAxes) {
  // The default camera, Euler (90, 0, 0): looks along world +Y with image up = world +Z.
  const Eigen::Matrix3d r_wc = MatrixFromBlenderEuler(BlenderEulerXyz{DegToRad(90), 0, 0});
  const Eigen::Matrix3d r_wcv = WorldFromOpenCvCamera(r_wc);
  EXPECT_TRUE((r_wcv * Eigen::Vector3d::UnitZ()).isApprox(Eigen::Vector3d::UnitY()));  // forward
  EXPECT_TRUE(
      (r_wcv * Eigen::Vector3d::UnitY()).isApprox(-Eigen::Vector3d::UnitZ()));  // image down
  EXPECT_TRUE(
      (r_wcv * Eigen::Vector3d::UnitX()).isApprox(Eigen::Vector3d::UnitX()));  // image right
  EXPECT_TRUE(
      (r_wc * -Eigen::Vector3d::UnitZ()).isApprox(Eigen::Vector3d::UnitY()));  // Blender view
  EXPECT_TRUE((OpenCvFromBlenderCameraAxes() * OpenCvFromBlenderCameraAxes()).isIdentity());
}

}  // namespace
}  // namespace synface::core::geometry
