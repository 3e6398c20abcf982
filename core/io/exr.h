// OpenEXR in and out: float32 depth maps and multi-channel float images with named channels.
//
// Channel names used by synface (see docs/ARCHITECTURE.md, "Depth"):
//   "Z"         planar depth along the camera's optical axis, metres, 0 = no surface (EXR's
//               conventional depth channel name; Blender, Nuke and most renderers use it too)
//   "distance"  ray distance from the camera centre, metres, 0 = no surface (when written)
// ReadDepthExr also accepts a file whose depth sits in "R" or "Y" (tools that write depth as a
// red or luminance image, e.g. cv::imwrite of a 1-channel float image writes "Y").
//
// Every failure (missing, corrupt, truncated file, unknown channel) is a core::Error naming the
// path; OpenEXR's own Iex exceptions never escape.
#pragma once

#include <filesystem>
#include <map>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace synface::core::io {

// EXR compression. Lossless for float32 data: kNone, kRle, kZips, kZip, kPiz. kPxr24 rounds
// float32 to 24 bits (about 15 mantissa bits: relative error up to ~3e-5) and is lossless for
// half. kB44/kB44a only compress half channels (lossy); float32 channels are stored unchanged.
// kDwaa/kDwab are lossy only for half channels named like colours (R, G, B, Y, BY, RY); other
// channels, float32 depth included, are stored losslessly (zlib).
enum class ExrCompression { kNone, kRle, kZips, kZip, kPiz, kPxr24, kB44, kB44a, kDwaa, kDwab };

// "none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab".
std::string ExrCompressionName(ExrCompression compression);
// Inverse of ExrCompressionName (case-insensitive); throws core::Error listing the valid names.
ExrCompression ParseExrCompression(std::string_view name);

// How a channel is stored in the file. Reading always yields float32.
enum class ExrPixelType { kUint, kHalf, kFloat };
std::string ExrPixelTypeName(ExrPixelType type);

struct ExrChannel {
  std::string name;
  cv::Mat data;  // CV_32FC1, height x width
};

struct ExrImage {
  int width = 0, height = 0;
  std::vector<ExrChannel> channels;  // written in this order (OpenEXR itself sorts names)
  // String attributes (provenance such as "synface.units" = "metres"); read back from the header.
  std::map<std::string, std::string> attributes;

  // The channel's data, or nullptr when absent.
  const cv::Mat* Find(std::string_view name) const;
  // The channel's data; throws core::Error listing the channels present when absent.
  const cv::Mat& Get(std::string_view name) const;
  // Adds (or replaces) a channel; `data` must be CV_32FC1 of height x width (sets the size when
  // this is the first channel). Throws core::Error otherwise.
  void Add(const std::string& name, const cv::Mat& data);
};

struct ExrWriteOptions {
  ExrCompression compression = ExrCompression::kZip;
  // kHalf halves the file but keeps only ~3 significant digits (and saturates above 65504):
  // fine for previews, not for depth labels.
  ExrPixelType pixel_type = ExrPixelType::kFloat;
};

struct ExrChannelInfo {
  std::string name;
  ExrPixelType type = ExrPixelType::kFloat;
  int x_sampling = 1, y_sampling = 1;
};

struct ExrHeaderInfo {
  int width = 0, height = 0;  // of the data window
  int data_min_x = 0, data_min_y = 0;
  int display_width = 0, display_height = 0;
  ExrCompression compression = ExrCompression::kNone;
  bool tiled = false;
  std::vector<ExrChannelInfo> channels;  // in file order (sorted by name, as OpenEXR stores them)
  std::map<std::string, std::string> attributes;  // string attributes only
  bool HasChannel(std::string_view name) const;
};

// Writes all channels atomically (temporary file + rename). Throws core::Error on an empty image,
// a channel of the wrong type or size, duplicate names, or an OpenEXR failure.
void WriteExr(const std::filesystem::path& path, const ExrImage& image,
              const ExrWriteOptions& options = {});

// Reads every channel (or only `channels` when given; a missing one is an error naming those
// present) as float32, whatever its stored type (half, float, uint). Subsampled channels are
// rejected. Reads scan-line and tiled single-part files (the first part of a multi-part file).
ExrImage ReadExr(const std::filesystem::path& path, const std::vector<std::string>& channels = {});

// Reads only the header.
ExrHeaderInfo ReadExrHeader(const std::filesystem::path& path);

// A depth map (CV_32FC1, metres) as a single "Z" channel.
void WriteDepthExr(const std::filesystem::path& path, const cv::Mat& depth,
                   const ExrWriteOptions& options = {});
// The depth channel of a file: "Z", else "R", else "Y", else the only channel; throws core::Error
// naming the path and its channels when none of these fits.
cv::Mat ReadDepthExr(const std::filesystem::path& path);

}  // namespace synface::core::io
