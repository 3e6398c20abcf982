#include "core/nn/registry.h"

#include <map>
#include <mutex>

#include "core/nn/mobilenet_v2.h"
#include "core/nn/resnet.h"
#include "core/nn/state_dict.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace {

struct Entry {
  ModelFactory factory;
  std::string description;
};

std::shared_ptr<Model> MakeResNet(ResNetOptions base, const ModelOptions& o) {
  if (o.width_multiplier != 1.0) {
    throw MakeError("{}: width_multiplier is not supported (got {})", base.name,
                    o.width_multiplier);
  }
  base.num_outputs = o.num_outputs;
  base.in_channels = o.in_channels;
  if (o.dropout >= 0.0) base.dropout = o.dropout;
  return std::make_shared<ResNet>(base);
}

class Registry {
 public:
  static Registry& Get() {
    static Registry registry;
    return registry;
  }

  void Add(const std::string& name, ModelFactory factory, const std::string& description) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (name.empty()) throw MakeError("RegisterModel: empty model name");
    if (!factory) throw MakeError("RegisterModel('{}'): empty factory", name);
    if (!entries_.emplace(name, Entry{std::move(factory), description}).second) {
      throw MakeError("RegisterModel: model '{}' is already registered", name);
    }
  }

  ModelFactory Find(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(name);
    if (it != entries_.end()) return it->second.factory;
    std::string known;
    for (const auto& [n, e] : entries_) known += (known.empty() ? "" : ", ") + n;
    throw MakeError("unknown model '{}'; known models: {}", name, known);
  }

  bool Has(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.count(name) > 0;
  }

  std::vector<RegisteredModel> List() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RegisteredModel> out;
    for (const auto& [n, e] : entries_) out.push_back({n, e.description});
    return out;
  }

 private:
  // Built-ins are registered here rather than by static initialisers, which a static link drops
  // when nothing else references their object file.
  Registry() {
    entries_["mobilenet_v2"] = {
        [](const ModelOptions& o) {
          MobileNetV2Options m;
          m.num_outputs = o.num_outputs;
          m.in_channels = o.in_channels;
          m.width_multiplier = o.width_multiplier;
          if (o.dropout >= 0.0) m.dropout = o.dropout;
          return std::make_shared<MobileNetV2>(m);
        },
        "MobileNetV2 (torchvision layout and keys), width multiplier, 1280-d features"};
    const std::pair<const char*, ResNetOptions (*)()> resnets[] = {
        {"resnet18", &ResNetOptions::ResNet18},   {"resnet34", &ResNetOptions::ResNet34},
        {"resnet50", &ResNetOptions::ResNet50},   {"resnet101", &ResNetOptions::ResNet101},
        {"resnet152", &ResNetOptions::ResNet152}, {"resnet_jmlr", &ResNetOptions::Jmlr},
    };
    for (const auto& [name, preset] : resnets) {
      auto make = preset;
      entries_[name] = {[make](const ModelOptions& o) { return MakeResNet(make(), o); },
                        std::string(name) == "resnet_jmlr"
                            ? "ResNet-D [5,3,4,2] x [64,160,272,512] (insightface jmlr; thesis "
                              "Table 5.3 'Resnet-18')"
                            : "ResNet (torchvision layout and keys)"};
    }
  }

  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace

void RegisterModel(const std::string& name, ModelFactory factory, const std::string& description) {
  Registry::Get().Add(name, std::move(factory), description);
}

std::shared_ptr<Model> CreateModel(const std::string& name, const ModelOptions& options) {
  ModelFactory factory = Registry::Get().Find(name);
  std::shared_ptr<Model> model = factory(options);
  if (!model) throw MakeError("model '{}': factory returned nothing", name);
  if (!options.weights.empty()) LoadStateDict(*model, options.weights);
  return model;
}

bool IsModelRegistered(const std::string& name) { return Registry::Get().Has(name); }

std::vector<RegisteredModel> RegisteredModels() { return Registry::Get().List(); }

}  // namespace synface::core::nn
