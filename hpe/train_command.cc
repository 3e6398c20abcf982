#include "hpe/train_command.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "core/config/config.h"
#include "core/nn/distributed.h"
#include "core/nn/registry.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "hpe/inference.h"
#include "hpe/readers.h"
#include "hpe/training.h"

namespace synface::hpe {
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFormats = {"synth", "biwi", "300wlp", "mat", "csv"};

void DeclareData(core::config::Schema& s, const std::string& prefix, bool required) {
  s.Choice(prefix + ".format", kFormats,
           required ? std::nullopt : std::optional<std::string>("synth"),
           "reader: synth (a synth dataset folder), biwi (BIWI Kinect Head Pose root), 300wlp "
           "(300W-LP root), mat (a folder of AFLW2000-3D style image + .mat pairs), csv "
           "(path,yaw,pitch,roll[,x0,y0,x1,y1] file)");
  if (required) {
    s.Required<std::string>(prefix + ".path", "dataset folder (or the CSV file)");
  } else {
    s.Optional<std::string>(prefix + ".path", "", "validation dataset; empty = none");
  }
}

std::vector<PoseRecord> ReadRecords(const std::string& format, const fs::path& path) {
  if (!fs::exists(path)) throw core::MakeError("{}: dataset not found", path.string());
  if (format == "synth") return ReadSynthDataset(path);
  if (format == "biwi") return ReadBiwi(path);
  if (format == "300wlp") return Read300WLP(path);
  if (format == "mat") return ReadMatPoseFolder(path);
  return ReadPoseCsv(path);
}

}  // namespace

core::config::Schema TrainCommandSchema() {
  core::config::Schema s;
  DeclareData(s, "data", true);
  DeclareData(s, "val", false);
  s.Required<std::string>("out", "run folder (logs, checkpoints, model.ckpt)");
  s.Optional<std::string>("model.architecture", "fsanet_capsule_1x1",
                          "a registered head-pose model: fsanet_capsule_1x1 / _var / _nos, "
                          "sixdrepnet_resnet18 / _resnet50 / _mobilenet_v2, ...");
  const TrainOptions d = SyntheticOnlyOptions();
  s.Optional<int64_t>("train.epochs", d.epochs, "epochs (P1: 90)");
  s.Range("train.epochs", 1, 1e6);
  s.Optional<int64_t>("train.batch_size", d.batch_size, "global batch size (P1: 8)");
  s.Range("train.batch_size", 1, 1e6);
  s.Optional<double>("train.lr", d.lr, "Adam learning rate (P1: 1e-4)");
  s.Optional<int64_t>("train.lr_step_epochs", d.lr_step_epochs,
                      "x lr_gamma every N epochs (0 = constant)");
  s.Optional<double>("train.lr_gamma", d.lr_gamma, "step-schedule factor");
  s.Optional<double>("train.noise_std", d.noise_std, "Gaussian pixel noise on [0, 1]");
  s.Optional<int64_t>("train.precise_bn_batches", 0, "precise-BN batches (0 = off)");
  s.Optional<int64_t>("train.input_size", d.input_size, "6DRepNet-style input side, pixels");
  s.Optional<int64_t>("seed", 0, "training seed");
  s.Optional<int64_t>("threads", 0, "LibTorch threads (0 = every core)");
  return s;
}

int RunTrainCommand(const std::vector<std::string>& args) {
  const core::config::Schema schema = TrainCommandSchema();
  try {
    const auto cl = core::config::SplitCommandLine(args);
    for (const auto& r : cl.rest) {
      if (r == "--help" || r == "-h") {
        std::cout << "usage: train [config.toml ...] key=value ...\n\n" << schema.Describe();
        return 0;
      }
      throw core::MakeError(
          "unknown argument '{}' (config files end in .toml, overrides are "
          "key=value; --help lists the keys)",
          r);
    }
    const core::config::Config cfg = core::config::LoadConfig(cl.files, cl.overrides, schema);
    const fs::path out = core::ResolveUserPath(cfg.Get<std::string>("out"));
    const int threads = static_cast<int>(cfg.Get<int64_t>("threads"));

    // Joins the process group first: a rank that fails on its data fails before the others wait.
    std::shared_ptr<core::nn::ProcessGroup> group;
    if (auto dist = core::nn::DistributedOptionsFromEnv()) {
      group = std::make_shared<core::nn::ProcessGroup>(*dist);
    }
    const bool root = !group || group->is_root();

    RegisterHpeModels();
    auto model = core::nn::CreateModel(cfg.Get<std::string>("model.architecture"));
    LoadOptions load;
    load.threads = threads;
    load.show_progress = root;
    load.label = "load train";
    // The crop size the model takes (FSA-Net: its image size; others: train.input_size).
    load.size = InputSpecFor(*model, static_cast<int>(cfg.Get<int64_t>("train.input_size"))).size;
    const PoseSet train =
        LoadPoseSet(ReadRecords(cfg.Get<std::string>("data.format"),
                                core::ResolveUserPath(cfg.Get<std::string>("data.path"))),
                    load);
    std::optional<PoseSet> validation;
    if (!cfg.Get<std::string>("val.path").empty()) {
      load.label = "load val";
      validation = LoadPoseSet(ReadRecords(cfg.Get<std::string>("val.format"),
                                           core::ResolveUserPath(cfg.Get<std::string>("val.path"))),
                               load);
    }

    TrainOptions o = SyntheticOnlyOptions();
    o.run_dir = out;
    o.epochs = static_cast<int>(cfg.Get<int64_t>("train.epochs"));
    o.batch_size = static_cast<int>(cfg.Get<int64_t>("train.batch_size"));
    o.lr = cfg.Get<double>("train.lr");
    o.lr_step_epochs = static_cast<int>(cfg.Get<int64_t>("train.lr_step_epochs"));
    o.lr_gamma = cfg.Get<double>("train.lr_gamma");
    o.noise_std = cfg.Get<double>("train.noise_std");
    o.precise_bn_batches = static_cast<int>(cfg.Get<int64_t>("train.precise_bn_batches"));
    o.input_size = static_cast<int>(cfg.Get<int64_t>("train.input_size"));
    o.seed = static_cast<uint64_t>(cfg.Get<int64_t>("seed"));
    o.threads = threads;
    o.validation = validation ? &*validation : nullptr;
    o.show_progress = root;
    o.label = "train " + model->architecture();
    o.process_group = group;
    o.metadata["command"] = "hpe:train";
    o.metadata["data"] =
        cfg.Get<std::string>("data.format") + ":" + cfg.Get<std::string>("data.path");
    if (root) {
      fs::create_directories(out);
      cfg.WriteResolved(out / "config.resolved.toml");
    }
    const TrainReport r = TrainSupervised(model, train, o);
    if (root) {
      std::cout << fmt::format("train: {} steps in {:.1f} s, last loss {:.4g}{}; model {}\n",
                               r.steps, r.seconds, r.last_loss,
                               r.best_validation
                                   ? fmt::format(", best validation MAE {:.2f} deg at step {}",
                                                 r.best_validation->mean, r.best_step)
                                   : "",
                               r.model_file.string());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "train: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace synface::hpe
