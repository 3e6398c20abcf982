#include "core/nn/state_dict.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::nn {
namespace fs = std::filesystem;
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool HasAnyPrefix(const std::string& s, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return StartsWith(s, p); });
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string ShapeString(const torch::Tensor& t) {
  std::string s = "(";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + ")";
}

std::string JoinFew(const std::vector<std::string>& names, size_t limit = 8) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

constexpr const char* kResaveAdvice =
    "re-save it with PyTorch >= 1.6: torch.save(dict(torch.load(old, map_location='cpu')), new) "
    "(see core/nn/state_dict.h)";

// Explains why pickle_load failed, from the archive's layout.
std::string Diagnose(const std::vector<char>& bytes, const std::string& load_error) {
  const std::string head(bytes.data(), std::min<size_t>(bytes.size(), 4));
  if (bytes.size() < 4) return "file is empty or truncated";
  if (head != std::string("PK\x03\x04", 4)) {
    if (static_cast<unsigned char>(bytes[0]) == 0x80) {
      return std::string(
                 "legacy (non-zip) torch.save format from PyTorch < 1.6 or "
                 "_use_new_zipfile_serialization=False; ") +
             kResaveAdvice;
    }
    return "not a PyTorch zip archive";
  }
  try {
    caffe2::serialize::PyTorchStreamReader reader(
        std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
    if (reader.hasRecord("constants.pkl")) {
      return "a TorchScript / torch::save archive (e.g. a synface checkpoint), not a pickled "
             "state dict; use LoadModuleFromCheckpoint for checkpoints";
    }
    if (!reader.hasRecord("data.pkl")) return "zip archive without data.pkl";
  } catch (const c10::Error& e) {
    return "unreadable zip archive: " + FirstLine(e.what());
  }
  return FirstLine(load_error);
}

// ---- A small unpickler for torch.save files that LibTorch's cannot read ------------------------
// LibTorch 1.13's unpickler maps collections.OrderedDict to None, so Python's
// torch.save(model.state_dict()) (an OrderedDict) fails there. This reader executes the subset of
// the pickle protocol (<= 2, plus the protocol-4 framing opcodes) that torch.save emits for
// containers of tensors: dicts/OrderedDicts, lists, tuples, scalars, strings, and tensors rebuilt
// by torch._utils._rebuild_tensor_v2 from persistent storages in the zip archive.

struct PyObj;
using PyRef = std::shared_ptr<PyObj>;

struct PyObj {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kTensor };
  Kind kind = Kind::kNone;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;                                 // string value, or "module.name" of a global
  std::vector<PyRef> items;                      // tuple, list
  std::vector<std::pair<PyRef, PyRef>> entries;  // dict (insertion order)
  torch::Tensor tensor;
};

PyRef MakeObj(PyObj::Kind kind) {
  auto o = std::make_shared<PyObj>();
  o->kind = kind;
  return o;
}

std::string KindName(const PyObj& o) {
  switch (o.kind) {
    case PyObj::Kind::kNone:
      return "None";
    case PyObj::Kind::kBool:
      return "bool";
    case PyObj::Kind::kInt:
      return "int";
    case PyObj::Kind::kFloat:
      return "float";
    case PyObj::Kind::kString:
      return "str";
    case PyObj::Kind::kTuple:
      return "tuple";
    case PyObj::Kind::kList:
      return "list";
    case PyObj::Kind::kDict:
      return "dict";
    case PyObj::Kind::kGlobal:
      return "global " + o.s;
    case PyObj::Kind::kTensor:
      return "tensor";
  }
  return "?";
}

std::optional<torch::ScalarType> StorageDtype(const std::string& global) {
  static const std::map<std::string, torch::ScalarType> kTypes = {
      {"torch.FloatStorage", torch::kFloat}, {"torch.DoubleStorage", torch::kDouble},
      {"torch.HalfStorage", torch::kHalf},   {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kLong},   {"torch.IntStorage", torch::kInt},
      {"torch.ShortStorage", torch::kShort}, {"torch.CharStorage", torch::kChar},
      {"torch.ByteStorage", torch::kByte},   {"torch.BoolStorage", torch::kBool},
  };
  auto it = kTypes.find(global);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

class MiniUnpickler {
 public:
  MiniUnpickler(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader* archive)
      : p_(data), end_(data + size), archive_(archive) {}

  PyRef Run() {
    while (true) {
      const uint8_t op = U8();
      switch (op) {
        case 0x80:  // PROTO
          U8();
          break;
        case 0x95:  // FRAME
          Bytes(8);
          break;
        case '.':  // STOP
          return Pop();
        case '(':
          marks_.push_back(stack_.size());
          break;
        case ')':
          stack_.push_back(MakeObj(PyObj::Kind::kTuple));
          break;
        case 't':
          PushSequence(PyObj::Kind::kTuple, PopMark());
          break;
        case 0x85:
        case 0x86:
        case 0x87: {  // TUPLE1..3
          const size_t n = op - 0x84;
          Need(n);
          std::vector<PyRef> items(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          PushSequence(PyObj::Kind::kTuple, std::move(items));
          break;
        }
        case ']':
          stack_.push_back(MakeObj(PyObj::Kind::kList));
          break;
        case 'l':
          PushSequence(PyObj::Kind::kList, PopMark());
          break;
        case 'a': {
          PyRef v = Pop();
          ListTop()->items.push_back(v);
          break;
        }
        case 'e': {
          auto items = PopMark();
          auto& l = ListTop()->items;
          l.insert(l.end(), items.begin(), items.end());
          break;
        }
        case '}':
          stack_.push_back(MakeObj(PyObj::Kind::kDict));
          break;
        case 'd': {
          PyRef d = MakeObj(PyObj::Kind::kDict);
          SetItems(*d, PopMark());
          stack_.push_back(d);
          break;
        }
        case 's': {
          PyRef v = Pop();
          PyRef k = Pop();
          DictTop()->entries.emplace_back(k, v);
          break;
        }
        case 'u': {
          auto items = PopMark();
          SetItems(*DictTop(), items);
          break;
        }
        case 'N':
          stack_.push_back(MakeObj(PyObj::Kind::kNone));
          break;
        case 0x88:
        case 0x89: {
          PyRef o = MakeObj(PyObj::Kind::kBool);
          o->b = op == 0x88;
          stack_.push_back(o);
          break;
        }
        case 'J':
          PushInt(static_cast<int32_t>(LittleEndian(4)));
          break;
        case 'K':
          PushInt(U8());
          break;
        case 'M':
          PushInt(static_cast<int64_t>(LittleEndian(2)));
          break;
        case 0x8a: {  // LONG1: little-endian two's complement
          const size_t n = U8();
          if (n > 8) Fail("integer wider than 64 bits");
          uint64_t v = LittleEndian(n);
          if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
          PushInt(static_cast<int64_t>(v));
          break;
        }
        case 'G': {  // BINFLOAT: big-endian double
          uint64_t bits = 0;
          for (char c : Bytes(8)) bits = (bits << 8) | static_cast<uint8_t>(c);
          PyRef o = MakeObj(PyObj::Kind::kFloat);
          std::memcpy(&o->f, &bits, sizeof(double));
          stack_.push_back(o);
          break;
        }
        case 'X':
        case 'T':
        case 'B':
          PushString(Bytes(LittleEndian(4)));
          break;
        case 0x8c:
        case 'U':
        case 'C':
          PushString(Bytes(U8()));
          break;
        case 0x8d:
        case 0x8e:
          PushString(Bytes(LittleEndian(8)));
          break;
        case 'c': {
          std::string module = Line();
          std::string name = Line();
          PushGlobal(module + "." + name);
          break;
        }
        case 0x93: {
          PyRef name = Pop();
          PyRef module = Pop();
          PushGlobal(module->s + "." + name->s);
          break;
        }
        case 'q':
          memo_[U8()] = Top();
          break;
        case 'r':
          memo_[LittleEndian(4)] = Top();
          break;
        case 0x94:
          memo_[memo_.size()] = Top();
          break;
        case 'h':
          stack_.push_back(Memo(U8()));
          break;
        case 'j':
          stack_.push_back(Memo(LittleEndian(4)));
          break;
        case '0':
          Pop();
          break;
        case '1':
          PopMark();
          break;
        case '2':
          stack_.push_back(Top());
          break;
        case 'R': {
          PyRef args = Pop();
          PyRef callable = Pop();
          stack_.push_back(Call(*callable, *args));
          break;
        }
        case 0x81: {
          PyRef args = Pop();
          PyRef cls = Pop();
          stack_.push_back(Call(*cls, *args));
          break;
        }
        case 'b':
          Pop();
          break;  // BUILD: object state (OrderedDict._metadata) is dropped
        case 'Q': {
          PyRef pid = Pop();
          stack_.push_back(LoadStorage(*pid));
          break;
        }
        default:
          Fail(fmt::format("unsupported pickle opcode 0x{:02x}", op));
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const { throw std::runtime_error(what); }
  void Need(size_t n) const {
    if (stack_.size() < n) Fail("pickle stack underflow");
  }
  uint8_t U8() {
    if (p_ >= end_) Fail("truncated pickle");
    return static_cast<uint8_t>(*p_++);
  }
  std::string Bytes(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) Fail("truncated pickle");
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  uint64_t LittleEndian(size_t n) {
    uint64_t v = 0;
    const std::string b = Bytes(n);
    for (size_t k = 0; k < n; ++k)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b[k])) << (8 * k);
    return v;
  }
  std::string Line() {
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', end_ - p_));
    if (nl == nullptr) Fail("truncated pickle");
    std::string s(p_, nl);
    p_ = nl + 1;
    return s;
  }
  PyRef Pop() {
    Need(1);
    PyRef v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PyRef Top() const {
    Need(1);
    return stack_.back();
  }
  std::vector<PyRef> PopMark() {
    if (marks_.empty()) Fail("pickle MARK missing");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(stack_.begin() + at, stack_.end());
    stack_.resize(at);
    return items;
  }
  PyRef Memo(uint64_t id) const {
    auto it = memo_.find(id);
    if (it == memo_.end()) Fail("pickle memo entry missing");
    return it->second;
  }
  PyObj* ListTop() const {
    PyRef t = Top();
    if (t->kind != PyObj::Kind::kList) Fail("APPEND to a " + KindName(*t));
    return t.get();
  }
  PyObj* DictTop() const {
    PyRef t = Top();
    if (t->kind != PyObj::Kind::kDict) Fail("SETITEM on a " + KindName(*t));
    return t.get();
  }
  void SetItems(PyObj& dict, const std::vector<PyRef>& items) {
    if (items.size() % 2 != 0) Fail("odd number of dict items");
    for (size_t k = 0; k < items.size(); k += 2) dict.entries.emplace_back(items[k], items[k + 1]);
  }
  void PushSequence(PyObj::Kind kind, std::vector<PyRef> items) {
    PyRef o = MakeObj(kind);
    o->items = std::move(items);
    stack_.push_back(o);
  }
  void PushInt(int64_t v) {
    PyRef o = MakeObj(PyObj::Kind::kInt);
    o->i = v;
    stack_.push_back(o);
  }
  void PushString(std::string s) {
    PyRef o = MakeObj(PyObj::Kind::kString);
    o->s = std::move(s);
    stack_.push_back(o);
  }
  void PushGlobal(std::string name) {
    PyRef o = MakeObj(PyObj::Kind::kGlobal);
    o->s = std::move(name);
    stack_.push_back(o);
  }

  static std::vector<int64_t> Ints(const PyObj& tuple) {
    std::vector<int64_t> v;
    for (const auto& e : tuple.items) v.push_back(e->i);
    return v;
  }

  PyRef Call(const PyObj& callable, const PyObj& args) {
    if (callable.kind != PyObj::Kind::kGlobal) Fail("call of a " + KindName(callable));
    const std::string& f = callable.s;
    const auto& a = args.items;
    if (f == "collections.OrderedDict" || f == "builtins.dict") {
      PyRef d = MakeObj(PyObj::Kind::kDict);
      if (!a.empty()) {  // OrderedDict([(k, v), ...])
        for (const auto& pair : a[0]->items) {
          if (pair->items.size() == 2) d->entries.emplace_back(pair->items[0], pair->items[1]);
        }
      }
      return d;
    }
    if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") {
      if (a.size() < 4 || a[0]->kind != PyObj::Kind::kTensor) Fail("bad _rebuild_tensor arguments");
      PyRef t = MakeObj(PyObj::Kind::kTensor);
      t->tensor = a[0]->tensor.as_strided(Ints(*a[2]), Ints(*a[3]), a[1]->i);
      return t;
    }
    if (f == "torch._utils._rebuild_parameter" ||
        f == "torch._utils._rebuild_parameter_with_state") {
      if (a.empty() || a[0]->kind != PyObj::Kind::kTensor) Fail("bad _rebuild_parameter arguments");
      return a[0];
    }
    if (f == "torch._tensor._rebuild_from_type_v2") {  // (func, type, args, state)
      if (a.size() < 3) Fail("bad _rebuild_from_type_v2 arguments");
      return Call(*a[0], *a[2]);
    }
    if (f == "torch.jit._pickle.restore_type_tag") {  // what LibTorch's own pickler wraps dicts in
      if (a.empty()) Fail("bad restore_type_tag arguments");
      return a[0];
    }
    Fail("unsupported pickled object " + f);
  }

  PyRef LoadStorage(const PyObj& pid) {
    const auto& a = pid.items;
    if (pid.kind != PyObj::Kind::kTuple || a.size() < 5 || a[0]->s != "storage") {
      Fail("unsupported persistent id");
    }
    const std::string key = a[2]->s;
    auto cached = storages_.find(key);
    if (cached != storages_.end()) return cached->second;
    const auto dtype = StorageDtype(a[1]->s);
    if (!dtype) Fail("unsupported storage type " + a[1]->s);
    const int64_t numel = a[4]->i;
    torch::Tensor storage = torch::empty({numel}, torch::TensorOptions().dtype(*dtype));
    if (numel > 0) {
      auto [data, size] = archive_->getRecord("data/" + key);
      if (size != static_cast<size_t>(storage.nbytes())) {
        Fail(fmt::format("storage {} has {} bytes, expected {}", key, size, storage.nbytes()));
      }
      std::memcpy(storage.data_ptr(), data.get(), size);
    }
    PyRef t = MakeObj(PyObj::Kind::kTensor);
    t->tensor = storage;
    storages_[key] = t;
    return t;
  }

  const char* p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader* archive_;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PyRef> memo_;
  std::map<std::string, PyRef> storages_;
};

// Reads data.pkl of a torch.save zip archive with MiniUnpickler and converts the result.
c10::IValue ToIValue(const PyObj& o) {
  switch (o.kind) {
    case PyObj::Kind::kNone:
      return c10::IValue();
    case PyObj::Kind::kBool:
      return c10::IValue(o.b);
    case PyObj::Kind::kInt:
      return c10::IValue(o.i);
    case PyObj::Kind::kFloat:
      return c10::IValue(o.f);
    case PyObj::Kind::kString:
      return c10::IValue(o.s);
    case PyObj::Kind::kTensor:
      return c10::IValue(o.tensor);
    case PyObj::Kind::kTuple:
    case PyObj::Kind::kList: {
      std::vector<c10::IValue> items;
      for (const auto& e : o.items) items.push_back(ToIValue(*e));
      return c10::ivalue::Tuple::create(std::move(items));
    }
    case PyObj::Kind::kDict: {
      c10::impl::GenericDict dict(c10::AnyType::get(), c10::AnyType::get());
      for (const auto& [k, v] : o.entries) dict.insert_or_assign(ToIValue(*k), ToIValue(*v));
      return dict;
    }
    case PyObj::Kind::kGlobal:
      return c10::IValue(o.s);
  }
  return c10::IValue();
}

c10::IValue MiniLoad(const std::vector<char>& bytes) {
  caffe2::serialize::PyTorchStreamReader reader(
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
  if (!reader.hasRecord("data.pkl")) throw std::runtime_error("no data.pkl record");
  auto [data, size] = reader.getRecord("data.pkl");
  MiniUnpickler unpickler(static_cast<const char*>(data.get()), size, &reader);
  return ToIValue(*unpickler.Run());
}

}  // namespace

StateDict GetStateDict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) {
    out.insert(item.key(), item.value().detach());
  }
  for (const auto& item : module.named_buffers(/*recurse=*/true)) {
    out.insert(item.key(), item.value().detach());
  }
  return out;
}

void SaveStateDict(const StateDict& state, const fs::path& path) {
  c10::Dict<std::string, torch::Tensor> dict;
  for (const auto& item : state) dict.insert(item.key(), item.value().contiguous());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  WriteFileAtomic(path, std::string_view(bytes.data(), bytes.size()));
}

void SaveStateDict(const torch::nn::Module& module, const fs::path& path) {
  SaveStateDict(GetStateDict(module), path);
}

StateDict ReadStateDict(const fs::path& path, const std::string& key) {
  const std::string raw = ReadFile(path);
  const std::vector<char> bytes(raw.begin(), raw.end());
  // LibTorch's unpickler first; where it fails (OrderedDict from Python) the small one above.
  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error&) {
    value = c10::IValue();
  }
  if (!value.isGenericDict()) {
    try {
      value = MiniLoad(bytes);
    } catch (const std::exception& e) {
      throw MakeError("{}: cannot read state dict: {}", path.string(), Diagnose(bytes, e.what()));
    }
  }
  if (!value.isGenericDict()) {
    throw MakeError("{}: expected a pickled dict of tensors, found {}", path.string(),
                    value.tagKind());
  }
  if (!key.empty()) {
    c10::IValue inner;
    for (const auto& entry : value.toGenericDict()) {
      if (entry.key().isString() && entry.key().toStringRef() == key) inner = entry.value();
    }
    if (!inner.isGenericDict()) {
      throw MakeError("{}: no dict under key '{}'", path.string(), key);
    }
    value = inner;
  }
  StateDict out;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) {
      throw MakeError("{}: state dict key of type {} (expected str)", path.string(),
                      entry.key().tagKind());
    }
    const std::string& name = entry.key().toStringRef();
    if (!entry.value().isTensor()) {
      throw MakeError("{}: entry '{}' is a {}, not a tensor{}", path.string(), name,
                      entry.value().tagKind(),
                      entry.value().isGenericDict() ? " (pass its name as the nested key)" : "");
    }
    out.insert(name, entry.value().toTensor());
  }
  return out;
}

c10::IValue UnpickleTorchSave(const std::vector<char>& archive_bytes) {
  return MiniLoad(archive_bytes);
}

LoadStateDictResult ApplyStateDict(torch::nn::Module& module, const StateDict& state,
                                   const LoadStateDictOptions& options, const std::string& source) {
  LoadStateDictResult result;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : module.named_parameters(true)) targets[item.key()] = item.value();
  for (const auto& item : module.named_buffers(true)) targets[item.key()] = item.value();

  std::map<std::string, torch::Tensor> incoming;
  for (const auto& item : state) {
    std::string name = item.key();
    if (!options.strip_prefix.empty() && StartsWith(name, options.strip_prefix)) {
      name = name.substr(options.strip_prefix.size());
    }
    if (HasAnyPrefix(name, options.skip_prefixes)) {
      result.skipped.push_back(name);
      continue;
    }
    incoming[name] = item.value();
  }

  std::vector<std::string> mismatched;
  for (const auto& [name, value] : incoming) {
    auto it = targets.find(name);
    if (it == targets.end()) {
      result.unexpected.push_back(name);
    } else if (it->second.sizes() != value.sizes()) {
      mismatched.push_back(fmt::format("{}: file {} vs model {}", name, ShapeString(value),
                                       ShapeString(it->second)));
    }
  }
  for (const auto& [name, target] : targets) {
    if (!incoming.count(name) && !HasAnyPrefix(name, options.skip_prefixes)) {
      result.missing.push_back(name);
    }
  }
  std::string problems;
  if (!mismatched.empty()) problems += "\n  shape mismatch: " + JoinFew(mismatched);
  if (options.strict && !result.missing.empty()) {
    problems += "\n  missing from the file: " + JoinFew(result.missing);
  }
  if (options.strict && !result.unexpected.empty()) {
    problems += "\n  not in the model: " + JoinFew(result.unexpected);
  }
  if (!problems.empty()) {
    throw MakeError("{}: does not match the model ({} tensors in the file, {} in the model):{}",
                    source, incoming.size(), targets.size(), problems);
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, value] : incoming) {
    auto it = targets.find(name);
    if (it == targets.end()) continue;
    it->second.copy_(value);
    result.loaded.push_back(name);
  }
  return result;
}

LoadStateDictResult LoadStateDict(torch::nn::Module& module, const fs::path& path,
                                  const LoadStateDictOptions& options) {
  return ApplyStateDict(module, ReadStateDict(path, options.key), options, path.string());
}

}  // namespace synface::core::nn
