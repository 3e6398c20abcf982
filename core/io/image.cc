#include "core/io/image.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace fs = std::filesystem;

namespace {

int CvFlags(ImageReadMode mode) {
  switch (mode) {
    case ImageReadMode::kColor:
      return cv::IMREAD_COLOR;
    case ImageReadMode::kGrayscale:
      return cv::IMREAD_GRAYSCALE;
    case ImageReadMode::kUnchanged:
      return cv::IMREAD_UNCHANGED;
  }
  return cv::IMREAD_COLOR;
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool PngComplete(const unsigned char* p, size_t n) {
  size_t pos = 8;  // after the signature
  while (pos + 12 <= n) {
    const uint64_t length = BigEndian32(p + pos);
    const bool iend = std::equal(p + pos + 4, p + pos + 8, "IEND");
    pos += 12 + length;  // length + type + data + CRC
    if (pos > n) return false;
    if (iend) return true;
  }
  return false;
}

// Walks the marker segments from SOI; entropy-coded data after SOS runs until the next marker that
// is not a stuffed 0xFF00 or a restart marker. Complete = reaching EOI. Segments are skipped by
// their lengths, so an embedded EXIF thumbnail (with its own EOI) does not count.
bool JpegComplete(const unsigned char* p, size_t n) {
  size_t pos = 2;  // after SOI
  while (true) {
    while (pos < n && p[pos] != 0xFF) ++pos;  // tolerate garbage before a marker
    while (pos < n && p[pos] == 0xFF) ++pos;  // fill bytes
    if (pos >= n) return false;
    const unsigned char marker = p[pos++];
    if (marker == 0xD9) return true;                                     // EOI
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (pos + 2 > n) return false;
    const size_t length = (size_t{p[pos]} << 8) | p[pos + 1];
    if (length < 2) return false;
    pos += length;
    if (pos > n) return false;
    if (marker == 0xDA) {  // SOS: skip the entropy-coded segment
      while (true) {
        while (pos < n && p[pos] != 0xFF) ++pos;
        if (pos + 1 >= n) return false;
        const unsigned char next = p[pos + 1];
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || next == 0xFF) {
          pos += (next == 0xFF) ? 1 : 2;
          continue;
        }
        break;  // a real marker: handled by the outer loop
      }
    }
  }
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Which OpenCV depths each encoder stores without conversion. imencode would otherwise convert a
// float or 16-bit image to 8 bits silently, which for depth maps is data loss.
bool FormatHoldsDepth(const std::string& ext, int depth) {
  if (ext == ".png" || ext == ".pgm" || ext == ".ppm" || ext == ".pnm")
    return depth == CV_8U || depth == CV_16U;
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".webp") return depth == CV_8U;
  if (ext == ".tif" || ext == ".tiff")
    return depth == CV_8U || depth == CV_16U || depth == CV_32F || depth == CV_64F;
  return depth == CV_8U;
}

const char* DepthName(int depth) {
  switch (depth) {
    case CV_8U:
      return "8-bit unsigned";
    case CV_8S:
      return "8-bit signed";
    case CV_16U:
      return "16-bit unsigned";
    case CV_16S:
      return "16-bit signed";
    case CV_32S:
      return "32-bit integer";
    case CV_32F:
      return "32-bit float";
    case CV_64F:
      return "64-bit float";
    default:
      return "16-bit float";
  }
}

}  // namespace

bool LooksComplete(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  static constexpr unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n >= 8 && std::equal(kPng, kPng + 8, p)) return PngComplete(p, n);
  if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return JpegComplete(p, n);
  return true;
}

cv::Mat DecodeImage(std::string_view bytes, const std::string& name, ImageReadMode mode) {
  if (bytes.empty()) throw MakeError("{}: empty file, not an image", name);
  if (!LooksComplete(bytes))
    throw MakeError("{}: truncated image (the PNG/JPEG data ends before its end marker)", name);
  cv::Mat decoded;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    decoded = cv::imdecode(raw, CvFlags(mode));
  } catch (const cv::Exception& e) {
    throw MakeError("{}: cannot decode image: {}", name, e.what());
  }
  if (decoded.empty())
    throw MakeError("{}: not a readable image (unknown format or corrupt data)", name);
  return decoded;
}

cv::Mat ReadImage(const fs::path& path, ImageReadMode mode) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw MakeError("{}: image file not found", path.string());
  return DecodeImage(ReadFile(path), path.string(), mode);
}

std::string EncodeImage(const std::string& extension, const cv::Mat& image,
                        const ImageWriteOptions& options) {
  const std::string ext = Lower(extension);
  if (image.empty()) throw MakeError("cannot encode an empty image as '{}'", ext);
  if (ext.empty() || !cv::haveImageWriter("x" + ext))
    throw MakeError("no image encoder for extension '{}'", extension);
  if (!FormatHoldsDepth(ext, image.depth()))
    throw MakeError("'{}' cannot store {}-channel {} images without conversion; convert first", ext,
                    image.channels(), DepthName(image.depth()));
  std::vector<int> params;
  if (ext == ".jpg" || ext == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, options.jpeg_quality};
  if (ext == ".png") params = {cv::IMWRITE_PNG_COMPRESSION, options.png_compression};
  if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, options.jpeg_quality};
  std::vector<uchar> buffer;
  try {
    if (!cv::imencode(ext, image, buffer, params))
      throw MakeError("'{}' encoder refused a {}x{} image with {} channels", ext, image.cols,
                      image.rows, image.channels());
  } catch (const cv::Exception& e) {
    throw MakeError("cannot encode {}x{} image with {} channels as '{}': {}", image.cols,
                    image.rows, image.channels(), ext, e.what());
  }
  return std::string(buffer.begin(), buffer.end());
}

void WriteImage(const fs::path& path, const cv::Mat& image, const ImageWriteOptions& options) {
  std::string bytes;
  try {
    bytes = EncodeImage(path.extension().string(), image, options);
  } catch (const Error& e) {
    throw MakeError("{}: {}", path.string(), e.what());
  }
  WriteFileAtomic(path, bytes);
}

}  // namespace synface::core::io
