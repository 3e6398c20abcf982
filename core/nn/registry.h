// Models by name: experiments and configs say `model = "mobilenet_v2"` and get an architecture
// without naming its C++ type. Built-ins (always present): mobilenet_v2, resnet18, resnet34,
// resnet50, resnet101, resnet152, resnet_jmlr. Chapter packages add theirs with RegisterModel
// (from code that runs before use, e.g. their own Register...() function called by main or
// by the experiment; static registrars need `alwayslink = True` on their cc_library).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/model.h"

namespace synface::core::nn {

using ModelFactory = std::function<std::shared_ptr<Model>(const ModelOptions&)>;

// Registers `factory` under `name`; throws core::Error when the name is taken.
void RegisterModel(const std::string& name, ModelFactory factory,
                   const std::string& description = "");

// Builds a model. When options.weights is set, loads that state-dict file strictly
// (state_dict.h). Throws core::Error for an unknown name, listing the known ones.
std::shared_ptr<Model> CreateModel(const std::string& name, const ModelOptions& options = {});

bool IsModelRegistered(const std::string& name);

// Registered names, sorted, each with its description.
struct RegisteredModel {
  std::string name, description;
};
std::vector<RegisteredModel> RegisteredModels();

// For static registration in a translation unit: `static ModelRegistrar r("fsanet", ...);`.
struct ModelRegistrar {
  ModelRegistrar(const std::string& name, ModelFactory factory,
                 const std::string& description = "") {
    RegisterModel(name, std::move(factory), description);
  }
};

}  // namespace synface::core::nn
