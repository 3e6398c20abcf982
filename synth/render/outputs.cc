#include "synth/render/outputs.h"

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfIO.h>
#include <ImfOutputFile.h>
#include <ImfStringAttribute.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace synface::synth::render {

void WriteRgb(const std::filesystem::path& path, const RenderOutput& output,
              const core::io::ImageWriteOptions& options) {
  if (output.rgb.empty())
    throw core::MakeError("{}: the render has no RGB image (depth_only mode)", path.string());
  core::io::WriteImage(path, output.rgb, options);
}

core::io::ExrImage DepthExrImage(const RenderOutput& output) {
  if (output.depth.empty() || output.distance.empty())
    throw core::Error("depth EXR: the render has no depth");
  core::io::ExrImage image;
  image.Add("Z", output.depth);
  image.Add("distance", output.distance);
  image.attributes["synface.units"] = "metres";
  image.attributes["synface.depth"] =
      "Z: planar depth along the optical axis at the pixel-centre ray, 0 = no surface";
  image.attributes["synface.distance"] =
      "distance: Euclidean distance from the camera centre along the pixel-centre ray, "
      "0 = no surface";
  return image;
}

void WriteDepthExr(const std::filesystem::path& path, const RenderOutput& output,
                   const core::io::ExrWriteOptions& options) {
  core::io::WriteExr(path, DepthExrImage(output), options);
}

void WriteMask(const std::filesystem::path& path, const RenderOutput& output) {
  if (output.mask.empty() || output.mask.type() != CV_8UC1)
    throw core::MakeError("{}: the render has no 8-bit mask", path.string());
  core::io::WriteImage(path, output.mask);
}

namespace {

// An OpenEXR output stream into a string (OpenEXR seeks back to patch the line offset table).
class StringOStream : public Imf::OStream {
 public:
  StringOStream() : Imf::OStream("memory") {}
  void write(const char c[], int n) override {
    if (pos_ + n > bytes_.size()) bytes_.resize(pos_ + n);
    std::memcpy(&bytes_[pos_], c, static_cast<size_t>(n));
    pos_ += static_cast<uint64_t>(n);
  }
  uint64_t tellp() override { return pos_; }
  void seekp(uint64_t pos) override { pos_ = pos; }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
  uint64_t pos_ = 0;
};

Imf::Compression ToImf(core::io::ExrCompression c) {
  using core::io::ExrCompression;
  switch (c) {
    case ExrCompression::kNone:
      return Imf::NO_COMPRESSION;
    case ExrCompression::kRle:
      return Imf::RLE_COMPRESSION;
    case ExrCompression::kZips:
      return Imf::ZIPS_COMPRESSION;
    case ExrCompression::kZip:
      return Imf::ZIP_COMPRESSION;
    case ExrCompression::kPiz:
      return Imf::PIZ_COMPRESSION;
    case ExrCompression::kPxr24:
      return Imf::PXR24_COMPRESSION;
    case ExrCompression::kB44:
      return Imf::B44_COMPRESSION;
    case ExrCompression::kB44a:
      return Imf::B44A_COMPRESSION;
    case ExrCompression::kDwaa:
      return Imf::DWAA_COMPRESSION;
    case ExrCompression::kDwab:
      return Imf::DWAB_COMPRESSION;
  }
  throw core::Error("unknown EXR compression");
}

}  // namespace

std::string EncodeRgb(const std::string& extension, const RenderOutput& output,
                      const core::io::ImageWriteOptions& options) {
  if (output.rgb.empty()) throw core::Error("the render has no RGB image (depth_only mode)");
  return core::io::EncodeImage(extension, output.rgb, options);
}

// The same header, channels and frame buffer as core::io::WriteExr builds for float channels.
std::string EncodeDepthExr(const RenderOutput& output, const core::io::ExrWriteOptions& options) {
  if (options.pixel_type != core::io::ExrPixelType::kFloat)
    throw core::Error("depth EXR: only float channels are encoded in memory");
  const core::io::ExrImage image = DepthExrImage(output);
  try {
    Imf::Header header(image.width, image.height);
    header.compression() = ToImf(options.compression);
    Imf::FrameBuffer frame;
    for (const auto& c : image.channels) {
      if (c.data.type() != CV_32FC1 || c.data.cols != image.width || c.data.rows != image.height)
        throw core::MakeError("depth EXR: channel '{}' is not CV_32FC1 {}x{}", c.name, image.width,
                              image.height);
      header.channels().insert(c.name, Imf::Channel(Imf::FLOAT));
      frame.insert(c.name, Imf::Slice(Imf::FLOAT, reinterpret_cast<char*>(c.data.data),
                                      sizeof(float), c.data.step[0]));
    }
    for (const auto& [key, value] : image.attributes)
      header.insert(key, Imf::StringAttribute(value));
    StringOStream stream;
    {
      Imf::OutputFile file(stream, header);
      file.setFrameBuffer(frame);
      file.writePixels(image.height);
    }  // the destructor writes the line offset table
    return stream.Take();
  } catch (const core::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw core::MakeError("depth EXR: cannot encode: {}", e.what());
  }
}

std::string EncodeMask(const RenderOutput& output) {
  if (output.mask.empty() || output.mask.type() != CV_8UC1)
    throw core::Error("the render has no 8-bit mask");
  return core::io::EncodeImage(".png", output.mask);
}

cv::Vec3b PartLabelColor(PartLabel label) {
  switch (label) {
    case PartLabel::kBackground:
      return {0, 0, 0};
    case PartLabel::kSkin:
      return {128, 178, 230};  // light tan
    case PartLabel::kEyes:
      return {230, 160, 40};  // blue
    case PartLabel::kMouth:
      return {60, 40, 200};  // red
    case PartLabel::kOther:
      return {60, 200, 110};  // green
  }
  return {255, 255, 255};
}

cv::Mat ColorizeMask(const cv::Mat& mask) {
  if (mask.type() != CV_8UC1) throw core::Error("ColorizeMask: expected an 8-bit mask");
  cv::Mat out(mask.size(), CV_8UC3);
  for (int y = 0; y < mask.rows; ++y)
    for (int x = 0; x < mask.cols; ++x) {
      const std::uint8_t v = mask.at<std::uint8_t>(y, x);
      out.at<cv::Vec3b>(y, x) =
          v < kNumPartLabels ? PartLabelColor(static_cast<PartLabel>(v)) : cv::Vec3b(255, 255, 255);
    }
  return out;
}

cv::Mat ColorizeDepth(const cv::Mat& depth, double min_depth, double max_depth) {
  if (depth.type() != CV_32FC1) throw core::Error("ColorizeDepth: expected a CV_32FC1 depth map");
  if (min_depth <= 0 || max_depth <= 0) {
    double lo = INFINITY, hi = 0;
    for (int y = 0; y < depth.rows; ++y)
      for (int x = 0; x < depth.cols; ++x) {
        const float d = depth.at<float>(y, x);
        if (d > 0 && std::isfinite(d)) {
          lo = std::min(lo, static_cast<double>(d));
          hi = std::max(hi, static_cast<double>(d));
        }
      }
    if (min_depth <= 0) min_depth = std::isfinite(lo) ? lo : 0;
    if (max_depth <= 0) max_depth = hi;
  }
  const double span = std::max(max_depth - min_depth, 1e-9);
  cv::Mat grey(depth.size(), CV_8UC1, cv::Scalar(0));
  cv::Mat valid(depth.size(), CV_8UC1, cv::Scalar(0));
  for (int y = 0; y < depth.rows; ++y)
    for (int x = 0; x < depth.cols; ++x) {
      const float d = depth.at<float>(y, x);
      if (!(d > 0) || !std::isfinite(d)) continue;
      const double near_is_high = 1.0 - std::clamp((d - min_depth) / span, 0.0, 1.0);
      grey.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(std::lround(30 + 225 * near_is_high));
      valid.at<std::uint8_t>(y, x) = 255;
    }
  cv::Mat colour;
  cv::applyColorMap(grey, colour, cv::COLORMAP_INFERNO);
  cv::Mat out(depth.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  colour.copyTo(out, valid);
  return out;
}

}  // namespace synface::synth::render
