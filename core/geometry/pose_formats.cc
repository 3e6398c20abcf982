#include "core/geometry/pose_formats.h"

#include <fmt/format.h>

#include <cmath>

#include "core/geometry/rotation.h"
#include "core/geometry/text_parsing.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {

using internal::ParseFiniteDouble;

// F = diag(1, -1, -1): turns a y-down/z-forward frame into a y-up/z-backward one and back.
const Eigen::Matrix3d& FlipYZ() {
  static const Eigen::Matrix3d f = Eigen::Vector3d(1.0, -1.0, -1.0).asDiagonal();
  return f;
}

}  // namespace

// ---- BIWI -----------------------------------------------------------------------------------

BiwiPose ParseBiwiPose(std::string_view text, std::string_view source) {
  BiwiPose pose;
  int rows = 0;
  int last_line = 0;
  for (const internal::TextLine& line : internal::SplitLines(text)) {
    last_line = line.number;
    const std::vector<std::string_view> tokens = internal::SplitWhitespace(line.text);
    if (tokens.empty()) continue;  // the blank line before the centre
    if (rows == 4) {
      throw MakeError("{}: line {}: unexpected content after the head centre line: '{}'", source,
                      line.number, internal::Trim(line.text));
    }
    const char* what = rows < 3 ? "rotation row" : "head centre";
    if (tokens.size() != 3) {
      throw MakeError("{}: line {}: {} needs 3 numbers, found {}", source, line.number, what,
                      tokens.size());
    }
    Eigen::Vector3d v;
    for (int k = 0; k < 3; ++k) v[k] = ParseFiniteDouble(tokens[k], source, line.number, what);
    if (rows < 3) {
      pose.rotation.row(rows) = v.transpose();
    } else {
      pose.head_centre_m = v / 1000.0;
    }
    ++rows;
  }
  if (rows != 4) {
    throw MakeError(
        "{}: line {}: expected 3 rotation rows and 1 head centre line, found {} data "
        "lines",
        source, last_line, rows);
  }
  // BIWI matrices carry about 6 digits; anything far from a rotation is a different file.
  if (!IsRotationMatrix(pose.rotation, 1e-3)) {
    throw MakeError(
        "{}: lines 1-3: the 3x3 matrix is not a rotation (|R^T R - I| or |det R - 1| "
        "above 1e-3)",
        source);
  }
  return pose;
}

BiwiPose ReadBiwiPose(const std::filesystem::path& path) {
  return ParseBiwiPose(ReadFile(path), path.string());
}

std::string FormatBiwiPose(const BiwiPose& pose) {
  std::string out;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) out += fmt::format("{} ", pose.rotation(i, j));
    out += '\n';
  }
  out += '\n';
  for (int k = 0; k < 3; ++k) out += fmt::format("{} ", pose.head_centre_m[k] * 1000.0);
  out += '\n';
  return out;
}

void WriteBiwiPose(const std::filesystem::path& path, const BiwiPose& pose) {
  WriteFileAtomic(path, FormatBiwiPose(pose));
}

HeadPose HeadPoseFromBiwiMatrixFsaNet(const Eigen::Matrix3d& stored_rotation) {
  const Eigen::Matrix3d rt = stored_rotation.transpose();
  HeadPose pose;
  pose.roll = -std::atan2(rt(1, 0), rt(0, 0));
  pose.yaw = -std::atan2(-rt(2, 0), std::sqrt(rt(2, 1) * rt(2, 1) + rt(2, 2) * rt(2, 2)));
  pose.pitch = std::atan2(rt(2, 1), rt(2, 2));
  return pose;
}

HeadPose HeadPoseFromBiwi(const BiwiPose& pose) {
  return HeadPoseFromBiwiMatrixFsaNet(pose.rotation);
}

Rigid3d CamFromHeadFromBiwi(const BiwiPose& pose) {
  return Rigid3d(pose.rotation, pose.head_centre_m);
}

BiwiPose BiwiPoseFromCamFromHead(const Rigid3d& cam_from_head) {
  return BiwiPose{cam_from_head.RotationMatrix(), cam_from_head.translation};
}

// ---- Pose_Para ------------------------------------------------------------------------------

PosePara PoseParaFromValues(const std::vector<double>& values, std::string_view source) {
  if (values.size() != 7) {
    throw MakeError("{}: Pose_Para: expected 7 values [pitch yaw roll tdx tdy tdz scale], found {}",
                    source, values.size());
  }
  static const char* const kNames[7] = {"pitch", "yaw", "roll", "tdx", "tdy", "tdz", "scale"};
  for (int i = 0; i < 7; ++i) {
    if (!std::isfinite(values[i])) {
      throw MakeError("{}: Pose_Para[{}] ({}) is not finite: {}", source, i, kNames[i], values[i]);
    }
  }
  return PosePara{values[0], values[1], values[2], values[3], values[4], values[5], values[6]};
}

std::array<double, 7> PoseParaToValues(const PosePara& p) {
  return {p.pitch, p.yaw, p.roll, p.tdx, p.tdy, p.tdz, p.scale};
}

HeadPose HeadPoseFromPosePara(const PosePara& para) {
  return HeadPose{para.yaw, para.pitch, para.roll};
}

PosePara PoseParaWithHeadPose(const PosePara& base, const HeadPose& pose) {
  PosePara out = base;
  out.pitch = pose.pitch;
  out.yaw = pose.yaw;
  out.roll = pose.roll;
  return out;
}

Eigen::Matrix3d Rotation3ddfaFromPosePara(const PosePara& para) {
  // angle2matrix_3ddfa writes Rx, Ry, Rz with the sine signs swapped, i.e. the standard matrices
  // of the negated angles.
  return RotationX(-para.pitch) * RotationY(-para.yaw) * RotationZ(-para.roll);
}

// ---- 6DRepNet -------------------------------------------------------------------------------

Eigen::Matrix3d SixDRepNetMatrixFromHeadPose(const HeadPose& pose) {
  return RotationZ(pose.roll) * RotationY(pose.yaw) * RotationX(pose.pitch);
}

Eigen::Matrix3d SixDRepNetMatrixFromRotation(const Eigen::Matrix3d& r) {
  return FlipYZ() * r.transpose() * FlipYZ();
}

Eigen::Matrix3d RotationFromSixDRepNetMatrix(const Eigen::Matrix3d& m) {
  return FlipYZ() * m.transpose() * FlipYZ();
}

HeadPose HeadPoseFromSixDRepNetMatrix(const Eigen::Matrix3d& m) {
  const double sy = std::sqrt(m(0, 0) * m(0, 0) + m(1, 0) * m(1, 0));
  HeadPose pose;
  if (sy < 1e-6) {
    pose.pitch = std::atan2(-m(1, 2), m(1, 1));
    pose.yaw = std::atan2(-m(2, 0), sy);
    pose.roll = 0.0;
  } else {
    pose.pitch = std::atan2(m(2, 1), m(2, 2));
    pose.yaw = std::atan2(-m(2, 0), sy);
    pose.roll = std::atan2(m(1, 0), m(0, 0));
  }
  return pose;
}

// ---- P1 label file --------------------------------------------------------------------------

HeadPose ParseP1Label(std::string_view text, std::string_view source) {
  const internal::TextLine* data = nullptr;
  const std::vector<internal::TextLine> lines = internal::SplitLines(text);
  for (const internal::TextLine& line : lines) {
    if (internal::Trim(line.text).empty()) continue;
    if (data != nullptr) {
      throw MakeError("{}: line {}: a P1 label file holds one line 'yaw, pitch, roll', found more",
                      source, line.number);
    }
    data = &line;
  }
  if (data == nullptr) throw MakeError("{}: line 1: empty P1 label file", source);
  std::vector<std::string_view> fields;
  std::string_view rest = data->text;
  for (size_t comma; (comma = rest.find(',')) != std::string_view::npos;) {
    fields.push_back(internal::Trim(rest.substr(0, comma)));
    rest.remove_prefix(comma + 1);
  }
  fields.push_back(internal::Trim(rest));
  if (fields.size() != 3) {
    throw MakeError(
        "{}: line {}: expected 'yaw, pitch, roll' (3 comma-separated numbers), found {} "
        "fields",
        source, data->number, fields.size());
  }
  const char* const kNames[3] = {"yaw", "pitch", "roll"};
  double deg[3];
  for (int k = 0; k < 3; ++k)
    deg[k] = ParseFiniteDouble(fields[k], source, data->number, kNames[k]);
  return HeadPoseFromDegrees(deg[0], deg[1], deg[2]);
}

HeadPose ReadP1Label(const std::filesystem::path& path) {
  return ParseP1Label(ReadFile(path), path.string());
}

std::string FormatP1Label(const HeadPose& label) {
  const Eigen::Vector3d deg = HeadPoseToDegrees(label);
  return internal::FormatFixed(deg[0], 2) + ", " + internal::FormatFixed(deg[1], 2) + ", " +
         internal::FormatFixed(deg[2], 2) + "\n";
}

void WriteP1Label(const std::filesystem::path& path, const HeadPose& label) {
  WriteFileAtomic(path, FormatP1Label(label));
}

}  // namespace synface::core::geometry
