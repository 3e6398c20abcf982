// Layers, backbones, the registry, complexity counting (thesis Table 5.3 exactness check) and
// state-dict files.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "core/nn/complexity.h"
#include "core/nn/layers.h"
#include "core/nn/mobilenet_v2.h"
#include "core/nn/registry.h"
#include "core/nn/resnet.h"
#include "core/nn/state_dict.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace {
namespace fs = std::filesystem;

fs::path TempDir() {
  const char* env = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(env ? env : "/tmp") / "core_nn_models_test";
  fs::create_directories(dir);
  return dir;
}

int64_t CountParams(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

std::map<std::string, std::vector<int64_t>> Shapes(const torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& item : GetStateDict(m)) out[item.key()] = item.value().sizes().vec();
  return out;
}

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---- Layers ------------------------------------------------------------------------------------

TEST(Layers, ConvMatchesFunctionalAndCountsMacs) {
  torch::manual_seed(1);
  Conv2d conv(Conv2dOptions(3, 8, 3).padding(1).bias(true));
  torch::Tensor x = torch::randn({2, 3, 8, 8});
  OpCounter counter;
  torch::Tensor y;
  {
    CountingScope scope(&counter);
    y = conv(x);
  }
  EXPECT_TRUE(torch::allclose(y, torch::conv2d(x, conv->weight, conv->bias, 1, 1)));
  ASSERT_EQ(counter.records().size(), 1u);
  const OpRecord& r = counter.records()[0];
  EXPECT_EQ(r.kind, OpKind::kConv);
  EXPECT_EQ(r.params, 8 * 3 * 9 + 8);
  EXPECT_EQ(r.macs_conv_linear, 2 * 8 * 8 * 8 * 27);  // outputs x C_in x k
  EXPECT_EQ(r.macs_thop, r.macs_conv_linear);
  EXPECT_EQ(r.macs_ptflops, r.macs_conv_linear + 2 * 8 * 8 * 8);  // + bias per output
  // Outside a scope nothing is recorded.
  conv(x);
  EXPECT_EQ(counter.records().size(), 1u);
}

TEST(Layers, DepthwiseAndTransposedConvCounts) {
  Conv2d dw(Conv2dOptions(4, 4, 3).padding(1).groups(4).bias(false));
  ConvTranspose2d up(Conv2dOptions(4, 2, 2).stride(2).bias(false));
  OpCounter counter;
  {
    CountingScope scope(&counter);
    torch::Tensor y = up(dw(torch::zeros({1, 4, 5, 5})));
    EXPECT_EQ(y.sizes(), torch::IntArrayRef({1, 2, 10, 10}));
  }
  ASSERT_EQ(counter.records().size(), 2u);
  EXPECT_EQ(counter.records()[0].macs_conv_linear, 4 * 25 * 9);
  // Transposed: every input element meets C_out/groups x k weights.
  EXPECT_EQ(counter.records()[1].macs_conv_linear, 4 * 25 * 2 * 4);
  EXPECT_EQ(counter.records()[1].macs_thop, 2 * 100 * 4 * 4);  // thop's conv rule on the output
}

TEST(Layers, BatchNormTracksStatisticsLikePyTorch) {
  BatchNorm2d bn(BatchNorm2dOptions(2));
  torch::Tensor x = torch::arange(16, torch::kFloat).reshape({2, 2, 2, 2});
  bn->train();
  torch::Tensor y = bn(x);
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);
  const torch::Tensor mean = x.mean({0, 2, 3});
  const torch::Tensor var = x.transpose(0, 1).reshape({2, -1}).var(1, /*unbiased=*/true);
  EXPECT_TRUE(torch::allclose(bn->running_mean, 0.1 * mean));
  EXPECT_TRUE(torch::allclose(bn->running_var, 0.9 + 0.1 * var));
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 1e-6);
  bn->eval();
  torch::Tensor z = bn(x);
  EXPECT_TRUE(torch::allclose(z, (x - bn->running_mean.view({1, 2, 1, 1})) /
                                     torch::sqrt(bn->running_var.view({1, 2, 1, 1}) + 1e-5)));
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);  // eval does not count
  EXPECT_THROW(bn(torch::zeros({1, 3, 2, 2})), Error);
}

TEST(Layers, PoolingAndActivationRules) {
  OpCounter counter;
  {
    CountingScope scope(&counter);
    torch::Tensor x = torch::ones({1, 3, 8, 8});
    ReLU6()(x);
    MaxPool2d(Pool2dOptions(3).stride(2).padding(1))(x);
    AvgPool2d(Pool2dOptions(2).ceil_mode(true).count_include_pad(false))(x);
    torch::Tensor p = AdaptiveAvgPool2d(1)(x);
    EXPECT_EQ(p.sizes(), torch::IntArrayRef({1, 3, 1, 1}));
  }
  const auto& r = counter.records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].macs_thop, 0);
  EXPECT_EQ(r[0].macs_ptflops, 192);
  EXPECT_EQ(r[1].macs_thop, 0);
  EXPECT_EQ(r[2].macs_thop, 3 * 4 * 4);     // output elements
  EXPECT_EQ(r[3].macs_thop, (64 + 1) * 3);  // (kernel + 1) x output elements
  EXPECT_EQ(r[3].macs_ptflops, 192);
}

TEST(Layers, CloneKeepsTypeAndValues) {
  Sequential inner(Conv2d(Conv2dOptions(2, 2, 1)), BatchNorm2d(2));
  Sequential seq(inner, ReLU());  // nests, unlike torch::nn::Sequential
  auto copy = std::dynamic_pointer_cast<SequentialImpl>(seq->clone());
  ASSERT_TRUE(copy);
  auto copied_inner = std::dynamic_pointer_cast<SequentialImpl>(copy->ptr(0));
  ASSERT_TRUE(copied_inner);
  auto* conv = copied_inner->ptr(0)->as<Conv2dImpl>();
  ASSERT_NE(conv, nullptr);
  EXPECT_TRUE(torch::equal(conv->weight, inner[0]->as<Conv2dImpl>()->weight));
  EXPECT_NE(conv->weight.data_ptr(), inner[0]->as<Conv2dImpl>()->weight.data_ptr());
  EXPECT_EQ(Shapes(*copy).count("0.1.running_var"), 1u);
  torch::Tensor x = torch::randn({1, 2, 3, 3});
  seq->eval();
  copy->eval();
  EXPECT_TRUE(torch::allclose(seq->forward(x), copy->forward(x)));
}

// ---- Backbones: torchvision parameter counts and state-dict keys -------------------------------

TEST(Backbones, MobileNetV2MatchesTorchvision) {
  MobileNetV2 net;
  EXPECT_EQ(CountParams(net), 3504872);
  const auto shapes = Shapes(net);
  EXPECT_EQ(shapes.size(), 314u);  // len(torchvision.models.mobilenet_v2().state_dict())
  const std::map<std::string, std::vector<int64_t>> expected = {
      {"features.0.0.weight", {32, 3, 3, 3}},
      {"features.0.1.weight", {32}},
      {"features.0.1.running_mean", {32}},
      {"features.0.1.num_batches_tracked", {}},
      {"features.1.conv.0.0.weight", {32, 1, 3, 3}},
      {"features.1.conv.0.1.running_var", {32}},
      {"features.1.conv.1.weight", {16, 32, 1, 1}},
      {"features.1.conv.2.bias", {16}},
      {"features.2.conv.0.0.weight", {96, 16, 1, 1}},
      {"features.2.conv.1.0.weight", {96, 1, 3, 3}},
      {"features.2.conv.2.weight", {24, 96, 1, 1}},
      {"features.2.conv.3.running_mean", {24}},
      {"features.17.conv.2.weight", {320, 960, 1, 1}},
      {"features.18.0.weight", {1280, 320, 1, 1}},
      {"features.18.1.num_batches_tracked", {}},
      {"classifier.1.weight", {1000, 1280}},
      {"classifier.1.bias", {1000}},
  };
  for (const auto& [key, shape] : expected) {
    ASSERT_TRUE(shapes.count(key)) << key;
    EXPECT_EQ(shapes.at(key), shape) << key;
  }
  EXPECT_EQ(shapes.at("features.0.1.num_batches_tracked").size(), 0u);
}

TEST(Backbones, MobileNetV2LandmarkHeadAndFeatures) {
  MobileNetV2Options o;
  o.num_outputs = 1560;
  MobileNetV2 net(o);
  EXPECT_EQ(CountParams(net), 4222232);
  net.eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({2, 3, 64, 64});
  EXPECT_EQ(net.forward(x).sizes(), torch::IntArrayRef({2, 1560}));
  EXPECT_EQ(net.ForwardPooled(x).sizes(), torch::IntArrayRef({2, 1280}));
  const auto maps = net.ForwardFeatures(x);
  const auto info = net.feature_info();
  ASSERT_EQ(maps.size(), 5u);
  ASSERT_EQ(info.size(), 5u);
  const int64_t strides[] = {2, 4, 8, 16, 32}, channels[] = {16, 24, 32, 96, 1280};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(info[i].stride, strides[i]);
    EXPECT_EQ(info[i].channels, channels[i]);
    EXPECT_EQ(maps[i].sizes(),
              torch::IntArrayRef({2, channels[i], 64 / strides[i], 64 / strides[i]}));
  }
  EXPECT_EQ(info[3].name, "features.13");
  net.ResetHead(0);
  EXPECT_EQ(net.forward(x).sizes(), torch::IntArrayRef({2, 1280}));
  EXPECT_EQ(CountParams(net), 2223872);  // digest §3.8: feature extractor alone
}

TEST(Backbones, ResNetsMatchTorchvision) {
  ResNet r18(ResNetOptions::ResNet18()), r34(ResNetOptions::ResNet34()),
      r50(ResNetOptions::ResNet50());
  EXPECT_EQ(CountParams(r18), 11689512);
  EXPECT_EQ(CountParams(r34), 21797672);
  EXPECT_EQ(CountParams(r50), 25557032);
  const auto s18 = Shapes(r18), s50 = Shapes(r50);
  EXPECT_EQ(s18.size(), 122u);
  EXPECT_EQ(s50.size(), 320u);
  const std::map<std::string, std::vector<int64_t>> e18 = {
      {"conv1.weight", {64, 3, 7, 7}},
      {"bn1.running_var", {64}},
      {"layer1.0.conv1.weight", {64, 64, 3, 3}},
      {"layer1.1.bn2.num_batches_tracked", {}},
      {"layer2.0.downsample.0.weight", {128, 64, 1, 1}},
      {"layer2.0.downsample.1.running_mean", {128}},
      {"layer4.1.conv2.weight", {512, 512, 3, 3}},
      {"fc.weight", {1000, 512}},
      {"fc.bias", {1000}},
  };
  for (const auto& [key, shape] : e18) {
    ASSERT_TRUE(s18.count(key)) << key;
    EXPECT_EQ(s18.at(key), shape) << key;
  }
  const std::map<std::string, std::vector<int64_t>> e50 = {
      {"layer1.0.conv1.weight", {64, 64, 1, 1}},         {"layer1.0.conv3.weight", {256, 64, 1, 1}},
      {"layer1.0.downsample.0.weight", {256, 64, 1, 1}}, {"layer3.5.bn3.weight", {1024}},
      {"layer4.0.conv2.weight", {512, 512, 3, 3}},       {"fc.weight", {1000, 2048}},
  };
  for (const auto& [key, shape] : e50) {
    ASSERT_TRUE(s50.count(key)) << key;
    EXPECT_EQ(s50.at(key), shape) << key;
  }
  r18.eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({1, 3, 64, 64});
  EXPECT_EQ(r18.forward(x).sizes(), torch::IntArrayRef({1, 1000}));
  const auto maps = r18.ForwardFeatures(x);
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(maps[0].sizes(), torch::IntArrayRef({1, 64, 32, 32}));
  EXPECT_EQ(maps[4].sizes(), torch::IntArrayRef({1, 512, 2, 2}));
}

TEST(Backbones, ResNetJmlrLayout) {
  ResNetOptions o = ResNetOptions::Jmlr();
  o.num_outputs = 1560;
  ResNet net(o);
  const auto shapes = Shapes(net);
  EXPECT_EQ(shapes.at("conv1.0.weight"), std::vector<int64_t>({32, 3, 3, 3}));
  EXPECT_EQ(shapes.at("conv1.4.weight"), std::vector<int64_t>({32}));
  EXPECT_EQ(shapes.at("conv1.6.weight"), std::vector<int64_t>({64, 32, 3, 3}));
  EXPECT_EQ(shapes.at("layer2.0.downsample.1.weight"), std::vector<int64_t>({160, 64, 1, 1}));
  EXPECT_EQ(shapes.at("layer2.0.downsample.2.running_var"), std::vector<int64_t>({160}));
  EXPECT_EQ(shapes.count("layer1.0.downsample.1.weight"), 0u);
  EXPECT_EQ(shapes.at("layer4.1.conv2.weight"), std::vector<int64_t>({512, 512, 3, 3}));
  EXPECT_EQ(shapes.at("fc.weight"), std::vector<int64_t>({1560, 512}));
  // zero_init_last: the residual branch starts switched off.
  EXPECT_EQ(net.named_parameters()["layer3.2.bn2.weight"].abs().sum().item<double>(), 0.0);
}

// ---- Registry ----------------------------------------------------------------------------------

TEST(Registry, CreatesBuiltinsAndExplainsUnknownNames) {
  ModelOptions o;
  o.num_outputs = 10;
  auto model = CreateModel("resnet18", o);
  EXPECT_EQ(model->architecture(), "resnet18");
  EXPECT_EQ(model->num_outputs(), 10);
  EXPECT_EQ(model->num_features(), 512);
  EXPECT_TRUE(IsModelRegistered("mobilenet_v2"));
  const std::string msg = ErrorOf([] { CreateModel("mobilenet_v3"); });
  EXPECT_NE(msg.find("unknown model 'mobilenet_v3'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mobilenet_v2, resnet101"), std::string::npos) << msg;
  EXPECT_NE(msg.find("resnet_jmlr"), std::string::npos) << msg;

  RegisterModel(
      "tiny_test_model",
      [](const ModelOptions& opts) {
        MobileNetV2Options m;
        m.width_multiplier = 0.25;
        m.num_outputs = opts.num_outputs;
        return std::make_shared<MobileNetV2>(m);
      },
      "test");
  EXPECT_EQ(CreateModel("tiny_test_model", o)->num_outputs(), 10);
  EXPECT_THROW(RegisterModel("tiny_test_model",
                             [](const ModelOptions&) { return std::shared_ptr<Model>(); }),
               Error);
  ModelOptions bad;
  bad.width_multiplier = 0.5;
  EXPECT_THROW(CreateModel("resnet34", bad), Error);
}

// ---- Complexity: thesis Table 5.3 --------------------------------------------------------------

TEST(Complexity, MobileNetV2Table53) {
  MobileNetV2Options o;
  o.num_outputs = 1560;
  MobileNetV2 net(o);
  net.train();
  const ComplexityReport r = MeasureComplexity(net, {1, 3, 256, 256});
  std::cout << "MobileNetV2 + 1560 head, 256x256:\n" << r.Summary();
  EXPECT_TRUE(net.is_training());  // restored
  EXPECT_EQ(r.params, 4222232);
  EXPECT_EQ(r.params_thop, 4222232);
  EXPECT_EQ(r.params_thop_timm, 4188120);  // printed 4.18M
  EXPECT_EQ(r.macs_conv, 391176192);
  EXPECT_EQ(r.macs_linear, 1996800);
  EXPECT_EQ(r.macs_conv_linear, 393172992);
  EXPECT_EQ(r.macs_thop_timm, 393256192);  // printed gMac 0.39, gFlop 0.19
  EXPECT_EQ(r.batch_norm_elements, 8722432);
  EXPECT_EQ(r.activation_elements, 7974912);
  EXPECT_EQ(r.macs_thop, 393172992 + 4 * 8722432 + 83200);  // torchvision-style, 0.428 GMac
  EXPECT_EQ(r.macs_ptflops, 418676248);
  EXPECT_DOUBLE_EQ(TruncatedGiga(r.macs_thop_timm), 0.39);
  EXPECT_DOUBLE_EQ(TruncatedGiga(r.macs_thop_timm / 2), 0.19);
  EXPECT_EQ(WithThousands(r.params_thop_timm), "4,188,120");
  // BatchNorm statistics untouched by the counting pass.
  EXPECT_EQ(net.named_buffers()["features.0.1.num_batches_tracked"].item<int64_t>(), 0);

  const ComplexityReport r224 = MeasureComplexity(net, {1, 3, 224, 224});
  EXPECT_EQ(r224.macs_conv_linear, 301491072);
  EXPECT_EQ(r224.batch_norm_elements, 6678112);
}

TEST(Complexity, ResNetJmlrTable53) {
  ResNetOptions o = ResNetOptions::Jmlr();
  o.num_outputs = 1560;
  ResNet net(o);
  const ComplexityReport r = MeasureComplexity(net, {1, 3, 256, 256});
  std::cout << "resnet_jmlr + 1560 head, 256x256:\n" << r.Summary();
  EXPECT_EQ(r.params, 16032344);  // printed 16.03M
  EXPECT_EQ(r.params_thop, 16032344);
  EXPECT_EQ(r.macs_conv, 5108334592);
  EXPECT_EQ(r.macs_linear, 798720);
  EXPECT_EQ(r.macs_conv_linear, 5109133312);
  EXPECT_EQ(r.batch_norm_elements, 6656000);
  EXPECT_EQ(r.macs_thop, 5135914496);  // printed gMac 5.13, gFlop 2.56
  EXPECT_DOUBLE_EQ(TruncatedGiga(r.macs_thop), 5.13);
  EXPECT_DOUBLE_EQ(TruncatedGiga(r.macs_thop / 2), 2.56);
}

TEST(Complexity, TorchvisionResNet18WithLandmarkHead) {
  ResNetOptions o = ResNetOptions::ResNet18();
  o.num_outputs = 1560;
  ResNet net(o);
  EXPECT_EQ(MeasureComplexity(net, {1, 3, 224, 224}).macs_thop, 1824320512);
  const ComplexityReport r = MeasureComplexity(net, {1, 3, 256, 256});
  EXPECT_EQ(r.params, 11976792);
  EXPECT_EQ(r.macs_thop, 2382541312);
}

TEST(Complexity, CustomForwardAndMatMul) {
  Linear fc(4, 3);
  const ComplexityReport r = MeasureComplexity(*fc, [&] {
    fc(torch::zeros({5, 4}));
    RecordMatMul(nullptr, 100);
  });
  EXPECT_EQ(r.params, 15);
  EXPECT_EQ(r.macs_conv_linear, 5 * 3 * 4 + 100);
  EXPECT_EQ(r.macs_thop, 60);
  EXPECT_EQ(r.macs_matmul, 100);
  torch::nn::Linear plain(4, 3);
  EXPECT_THROW(MeasureComplexity(*plain, [&] { plain(torch::zeros({1, 4})); }), Error);
}

// ---- State dicts -------------------------------------------------------------------------------

TEST(StateDict, RoundTripAndStrictErrors) {
  torch::manual_seed(3);
  MobileNetV2Options o;
  o.width_multiplier = 0.5;
  o.num_outputs = 7;
  MobileNetV2 a(o), b(o);
  {  // make buffers non-trivial
    a.train();
    torch::NoGradGuard no_grad;
    a.forward(torch::randn({2, 3, 32, 32}));
  }
  const fs::path path = TempDir() / "mnv2.pt";
  SaveStateDict(a, path);
  const auto result = LoadStateDict(b, path);
  EXPECT_EQ(result.loaded.size(), GetStateDict(a).size());
  for (const auto& item : GetStateDict(a)) {
    EXPECT_TRUE(torch::equal(item.value(), GetStateDict(b)[item.key()])) << item.key();
  }
  // The same file through the fallback reader (LibTorch's restore_type_tag wrapper).
  const std::string raw = ReadFile(path);
  const c10::IValue v = UnpickleTorchSave(std::vector<char>(raw.begin(), raw.end()));
  ASSERT_TRUE(v.isGenericDict());
  EXPECT_EQ(v.toGenericDict().size(), GetStateDict(a).size());

  // Different head: strict load fails naming the key and both shapes; skipping the head works.
  o.num_outputs = 9;
  MobileNetV2 c(o);
  std::string msg = ErrorOf([&] { LoadStateDict(c, path); });
  EXPECT_NE(msg.find("classifier.1.weight: file (7, 1280) vs model (9, 1280)"), std::string::npos)
      << msg;
  LoadStateDictOptions skip;
  skip.skip_prefixes = {"classifier."};
  EXPECT_EQ(LoadStateDict(c, path, skip).skipped.size(), 2u);

  // Headless model: the file's head keys are unexpected.
  o.num_outputs = 0;
  MobileNetV2 d(o);
  msg = ErrorOf([&] { LoadStateDict(d, path); });
  EXPECT_NE(msg.find("not in the model: classifier.1.bias, classifier.1.weight"), std::string::npos)
      << msg;
  LoadStateDictOptions lax;
  lax.strict = false;
  EXPECT_EQ(LoadStateDict(d, path, lax).unexpected.size(), 2u);

  // Registry loads weights named in the options.
  ModelOptions mo;
  mo.num_outputs = 1000;
  mo.weights = (TempDir() / "resnet18.pt").string();
  SaveStateDict(ResNet(ResNetOptions::ResNet18()), mo.weights);
  EXPECT_EQ(CreateModel("resnet18", mo)->num_outputs(), 1000);
  mo.weights = path.string();
  msg = ErrorOf([&] { CreateModel("resnet18", mo); });
  EXPECT_NE(msg.find("missing from the file: bn1.bias"), std::string::npos) << msg;
}

TEST(StateDict, BadFilesAreExplained) {
  const fs::path dir = TempDir();
  WriteFileAtomic(dir / "empty.pt", "");
  WriteFileAtomic(dir / "legacy.pt", std::string("\x80\x02\x8a\x0a", 4) + "0123456789");
  WriteFileAtomic(dir / "text.pt", "hello world");
  EXPECT_NE(ErrorOf([&] { ReadStateDict(dir / "empty.pt"); }).find("empty or truncated"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadStateDict(dir / "legacy.pt"); }).find("legacy (non-zip)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadStateDict(dir / "text.pt"); }).find("not a PyTorch zip archive"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadStateDict(dir / "missing.pt"); }).find("missing.pt"),
            std::string::npos);
  // A torch::save archive (what checkpoints are) is recognised as such.
  torch::serialize::OutputArchive archive;
  archive.write("x", torch::ones({2}));
  archive.save_to((dir / "archive.pt").string());
  const std::string archive_msg = ErrorOf([&] { ReadStateDict(dir / "archive.pt"); });
  EXPECT_NE(archive_msg.find("TorchScript"), std::string::npos) << archive_msg;
}

// Pickles exactly as Python's torch.save(obj) writes them (protocol 2), produced by CPython's
// pickle module with stand-in torch classes (torch.FloatStorage, torch._utils._rebuild_tensor_v2;
// persistent ids ('storage', type, key, 'cpu', numel), tensors reduced to
// _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())) for the state dict
// {conv.weight: float (2,1,1,1) = [1, 2], bn.running_mean: float (2) = [3, 4],
//  bn.num_batches_tracked: int64 () = 7}: once as a plain dict, once as model.state_dict()'s
// OrderedDict with its _metadata attribute.
const unsigned char kPythonDictPickle[] = {
    0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x0b, 0x00, 0x00, 0x00, 0x63, 0x6f, 0x6e, 0x76, 0x2e,
    0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x71, 0x01, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x2e, 0x5f,
    0x75, 0x74, 0x69, 0x6c, 0x73, 0x0a, 0x5f, 0x72, 0x65, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x5f, 0x74,
    0x65, 0x6e, 0x73, 0x6f, 0x72, 0x5f, 0x76, 0x32, 0x0a, 0x71, 0x02, 0x28, 0x28, 0x58, 0x07, 0x00,
    0x00, 0x00, 0x73, 0x74, 0x6f, 0x72, 0x61, 0x67, 0x65, 0x71, 0x03, 0x63, 0x74, 0x6f, 0x72, 0x63,
    0x68, 0x0a, 0x46, 0x6c, 0x6f, 0x61, 0x74, 0x53, 0x74, 0x6f, 0x72, 0x61, 0x67, 0x65, 0x0a, 0x71,
    0x04, 0x58, 0x01, 0x00, 0x00, 0x00, 0x30, 0x71, 0x05, 0x58, 0x03, 0x00, 0x00, 0x00, 0x63, 0x70,
    0x75, 0x71, 0x06, 0x4b, 0x02, 0x74, 0x71, 0x07, 0x51, 0x4b, 0x00, 0x28, 0x4b, 0x02, 0x4b, 0x01,
    0x4b, 0x01, 0x4b, 0x01, 0x74, 0x71, 0x08, 0x28, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01,
    0x74, 0x71, 0x09, 0x89, 0x63, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73,
    0x0a, 0x4f, 0x72, 0x64, 0x65, 0x72, 0x65, 0x64, 0x44, 0x69, 0x63, 0x74, 0x0a, 0x71, 0x0a, 0x29,
    0x52, 0x71, 0x0b, 0x74, 0x71, 0x0c, 0x52, 0x71, 0x0d, 0x58, 0x0f, 0x00, 0x00, 0x00, 0x62, 0x6e,
    0x2e, 0x72, 0x75, 0x6e, 0x6e, 0x69, 0x6e, 0x67, 0x5f, 0x6d, 0x65, 0x61, 0x6e, 0x71, 0x0e, 0x68,
    0x02, 0x28, 0x28, 0x68, 0x03, 0x68, 0x04, 0x58, 0x01, 0x00, 0x00, 0x00, 0x31, 0x71, 0x0f, 0x68,
    0x06, 0x4b, 0x02, 0x74, 0x71, 0x10, 0x51, 0x4b, 0x00, 0x4b, 0x02, 0x85, 0x71, 0x11, 0x4b, 0x01,
    0x85, 0x71, 0x12, 0x89, 0x68, 0x0a, 0x29, 0x52, 0x71, 0x13, 0x74, 0x71, 0x14, 0x52, 0x71, 0x15,
    0x58, 0x16, 0x00, 0x00, 0x00, 0x62, 0x6e, 0x2e, 0x6e, 0x75, 0x6d, 0x5f, 0x62, 0x61, 0x74, 0x63,
    0x68, 0x65, 0x73, 0x5f, 0x74, 0x72, 0x61, 0x63, 0x6b, 0x65, 0x64, 0x71, 0x16, 0x68, 0x02, 0x28,
    0x28, 0x68, 0x03, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x0a, 0x4c, 0x6f, 0x6e, 0x67, 0x53, 0x74,
    0x6f, 0x72, 0x61, 0x67, 0x65, 0x0a, 0x71, 0x17, 0x58, 0x01, 0x00, 0x00, 0x00, 0x32, 0x71, 0x18,
    0x68, 0x06, 0x4b, 0x01, 0x74, 0x71, 0x19, 0x51, 0x4b, 0x00, 0x29, 0x29, 0x89, 0x68, 0x0a, 0x29,
    0x52, 0x71, 0x1a, 0x74, 0x71, 0x1b, 0x52, 0x71, 0x1c, 0x75, 0x2e};

const unsigned char kPythonOrderedDictPickle[] = {
    0x80, 0x02, 0x63, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73, 0x0a, 0x4f,
    0x72, 0x64, 0x65, 0x72, 0x65, 0x64, 0x44, 0x69, 0x63, 0x74, 0x0a, 0x71, 0x00, 0x29, 0x52, 0x71,
    0x01, 0x28, 0x58, 0x0b, 0x00, 0x00, 0x00, 0x63, 0x6f, 0x6e, 0x76, 0x2e, 0x77, 0x65, 0x69, 0x67,
    0x68, 0x74, 0x71, 0x02, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x2e, 0x5f, 0x75, 0x74, 0x69, 0x6c,
    0x73, 0x0a, 0x5f, 0x72, 0x65, 0x62, 0x75, 0x69, 0x6c, 0x64, 0x5f, 0x74, 0x65, 0x6e, 0x73, 0x6f,
    0x72, 0x5f, 0x76, 0x32, 0x0a, 0x71, 0x03, 0x28, 0x28, 0x58, 0x07, 0x00, 0x00, 0x00, 0x73, 0x74,
    0x6f, 0x72, 0x61, 0x67, 0x65, 0x71, 0x04, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x0a, 0x46, 0x6c,
    0x6f, 0x61, 0x74, 0x53, 0x74, 0x6f, 0x72, 0x61, 0x67, 0x65, 0x0a, 0x71, 0x05, 0x58, 0x01, 0x00,
    0x00, 0x00, 0x30, 0x71, 0x06, 0x58, 0x03, 0x00, 0x00, 0x00, 0x63, 0x70, 0x75, 0x71, 0x07, 0x4b,
    0x02, 0x74, 0x71, 0x08, 0x51, 0x4b, 0x00, 0x28, 0x4b, 0x02, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01,
    0x74, 0x71, 0x09, 0x28, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01, 0x4b, 0x01, 0x74, 0x71, 0x0a, 0x89,
    0x68, 0x00, 0x29, 0x52, 0x71, 0x0b, 0x74, 0x71, 0x0c, 0x52, 0x71, 0x0d, 0x58, 0x0f, 0x00, 0x00,
    0x00, 0x62, 0x6e, 0x2e, 0x72, 0x75, 0x6e, 0x6e, 0x69, 0x6e, 0x67, 0x5f, 0x6d, 0x65, 0x61, 0x6e,
    0x71, 0x0e, 0x68, 0x03, 0x28, 0x28, 0x68, 0x04, 0x68, 0x05, 0x58, 0x01, 0x00, 0x00, 0x00, 0x31,
    0x71, 0x0f, 0x68, 0x07, 0x4b, 0x02, 0x74, 0x71, 0x10, 0x51, 0x4b, 0x00, 0x4b, 0x02, 0x85, 0x71,
    0x11, 0x4b, 0x01, 0x85, 0x71, 0x12, 0x89, 0x68, 0x00, 0x29, 0x52, 0x71, 0x13, 0x74, 0x71, 0x14,
    0x52, 0x71, 0x15, 0x58, 0x16, 0x00, 0x00, 0x00, 0x62, 0x6e, 0x2e, 0x6e, 0x75, 0x6d, 0x5f, 0x62,
    0x61, 0x74, 0x63, 0x68, 0x65, 0x73, 0x5f, 0x74, 0x72, 0x61, 0x63, 0x6b, 0x65, 0x64, 0x71, 0x16,
    0x68, 0x03, 0x28, 0x28, 0x68, 0x04, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68, 0x0a, 0x4c, 0x6f, 0x6e,
    0x67, 0x53, 0x74, 0x6f, 0x72, 0x61, 0x67, 0x65, 0x0a, 0x71, 0x17, 0x58, 0x01, 0x00, 0x00, 0x00,
    0x32, 0x71, 0x18, 0x68, 0x07, 0x4b, 0x01, 0x74, 0x71, 0x19, 0x51, 0x4b, 0x00, 0x29, 0x29, 0x89,
    0x68, 0x00, 0x29, 0x52, 0x71, 0x1a, 0x74, 0x71, 0x1b, 0x52, 0x71, 0x1c, 0x75, 0x7d, 0x71, 0x1d,
    0x58, 0x09, 0x00, 0x00, 0x00, 0x5f, 0x6d, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, 0x71, 0x1e,
    0x68, 0x00, 0x29, 0x52, 0x71, 0x1f, 0x28, 0x58, 0x00, 0x00, 0x00, 0x00, 0x71, 0x20, 0x7d, 0x71,
    0x21, 0x58, 0x07, 0x00, 0x00, 0x00, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x71, 0x22, 0x4b,
    0x01, 0x73, 0x58, 0x02, 0x00, 0x00, 0x00, 0x62, 0x6e, 0x71, 0x23, 0x7d, 0x71, 0x24, 0x68, 0x22,
    0x4b, 0x02, 0x73, 0x75, 0x73, 0x62, 0x2e};

// Writes the zip archive around a pickle as torch.save does (records under "<name>/": data.pkl,
// data/<key> raw little-endian storages, byteorder, version).
void WritePythonArchive(const fs::path& path, const unsigned char* pickle, size_t size) {
  caffe2::serialize::PyTorchStreamWriter writer(path.string());
  writer.writeRecord("data.pkl", pickle, size);
  writer.writeRecord("byteorder", "little", 6);
  const float weight[2] = {1.f, 2.f}, mean[2] = {3.f, 4.f};
  const int64_t count = 7;
  writer.writeRecord("data/0", weight, sizeof(weight));
  writer.writeRecord("data/1", mean, sizeof(mean));
  writer.writeRecord("data/2", &count, sizeof(count));
  writer.writeEndOfFile();
}

struct FixtureModule : torch::nn::Module {
  FixtureModule() {
    auto conv = std::make_shared<torch::nn::Module>();
    conv->register_parameter("weight", torch::zeros({2, 1, 1, 1}));
    auto bn = std::make_shared<torch::nn::Module>();
    bn->register_buffer("running_mean", torch::zeros({2}));
    bn->register_buffer("num_batches_tracked", torch::tensor(int64_t{0}));
    register_module("conv", conv);
    register_module("bn", bn);
  }
};

TEST(StateDict, ReadsPythonTorchSaveFiles) {
  const fs::path dir = TempDir();
  WritePythonArchive(dir / "py_dict.pt", kPythonDictPickle, sizeof(kPythonDictPickle));
  WritePythonArchive(dir / "py_ordered.pt", kPythonOrderedDictPickle,
                     sizeof(kPythonOrderedDictPickle));
  for (const char* name : {"py_dict.pt", "py_ordered.pt"}) {
    SCOPED_TRACE(name);
    FixtureModule m;
    const auto result = LoadStateDict(m, dir / name);
    EXPECT_EQ(result.loaded.size(), 3u);
    auto sd = GetStateDict(m);
    EXPECT_TRUE(torch::equal(sd["conv.weight"], torch::tensor({1.f, 2.f}).view({2, 1, 1, 1})));
    EXPECT_TRUE(torch::equal(sd["bn.running_mean"], torch::tensor({3.f, 4.f})));
    EXPECT_EQ(sd["bn.num_batches_tracked"].item<int64_t>(), 7);
  }
  // Nested key selection: {"state_dict": {...}} as training scripts save.
  c10::impl::GenericDict inner(c10::StringType::get(), c10::TensorType::get());
  inner.insert("conv.weight", torch::ones({2, 1, 1, 1}));
  c10::impl::GenericDict top(c10::StringType::get(), c10::AnyType::get());
  top.insert("state_dict", inner);
  top.insert("epoch", int64_t{3});
  const std::vector<char> bytes = torch::pickle_save(top);
  WriteFileAtomic(dir / "nested.pt", std::string_view(bytes.data(), bytes.size()));
  EXPECT_EQ(ReadStateDict(dir / "nested.pt", "state_dict").size(), 1u);
  const std::string nested_msg = ErrorOf([&] { ReadStateDict(dir / "nested.pt"); });
  EXPECT_NE(nested_msg.find("pass its name as the nested key"), std::string::npos) << nested_msg;
}

}  // namespace
}  // namespace synface::core::nn
