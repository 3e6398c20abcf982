#include "depth/toy_data.h"

#include <fmt/format.h>

#include <Eigen/Core>
#include <cmath>
#include <opencv2/core.hpp>

#include "core/data/dataset.h"
#include "core/data/seed.h"
#include "core/geometry/camera.h"
#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::depth {

void WriteToyDepthDataset(const std::filesystem::path& dir, const ToyDatasetOptions& o) {
  if (o.count < 1 || o.width < 8 || o.height < 8 || o.subjects < 1) {
    throw core::MakeError("WriteToyDepthDataset: invalid options");
  }
  core::data::DatasetInfo info;
  info.generator = "depth_toy";
  info.generator_version = "1";
  info.count = static_cast<uint64_t>(o.count);
  info.seed = o.seed;
  info.labels = {"rgb", "depth"};
  info.files = {"rgb.png", "depth.exr", "json"};
  info.manifest_columns = {"subject"};
  info.config = toml::table{{"width", o.width}, {"height", o.height}};
  core::data::ShardWriter writer(dir, info, core::data::Shard::All());
  const auto k = core::geometry::ThesisTextPreset(o.width, o.height);
  for (uint64_t id : writer.Pending()) {
    core::data::Rng rng = core::data::SampleRng(o.seed, id);
    const double head_z = 0.35 + 0.10 * rng.Uniform();
    const double cx = (rng.Uniform() - 0.5) * 0.08, cy = (rng.Uniform() - 0.5) * 0.06;
    const double rx = 0.07 + 0.02 * rng.Uniform(), ry = rx * 1.3, rz = 0.08;
    const double bg = 1.6 + 0.4 * rng.Uniform();
    const double tilt = (rng.Uniform() - 0.5) * 0.4;
    const cv::Vec3d skin(110 + 60 * rng.Uniform(), 140 + 50 * rng.Uniform(),
                         170 + 60 * rng.Uniform());
    cv::Mat depth(o.height, o.width, CV_32F), rgb(o.height, o.width, CV_8UC3);
    for (int y = 0; y < o.height; ++y) {
      for (int x = 0; x < o.width; ++x) {
        const Eigen::Vector3d ray = k.RayZ1(core::geometry::PixelCentre(x, y));
        // Ray-ellipsoid intersection ((X - c) / r)^2 = 1 along X = s * ray.
        const Eigen::Vector3d c(cx, cy, head_z + rz), r(rx, ry, rz);
        const Eigen::Vector3d d = ray.cwiseQuotient(r), oc = (-c).cwiseQuotient(r);
        const double a = d.squaredNorm(), b = 2 * d.dot(oc), cc = oc.squaredNorm() - 1;
        const double disc = b * b - 4 * a * cc;
        double z = bg + tilt * (static_cast<double>(x) / o.width - 0.5);
        // The plane's texture lives on the plane (5 cm stripes) and dims with distance, so the
        // image says how far it is.
        const double wx = z * ray.x(), wy = z * ray.y();
        const double stripes = std::sin(2 * M_PI * wx / 0.05) * std::cos(2 * M_PI * wy / 0.07);
        const double dim = 1.6 / z;
        cv::Vec3d colour((90 + 50 * stripes) * dim, (110 + 30 * stripes) * dim, 130 * dim);
        if (disc > 0) {
          const double s = (-b - std::sqrt(disc)) / (2 * a);
          if (s > 0 && s < z) {
            z = s;
            const Eigen::Vector3d n = ((s * ray - c).cwiseQuotient(r.cwiseProduct(r))).normalized();
            // Lambertian under a light near the camera (the visible side has n.z < 0).
            const double shade = std::max(0.15, n.dot(Eigen::Vector3d(0.3, -0.4, -1).normalized()));
            colour = skin * shade;
          }
        }
        depth.at<float>(y, x) = static_cast<float>(z);
        rgb.at<cv::Vec3b>(y, x) =
            cv::Vec3b(cv::saturate_cast<uint8_t>(colour[0]), cv::saturate_cast<uint8_t>(colour[1]),
                      cv::saturate_cast<uint8_t>(colour[2]));
      }
    }
    core::io::WriteImage(writer.SamplePath(id, "rgb.png"), rgb);
    core::io::WriteDepthExr(writer.SamplePath(id, "depth.exr"), depth);
    core::WriteFileAtomic(
        writer.SamplePath(id, "json"),
        // The camera block as synth's label records write it (synth/README.md: camera.K and
        // camera.intrinsics, pixel-centre convention).
        fmt::format(R"({{"generator": "depth_toy", "camera": {{"K": [[{}, 0.0, {}], )"
                    R"([0.0, {}, {}], [0.0, 0.0, 1.0]], "intrinsics": {{"fx": {}, "fy": {}, )"
                    R"("cx": {}, "cy": {}, "width": {}, "height": {}}}}}}})",
                    k.fx, k.cx, k.fy, k.cy, k.fx, k.fy, k.cx, k.cy, o.width, o.height));
    writer.Commit(id, {{"subject", fmt::format("s{}", id % o.subjects)}});
  }
  core::data::Finalize(dir);
}

}  // namespace synface::depth
