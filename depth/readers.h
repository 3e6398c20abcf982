// Depth data from disk into one sample type: synface's own synthetic datasets (the dataset
// contract of core/data, written by synth — read from disk only, no synth code), and the real
// depth sets a user may hold, each in its published file format:
//
//   synth    <dir>/dataset.toml + manifest.csv + samples/<id>.{rgb.png|rgb.jpg, depth.exr, json}:
//            EXR channel "Z" = planar depth in metres, 0 = no surface; intrinsics from the
//            sample JSON as synth/labels writes it ("camera": {"intrinsics": {fx, fy, cx, cy,
//            width, height}, "K": 3x3 rows}; a top-level "intrinsics" or "K" is accepted too),
//            synface's pixel-centre convention. Subject: the manifest's "subject" column, else
//            id / head.samples_per_subject of the generator config in dataset.toml.
//   nyu      NYU Depth v2 labelled set, nyu_depth_v2_labeled.mat (MATLAB v7.3 = HDF5, read with
//            matio built with HDF5; v5 files also work): "images" 480x640x3xN uint8 RGB,
//            "depths" 480x640xN single metres, already registered to the RGB camera. Frames are
//            read one at a time (the file is 2.8 GB). Intrinsics from the NYU toolbox's
//            camera_params.m (1-based MATLAB pixel coordinates, converted).
//   biwi     Biwi Kinect Head Pose: <root>/<seq>/frame_<n>_depth.bin (int32 width, int32 height,
//            then runs of {int32 empty count, int32 full count, full count x int16 depth in mm},
//            little-endian; Fanelli's reader), frame_<n>_rgb.png, depth.cal / rgb.cal (3x3
//            intrinsics, a line of 4 distortion values, 3x3 rotation, 3-vector translation in mm,
//            blank lines between). The depth map is in the depth camera's grid; RegisterToColor
//            reprojects it into the RGB camera.
//   pandora  Pandora (Borghi et al. 2017): sequence folders holding RGB/ and DEPTH/ with
//            <frame>_RGB.png and <frame>_DEPTH.png (16-bit, millimetres). Layout as described on
//            the dataset's page (not documented in the thesis or the digest; no public reader was
//            found — see depth/README.md). RGB and depth come from different Kinect v2 cameras
//            and are not registered; no intrinsics are shipped.
//   eurecom  EURECOM Kinect Face: <root>/<person>/s<k>/RGB/rgb_<person>_s<k>_<State>.bmp (256x256
//            crop) and .../Depth/DepthKinect/depth_<person>_s<k>_<State>.txt (lines "x y depth":
//            pixel coordinates in the original 640x480 Kinect frame, depth in mm); the crop's
//            top-left corner defaults to (192, 74) (after a public reader of the set; see README).
//            Intrinsics: nominal Kinect v1 (f = 525 px), flagged as nominal.
//
// Every missing or malformed file is a core::Error naming it (and the line or byte offset).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/geometry/camera.h"

namespace synface::depth {

struct DepthSample {
  std::string id;  // unique within its source, e.g. "000123", "0005", "01/frame_00003"
  cv::Mat rgb;     // CV_8UC3, BGR (OpenCV's order); empty when the source has none
  cv::Mat depth;   // CV_32FC1, metres, 0 = no measurement; empty when the source has none
  core::geometry::Intrinsics intrinsics;  // of `depth`'s pixel grid (of `rgb` when no depth)
  bool has_intrinsics = false;
  bool intrinsics_nominal = false;  // a typical value for the sensor, not a calibration
  bool registered = true;           // rgb and depth share one pixel grid
  std::string source;               // the file(s) read
};

// A random-access collection of samples.
class DepthSource {
 public:
  virtual ~DepthSource() = default;
  virtual std::string kind() const = 0;
  virtual size_t size() const = 0;
  virtual DepthSample Read(size_t index) const = 0;
  // Group of a sample for subject-disjoint splits (subject / sequence / person); "" if unknown.
  virtual std::string Group(size_t index) const { return ""; }
};

// ---- synface synthetic datasets --------------------------------------------------------------

class SynthDepthDataset : public DepthSource {
 public:
  // Validates the dataset (core::data::Dataset::Open) and that its samples carry an RGB image
  // and a depth EXR. Throws core::Error naming the folder and what is missing.
  explicit SynthDepthDataset(const std::filesystem::path& dir);
  ~SynthDepthDataset() override;
  std::string kind() const override { return "synth"; }
  size_t size() const override;
  DepthSample Read(size_t index) const override;
  // The manifest's "subject" (or "identity", "head") column when present, else synth's rule
  // id / config.head.samples_per_subject (dataset.toml), else "".
  std::string Group(size_t index) const override;
  const std::filesystem::path& dir() const { return dir_; }
  uint64_t Id(size_t index) const;
  // Hex FNV-1a of manifest.csv (provenance for result records).
  std::string ManifestHash() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path dir_;
};

// Intrinsics from a synface sample JSON (see the header comment); nullopt when it has none.
// Throws core::Error naming `source` for malformed JSON or non-positive focal lengths.
std::optional<core::geometry::Intrinsics> IntrinsicsFromSampleJson(const std::string& text,
                                                                   const std::string& source,
                                                                   int width, int height);

// ---- NYU Depth v2 ------------------------------------------------------------------------------

// fx, fy, cx, cy of the NYU toolbox's camera_params.m (RGB camera), shifted from MATLAB's 1-based
// pixel indices to synface's continuous coordinates (cx - 0.5, cy - 0.5).
core::geometry::Intrinsics NyuIntrinsics(int width = 640, int height = 480);
// The Eigen et al. evaluation crop of NYU (rows 45..470, cols 41..600, 0-based inclusive).
cv::Rect NyuEigenCrop();

class NyuDepthV2Reader : public DepthSource {
 public:
  explicit NyuDepthV2Reader(const std::filesystem::path& mat_file);
  ~NyuDepthV2Reader() override;
  std::string kind() const override { return "nyu"; }
  size_t size() const override;
  DepthSample Read(size_t index) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- Biwi Kinect Head Pose ---------------------------------------------------------------------

// A frame_XXXXX_depth.bin as metres (CV_32FC1, 0 = no measurement).
cv::Mat ReadBiwiDepthBin(const std::filesystem::path& path);
// The inverse, for fixtures and tools: depth in metres, rounded to whole millimetres.
void WriteBiwiDepthBin(const std::filesystem::path& path, const cv::Mat& depth_m);

struct BiwiCalibration {
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();  // as in the file (integer pixel centres)
  Eigen::Vector4d distortion = Eigen::Vector4d::Zero();
  Eigen::Matrix3d R = Eigen::Matrix3d::Identity();
  Eigen::Vector3d t = Eigen::Vector3d::Zero();  // millimetres
  // K in synface's convention (principal point + 0.5) for a width x height image.
  core::geometry::Intrinsics Intrinsics(int width = 640, int height = 480) const;
};
BiwiCalibration ReadBiwiCalibration(const std::filesystem::path& path);

// Reprojects a depth map from one pinhole camera into another: X_dst = R X_src + t (metres),
// z-buffered (nearest surface wins), nearest-pixel splatting, 0 where nothing lands.
cv::Mat ReprojectDepth(const cv::Mat& depth_src, const core::geometry::Intrinsics& src,
                       const core::geometry::Intrinsics& dst, const Eigen::Matrix3d& R,
                       const Eigen::Vector3d& t_m);

struct BiwiOptions {
  // Reproject depth into the RGB camera with rgb.cal's extrinsics, read as X_rgb = R X_depth + t
  // (the convention is not documented by the dataset; see README).
  bool register_to_rgb = false;
  bool read_rgb = true;
};

class BiwiDepthReader : public DepthSource {
 public:
  // Scans <root>/<sequence>/ for frame_*_depth.bin; each sequence needs depth.cal (and rgb.cal
  // when registering). Throws core::Error when the root has no sequences.
  explicit BiwiDepthReader(const std::filesystem::path& root, BiwiOptions options = {});
  std::string kind() const override { return "biwi"; }
  size_t size() const override { return frames_.size(); }
  DepthSample Read(size_t index) const override;
  std::string Group(size_t index) const override { return frames_.at(index).sequence; }

 private:
  struct Frame {
    std::string sequence, name;  // "01", "frame_00003"
    std::filesystem::path dir;
  };
  std::filesystem::path root_;
  BiwiOptions options_;
  std::vector<Frame> frames_;
};

// ---- Pandora -------------------------------------------------------------------------------

struct PandoraOptions {
  std::string rgb_dir = "RGB", depth_dir = "DEPTH";
  std::string rgb_suffix = "_RGB.png", depth_suffix = "_DEPTH.png";
  double depth_scale = 0.001;  // stored units -> metres
};

class PandoraReader : public DepthSource {
 public:
  explicit PandoraReader(const std::filesystem::path& root, PandoraOptions options = {});
  std::string kind() const override { return "pandora"; }
  size_t size() const override { return frames_.size(); }
  DepthSample Read(size_t index) const override;
  std::string Group(size_t index) const override { return frames_.at(index).sequence; }

 private:
  struct Frame {
    std::string sequence, frame;
    std::filesystem::path rgb, depth;
  };
  PandoraOptions options_;
  std::vector<Frame> frames_;
};

// ---- EURECOM Kinect Face -------------------------------------------------------------------

struct EurecomOptions {
  int crop_x = 192, crop_y = 74;  // top-left corner of the 256x256 crop in the Kinect frame
  int crop_width = 256, crop_height = 256;
};

// The DepthKinect text file as a crop_width x crop_height map in metres.
cv::Mat ReadEurecomDepthText(const std::filesystem::path& path, const EurecomOptions& options = {});

class EurecomReader : public DepthSource {
 public:
  explicit EurecomReader(const std::filesystem::path& root, EurecomOptions options = {});
  std::string kind() const override { return "eurecom"; }
  size_t size() const override { return frames_.size(); }
  DepthSample Read(size_t index) const override;
  std::string Group(size_t index) const override { return frames_.at(index).person; }

 private:
  struct Frame {
    std::string person, session, state;
    std::filesystem::path rgb, depth;
  };
  EurecomOptions options_;
  std::vector<Frame> frames_;
};

// ---- Plain image folders, and opening by kind ------------------------------------------------

// Every .png/.jpg/.jpeg/.bmp in a folder (sorted, not recursive); RGB only, no intrinsics.
class ImageFolderSource : public DepthSource {
 public:
  explicit ImageFolderSource(const std::filesystem::path& dir);
  std::string kind() const override { return "images"; }
  size_t size() const override { return files_.size(); }
  DepthSample Read(size_t index) const override;

 private:
  std::vector<std::filesystem::path> files_;
};

// A view of some samples of another source (which must outlive it), in the order given.
class SubsetSource : public DepthSource {
 public:
  SubsetSource(const DepthSource& base, std::vector<size_t> indices);
  std::string kind() const override { return base_.kind(); }
  size_t size() const override { return indices_.size(); }
  DepthSample Read(size_t index) const override { return base_.Read(indices_.at(index)); }
  std::string Group(size_t index) const override { return base_.Group(indices_.at(index)); }

 private:
  const DepthSource& base_;
  std::vector<size_t> indices_;
};

// kind: "synth", "nyu", "biwi", "pandora", "eurecom", "images", or "auto" (dataset.toml -> synth,
// a .mat file -> nyu, otherwise images). Throws core::Error naming the path.
std::unique_ptr<DepthSource> OpenDepthSource(const std::string& kind,
                                             const std::filesystem::path& path);

// Deterministic split by group (or by index when a source has no groups): a group goes to the
// test set when FNV-1a(group) mod 10000 < test_fraction * 10000; with at least two groups and a
// fraction strictly between 0 and 1, both sides get at least one group.
struct DepthSplit {
  std::vector<size_t> train, test;
};
DepthSplit SplitByGroup(const DepthSource& source, double test_fraction);

}  // namespace synface::depth
