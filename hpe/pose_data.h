// The in-memory head-pose data every reader produces and every trainer consumes, and the face crop
// rules of FSA-Net's data scripts.
//
//   PoseRecord  one labelled image on disk: the file, the pose (synface convention, radians) and
//               how to cut the face out of it (landmarks / a face box / the whole image).
//   PoseSet     the crops loaded into memory (size x size BGR, uint8) with labels in degrees
//               [yaw, pitch, roll] — the same content as the authors' .npy/.npz arrays.
//
// Crop rules (shamangary/FSA-Net, digest ch3 §2.4):
//   landmarks  data/type1/TYY_create_db_type1.py (300W-LP, AFLW2000): bounding box of the 2D
//              landmarks with positive coordinates, truncated to int, enlarged by ad = 0.6 of its
//              width/height on every side, clipped to [0, W-1] x [0, H-1], rows y0:y1 and columns
//              x0:x1 taken with exclusive ends (so the last row/column is never included).
//   detection  data/TYY_create_db_biwi.py (a face box x, y, w, h as MTCNN returns it): enlarged
//              by ad = 0.4 per side, truncated, clipped, inclusive ends (img[y1:y2+1, x1:x2+1]).
// Both then resize to size x size with cv2.resize's default (bilinear). MTCNN itself is not used
// (hpe/README.md says why): BIWI boxes come from the projected head centre, synthetic boxes from
// the rendered landmarks, CSV boxes from the file.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "core/geometry/head_pose.h"

namespace synface::hpe {

// Pixel-index rectangle [x0, x1) x [y0, y1) (columns, rows).
struct PixelBox {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  bool operator==(const PixelBox& o) const {
    return x0 == o.x0 && y0 == o.y0 && x1 == o.x1 && y1 == o.y1;
  }
};

inline constexpr double kLandmarkMargin = 0.6;   // FSA-Net type1 (300W-LP, AFLW2000) `--ad`
inline constexpr double kDetectionMargin = 0.4;  // FSA-Net BIWI `--ad`

// TYY_create_db_type1.py, literally: keeps the points with x > 0 (or, when more points have
// x > 0 than y > 0, those with y > 0 — the script's rule for AFLW2000's negative entries), takes
// int() of their min/max, enlarges by `margin` and clips. Throws core::Error naming `source` when
// no point is usable or the box is empty.
PixelBox FsaNetLandmarkBox(const std::vector<Eigen::Vector2d>& landmarks, double margin,
                           int image_width, int image_height, const std::string& source = "");

// TYY_create_db_biwi.py for a face box (x, y, w, h): [int(x - m w), int(x + w + m w)] x
// [int(y - m h), int(y + h + m h)], clipped to the image, inclusive ends. Throws when empty.
PixelBox FsaNetDetectionBox(const Eigen::Vector4d& xywh, double margin, int image_width,
                            int image_height, const std::string& source = "");

// Cuts `box` out of `image` and resizes it to size x size (cv::INTER_LINEAR, as cv2.resize).
cv::Mat CropAndResize(const cv::Mat& image, const PixelBox& box, int size);

enum class CropKind {
  kWhole,      // the image is already a face crop
  kLandmarks,  // FsaNetLandmarkBox(landmarks, margin)
  kBox,        // FsaNetDetectionBox(box, margin)
};

struct PoseRecord {
  std::filesystem::path image;
  core::geometry::HeadPose pose;  // radians, synface convention (docs/conventions.md)
  CropKind crop = CropKind::kWhole;
  std::vector<Eigen::Vector2d> landmarks;         // kLandmarks: pixel coordinates
  Eigen::Vector4d box = Eigen::Vector4d::Zero();  // kBox: x, y, w, h in pixels
  double margin = 0.0;                            // enlargement per side (fraction of w / h)
  int group = 0;     // sequence / subject / identity, for group-wise splits
  std::string name;  // for messages and output files, e.g. "05/frame_00012"

  // The crop of this record in an image of the given size.
  PixelBox CropBox(int image_width, int image_height) const;
};

// [yaw, pitch, roll] in degrees: the unit FSA-Net regresses and every table prints.
Eigen::Vector3d LabelDegrees(const core::geometry::HeadPose& pose);

struct PoseSet {
  int size = 64;
  std::vector<cv::Mat> images;          // size x size, CV_8UC3, BGR (as OpenCV reads)
  std::vector<Eigen::Vector3d> labels;  // degrees [yaw, pitch, roll]
  std::vector<int> groups;
  std::vector<std::string> names;

  size_t count() const { return images.size(); }
  // The samples at `indices`, in that order (indices may repeat).
  PoseSet Subset(const std::vector<size_t>& indices) const;
  // Appends another set of the same size.
  void Append(const PoseSet& other);
};

struct LoadOptions {
  int size = 64;
  int threads = 1;  // image decoding threads (0 = every core)
  bool show_progress = true;
  std::string label = "load";
};

// Reads, crops and resizes every record's image. Throws core::Error naming the file for an image
// that cannot be read or a crop that is empty.
PoseSet LoadPoseSet(const std::vector<PoseRecord>& records, const LoadOptions& options = {});

// Cache of a PoseSet in one binary file (magic, version, size, count, then per sample the label,
// group, name and raw pixels), written atomically: loading 122k JPEGs once per experiment is what
// the authors' .npz arrays avoid, and so does this.
void SavePoseSet(const std::filesystem::path& path, const PoseSet& set);
PoseSet ReadPoseSet(const std::filesystem::path& path);

}  // namespace synface::hpe
