// Depth models and encoders: exact parameter counts (digest ch3 §4.2 arithmetic, torchvision's
// published counts), output shapes at tiny resolutions, state-dict key layouts of the reference
// code, and MAC counts checked against hand arithmetic.
#include "depth/models.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "core/io/exr.h"
#include "core/io/image.h"
#include "core/io/mesh.h"
#include "core/nn/complexity.h"
#include "core/nn/registry.h"
#include "core/nn/state_dict.h"
#include "core/util/error.h"
#include "depth/encoders.h"
#include "depth/pipeline.h"
#include "depth/predict_cli.h"
#include "depth/readers.h"
#include "depth/toy_data.h"

namespace synface::depth {
namespace {

int64_t Params(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

bool HasKey(const torch::nn::Module& m, const std::string& key) {
  const auto sd = core::nn::GetStateDict(m);
  return sd.contains(key);
}

class DepthModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterDepthModels();
    torch::manual_seed(0);
  }
};

// ---- Encoders ------------------------------------------------------------------------------

TEST_F(DepthModelsTest, EncoderParameterCountsMatchTorchvision) {
  const std::map<std::string, int64_t> expected = {
      {"densenet121", 7978856},  {"densenet161", 28681000},    {"densenet169", 14149480},
      {"densenet201", 20013928}, {"efficientnet_b0", 5288548}, {"efficientnet_b7", 66347960},
  };
  for (const auto& [name, count] : expected) {
    auto model = core::nn::CreateModel(name);
    EXPECT_EQ(Params(*model), count) << name;
  }
}

TEST_F(DepthModelsTest, EncodersGiveFiveMapsAtStrides2To32WithTorchvisionKeys) {
  for (const char* name : {"densenet121", "efficientnet_b0"}) {
    core::nn::ModelOptions o;
    o.num_outputs = 10;
    auto model = core::nn::CreateModel(name, o);
    model->eval();
    torch::NoGradGuard no_grad;
    const auto maps = model->ForwardFeatures(torch::randn({2, 3, 64, 96}));
    const auto info = model->feature_info();
    ASSERT_EQ(maps.size(), 5u) << name;
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(maps[i].size(1), info[i].channels) << name << " map " << i;
      EXPECT_EQ(maps[i].size(2), 64 / info[i].stride) << name << " map " << i;
      EXPECT_EQ(maps[i].size(3), 96 / info[i].stride) << name << " map " << i;
    }
    EXPECT_EQ(model->forward(torch::randn({2, 3, 64, 96})).sizes(), torch::IntArrayRef({2, 10}));
  }
  DenseNet d(DenseNetOptions::DenseNet121());
  EXPECT_TRUE(HasKey(d, "features.conv0.weight"));
  EXPECT_TRUE(HasKey(d, "features.denseblock1.denselayer1.norm1.running_mean"));
  EXPECT_TRUE(HasKey(d, "features.denseblock4.denselayer16.conv2.weight"));
  EXPECT_TRUE(HasKey(d, "features.transition3.conv.weight"));
  EXPECT_TRUE(HasKey(d, "features.norm5.weight"));
  EXPECT_TRUE(HasKey(d, "classifier.bias"));
  EfficientNet e(EfficientNetOptions::B0());
  EXPECT_TRUE(HasKey(e, "features.0.0.weight"));
  EXPECT_TRUE(HasKey(e, "features.1.0.block.0.0.weight"));  // expand ratio 1: depthwise first
  EXPECT_TRUE(HasKey(e, "features.1.0.block.1.fc1.bias"));
  EXPECT_TRUE(HasKey(e, "features.2.0.block.3.1.running_var"));
  EXPECT_TRUE(HasKey(e, "features.8.0.weight"));
  EXPECT_TRUE(HasKey(e, "classifier.1.weight"));
}

TEST_F(DepthModelsTest, EfficientNetStochasticDepthOnlyInTraining) {
  EfficientNet e(EfficientNetOptions::B0());
  torch::Tensor x = torch::randn({4, 3, 32, 32});
  e.eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(e.forward(x), e.forward(x)));  // deterministic in eval
}

// ---- Depth models: parameter counts --------------------------------------------------------

TEST_F(DepthModelsTest, ThesisParameterCountsAreExact) {
  // Digest ch3 §4.2(a): 17,267,393 = "17.27M" (P5 Table 2).
  EXPECT_EQ(Params(*CreateDepthModel("unet_simple")), 17267393);
  // §4.2(c): 14,424,057 as printed (torchvision's classifier counted), 13,143,057 executed.
  EXPECT_EQ(Params(*CreateDepthModel("facedepth")), 14424057);
  FaceDepthOptions headless;
  headless.encoder_head = false;
  EXPECT_EQ(Params(FaceDepth(headless)), 13143057);
  // §4.2(b): the authors' DenseDepth-161 decoder = 15,931,411 on torchvision DenseNet-161.
  auto authors = std::dynamic_pointer_cast<DenseDepth>(CreateDepthModel("densedepth161_authors"));
  EXPECT_EQ(Params(*authors->decoder), 15931411);
  EXPECT_EQ(Params(*authors), 28681000 + 15931411);
  // DenseDepth-169 (ialhashim PyTorch decoder) without the unused ImageNet head: 12,484,480 +
  // 30,173,209 = 42,657,689, the "42.6M" of P5 Table 2 (and of the DenseDepth paper).
  auto dd169 = std::dynamic_pointer_cast<DenseDepth>(CreateDepthModel("densedepth_densenet169"));
  EXPECT_EQ(Params(*dd169->decoder), 30173209);
  EXPECT_EQ(Params(*dd169), 42657689);
  // BTS DenseNet-161, bts_size 512: 26,472,000 + 20,528,688 = 47,000,688 ("47.0M", BTS README).
  auto bts = std::dynamic_pointer_cast<Bts>(CreateDepthModel("bts_densenet161"));
  EXPECT_EQ(Params(*bts->decoder), 20528688);
  EXPECT_EQ(Params(*bts), 47000688);
}

TEST_F(DepthModelsTest, EveryRegisteredDepthModelBuildsAndReportsItsName) {
  for (const std::string& name : DepthModelNames()) {
    auto m = CreateDepthModel(name);
    EXPECT_GT(Params(*m), 1000000) << name;
    if (name != "densedepth161_authors") {
      EXPECT_EQ(m->architecture(), name);
    }
    std::printf("%-28s %12lld parameters\n", name.c_str(), static_cast<long long>(Params(*m)));
  }
  EXPECT_THROW(CreateDepthModel("mobilenet_v2"), core::Error);
  EXPECT_THROW(CreateDepthModel("no_such_model"), core::Error);
}

// ---- Shapes, keys --------------------------------------------------------------------------

TEST_F(DepthModelsTest, OutputShapesAtTinyResolution) {
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::rand({2, 3, 64, 96});
  UNetSimpleOptions small;
  small.base_width = 8;
  UNetSimple unet(small);
  unet.eval();
  EXPECT_EQ(unet.forward(torch::rand({1, 3, 40, 56})).sizes(), torch::IntArrayRef({1, 1, 40, 56}));
  for (const char* name : {"facedepth", "densedepth_densenet121", "densedepth_resnet50",
                           "densedepth_efficientnet_b0", "bts_densenet121", "bts_resnet50"}) {
    auto m = CreateDepthModel(name);
    m->eval();
    torch::Tensor y = m->forward(x);
    const int64_t s = m->output_stride();
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 1, 64 / s, 96 / s})) << name;
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << name;
    if (m->output_kind() == DepthOutputKind::kMetric) {
      EXPECT_GT(y.min().item<double>(), 0.0) << name;
      EXPECT_LT(y.max().item<double>(), m->max_depth()) << name;
    }
  }
  auto bts = CreateDepthModel("bts_densenet121");
  EXPECT_THROW(bts->forward(torch::rand({1, 3, 48, 70})), core::Error);
  EXPECT_THROW(CreateDepthModel("facedepth")->ResetHead(3), core::Error);
}

TEST_F(DepthModelsTest, StateDictKeysFollowTheReferenceCode) {
  auto unet = CreateDepthModel("unet_simple");
  for (const char* k : {"inc.double_conv.0.weight", "inc.double_conv.0.bias",
                        "down1.maxpool_conv.1.double_conv.4.running_mean",
                        "up1.conv.double_conv.3.weight", "outc.conv.weight"}) {
    EXPECT_TRUE(HasKey(*unet, k)) << k;
  }
  auto fd = CreateDepthModel("facedepth");
  for (const char* k :
       {"encoder.original_model.features.0.0.weight", "encoder.original_model.classifier.1.weight",
        "decoder.conv2.weight", "decoder.up0.convA.weight", "decoder.up5.convB.bias",
        "decoder.conv3.weight"}) {
    EXPECT_TRUE(HasKey(*fd, k)) << k;
  }
  auto dd = CreateDepthModel("densedepth_densenet169");
  EXPECT_TRUE(HasKey(*dd, "encoder.original_model.features.denseblock3.denselayer32.conv2.weight"));
  EXPECT_TRUE(HasKey(*dd, "decoder.up4.convB.weight"));
  auto bts = CreateDepthModel("bts_densenet161");
  for (const char* k :
       {"encoder.base_model.conv0.weight", "decoder.upconv5.conv.weight", "decoder.bn5.running_var",
        "decoder.conv5.0.weight", "decoder.daspp_3.atrous_conv.aconv_sequence.1.weight",
        "decoder.daspp_6.atrous_conv.first_bn.weight",
        "decoder.reduc8x8.reduc.inter_128_128.0.weight",
        "decoder.reduc8x8.reduc.plane_params.weight", "decoder.reduc1x1.reduc.final.0.weight",
        "decoder.get_depth.0.weight"}) {
    EXPECT_TRUE(HasKey(*bts, k)) << k;
  }
}

// ---- Local planar guidance -----------------------------------------------------------------

TEST(LocalPlanarGuidance, FrontoParallelPlaneGivesItsDistanceAndTiltFollowsTheFormula) {
  // Normal (0, 0, 1), distance 2: depth 2 everywhere in each 4x4 cell.
  torch::Tensor plane = torch::zeros({1, 4, 2, 3});
  plane.select(1, 2).fill_(1.0);
  plane.select(1, 3).fill_(2.0);
  torch::Tensor d = LocalPlanarGuidance(plane, 4);
  ASSERT_EQ(d.sizes(), torch::IntArrayRef({1, 8, 12}));
  EXPECT_TRUE(torch::allclose(d, torch::full({1, 8, 12}, 2.0)));
  // n = (0.6, 0, 0.8), dist 1, ratio 2: u = (j % 2 - 0.5) / 2 = -0.25 / +0.25 along x.
  torch::Tensor tilt = torch::tensor({0.6, 0.0, 0.8, 1.0}).view({1, 4, 1, 1});
  torch::Tensor t = LocalPlanarGuidance(tilt, 2);
  EXPECT_NEAR(t[0][0][0].item<double>(), 1.0 / (0.6 * -0.25 + 0.8), 1e-6);
  EXPECT_NEAR(t[0][1][1].item<double>(), 1.0 / (0.6 * 0.25 + 0.8), 1e-6);
}

// ---- Conversions ---------------------------------------------------------------------------

TEST_F(DepthModelsTest, InverseTargetRoundTripsToMetres) {
  auto fd = CreateDepthModel("facedepth");
  torch::Tensor d = torch::tensor({0.0, 0.4, 1.0, 5.0});
  torch::Tensor y = fd->TargetFromMetres(d);
  EXPECT_TRUE(torch::allclose(y, torch::tensor({0.0, 12.5, 5.0, 1.0})));
  EXPECT_TRUE(torch::allclose(fd->ToMetres(y.slice(0, 1)), d.slice(0, 1)));
  EXPECT_NEAR(fd->ToMetres(torch::tensor({0.0})).item<double>(), 5.0, 1e-9);  // clamped
  auto bts = CreateDepthModel("bts_resnet50");
  EXPECT_TRUE(torch::allclose(bts->TargetFromMetres(d), d));
}

// ---- Complexity ----------------------------------------------------------------------------

TEST_F(DepthModelsTest, UNetConvolutionMacsAt640x480MatchTheHandCount) {
  // Every U-Net layer is 'same'-padded and 96x128 divides by 16, so conv MACs scale with the
  // pixel count: 25 x MACs(96x128) = MACs(480x640) = 187,406,745,600 (digest: 187.41 G).
  auto unet = CreateDepthModel("unet_simple");
  const auto r = core::nn::MeasureComplexity(*unet, {1, 3, 96, 128});
  EXPECT_EQ(r.macs_conv * 25, 187406745600);
  EXPECT_EQ(r.params, 17267393);
}

TEST_F(DepthModelsTest, FaceDepthMacsAt640x480) {
  // Digest §4.2(c): decoder convolutions 14.43 G + MobileNetV2 features 1.83 G = 16.27 G conv
  // MACs; the thesis's 16.41 GMac is ptflops, which also counts BN, activations and biases.
  auto fd = CreateDepthModel("facedepth");
  const auto r = core::nn::MeasureComplexity(*fd, {1, 3, 480, 640});
  EXPECT_NEAR(static_cast<double>(r.macs_conv_linear) / 1e9, 16.27, 0.01);
  EXPECT_EQ(r.macs_linear, 0);         // the classifier is never executed
  EXPECT_EQ(r.params_thop, 13143057);  // parameters of executed layers
  std::printf("facedepth 640x480: conv+linear %lld, ptflops %lld, thop %lld\n",
              static_cast<long long>(r.macs_conv_linear), static_cast<long long>(r.macs_ptflops),
              static_cast<long long>(r.macs_thop));
}

// ---- Pipeline: train, save, load, evaluate, predict -----------------------------------------

namespace fs = std::filesystem;

fs::path TestDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Pipeline, TrainsResumesSavesLoadsEvaluatesAndPredicts) {
  const fs::path root = TestDir("pipeline");
  ToyDatasetOptions toy;
  toy.count = 6;
  toy.width = 64;
  toy.height = 48;
  WriteToyDepthDataset(root / "data", toy);
  SynthDepthDataset data(root / "data");
  std::vector<size_t> all{0, 1, 2, 3, 4, 5};

  DepthTrainConfig c;
  c.spec.architecture = "facedepth";
  c.spec.input_width = 64;
  c.spec.input_height = 48;
  c.loss = "hybrid";
  c.steps = 6;
  c.batch_size = 2;
  c.lr = 1e-3;
  c.seed = 3;
  c.checkpoint_every = 2;
  c.show_progress = false;
  c.run_dir = root / "run";
  const DepthTrainResult r = TrainDepthModel(data, all, c);
  EXPECT_EQ(r.steps, 6);
  EXPECT_TRUE(std::isfinite(r.last_loss));
  EXPECT_LT(r.last_loss, r.first_loss);  // it learns something on the toy scenes
  ASSERT_TRUE(fs::exists(r.model_path));

  // A second run in the same folder resumes at the end (nothing to do) and gives the same model.
  const LoadedDepthModel a = LoadDepthModel(r.model_path);
  EXPECT_EQ(a.spec.architecture, "facedepth");
  EXPECT_EQ(a.spec.input_width, 64);
  // Training checkpoints carry the same metadata.
  const LoadedDepthModel b = LoadDepthModel(c.run_dir / "checkpoints" / "ckpt-000000006.pt");
  const cv::Mat pa = PredictDepth(*a.model, a.spec, data.Read(0).rgb);
  const cv::Mat pb = PredictDepth(*b.model, b.spec, data.Read(0).rgb);
  EXPECT_EQ(pa.size(), cv::Size(32, 24));  // FaceDepth: half resolution
  EXPECT_EQ(cv::norm(pa, pb, cv::NORM_INF), 0.0);
  double lo, hi;
  cv::minMaxLoc(pa, &lo, &hi);
  EXPECT_GT(lo, 0.0);
  EXPECT_LE(hi, 5.0 + 1e-6);
  // A plain state dict needs the architecture named.
  core::nn::SaveStateDict(*a.model, root / "weights.pt");
  EXPECT_THROW(LoadDepthModel(root / "weights.pt"), core::Error);
  DepthModelSpec named = a.spec;
  const LoadedDepthModel w = LoadDepthModel(root / "weights.pt", named);
  EXPECT_EQ(cv::norm(PredictDepth(*w.model, w.spec, data.Read(0).rgb), pa, cv::NORM_INF), 0.0);
  EXPECT_THROW(LoadDepthModel(root / "missing.pt"), core::Error);

  const DepthMetrics m = EvaluateDepthModel(*a.model, a.spec, data, all, EvalOptions{});
  EXPECT_EQ(m.images, 6);
  EXPECT_EQ(m.pixels, 6 * 64 * 48);  // prediction up-sampled to the ground truth
  EvalOptions fc;
  fc.facial_crop = true;
  EXPECT_LT(EvaluateDepthModel(*a.model, a.spec, data, all, fc).pixels, m.pixels);

  // The predict command on the dataset folder.
  const std::string model_arg = r.model_path.string();
  const std::string in_arg = "in=" + (root / "data").string();
  const std::string out_arg = "out=" + (root / "pred").string();
  const char* argv[] = {"predict",       model_arg.c_str(), in_arg.c_str(),
                        out_arg.c_str(), "limit=2",         "ply_stride=2"};
  ASSERT_EQ(PredictMain(6, const_cast<char**>(argv)), 0);
  for (const char* f : {"000000.rgb.png", "000000.pred.png", "000000.gt.png", "000000.panel.png",
                        "000000.pred.exr", "000000.pred.ply", "000000.gt.ply", "metrics.json"}) {
    EXPECT_TRUE(fs::exists(root / "pred" / f)) << f;
  }
  EXPECT_FALSE(fs::exists(root / "pred" / "000002.rgb.png"));  // limit=2
  EXPECT_EQ(core::io::ReadImage(root / "pred" / "000000.panel.png").cols, 4 * 64);
  const auto cloud = core::io::ReadPlyVertices(root / "pred" / "000001.pred.ply");
  EXPECT_EQ(cloud.points.size(), 32u * 24u);
  EXPECT_EQ(cloud.colors.size(), cloud.points.size());
  const char* bad[] = {"predict", model_arg.c_str(), in_arg.c_str(), out_arg.c_str(), "colour=red"};
  EXPECT_EQ(PredictMain(5, const_cast<char**>(bad)), 1);
}

}  // namespace
}  // namespace synface::depth
