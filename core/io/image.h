// Images in and out through OpenCV: reading that refuses missing, corrupt and truncated files with
// an error naming the path (cv::imread would return an empty Mat, and libjpeg decodes a truncated
// JPEG into a half-grey picture without complaint), and atomic writing.
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

namespace synface::core::io {

enum class ImageReadMode {
  kColor,      // 8-bit, 3-channel BGR (grey images are expanded, 16-bit reduced, alpha dropped,
               // EXIF orientation applied): cv::IMREAD_COLOR
  kGrayscale,  // 8-bit, 1-channel: cv::IMREAD_GRAYSCALE
  kUnchanged,  // as stored: depth (8/16/32-bit), channel count and alpha kept, no EXIF rotation
};

// Reads an image file (PNG, JPEG, BMP, TIFF, WebP, PNM, ... whatever OpenCV decodes). Throws
// core::Error naming the path when the file is missing, not an image, or truncated.
cv::Mat ReadImage(const std::filesystem::path& path, ImageReadMode mode = ImageReadMode::kColor);

// Decodes an encoded image held in memory; `name` (usually the source path) is put in errors.
cv::Mat DecodeImage(std::string_view bytes, const std::string& name,
                    ImageReadMode mode = ImageReadMode::kColor);

// PNG and JPEG files are walked chunk by chunk / marker by marker: true when the structure is
// complete (PNG up to IEND, JPEG up to the EOI that ends the frame). Other formats: true.
bool LooksComplete(std::string_view bytes);

struct ImageWriteOptions {
  int jpeg_quality = 95;    // 0..100
  int png_compression = 3;  // 0 (none, fastest) .. 9 (smallest); lossless at every level
};

// Encodes by the extension of `path` (.png, .jpg/.jpeg, .bmp, .tif/.tiff, .webp, .pgm/.ppm) and
// writes atomically (temporary file + rename), creating parent folders. Throws core::Error naming
// the path for an empty image, an unknown extension, or a depth/channel layout the format cannot
// hold (e.g. JPEG needs 8-bit 1 or 3 channels).
void WriteImage(const std::filesystem::path& path, const cv::Mat& image,
                const ImageWriteOptions& options = {});

// The encoded bytes WriteImage would write; `extension` like ".png". Throws core::Error.
std::string EncodeImage(const std::string& extension, const cv::Mat& image,
                        const ImageWriteOptions& options = {});

}  // namespace synface::core::io
