#include "synth/heads/preview.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/geometry/head_pose.h"

namespace synface::synth::heads {
namespace {

struct Raster {
  cv::Mat labels, depth;
  cv::Mat colour;  // CV_32FC3, linear RGB (shaded) or display colour
  Eigen::Matrix3f rotation;
  Eigen::Vector3f translation;
  float focal = 0, cx = 0, cy = 0;
};

Eigen::Vector3f PartColour(PartClass c) {
  switch (c) {
    case PartClass::kSkin:
      return {0.85f, 0.65f, 0.5f};
    case PartClass::kEyes:
      return {0.2f, 0.4f, 1.0f};
    case PartClass::kTeethMouth:
      return {1.0f, 0.15f, 0.2f};
    case PartClass::kHairOther:
      return {0.25f, 0.9f, 0.3f};
    case PartClass::kHidden:
      break;
  }
  return {1, 0, 1};
}

Raster Rasterise(const HeadInstance& head, const PosedHead& posed, const PreviewOptions& o) {
  Raster r;
  r.labels = cv::Mat::zeros(o.height, o.width, CV_8U);
  r.depth = cv::Mat::zeros(o.height, o.width, CV_32F);
  r.colour = cv::Mat(o.height, o.width, CV_32FC3, cv::Scalar(0.18, 0.18, 0.2));
  r.rotation = core::geometry::RotationFromHeadPose({o.yaw, o.pitch, o.roll}).cast<float>();
  r.translation =
      Eigen::Vector3f(0, 0, static_cast<float>(o.distance)) - r.rotation * o.target.cast<float>();
  r.focal = static_cast<float>(o.height * o.distance / o.view_height);
  r.cx = o.width / 2.0f;
  r.cy = o.height / 2.0f;
  // Direction towards a key light above-left of the camera (camera coordinates).
  const Eigen::Vector3f to_light = Eigen::Vector3f(-0.4f, -0.5f, -1.0f).normalized();
  const auto& mesh = head.mesh;
  const bool has_albedo = head.vertex_albedo.size() == posed.positions.size();

  std::vector<Eigen::Vector3f> cam(posed.positions.size());
  for (size_t v = 0; v < cam.size(); ++v) cam[v] = r.rotation * posed.positions[v] + r.translation;
  for (size_t p = 0; p < mesh.parts.size(); ++p) {
    if (head.part_class[p] == PartClass::kHidden) continue;
    for (int t = mesh.parts[p].triangle_begin; t < mesh.parts[p].triangle_end; ++t) {
      const Eigen::Vector3i& tri = mesh.triangles[t];
      Eigen::Vector3f s[3];
      bool ok = true;
      for (int k = 0; k < 3; ++k) {
        const Eigen::Vector3f& c = cam[tri[k]];
        if (c.z() <= 1e-4f) ok = false;
        s[k] =
            Eigen::Vector3f(r.focal * c.x() / c.z() + r.cx, r.focal * c.y() / c.z() + r.cy, c.z());
      }
      if (!ok) continue;
      const float area = (s[1].x() - s[0].x()) * (s[2].y() - s[0].y()) -
                         (s[2].x() - s[0].x()) * (s[1].y() - s[0].y());
      if (std::abs(area) < 1e-12f) continue;
      const int x0 =
          std::max(0, static_cast<int>(std::floor(std::min({s[0].x(), s[1].x(), s[2].x()}))));
      const int x1 = std::min(
          o.width - 1, static_cast<int>(std::ceil(std::max({s[0].x(), s[1].x(), s[2].x()}))));
      const int y0 =
          std::max(0, static_cast<int>(std::floor(std::min({s[0].y(), s[1].y(), s[2].y()}))));
      const int y1 = std::min(
          o.height - 1, static_cast<int>(std::ceil(std::max({s[0].y(), s[1].y(), s[2].y()}))));
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
          const float px = x + 0.5f, py = y + 0.5f;
          float b[3];
          for (int k = 0; k < 3; ++k) {
            const Eigen::Vector3f& a = s[(k + 1) % 3];
            const Eigen::Vector3f& c = s[(k + 2) % 3];
            b[k] = ((c.x() - a.x()) * (py - a.y()) - (px - a.x()) * (c.y() - a.y())) / area;
          }
          if (b[0] < 0 || b[1] < 0 || b[2] < 0) continue;
          // Perspective-correct depth: 1/z is affine in the image.
          const float inv_z = b[0] / s[0].z() + b[1] / s[1].z() + b[2] / s[2].z();
          const float z = 1.0f / inv_z;
          float& stored = r.depth.at<float>(y, x);
          if (stored != 0.0f && stored <= z) continue;
          stored = z;
          r.labels.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(head.part_class[p]);
          Eigen::Vector3f n = Eigen::Vector3f::Zero(), albedo = Eigen::Vector3f::Zero();
          for (int k = 0; k < 3; ++k) {
            const float w = b[k] / s[k].z() * z;
            n += w * posed.normals[tri[k]];
            if (has_albedo) albedo += w * head.vertex_albedo[tri[k]];
          }
          n = (r.rotation * n).normalized();
          Eigen::Vector3f c = Eigen::Vector3f::Zero();
          switch (o.mode) {
            case PreviewOptions::Mode::kShaded: {
              if (!has_albedo) albedo = Eigen::Vector3f(0.6f, 0.6f, 0.6f);
              c = albedo * (0.25f + 0.85f * std::max(0.0f, n.dot(to_light)));
              break;
            }
            case PreviewOptions::Mode::kParts:
              c = PartColour(head.part_class[p]) * (0.55f + 0.45f * std::max(0.0f, -n.z()));
              break;
            case PreviewOptions::Mode::kNormals:
              c = 0.5f * (n + Eigen::Vector3f::Ones());
              break;
          }
          r.colour.at<cv::Vec3f>(y, x) = cv::Vec3f(c.x(), c.y(), c.z());
        }
    }
  }
  return r;
}

}  // namespace

PreviewBuffers RasterisePreview(const HeadInstance& head, const PosedHead& posed,
                                const PreviewOptions& options) {
  Raster r = Rasterise(head, posed, options);
  return {r.labels, r.depth};
}

cv::Mat RenderPreview(const HeadInstance& head, const PosedHead& posed,
                      const PreviewOptions& options) {
  Raster r = Rasterise(head, posed, options);
  cv::Mat out(options.height, options.width, CV_8UC3);
  const bool srgb = options.mode == PreviewOptions::Mode::kShaded;
  for (int y = 0; y < out.rows; ++y)
    for (int x = 0; x < out.cols; ++x) {
      const cv::Vec3f c = r.colour.at<cv::Vec3f>(y, x);
      cv::Vec3b& o = out.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) {
        float v = std::clamp(c[k], 0.0f, 1.0f);
        if (srgb) v = v <= 0.0031308f ? 12.92f * v : 1.055f * std::pow(v, 1 / 2.4f) - 0.055f;
        o[2 - k] = static_cast<std::uint8_t>(std::lround(255 * v));  // RGB -> BGR
      }
    }
  if (options.landmarks && head.HasLandmarks()) {
    for (int i = 0; i < 68; ++i) {
      const Eigen::Vector3f c =
          r.rotation * posed.positions[head.landmark_vertices[i]] + r.translation;
      if (c.z() <= 0) continue;
      const float u = r.focal * c.x() / c.z() + r.cx, v = r.focal * c.y() / c.z() + r.cy;
      const int iu = static_cast<int>(u), iv = static_cast<int>(v);
      bool visible = false;
      for (int dy = -1; dy <= 1 && !visible; ++dy)
        for (int dx = -1; dx <= 1 && !visible; ++dx) {
          const int x = iu + dx, y = iv + dy;
          if (x < 0 || y < 0 || x >= out.cols || y >= out.rows) continue;
          const float d = r.depth.at<float>(y, x);
          visible = d > 0 && c.z() <= d + 0.002f;
        }
      cv::circle(out, cv::Point2f(u, v), 2, visible ? cv::Scalar(0, 230, 0) : cv::Scalar(0, 0, 230),
                 cv::FILLED, cv::LINE_AA);
    }
  }
  return out;
}

}  // namespace synface::synth::heads
