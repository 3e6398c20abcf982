#include "core/nn/checkpoint.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "core/nn/runtime.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace fs = std::filesystem;
using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

namespace {

constexpr int64_t kFormatVersion = 1;

void CheckName(const std::string& kind, const std::string& name) {
  const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  if (!ok) throw MakeError("checkpoint {} name '{}': use letters, digits and '_'", kind, name);
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::string ShapeString(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

// Module::load would silently resize tensors (it uses set_); this copies in place instead and
// insists on identical shapes, so a checkpoint from another architecture is an error.
void LoadModuleTree(InputArchive& archive, torch::nn::Module& module, const std::string& where) {
  torch::NoGradGuard no_grad;
  auto load_tensor = [&](const std::string& key, torch::Tensor& target, bool is_buffer) {
    if (!target.defined()) return;
    torch::Tensor saved;
    if (!archive.try_read(key, saved, is_buffer)) {
      throw MakeError("{}{}: missing from the checkpoint", where, key);
    }
    if (saved.sizes() != target.sizes()) {
      throw MakeError("{}{}: checkpoint has shape {}, the model {}", where, key, ShapeString(saved),
                      ShapeString(target));
    }
    target.copy_(saved);
  };
  for (auto& item : module.named_parameters(/*recurse=*/false)) {
    load_tensor(item.key(), item.value(), false);
  }
  for (auto& item : module.named_buffers(/*recurse=*/false)) {
    load_tensor(item.key(), item.value(), true);
  }
  for (const auto& child : module.named_children()) {
    InputArchive child_archive;
    if (!archive.try_read(child.key(), child_archive)) {
      throw MakeError("{}{}: missing from the checkpoint", where, child.key());
    }
    LoadModuleTree(child_archive, *child.value(), where + child.key() + ".");
  }
}

InputArchive OpenArchive(const fs::path& path) {
  if (!fs::exists(path)) throw MakeError("{}: checkpoint not found", path.string());
  InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const c10::Error& e) {
    throw MakeError("{}: not a readable checkpoint: {}", path.string(), FirstLine(e.what()));
  }
  c10::IValue version;
  if (!archive.try_read("synface_checkpoint_version", version) || !version.isInt()) {
    throw MakeError("{}: not a synface checkpoint", path.string());
  }
  if (version.toInt() != kFormatVersion) {
    throw MakeError("{}: checkpoint format {} (this build reads {})", path.string(),
                    version.toInt(), kFormatVersion);
  }
  return archive;
}

InputArchive ReadSection(InputArchive& archive, const std::string& section, const std::string& name,
                         const fs::path& path) {
  InputArchive group, item;
  if (!archive.try_read(section, group) || !group.try_read(name, item)) {
    std::vector<std::string> have;
    if (archive.try_read(section, group)) have = group.keys();
    throw MakeError("{}: no {} '{}' in the checkpoint (it has: {})", path.string(), section, name,
                    Join(have));
  }
  return item;
}

}  // namespace

void CheckpointParts::AddModule(const std::string& name, torch::nn::Module& module) {
  CheckName("module", name);
  modules_.emplace_back(name, &module);
}

void CheckpointParts::AddOptimizer(const std::string& name, torch::optim::Optimizer& optimizer) {
  CheckName("optimizer", name);
  optimizers_.emplace_back(name, &optimizer);
}

void CheckpointParts::AddRng(const std::string& name, std::mt19937_64& rng) {
  CheckName("rng", name);
  rngs_.emplace_back(name, &rng);
}

void SaveCheckpoint(const fs::path& path, const CheckpointParts& parts,
                    const CheckpointState& state) {
  OutputArchive archive;
  archive.write("synface_checkpoint_version", c10::IValue(kFormatVersion));
  archive.write("step", c10::IValue(state.step));
  archive.write("epoch", c10::IValue(state.epoch));
  archive.write("elapsed_seconds", c10::IValue(state.elapsed_seconds));
  c10::Dict<std::string, std::string> metadata;
  for (const auto& [k, v] : state.metadata) metadata.insert(k, v);
  archive.write("metadata", c10::IValue(metadata));
  c10::Dict<std::string, c10::List<double>> base_lrs;
  for (const auto& [k, v] : state.base_lrs) base_lrs.insert(k, c10::List<double>(v));
  archive.write("base_lrs", c10::IValue(base_lrs));

  OutputArchive modules(archive.compilation_unit());
  for (const auto& [name, module] : parts.modules()) {
    OutputArchive m(archive.compilation_unit());
    module->save(m);
    modules.write(name, m);
  }
  archive.write("modules", modules);

  OutputArchive optimizers(archive.compilation_unit());
  for (const auto& [name, optimizer] : parts.optimizers()) {
    OutputArchive o(archive.compilation_unit());
    optimizer->save(o);
    optimizers.write(name, o);
  }
  archive.write("optimizers", optimizers);

  if (parts.include_torch_rng) archive.write("torch_rng", GetTorchRngState(), /*is_buffer=*/true);
  c10::Dict<std::string, std::string> rngs;
  for (const auto& [name, rng] : parts.rngs()) rngs.insert(name, SerializeRng(*rng));
  archive.write("rngs", c10::IValue(rngs));

  WriteViaTemporary(path, [&](const fs::path& tmp) { archive.save_to(tmp.string()); });
}

CheckpointState LoadCheckpoint(const fs::path& path, const CheckpointParts& parts) {
  InputArchive archive = OpenArchive(path);
  CheckpointState state;
  try {
    c10::IValue v;
    archive.read("step", v);
    state.step = v.toInt();
    archive.read("epoch", v);
    state.epoch = v.toInt();
    archive.read("elapsed_seconds", v);
    state.elapsed_seconds = v.toDouble();
    archive.read("metadata", v);
    for (const auto& e : v.toGenericDict()) {
      state.metadata[e.key().toStringRef()] = e.value().toStringRef();
    }
    archive.read("base_lrs", v);
    for (const auto& e : v.toGenericDict()) {
      state.base_lrs[e.key().toStringRef()] = e.value().toDoubleVector();
    }
  } catch (const c10::Error& e) {
    throw MakeError("{}: corrupt checkpoint header: {}", path.string(), FirstLine(e.what()));
  }

  for (const auto& [name, module] : parts.modules()) {
    InputArchive m = ReadSection(archive, "modules", name, path);
    LoadModuleTree(m, *module, path.string() + ": module '" + name + "': ");
  }
  for (const auto& [name, optimizer] : parts.optimizers()) {
    InputArchive o = ReadSection(archive, "optimizers", name, path);
    try {
      optimizer->load(o);
    } catch (const c10::Error& e) {
      throw MakeError("{}: optimizer '{}' does not match: {}", path.string(), name,
                      FirstLine(e.what()));
    }
  }
  if (parts.include_torch_rng) {
    torch::Tensor rng_state;
    if (!archive.try_read("torch_rng", rng_state, /*is_buffer=*/true)) {
      throw MakeError("{}: no torch generator state in the checkpoint", path.string());
    }
    SetTorchRngState(rng_state);
  }
  if (!parts.rngs().empty()) {
    c10::IValue v;
    archive.read("rngs", v);
    const auto saved = v.toGenericDict();
    for (const auto& [name, rng] : parts.rngs()) {
      auto it = saved.find(name);
      if (it == saved.end()) {
        throw MakeError("{}: no random-number state '{}' in the checkpoint", path.string(), name);
      }
      DeserializeRng(it->value().toStringRef(), *rng);
    }
  }
  return state;
}

void LoadModuleFromCheckpoint(const fs::path& path, const std::string& name,
                              torch::nn::Module& module) {
  InputArchive archive = OpenArchive(path);
  InputArchive m = ReadSection(archive, "modules", name, path);
  LoadModuleTree(m, module, path.string() + ": module '" + name + "': ");
}

fs::path CheckpointPath(const fs::path& dir, int64_t step) {
  return dir / fmt::format("ckpt-{:09d}.pt", step);
}

std::vector<int64_t> ListCheckpointSteps(const fs::path& dir) {
  std::vector<int64_t> steps;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return steps;
  static const std::regex kName(R"(ckpt-(\d+)\.pt)");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && std::regex_match(name, match, kName)) {
      steps.push_back(std::stoll(match[1].str()));
    }
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::optional<fs::path> LatestCheckpoint(const fs::path& dir) {
  const auto steps = ListCheckpointSteps(dir);
  if (steps.empty()) return std::nullopt;
  return CheckpointPath(dir, steps.back());
}

void PruneCheckpoints(const fs::path& dir, int keep) {
  if (keep < 1) throw MakeError("PruneCheckpoints: keep must be >= 1");
  const auto steps = ListCheckpointSteps(dir);
  for (size_t i = 0; i + keep < steps.size(); ++i) {
    std::error_code ec;
    fs::remove(CheckpointPath(dir, steps[i]), ec);
  }
}

}  // namespace synface::core::nn
