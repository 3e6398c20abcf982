#include "core/geometry/synface_annotation.h"

#include <fmt/format.h>

#include "core/geometry/rotation.h"
#include "core/geometry/text_parsing.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::geometry {
namespace {

using internal::TextLine;

constexpr const char* kCameraLocation = "Camera Location:";
constexpr const char* kHeadLocation = "Head Point Location:";
constexpr const char* kCameraRotation = "Camera Rotation:";
constexpr const char* kHeadRotation = "Head Rotation:";

std::string_view ExpectPrefix(const TextLine& line, std::string_view prefix,
                              std::string_view source) {
  if (line.text.substr(0, prefix.size()) != prefix) {
    throw MakeError("{}: line {}: expected a line starting with '{}', found '{}'", source,
                    line.number, prefix, line.text);
  }
  return line.text.substr(prefix.size());
}

// "(x, y, z)" as Python prints a tuple of floats.
Eigen::Vector3d ParseLocation(const TextLine& line, std::string_view prefix,
                              std::string_view source) {
  std::string_view rest = internal::Trim(ExpectPrefix(line, prefix, source));
  if (rest.size() < 2 || rest.front() != '(' || rest.back() != ')') {
    throw MakeError("{}: line {}: {} expected '(x, y, z)', found '{}'", source, line.number, prefix,
                    rest);
  }
  rest = rest.substr(1, rest.size() - 2);
  Eigen::Vector3d v;
  int count = 0;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view field = internal::Trim(rest.substr(0, comma));
    if (count == 3) {
      throw MakeError("{}: line {}: {} has more than 3 coordinates", source, line.number, prefix);
    }
    v[count] = internal::ParseFiniteDouble(field, source, line.number, prefix);
    ++count;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (count != 3) {
    throw MakeError("{}: line {}: {} needs 3 coordinates, found {}", source, line.number, prefix,
                    count);
  }
  return v;
}

// "Yaw <deg> Pitch <deg> Roll <deg>" -> Euler XYZ in radians (x = Pitch, y = Roll, z = Yaw).
BlenderEulerXyz ParseRotation(const TextLine& line, std::string_view prefix,
                              std::string_view source) {
  const std::vector<std::string_view> tokens =
      internal::SplitWhitespace(ExpectPrefix(line, prefix, source));
  static const char* const kNames[3] = {"Yaw", "Pitch", "Roll"};
  if (tokens.size() != 6) {
    throw MakeError("{}: line {}: {} expected 'Yaw <deg> Pitch <deg> Roll <deg>', found {} tokens",
                    source, line.number, prefix, tokens.size());
  }
  double deg[3];
  for (int k = 0; k < 3; ++k) {
    if (tokens[2 * k] != kNames[k]) {
      throw MakeError("{}: line {}: {} expected '{}' as token {}, found '{}'", source, line.number,
                      prefix, kNames[k], 2 * k + 1, tokens[2 * k]);
    }
    deg[k] = internal::ParseFiniteDouble(tokens[2 * k + 1], source, line.number,
                                         fmt::format("{} {}", prefix, kNames[k]));
  }
  return BlenderEulerXyz{DegToRad(deg[1]), DegToRad(deg[2]), DegToRad(deg[0])};
}

std::string FormatLocation(const Eigen::Vector3d& v) {
  return "(" + internal::PythonRoundRepr(v.x(), 4) + ", " + internal::PythonRoundRepr(v.y(), 4) +
         ", " + internal::PythonRoundRepr(v.z(), 4) + ")";
}

std::string FormatRotation(const BlenderEulerXyz& e) {
  // The script rounds the degrees to 4 decimals, then prints them with '%.2f'.
  auto text = [](double radians) {
    return internal::FormatFixed(internal::PythonRound(RadToDeg(radians), 4), 2);
  };
  return "Yaw " + text(e.z) + " Pitch " + text(e.x) + " Roll " + text(e.y);
}

}  // namespace

SynFaceAnnotation ParseSynFaceAnnotation(std::string_view text, std::string_view source) {
  std::vector<TextLine> lines = internal::SplitLines(text);
  // Trailing blank lines (an editor's final newline) are harmless; anything else is not.
  while (!lines.empty() && internal::Trim(lines.back().text).empty()) lines.pop_back();
  if (lines.size() != 4) {
    throw MakeError("{}: line {}: a C3I-SynFace annotation has exactly 4 lines, found {}", source,
                    lines.empty() ? 1 : lines.back().number, lines.size());
  }
  SynFaceAnnotation a;
  a.camera_location = ParseLocation(lines[0], kCameraLocation, source);
  a.head_location = ParseLocation(lines[1], kHeadLocation, source);
  a.camera_rotation = ParseRotation(lines[2], kCameraRotation, source);
  a.head_rotation = ParseRotation(lines[3], kHeadRotation, source);
  return a;
}

SynFaceAnnotation ReadSynFaceAnnotation(const std::filesystem::path& path) {
  return ParseSynFaceAnnotation(ReadFile(path), path.string());
}

std::string FormatSynFaceAnnotation(const SynFaceAnnotation& a) {
  return fmt::format(
      "{} {}\n{} {}\n{} {}\n{} {}\n", kCameraLocation, FormatLocation(a.camera_location),
      kHeadLocation, FormatLocation(a.head_location), kCameraRotation,
      FormatRotation(a.camera_rotation), kHeadRotation, FormatRotation(a.head_rotation));
}

void WriteSynFaceAnnotation(const std::filesystem::path& path, const SynFaceAnnotation& a) {
  WriteFileAtomic(path, FormatSynFaceAnnotation(a));
}

Rigid3d WorldFromCamera(const SynFaceAnnotation& a) {
  return Rigid3d(WorldFromOpenCvCamera(MatrixFromBlenderEuler(a.camera_rotation)),
                 a.camera_location);
}

Rigid3d WorldFromHead(const SynFaceAnnotation& a) {
  return Rigid3d(MatrixFromBlenderEuler(a.head_rotation) * EmptyFromHead(), a.head_location);
}

Rigid3d CamFromHead(const SynFaceAnnotation& a) {
  return WorldFromCamera(a).Inverse() * WorldFromHead(a);
}

SynFaceAnnotation SynFaceAnnotationFromPoses(const Rigid3d& world_from_cam,
                                             const Rigid3d& world_from_head) {
  SynFaceAnnotation a;
  a.camera_location = world_from_cam.translation;
  a.head_location = world_from_head.translation;
  // diag(1,-1,-1) and EmptyFromHead() are orthogonal: undo them with their transposes.
  a.camera_rotation = BlenderEulerFromMatrix(world_from_cam.RotationMatrix() *
                                             OpenCvFromBlenderCameraAxes().transpose());
  a.head_rotation =
      BlenderEulerFromMatrix(world_from_head.RotationMatrix() * EmptyFromHead().transpose());
  return a;
}

}  // namespace synface::core::geometry
