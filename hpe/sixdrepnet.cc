#include "hpe/sixdrepnet.h"

#include "core/geometry/pose_formats.h"
#include "core/geometry/rotation.h"
#include "core/nn/registry.h"
#include "core/nn/state_dict.h"
#include "core/util/error.h"

namespace synface::hpe {
namespace nn = core::nn;
namespace geo = core::geometry;
using core::MakeError;

namespace {

torch::Tensor NormalizeRows(const torch::Tensor& v) {
  return v / torch::clamp_min(v.norm(2, /*dim=*/1, /*keepdim=*/true), 1e-8);
}

}  // namespace

torch::Tensor RotationFrom6d(const torch::Tensor& x6) {
  if (x6.dim() != 2 || x6.size(1) != 6) throw MakeError("RotationFrom6d: expected (N, 6)");
  const torch::Tensor x = NormalizeRows(x6.slice(1, 0, 3));
  const torch::Tensor z = NormalizeRows(torch::cross(x, x6.slice(1, 3, 6), /*dim=*/1));
  const torch::Tensor y = torch::cross(z, x, /*dim=*/1);
  return torch::stack({x, y, z}, /*dim=*/2);  // columns
}

torch::Tensor GeodesicAngles(const torch::Tensor& m1, const torch::Tensor& m2, double eps) {
  const torch::Tensor m = torch::bmm(m1, m2.transpose(1, 2));
  const torch::Tensor cos = (m.diagonal(0, 1, 2).sum(-1) - 1.0) / 2.0;
  return torch::acos(torch::clamp(cos, -1.0 + eps, 1.0 - eps));
}

torch::Tensor GeodesicLoss(const torch::Tensor& m1, const torch::Tensor& m2, double eps) {
  return GeodesicAngles(m1, m2, eps).mean();
}

torch::Tensor SixDRepNetMatricesFromLabels(const std::vector<Eigen::Vector3d>& labels_deg) {
  torch::Tensor out = torch::empty({static_cast<int64_t>(labels_deg.size()), 3, 3});
  auto a = out.accessor<float, 3>();
  for (size_t i = 0; i < labels_deg.size(); ++i) {
    const Eigen::Vector3d& d = labels_deg[i];
    const Eigen::Matrix3d m =
        geo::SixDRepNetMatrixFromHeadPose(geo::HeadPoseFromDegrees(d[0], d[1], d[2]));
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) a[i][r][c] = static_cast<float>(m(r, c));
    }
  }
  return out;
}

std::vector<Eigen::Vector3d> LabelsFromSixDRepNetMatrices(const torch::Tensor& m) {
  const torch::Tensor c = m.detach().to(torch::kCPU, torch::kDouble).contiguous();
  if (c.dim() != 3 || c.size(1) != 3 || c.size(2) != 3) {
    throw MakeError("LabelsFromSixDRepNetMatrices: expected (N, 3, 3)");
  }
  auto a = c.accessor<double, 3>();
  std::vector<Eigen::Vector3d> out;
  for (int64_t i = 0; i < c.size(0); ++i) {
    Eigen::Matrix3d mi;
    for (int r = 0; r < 3; ++r) {
      for (int k = 0; k < 3; ++k) mi(r, k) = a[i][r][k];
    }
    const Eigen::Matrix3d rot = geo::RotationFromSixDRepNetMatrix(geo::NearestRotation(mi));
    out.push_back(geo::HeadPoseToDegrees(geo::HeadPoseFromRotation(rot)));
  }
  return out;
}

SixDRepNet::SixDRepNet(SixDRepNetOptions options) : options_(std::move(options)) {
  name_ = options_.name.empty() ? "sixdrepnet_" + options_.backbone : options_.name;
  nn::ModelOptions mo;
  mo.num_outputs = 6;
  backbone_ = register_module("backbone", nn::CreateModel(options_.backbone, mo));
  if (!options_.backbone_weights.empty()) {
    nn::LoadStateDictOptions lo;
    lo.skip_prefixes = {"fc.", "classifier."};
    nn::LoadStateDict(*backbone_, options_.backbone_weights, lo);
  }
}

torch::Tensor SixDRepNet::forward(torch::Tensor x) { return RotationFrom6d(backbone_->forward(x)); }

torch::Tensor SixDRepNet::ForwardPooled(torch::Tensor x) { return backbone_->ForwardPooled(x); }

std::vector<torch::Tensor> SixDRepNet::ForwardFeatures(torch::Tensor x) {
  return backbone_->ForwardFeatures(x);
}

int64_t SixDRepNet::num_features() const { return backbone_->num_features(); }

std::vector<nn::FeatureInfo> SixDRepNet::feature_info() const { return backbone_->feature_info(); }

void SixDRepNet::ResetHead(int64_t num_outputs) {
  if (num_outputs != 9 && num_outputs != 6) {
    throw MakeError("{}: the head regresses a 6D rotation (asked for {} outputs)", name_,
                    num_outputs);
  }
  backbone_->ResetHead(6);
}

void RegisterSixDRepNetModels() {
  for (const char* backbone : {"resnet18", "resnet50", "mobilenet_v2"}) {
    const std::string name = std::string("sixdrepnet_") + backbone;
    if (nn::IsModelRegistered(name)) continue;
    nn::RegisterModel(
        name,
        [name, backbone](const nn::ModelOptions& o) {
          if (o.in_channels != 3) throw MakeError("{}: takes RGB input", name);
          if (o.num_outputs != 9 && o.num_outputs != nn::ModelOptions{}.num_outputs) {
            throw MakeError("{}: outputs a rotation matrix (num_outputs 9)", name);
          }
          SixDRepNetOptions s;
          s.backbone = backbone;
          s.name = name;
          return std::make_shared<SixDRepNet>(s);
        },
        std::string("6DRepNet-style: ") + backbone + " -> 6D -> Gram-Schmidt, geodesic loss");
  }
}

}  // namespace synface::hpe
