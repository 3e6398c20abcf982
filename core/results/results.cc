#include "core/results/results.h"

#include <sys/utsname.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <initializer_list>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"

namespace synface::core::results {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// RFC 6901 escaping of one reference token.
std::string PointerToken(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

template <typename Range>
std::string JoinQuoted(const Range& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += fmt::format("'{}'", item);
  }
  return out;
}

template <typename Range>
bool Contains(const Range& items, std::string_view value) {
  return std::find(std::begin(items), std::end(items), value) != std::end(items);
}

// Reads fields of a JSON document with errors of the form "<origin>: <pointer>: <problem>".
class Reader {
 public:
  explicit Reader(std::string origin) : origin_(std::move(origin)) {}

  [[noreturn]] void Fail(const std::string& pointer, const std::string& problem) const {
    throw MakeError("{}: {}: {}", origin_, pointer.empty() ? "/" : pointer, problem);
  }

  void ExpectObject(const json& node, const std::string& pointer) const {
    if (!node.is_object())
      Fail(pointer, fmt::format("expected an object, got {}", node.type_name()));
  }

  void OnlyKeys(const json& node, const std::string& pointer,
                std::initializer_list<std::string_view> allowed) const {
    for (const auto& item : node.items()) {
      if (!Contains(allowed, item.key()))
        Fail(pointer + "/" + PointerToken(item.key()),
             fmt::format("unknown field (allowed: {})", JoinQuoted(allowed)));
    }
  }

  const json& Field(const json& node, const std::string& pointer, const char* key) const {
    auto it = node.find(key);
    if (it == node.end()) Fail(pointer + "/" + key, "missing required field");
    return *it;
  }

  std::string String(const json& node, const std::string& pointer, const char* key,
                     bool required = true, bool non_empty = false) const {
    auto it = node.find(key);
    if (it == node.end()) {
      if (required) Fail(pointer + "/" + key, "missing required field");
      return "";
    }
    if (!it->is_string())
      Fail(pointer + "/" + key, fmt::format("expected a string, got {}", it->type_name()));
    std::string value = it->get<std::string>();
    if (non_empty && value.empty()) Fail(pointer + "/" + key, "must not be empty");
    return value;
  }

  std::string Pattern(const json& node, const std::string& pointer, const char* key,
                      const std::regex& pattern, const char* what) const {
    std::string value = String(node, pointer, key);
    if (!std::regex_match(value, pattern))
      Fail(pointer + "/" + key, fmt::format("'{}' is not {}", value, what));
    return value;
  }

  template <typename Range>
  std::string OneOf(const json& node, const std::string& pointer, const char* key,
                    const Range& allowed) const {
    std::string value = String(node, pointer, key);
    if (!Contains(allowed, value))
      Fail(pointer + "/" + key, fmt::format("'{}' is not one of {}", value, JoinQuoted(allowed)));
    return value;
  }

  uint64_t Unsigned(const json& node, const std::string& pointer, const char* key) const {
    const json& value = Field(node, pointer, key);
    if (!value.is_number_integer())
      Fail(pointer + "/" + key, fmt::format("expected a non-negative integer, got {}",
                                            value.is_number() ? "a fraction" : value.type_name()));
    if (value.is_number_unsigned()) return value.get<uint64_t>();
    int64_t signed_value = value.get<int64_t>();
    if (signed_value < 0) Fail(pointer + "/" + key, "must not be negative");
    return static_cast<uint64_t>(signed_value);
  }

  double NonNegative(const json& node, const std::string& pointer, const char* key) const {
    const json& value = Field(node, pointer, key);
    if (!value.is_number())
      Fail(pointer + "/" + key, fmt::format("expected a number, got {}", value.type_name()));
    double number = value.get<double>();
    if (!std::isfinite(number) || number < 0)
      Fail(pointer + "/" + key, "must be a finite number >= 0");
    return number;
  }

 private:
  std::string origin_;
};

const std::regex& IdPattern() {
  static const std::regex pattern("[a-z0-9][a-z0-9_]*");
  return pattern;
}
const std::regex& NamePattern() {
  static const std::regex pattern("[A-Za-z0-9][A-Za-z0-9_.-]*");
  return pattern;
}
const std::regex& VariantPattern() {
  static const std::regex pattern("[a-z0-9][a-z0-9_-]*");
  return pattern;
}
const std::regex& TimePattern() {
  static const std::regex pattern(
      "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]+)?Z");
  return pattern;
}
const std::regex& CommitPattern() {
  static const std::regex pattern("([0-9a-f]{7,64}(\\+dirty)?)|unknown");
  return pattern;
}

json ValueJson(const Value& value) {
  return json{{"value", value.value}, {"display", value.display}};
}

struct CommandResult {
  bool ok = false;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return result;
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string FormatUtc(const char* format) {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, format, &utc);
  return buffer;
}

}  // namespace

ResultRecord FromJson(const json& doc, const std::string& origin) {
  Reader r(origin);
  r.ExpectObject(doc, "");
  r.OnlyKeys(doc, "",
             {"schema", "experiment", "table", "scale", "variant", "data", "seed", "commit",
              "hardware", "started_at", "wall_time_s", "config", "rows", "notes", "extra"});
  std::string schema = r.String(doc, "", "schema");
  if (schema != kSchema)
    r.Fail("/schema",
           fmt::format("'{}' is not a supported schema (expected '{}')", schema, kSchema));

  ResultRecord record;
  record.experiment = r.Pattern(doc, "", "experiment", NamePattern(),
                                "an experiment name ([A-Za-z0-9_.-], not starting with . _ -)");
  record.table = r.Pattern(doc, "", "table", IdPattern(), "a table id ([a-z0-9_])");
  record.scale = r.OneOf(doc, "", "scale", kScales);
  record.variant = r.Pattern(doc, "", "variant", VariantPattern(), "a variant name ([a-z0-9_-])");

  const json& data = r.Field(doc, "", "data");
  r.ExpectObject(data, "/data");
  r.OnlyKeys(data, "/data", {"kind", "description", "path", "hash"});
  record.data.kind = r.OneOf(data, "/data", "kind", kDataKinds);
  record.data.description = r.String(data, "/data", "description", /*required=*/true,
                                     /*non_empty=*/record.data.kind != "none");
  record.data.path = r.String(data, "/data", "path", /*required=*/false);
  record.data.hash = r.String(data, "/data", "hash", /*required=*/false);
  // Stand-ins replace real data only for smoke runs; a paper-scale run fails without its data.
  if (record.scale == "paper" && record.data.kind == "synthetic-stand-in")
    r.Fail("/data/kind", "a paper-scale run cannot use a synthetic stand-in (smoke scale only)");
  if (record.scale == "exact" && record.data.kind != "none")
    r.Fail("/data/kind", "scale 'exact' is for data-free computations; data.kind must be 'none'");

  record.seed = r.Unsigned(doc, "", "seed");
  record.commit = r.Pattern(doc, "", "commit", CommitPattern(),
                            "a git sha (optionally with '+dirty') or 'unknown'");

  const json& hw = r.Field(doc, "", "hardware");
  r.ExpectObject(hw, "/hardware");
  r.OnlyKeys(hw, "/hardware", {"cpu_model", "cores", "threads", "device"});
  record.hardware.cpu_model = r.String(hw, "/hardware", "cpu_model");
  record.hardware.cores = static_cast<int>(r.Unsigned(hw, "/hardware", "cores"));
  record.hardware.threads = static_cast<int>(r.Unsigned(hw, "/hardware", "threads"));
  record.hardware.device = r.String(hw, "/hardware", "device", true, true);

  record.started_at = r.Pattern(doc, "", "started_at", TimePattern(),
                                "an ISO 8601 UTC time (2024-05-01T12:34:56Z)");
  record.wall_time_s = r.NonNegative(doc, "", "wall_time_s");

  const json& config = r.Field(doc, "", "config");
  if (!config.is_object() && !config.is_string())
    r.Fail("/config", fmt::format("expected an object or TOML text, got {}", config.type_name()));
  record.config = config;

  const json& rows = r.Field(doc, "", "rows");
  if (!rows.is_array()) r.Fail("/rows", fmt::format("expected an array, got {}", rows.type_name()));
  if (rows.empty()) r.Fail("/rows", "a result record needs at least one row");
  std::set<std::string> seen_rows;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string p = fmt::format("/rows/{}", i);
    const json& row_json = rows[i];
    r.ExpectObject(row_json, p);
    r.OnlyKeys(row_json, p, {"row", "label", "values", "note"});
    ResultRow row;
    row.row = r.Pattern(row_json, p, "row", IdPattern(), "a row id ([a-z0-9_])");
    if (!seen_rows.insert(row.row).second)
      r.Fail(p + "/row", fmt::format("duplicate row '{}'", row.row));
    row.label = r.String(row_json, p, "label", /*required=*/false);
    row.note = r.String(row_json, p, "note", /*required=*/false);
    const json& values = r.Field(row_json, p, "values");
    r.ExpectObject(values, p + "/values");
    if (values.empty()) r.Fail(p + "/values", "a row needs at least one value");
    for (const auto& item : values.items()) {
      const std::string vp = p + "/values/" + PointerToken(item.key());
      if (!std::regex_match(item.key(), IdPattern()))
        r.Fail(vp, fmt::format("'{}' is not a column id ([a-z0-9_])", item.key()));
      r.ExpectObject(item.value(), vp);
      r.OnlyKeys(item.value(), vp, {"value", "display"});
      Value value;
      value.value = r.Field(item.value(), vp, "value");
      if (!value.value.is_number() && !value.value.is_string())
        r.Fail(vp + "/value",
               fmt::format("expected a number or a string, got {}", value.value.type_name()));
      if (value.value.is_number_float() && !std::isfinite(value.value.get<double>()))
        r.Fail(vp + "/value", "must be finite");
      value.display = r.String(item.value(), vp, "display", true, true);
      row.values.emplace(item.key(), std::move(value));
    }
    record.rows.push_back(std::move(row));
  }
  record.notes = r.String(doc, "", "notes", /*required=*/false);
  if (auto it = doc.find("extra"); it != doc.end()) record.extra = *it;
  return record;
}

json ToJson(const ResultRecord& record) {
  json rows = json::array();
  for (const ResultRow& row : record.rows) {
    json values = json::object();
    for (const auto& [column, value] : row.values) {
      // NaN and infinity have no JSON form; nlohmann would write null.
      if (value.value.is_number_float() && !std::isfinite(value.value.get<double>()))
        throw MakeError("result record '{}': row '{}' column '{}': value is not finite",
                        record.experiment, row.row, column);
      values[column] = ValueJson(value);
    }
    json row_json = {{"row", row.row}, {"values", values}};
    if (!row.label.empty()) row_json["label"] = row.label;
    if (!row.note.empty()) row_json["note"] = row.note;
    rows.push_back(std::move(row_json));
  }
  if (!std::isfinite(record.wall_time_s))
    throw MakeError("result record '{}': wall_time_s is not finite", record.experiment);
  json doc = {
      {"schema", std::string(kSchema)},
      {"experiment", record.experiment},
      {"table", record.table},
      {"scale", record.scale},
      {"variant", record.variant},
      {"data",
       {{"kind", record.data.kind},
        {"description", record.data.description},
        {"path", record.data.path},
        {"hash", record.data.hash}}},
      {"seed", record.seed},
      {"commit", record.commit},
      {"hardware",
       {{"cpu_model", record.hardware.cpu_model},
        {"cores", record.hardware.cores},
        {"threads", record.hardware.threads},
        {"device", record.hardware.device}}},
      {"started_at", record.started_at},
      {"wall_time_s", record.wall_time_s},
      {"config", record.config},
      {"rows", rows},
      {"notes", record.notes},
  };
  if (!record.extra.is_null()) doc["extra"] = record.extra;
  // The writer applies the reader's rules, so no record that ReadResult would reject gets written.
  FromJson(doc, fmt::format("result record for experiment '{}'", record.experiment));
  return doc;
}

fs::path WriteResult(const fs::path& run_dir, const ResultRecord& record) {
  const json doc = ToJson(record);
  const fs::path path = run_dir / "result.json";
  WriteFileAtomic(path, doc.dump(2) + "\n");
  return path;
}

ResultRecord ReadResult(const fs::path& path) {
  const std::string text = ReadFile(path);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw MakeError("{}: not valid JSON: {}", path.string(), e.what());
  }
  ResultRecord record = FromJson(doc, path.string());
  record.source_path = path;
  record.run_id = path.parent_path().filename().string();
  return record;
}

std::vector<ResultRecord> FindResults(const fs::path& runs_root, std::vector<std::string>* problems,
                                      int* superseded) {
  if (superseded) *superseded = 0;
  std::error_code ec;
  if (!fs::is_directory(runs_root, ec)) return {};
  std::vector<fs::path> paths;
  fs::recursive_directory_iterator it(runs_root, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw MakeError("{}: cannot list result records: {}", runs_root.string(), ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw MakeError("{}: cannot list result records: {}", runs_root.string(), ec.message());
    if (it->path().filename() == "result.json" && it->is_regular_file(ec))
      paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());

  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, ResultRecord> newest;
  for (const fs::path& path : paths) {
    ResultRecord record;
    try {
      record = ReadResult(path);
    } catch (const Error& e) {
      if (!problems) throw;
      problems->push_back(e.what());
      continue;
    }
    Key key{record.table, record.experiment, record.variant, record.scale};
    auto found = newest.find(key);
    if (found == newest.end()) {
      newest.emplace(key, std::move(record));
      continue;
    }
    if (superseded) ++*superseded;
    const ResultRecord& held = found->second;
    if (std::tie(record.started_at, record.run_id) > std::tie(held.started_at, held.run_id))
      found->second = std::move(record);
  }
  std::vector<ResultRecord> out;
  out.reserve(newest.size());
  for (auto& [key, record] : newest) out.push_back(std::move(record));
  return out;
}

std::string CommitString(bool rev_parse_ok, std::string_view rev_parse_output,
                         std::string_view status_output) {
  if (!rev_parse_ok) return "unknown";
  const std::string sha = Trim(rev_parse_output);
  static const std::regex sha_pattern("[0-9a-f]{40}|[0-9a-f]{64}");
  if (!std::regex_match(sha, sha_pattern)) return "unknown";
  return Trim(status_output).empty() ? sha : sha + "+dirty";
}

std::string CurrentCommit(const fs::path& dir) {
  const std::string quoted = ShellQuote(dir.string());
  CommandResult head = RunCommand("git -C " + quoted + " rev-parse HEAD 2>/dev/null");
  if (!head.ok) return "unknown";
  CommandResult status = RunCommand("git -C " + quoted + " status --porcelain 2>/dev/null");
  // When the tree's state cannot be read it cannot be shown clean.
  return CommitString(true, head.output, status.ok ? status.output : "?? (git status failed)");
}

std::string CurrentCommit() { return CurrentCommit(UserWorkingDirectory()); }

Hardware HardwareDescription(int threads, const std::string& device) {
  Hardware hw;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    // x86 says "model name", some ARM kernels "Hardware" or "Processor".
    for (const char* key : {"model name", "Hardware", "Processor", "cpu model"}) {
      if (line.rfind(key, 0) == 0) {
        size_t colon = line.find(':');
        if (colon != std::string::npos)
          hw.cpu_model = Trim(std::string_view(line).substr(colon + 1));
      }
    }
    if (!hw.cpu_model.empty()) break;
  }
  if (hw.cpu_model.empty()) {
    utsname name{};
    hw.cpu_model = ::uname(&name) == 0 ? std::string(name.machine) : "unknown";
  }
  hw.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  hw.threads = threads > 0 ? threads : hw.cores;
  hw.device = device.empty() ? "cpu" : device;
  return hw;
}

std::string NowIso8601() { return FormatUtc("%Y-%m-%dT%H:%M:%SZ"); }

std::string NewRunId() {
  std::random_device random;
  return fmt::format("{}-{:04x}", FormatUtc("%Y%m%dT%H%M%SZ"), random() & 0xffffu);
}

std::string FormatFixed(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", value, std::max(0, decimals));
  // "-0.00" reads as a sign that is not there.
  if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

std::string FormatCount(double value, int decimals) {
  static constexpr std::pair<double, const char*> kUnits[] = {
      {1e9, "G"}, {1e6, "M"}, {1e3, "K"}, {1.0, ""}};
  const double magnitude = std::fabs(value);
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    const auto& [scale, suffix] = kUnits[i];
    if (magnitude < scale && i + 1 < std::size(kUnits)) continue;
    const std::string text = FormatFixed(value / scale, decimals);
    // Rounding can carry into the next unit: 999999 with 2 decimals is "1.00M", not "1000.00K".
    if (i > 0 && std::fabs(std::stod(text)) >= 1000.0)
      return FormatFixed(value / kUnits[i - 1].first, decimals) + kUnits[i - 1].second;
    return text + suffix;
  }
  return FormatFixed(value, decimals);
}

}  // namespace synface::core::results
