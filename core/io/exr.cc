#include "core/io/exr.h"

#include <ImfChannelList.h>
#include <ImfFrameBuffer.h>
#include <ImfHeader.h>
#include <ImfInputFile.h>
#include <ImfOutputFile.h>
#include <ImfStringAttribute.h>
#include <half.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <exception>
#include <set>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::io {
namespace fs = std::filesystem;

namespace {

struct CompressionEntry {
  ExrCompression ours;
  Imf::Compression theirs;
  const char* name;
};

constexpr CompressionEntry kCompressions[] = {
    {ExrCompression::kNone, Imf::NO_COMPRESSION, "none"},
    {ExrCompression::kRle, Imf::RLE_COMPRESSION, "rle"},
    {ExrCompression::kZips, Imf::ZIPS_COMPRESSION, "zips"},
    {ExrCompression::kZip, Imf::ZIP_COMPRESSION, "zip"},
    {ExrCompression::kPiz, Imf::PIZ_COMPRESSION, "piz"},
    {ExrCompression::kPxr24, Imf::PXR24_COMPRESSION, "pxr24"},
    {ExrCompression::kB44, Imf::B44_COMPRESSION, "b44"},
    {ExrCompression::kB44a, Imf::B44A_COMPRESSION, "b44a"},
    {ExrCompression::kDwaa, Imf::DWAA_COMPRESSION, "dwaa"},
    {ExrCompression::kDwab, Imf::DWAB_COMPRESSION, "dwab"},
};

Imf::Compression ToImf(ExrCompression c) {
  for (const auto& e : kCompressions)
    if (e.ours == c) return e.theirs;
  throw Error("unknown EXR compression");
}

ExrCompression FromImf(Imf::Compression c) {
  for (const auto& e : kCompressions)
    if (e.theirs == c) return e.ours;
  throw MakeError("unsupported EXR compression code {}", static_cast<int>(c));
}

ExrPixelType FromImf(Imf::PixelType t) {
  switch (t) {
    case Imf::UINT:
      return ExrPixelType::kUint;
    case Imf::HALF:
      return ExrPixelType::kHalf;
    default:
      return ExrPixelType::kFloat;
  }
}

// Runs `body`, turning OpenEXR's (and the standard library's) exceptions into a core::Error that
// names the file. Our own errors pass through with the path prefixed when they lack it.
template <typename Body>
auto Guard(const fs::path& path, const char* what, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.rfind(path.string(), 0) == 0) throw;
    throw MakeError("{}: {}", path.string(), message);
  } catch (const std::bad_alloc&) {
    throw MakeError("{}: cannot {} EXR: out of memory (corrupt header?)", path.string(), what);
  } catch (const std::exception& e) {
    throw MakeError("{}: cannot {} EXR: {}", path.string(), what, e.what());
  }
}

void RequireFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw MakeError("{}: EXR file not found", path.string());
}

ExrHeaderInfo HeaderInfo(const Imf::Header& header) {
  ExrHeaderInfo info;
  const Imath::Box2i& data = header.dataWindow();
  const Imath::Box2i& display = header.displayWindow();
  info.width = data.max.x - data.min.x + 1;
  info.height = data.max.y - data.min.y + 1;
  info.data_min_x = data.min.x;
  info.data_min_y = data.min.y;
  info.display_width = display.max.x - display.min.x + 1;
  info.display_height = display.max.y - display.min.y + 1;
  info.compression = FromImf(header.compression());
  info.tiled = header.hasTileDescription();
  for (auto it = header.channels().begin(); it != header.channels().end(); ++it)
    info.channels.push_back(
        {it.name(), FromImf(it.channel().type), it.channel().xSampling, it.channel().ySampling});
  for (auto it = header.begin(); it != header.end(); ++it)
    if (const auto* s = dynamic_cast<const Imf::StringAttribute*>(&it.attribute()))
      info.attributes[it.name()] = s->value();
  return info;
}

std::string ChannelList(const ExrHeaderInfo& info) {
  std::string names;
  for (const auto& c : info.channels) names += (names.empty() ? "" : ", ") + c.name;
  return names.empty() ? "none" : names;
}

}  // namespace

std::string ExrCompressionName(ExrCompression compression) {
  for (const auto& e : kCompressions)
    if (e.ours == compression) return e.name;
  return "unknown";
}

ExrCompression ParseExrCompression(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string valid;
  for (const auto& e : kCompressions) {
    if (lower == e.name) return e.ours;
    valid += (valid.empty() ? "" : ", ") + std::string(e.name);
  }
  throw MakeError("unknown EXR compression '{}' (valid: {})", name, valid);
}

std::string ExrPixelTypeName(ExrPixelType type) {
  switch (type) {
    case ExrPixelType::kUint:
      return "uint";
    case ExrPixelType::kHalf:
      return "half";
    case ExrPixelType::kFloat:
      return "float";
  }
  return "unknown";
}

bool ExrHeaderInfo::HasChannel(std::string_view name) const {
  return std::any_of(channels.begin(), channels.end(),
                     [&](const ExrChannelInfo& c) { return c.name == name; });
}

const cv::Mat* ExrImage::Find(std::string_view name) const {
  for (const auto& c : channels)
    if (c.name == name) return &c.data;
  return nullptr;
}

const cv::Mat& ExrImage::Get(std::string_view name) const {
  if (const cv::Mat* m = Find(name)) return *m;
  std::string names;
  for (const auto& c : channels) names += (names.empty() ? "" : ", ") + c.name;
  throw MakeError("EXR image has no channel '{}' (channels: {})", name,
                  names.empty() ? "none" : names);
}

void ExrImage::Add(const std::string& name, const cv::Mat& data) {
  if (name.empty()) throw Error("EXR channel name must not be empty");
  if (data.type() != CV_32FC1)
    throw MakeError("EXR channel '{}' must be CV_32FC1 (float, 1 channel), got type {}", name,
                    data.type());
  if (channels.empty() && width == 0 && height == 0) {
    width = data.cols;
    height = data.rows;
  }
  if (data.cols != width || data.rows != height)
    throw MakeError("EXR channel '{}' is {}x{}, the image is {}x{}", name, data.cols, data.rows,
                    width, height);
  for (auto& c : channels)
    if (c.name == name) {
      c.data = data;
      return;
    }
  channels.push_back({name, data});
}

void WriteExr(const fs::path& path, const ExrImage& image, const ExrWriteOptions& options) {
  Guard(path, "write", [&] {
    if (image.channels.empty() || image.width <= 0 || image.height <= 0)
      throw Error("cannot write an EXR image without channels or pixels");
    if (options.pixel_type == ExrPixelType::kUint)
      throw Error("EXR pixel type uint is not supported for writing float images");
    std::set<std::string> seen;
    for (const auto& c : image.channels) {
      if (c.name.empty()) throw Error("EXR channel name must not be empty");
      if (!seen.insert(c.name).second) throw MakeError("duplicate EXR channel '{}'", c.name);
      if (c.data.type() != CV_32FC1 || c.data.cols != image.width || c.data.rows != image.height)
        throw MakeError("EXR channel '{}' must be CV_32FC1 {}x{} (got type {}, {}x{})", c.name,
                        image.width, image.height, c.data.type(), c.data.cols, c.data.rows);
    }
    Imf::Header header(image.width, image.height);
    header.compression() = ToImf(options.compression);
    const Imf::PixelType stored =
        options.pixel_type == ExrPixelType::kHalf ? Imf::HALF : Imf::FLOAT;
    Imf::FrameBuffer frame;
    // OpenEXR converts pixel types when reading but not when writing: half channels need a half
    // frame buffer.
    std::vector<std::vector<half>> halves;
    for (const auto& c : image.channels) {
      header.channels().insert(c.name, Imf::Channel(stored));
      if (stored == Imf::HALF) {
        std::vector<half>& buffer = halves.emplace_back(size_t{1} * image.width * image.height);
        for (int y = 0; y < image.height; ++y) {
          const float* row = c.data.ptr<float>(y);
          for (int x = 0; x < image.width; ++x)
            buffer[size_t{1} * y * image.width + x] = half(row[x]);
        }
        frame.insert(c.name, Imf::Slice(Imf::HALF, reinterpret_cast<char*>(buffer.data()),
                                        sizeof(half), sizeof(half) * image.width));
      } else {
        frame.insert(c.name, Imf::Slice(Imf::FLOAT, reinterpret_cast<char*>(c.data.data),
                                        sizeof(float), c.data.step[0]));
      }
    }
    for (const auto& [key, value] : image.attributes)
      header.insert(key, Imf::StringAttribute(value));
    WriteViaTemporary(path, [&](const fs::path& tmp) {
      Imf::OutputFile file(tmp.c_str(), header);
      file.setFrameBuffer(frame);
      file.writePixels(image.height);
    });
  });
}

ExrHeaderInfo ReadExrHeader(const fs::path& path) {
  RequireFile(path);
  return Guard(path, "read", [&] {
    Imf::InputFile file(path.c_str());
    return HeaderInfo(file.header());
  });
}

ExrImage ReadExr(const fs::path& path, const std::vector<std::string>& channels) {
  RequireFile(path);
  return Guard(path, "read", [&] {
    Imf::InputFile file(path.c_str());
    const ExrHeaderInfo info = HeaderInfo(file.header());
    std::vector<std::string> wanted = channels;
    if (wanted.empty())
      for (const auto& c : info.channels) wanted.push_back(c.name);
    for (const auto& name : wanted) {
      auto it = std::find_if(info.channels.begin(), info.channels.end(),
                             [&](const ExrChannelInfo& c) { return c.name == name; });
      if (it == info.channels.end())
        throw MakeError("no channel '{}' (channels: {})", name, ChannelList(info));
      if (it->x_sampling != 1 || it->y_sampling != 1)
        throw MakeError("channel '{}' is subsampled ({}x{}); not supported", name, it->x_sampling,
                        it->y_sampling);
    }
    // A corrupt header can claim a huge window; refuse before allocating.
    const int64_t pixels = int64_t{info.width} * info.height;
    if (info.width <= 0 || info.height <= 0 ||
        pixels * std::max<int64_t>(1, wanted.size()) > (int64_t{1} << 31))
      throw MakeError("implausible data window {}x{}", info.width, info.height);

    ExrImage image;
    image.width = info.width;
    image.height = info.height;
    image.attributes = info.attributes;
    Imf::FrameBuffer frame;
    for (const auto& name : wanted) {
      cv::Mat data(info.height, info.width, CV_32FC1, cv::Scalar(0));
      const size_t x_stride = sizeof(float), y_stride = data.step[0];
      // OpenEXR addresses pixel (x, y) of the data window as base + x*xs + y*ys.
      char* base = reinterpret_cast<char*>(data.data) -
                   static_cast<ptrdiff_t>(info.data_min_x) * x_stride -
                   static_cast<ptrdiff_t>(info.data_min_y) * static_cast<ptrdiff_t>(y_stride);
      frame.insert(name, Imf::Slice(Imf::FLOAT, base, x_stride, y_stride, 1, 1, 0.0));
      image.channels.push_back({name, data});
    }
    file.setFrameBuffer(frame);
    file.readPixels(info.data_min_y, info.data_min_y + info.height - 1);
    return image;
  });
}

void WriteDepthExr(const fs::path& path, const cv::Mat& depth, const ExrWriteOptions& options) {
  ExrImage image;
  Guard(path, "write", [&] {
    if (depth.empty()) throw Error("cannot write an empty depth map");
    image.Add("Z", depth);
  });
  image.attributes["synface.depth"] = "planar Z, metres, 0 = no surface";
  WriteExr(path, image, options);
}

cv::Mat ReadDepthExr(const fs::path& path) {
  const ExrHeaderInfo info = ReadExrHeader(path);
  std::string channel;
  for (const char* name : {"Z", "R", "Y"})
    if (info.HasChannel(name)) {
      channel = name;
      break;
    }
  if (channel.empty() && info.channels.size() == 1) channel = info.channels[0].name;
  if (channel.empty())
    throw MakeError("{}: no depth channel (looked for Z, R, Y or a single channel; channels: {})",
                    path.string(), ChannelList(info));
  return ReadExr(path, {channel}).Get(channel);
}

}  // namespace synface::core::io
