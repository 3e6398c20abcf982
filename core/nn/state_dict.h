// State dicts (parameter and buffer name -> tensor) in the file format Python's `torch.save`
// writes (zip archive: pickled `data.pkl` + raw storages), so weights move both ways:
//
//   C++ -> Python:  SaveStateDict(model, "w.pt");        Python: sd = torch.load("w.pt")
//   Python -> C++:  torch.save(model.state_dict(), "w.pt");   C++: LoadStateDict(model, "w.pt")
//
// Reading tries LibTorch's torch::pickle_load first. That cannot read an OrderedDict (what
// model.state_dict() returns: LibTorch 1.13 turns OrderedDict into None), so a small unpickler
// for the subset torch.save emits (dicts, OrderedDicts, lists, tuples, scalars, strings, tensors
// from persistent storages) takes over. Files written by PyTorch < 1.6 (or with
// _use_new_zipfile_serialization=False) are not zip archives: they are detected and must be
// re-saved with a newer PyTorch.
//
// Converting torchvision weights you hold (torchvision's parameter names are ours):
//   python3 -c "import torch; sd = torch.load('resnet18-f37072fd.pth', map_location='cpu');
//               torch.save(dict(sd), 'resnet18.pt')"
// (the re-save converts a legacy-format download; zip-format .pth files load as they are), then
//   ModelOptions o; o.weights = "resnet18.pt"; auto model = CreateModel("resnet18", o);
// or, for a different head: LoadStateDictOptions l; l.skip_prefixes = {"fc."};
//   LoadStateDict(*model, "resnet18.pt", l);
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

namespace synface::core::nn {

using StateDict = torch::OrderedDict<std::string, torch::Tensor>;

// Parameters and buffers of `module` under their dotted names (detached, shared storage).
StateDict GetStateDict(const torch::nn::Module& module);

// Writes atomically in torch.save's zip format (readable by Python's torch.load and ReadStateDict).
void SaveStateDict(const StateDict& state, const std::filesystem::path& path);
void SaveStateDict(const torch::nn::Module& module, const std::filesystem::path& path);

// Reads a pickled dict of tensors. `key`: take the dict stored under this entry of the top-level
// dict (e.g. "state_dict" or "model" in training checkpoints). Throws core::Error naming the
// path and what is wrong (not a zip, OrderedDict, non-tensor value, ...).
StateDict ReadStateDict(const std::filesystem::path& path, const std::string& key = "");

// The fallback reader on its own: unpickles the data.pkl of a torch.save zip archive (bytes of
// the whole file) with synface's reader. Throws std::exception on anything it does not support.
c10::IValue UnpickleTorchSave(const std::vector<char>& archive_bytes);

struct LoadStateDictOptions {
  // Missing keys (in the module, not the file) and unexpected keys (in the file, not the module)
  // are errors. Shape mismatches are always errors.
  bool strict = true;
  // Removed from the start of every file key first (e.g. "module." from DataParallel).
  std::string strip_prefix;
  // File keys and module keys starting with one of these are ignored, e.g. {"classifier."} to
  // load ImageNet weights into a model with a different head.
  std::vector<std::string> skip_prefixes;
  // See ReadStateDict.
  std::string key;
};

struct LoadStateDictResult {
  std::vector<std::string> loaded, missing, unexpected, skipped;
};

// Copies `state` into the module's parameters and buffers (dtype converted as by copy_).
// `source` names the origin in error messages.
LoadStateDictResult ApplyStateDict(torch::nn::Module& module, const StateDict& state,
                                   const LoadStateDictOptions& options = {},
                                   const std::string& source = "state dict");

LoadStateDictResult LoadStateDict(torch::nn::Module& module, const std::filesystem::path& path,
                                  const LoadStateDictOptions& options = {});

}  // namespace synface::core::nn
