#include "core/data/dataset.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <set>

#include "core/config/config.h"
#include "core/config/toml_writer.h"
#include "core/data/seed.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace synface::core::data {
namespace fs = std::filesystem;
using config::Config;
using config::Schema;

namespace {

constexpr char kFormat[] = "synface-dataset";
constexpr char kHeaderComment[] =
    "# A synface dataset (contract: core/data/dataset.h). Samples: "
    "<layout.sample_dir>/<id>.<suffix>;\n"
    "# index: manifest.csv (written by finalize). Do not edit by hand: generators compare it when\n"
    "# they resume.\n\n";

bool IsSafeName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string PadId(uint64_t id, int digits) { return fmt::format("{:0{}}", id, digits); }

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Checks a DatasetInfo a generator hands in (programming errors, reported clearly all the same).
void ValidateInfo(const DatasetInfo& info) {
  std::vector<std::string> problems;
  if (info.generator.empty()) problems.push_back("generator name is empty");
  if (info.generator_version.empty()) problems.push_back("generator version is empty");
  if (info.count == 0) problems.push_back("count is 0");
  constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (info.count > kMaxInt) problems.push_back("count exceeds 2^63-1");
  if (info.seed > kMaxInt) problems.push_back("seed exceeds 2^63-1 (TOML integers are signed)");
  if (info.files.empty())
    problems.push_back("no per-sample files (the last one marks a sample done)");
  std::set<std::string> suffixes;
  for (const auto* list : {&info.files, &info.optional_files}) {
    for (const std::string& s : *list) {
      if (!IsSafeName(s))
        problems.push_back(fmt::format("file suffix '{}' is not a plain name", s));
      if (!suffixes.insert(s).second)
        problems.push_back(fmt::format("file suffix '{}' is listed twice", s));
    }
  }
  std::set<std::string> columns;
  for (const std::string& c : info.manifest_columns) {
    if (!config::IsBareKey(c) || c == "id" || c == "files") {
      problems.push_back(
          fmt::format("manifest column '{}' is not a plain name other than id/files", c));
    }
    if (!columns.insert(c).second)
      problems.push_back(fmt::format("manifest column '{}' is listed twice", c));
  }
  if (!IsSafeName(info.sample_dir))
    problems.push_back(fmt::format("sample_dir '{}' is not a plain folder name", info.sample_dir));
  if (info.id_digits < 0 || info.id_digits > 20)
    problems.push_back("id_digits must be 0 (automatic) .. 20");
  if (!problems.empty()) {
    throw MakeError("dataset description of generator '{}' is invalid:\n  {}", info.generator,
                    Join(problems, "\n  "));
  }
}

toml::array StringArray(const std::vector<std::string>& items) {
  toml::array array;
  for (const std::string& s : items) array.push_back(s);
  return array;
}

// dataset.toml content for `info` (without the [manifest] summary).
toml::table DatasetTable(const DatasetInfo& info, uint64_t shard_count) {
  const int digits = info.Digits();
  toml::table t;
  t.insert_or_assign("format", kFormat);
  t.insert_or_assign("format_version", kFormatVersion);
  t.insert_or_assign("count", static_cast<int64_t>(info.count));
  t.insert_or_assign("seed", static_cast<int64_t>(info.seed));
  t.insert_or_assign("labels", StringArray(info.labels));
  t.insert_or_assign("files", StringArray(info.files));
  t.insert_or_assign("optional_files", StringArray(info.optional_files));
  t.insert_or_assign("manifest_columns", StringArray(info.manifest_columns));
  t.insert_or_assign("unchecked_config_keys", StringArray(info.unchecked_config_keys));
  t.insert_or_assign("generator",
                     toml::table{{"name", info.generator}, {"version", info.generator_version}});
  toml::table conventions;
  for (const auto& [k, v] : info.conventions) conventions.insert_or_assign(k, v);
  t.insert_or_assign("conventions", std::move(conventions));
  t.insert_or_assign(
      "layout",
      toml::table{{"sample_dir", info.sample_dir},
                  {"id_digits", digits},
                  {"sample_file", fmt::format("{}/{{id:0{}}}.{{suffix}}", info.sample_dir, digits)},
                  {"manifest", kManifestCsv},
                  {"manifest_parts",
                   fmt::format("{}/shard-{{index:04}}-of-{{count:04}}.csv", kManifestPartsDir)}});
  t.insert_or_assign("shards", toml::table{{"count", static_cast<int64_t>(shard_count)}});
  t.insert_or_assign("config", info.config);
  return t;
}

Schema DatasetTomlSchema() {
  Schema s;
  s.Choice("format", {kFormat}, std::nullopt, "file format marker")
      .Required<int64_t>("format_version")
      .Range("format_version", 1, kFormatVersion)
      .Required<int64_t>("count", "number of samples")
      .Range("count", 1, 9.2e18)
      .Required<int64_t>("seed")
      .Range("seed", 0, 9.3e18)
      .Required<std::vector<std::string>>("labels")
      .Required<std::vector<std::string>>("files")
      .Optional<std::vector<std::string>>("optional_files", {})
      .Optional<std::vector<std::string>>("manifest_columns", {})
      .Optional<std::vector<std::string>>("unchecked_config_keys", {})
      .Required<std::string>("generator.name")
      .Required<std::string>("generator.version")
      .OpenTable("conventions")
      .Required<std::string>("layout.sample_dir")
      .Required<int64_t>("layout.id_digits")
      .Range("layout.id_digits", 1, 20)
      .Maybe<std::string>("layout.sample_file")
      .Maybe<std::string>("layout.manifest")
      .Maybe<std::string>("layout.manifest_parts")
      .Maybe<int64_t>("shards.count")
      .OpenTable("config")
      .Maybe<int64_t>("manifest.rows")
      .Maybe<bool>("manifest.complete")
      .Maybe<std::string>("manifest.fnv1a64");
  return s;
}

// --- manifest CSV ---------------------------------------------------------------------------

std::string Header(const DatasetInfo& info) {
  std::string h = "id,files";
  for (const std::string& c : info.manifest_columns) h += "," + c;
  return h;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string FormatRow(const ManifestRow& row, int digits) {
  std::string line = PadId(row.id, digits) + "," + Join(row.files, " ");
  for (const std::string& f : row.fields) line += "," + CsvField(f);
  return line;
}

// Splits one CSV line (RFC 4180 quoting, no embedded newlines). Returns false when malformed.
bool SplitCsv(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return false;  // unterminated quote
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          field += line[i++];
        }
      }
      if (i < line.size() && line[i] != ',') return false;
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return false;
        field += line[i++];
      }
    }
    out->push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

struct SourcedRow {
  ManifestRow row;
  std::string where;  // "path:line"
};

// Reads a manifest file (a shard's part or manifest.csv). With `tolerate_partial`, a last line
// without its newline (a writer mid-append, or killed) is skipped; otherwise it is an error.
std::vector<SourcedRow> ParseManifest(const std::string& text, const std::string& name,
                                      const DatasetInfo& info, bool tolerate_partial) {
  if (text.empty())
    throw MakeError("{}: empty file (expected the header '{}')", name, Header(info));
  std::set<std::string> allowed(info.files.begin(), info.files.end());
  allowed.insert(info.optional_files.begin(), info.optional_files.end());
  const size_t columns = 2 + info.manifest_columns.size();

  std::vector<SourcedRow> rows;
  std::vector<std::string> cells;
  size_t start = 0;
  size_t line_no = 0;
  while (start < text.size()) {
    ++line_no;
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      if (tolerate_partial) break;
      throw MakeError("{}:{}: truncated row (the file ends without a newline)", name, line_no);
    }
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    const std::string where = fmt::format("{}:{}", name, line_no);
    if (line_no == 1) {
      if (line != Header(info)) {
        throw MakeError("{}: header '{}' differs from '{}' (from dataset.toml)", where, line,
                        Header(info));
      }
      continue;
    }
    if (!SplitCsv(line, &cells)) throw MakeError("{}: malformed CSV row '{}'", where, line);
    if (cells.size() != columns) {
      throw MakeError("{}: {} columns, expected {} ({})", where, cells.size(), columns,
                      Header(info));
    }
    SourcedRow r;
    r.where = where;
    const std::string& id_text = cells[0];
    const auto [ptr, ec] =
        std::from_chars(id_text.data(), id_text.data() + id_text.size(), r.row.id);
    if (id_text.empty() || ec != std::errc() || ptr != id_text.data() + id_text.size()) {
      throw MakeError("{}: id '{}' is not a number", where, id_text);
    }
    if (r.row.id >= info.count) {
      throw MakeError("{}: id {} is outside the dataset (count = {})", where, r.row.id, info.count);
    }
    size_t pos = 0;
    const std::string& files = cells[1];
    while (pos <= files.size() && !files.empty()) {
      const size_t space = files.find(' ', pos);
      r.row.files.push_back(
          files.substr(pos, space == std::string::npos ? std::string::npos : space - pos));
      if (space == std::string::npos) break;
      pos = space + 1;
    }
    for (const std::string& f : r.row.files) {
      if (!allowed.count(f))
        throw MakeError("{}: file suffix '{}' is not declared in dataset.toml", where, f);
    }
    for (const std::string& f : info.files) {
      if (std::find(r.row.files.begin(), r.row.files.end(), f) == r.row.files.end()) {
        throw MakeError("{}: sample {} lacks its required file '{}'", where, id_text, f);
      }
    }
    r.row.fields.assign(cells.begin() + 2, cells.end());
    rows.push_back(std::move(r));
  }
  if (line_no == 0) throw MakeError("{}: no header line", name);
  return rows;
}

std::vector<SourcedRow> ReadManifestFile(const fs::path& path, const DatasetInfo& info,
                                         bool tolerate_partial) {
  return ParseManifest(ReadFile(path), path.string(), info, tolerate_partial);
}

std::vector<fs::path> ManifestParts(const fs::path& dir) {
  std::vector<fs::path> parts;
  const fs::path parts_dir = dir / kManifestPartsDir;
  std::error_code ec;
  if (!fs::is_directory(parts_dir, ec)) return parts;
  for (const auto& entry : fs::directory_iterator(parts_dir)) {
    const std::string name = entry.path().filename().string();
    // Only finished part files: temporary files of atomic writes start with '.'.
    if (entry.is_regular_file() && name.rfind("shard-", 0) == 0 &&
        entry.path().extension() == ".csv") {
      parts.push_back(entry.path());
    }
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

fs::path SamplePathIn(const fs::path& dir, const DatasetInfo& info, uint64_t id,
                      std::string_view suffix) {
  return dir / info.sample_dir / SampleFileName(id, suffix, info.Digits());
}

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Ids recorded in any manifest part whose final file exists.
std::set<uint64_t> DoneIds(const fs::path& dir, const DatasetInfo& info) {
  std::set<uint64_t> done;
  for (const fs::path& part : ManifestParts(dir)) {
    for (const SourcedRow& r : ReadManifestFile(part, info, /*tolerate_partial=*/true)) {
      if (Exists(SamplePathIn(dir, info, r.row.id, info.final_file()))) done.insert(r.row.id);
    }
  }
  return done;
}

std::string Hex64(uint64_t v) { return fmt::format("{:016x}", v); }

void WriteDatasetToml(const fs::path& dir, const toml::table& table) {
  WriteFileAtomic(dir / kDatasetToml, std::string(kHeaderComment) + config::ToTomlText(table));
}

toml::table ParseDatasetToml(const fs::path& file) {
  try {
    return toml::parse(ReadFile(file), std::string_view(file.string()));
  } catch (const toml::parse_error& e) {
    throw MakeError("{}:{}:{}: TOML syntax error: {}", file.string(), e.source().begin.line,
                    e.source().begin.column, e.description());
  }
}

void WriteAll(int fd, const std::string& bytes, const fs::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw MakeError("{}: write failed: {}", path.string(), std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::map<std::string, std::string> StandardConventions() {
  return {{"units", "metres"},
          {"depth", "planar_z"},
          {"camera", "opencv"},
          {"pose", "cam_from_head"},
          {"landmarks", "multipie68"}};
}

int DatasetInfo::Digits() const {
  if (id_digits > 0) return id_digits;
  int digits = 1;
  for (uint64_t v = count > 0 ? count - 1 : 0; v >= 10; v /= 10) ++digits;
  return std::max(6, digits);
}

std::string SampleFileName(uint64_t id, std::string_view suffix, int digits) {
  return PadId(id, digits) + "." + std::string(suffix);
}

DatasetInfo ReadDatasetInfo(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw MakeError("dataset folder {} does not exist", dir.string());
  if (!fs::is_directory(dir, ec)) throw MakeError("dataset path {} is not a folder", dir.string());
  const fs::path file = dir / kDatasetToml;
  if (!fs::exists(file, ec)) {
    throw MakeError("{}: not found (is {} a synface dataset folder?)", file.string(), dir.string());
  }
  const Config c = config::LoadConfig({file}, {}, DatasetTomlSchema());
  DatasetInfo info;
  info.generator = c.Get<std::string>("generator.name");
  info.generator_version = c.Get<std::string>("generator.version");
  info.count = c.Get<uint64_t>("count");
  info.seed = c.Get<uint64_t>("seed");
  info.labels = c.Get<std::vector<std::string>>("labels");
  info.files = c.Get<std::vector<std::string>>("files");
  info.optional_files = c.Get<std::vector<std::string>>("optional_files");
  info.manifest_columns = c.Get<std::vector<std::string>>("manifest_columns");
  info.unchecked_config_keys = c.Get<std::vector<std::string>>("unchecked_config_keys");
  info.conventions.clear();
  if (c.Has("conventions")) {
    for (auto&& [key, node] : c.GetTable("conventions")) {
      if (!node.is_string()) {
        throw MakeError("{}: conventions.{} must be a string", c.Source("conventions"), key.str());
      }
      info.conventions[std::string(key.str())] = node.as_string()->get();
    }
  }
  info.sample_dir = c.Get<std::string>("layout.sample_dir");
  info.id_digits = c.Get<int>("layout.id_digits");
  if (c.Has("config")) info.config = c.GetTable("config");
  info.created_with_shards = c.GetOr<uint64_t>("shards.count", 0);
  info.finalized = c.Has("manifest.rows");
  info.manifest_rows = c.GetOr<uint64_t>("manifest.rows", 0);
  info.complete = c.GetOr<bool>("manifest.complete", false);
  info.manifest_fnv1a64 = c.GetOr<std::string>("manifest.fnv1a64", "");
  try {
    ValidateInfo(info);
  } catch (const Error& e) {
    throw MakeError("{}: {}", file.string(), e.what());
  }
  return info;
}

void PrepareDataset(const fs::path& dir, const DatasetInfo& info_in, const Shard& shard) {
  ValidateInfo(info_in);
  DatasetInfo info = info_in;
  info.id_digits = info.Digits();
  const toml::table wanted = DatasetTable(info, shard.count());
  const fs::path file = dir / kDatasetToml;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw MakeError("{}: cannot create the dataset folder: {}", dir.string(), ec.message());
    WriteDatasetToml(dir, wanted);
    return;
  }
  const DatasetInfo existing_info = ReadDatasetInfo(dir);  // validates, with file:line errors
  const toml::table existing = ParseDatasetToml(file);
  std::vector<std::string> ignore = {"shards", "manifest", "unchecked_config_keys"};
  for (const std::string& k : info.unchecked_config_keys) ignore.push_back("config." + k);
  for (const std::string& k : existing_info.unchecked_config_keys) ignore.push_back("config." + k);
  const std::vector<std::string> diffs = config::DiffTables(existing, wanted, ignore);
  if (!diffs.empty()) {
    throw MakeError(
        "{}: this folder holds a different dataset than this run would write, so it will not "
        "continue into it (use another output folder, or delete this one to start over). "
        "Differences (in the folder vs this run):\n  {}",
        file.string(), Join(diffs, "\n  "));
  }
}

std::vector<uint64_t> PendingIds(const fs::path& dir, const Shard& shard, uint64_t count) {
  const DatasetInfo info = ReadDatasetInfo(dir);
  if (info.count != count) {
    throw MakeError("{}: count is {}, but {} was asked for", (dir / kDatasetToml).string(),
                    info.count, count);
  }
  const std::set<uint64_t> done = DoneIds(dir, info);
  std::vector<uint64_t> pending;
  for (uint64_t id : shard.Ids(count)) {
    if (!done.count(id)) pending.push_back(id);
  }
  return pending;
}

// --- ShardWriter ------------------------------------------------------------------------------

ShardWriter::ShardWriter(const fs::path& dir, const DatasetInfo& info, const Shard& shard)
    : dir_(dir), info_(info), shard_(shard) {
  PrepareDataset(dir_, info_, shard_);
  info_.id_digits = info_.Digits();
  std::error_code ec;
  fs::create_directories(dir_ / info_.sample_dir, ec);
  if (ec)
    throw MakeError("{}: cannot create folder: {}", (dir_ / info_.sample_dir).string(),
                    ec.message());
  fs::create_directories(dir_ / kManifestPartsDir, ec);
  if (ec)
    throw MakeError("{}: cannot create folder: {}", (dir_ / kManifestPartsDir).string(),
                    ec.message());

  // Tidy this shard's part after a crash: keep complete rows of samples whose final file exists.
  part_path_ = dir_ / kManifestPartsDir / (shard_.PartName() + ".csv");
  std::map<uint64_t, ManifestRow> kept;
  if (Exists(part_path_)) {
    for (SourcedRow& r : ReadManifestFile(part_path_, info_, /*tolerate_partial=*/true)) {
      if (!shard_.Owns(r.row.id)) {
        throw MakeError("{}: id {} does not belong to shard {}", r.where, r.row.id,
                        shard_.ToString());
      }
      if (Exists(SamplePath(r.row.id, info_.final_file()))) kept[r.row.id] = std::move(r.row);
    }
  }
  std::string text = Header(info_) + "\n";
  for (const auto& [id, row] : kept) text += FormatRow(row, info_.Digits()) + "\n";
  WriteFileAtomic(part_path_, text);

  fd_ = ::open(part_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0)
    throw MakeError("{}: cannot open for appending: {}", part_path_.string(), std::strerror(errno));
  pending_ = PendingIds(dir_, shard_, info_.count);
}

ShardWriter::~ShardWriter() {
  if (fd_ >= 0) ::close(fd_);
}

fs::path ShardWriter::SamplePath(uint64_t id, std::string_view suffix) const {
  return SamplePathIn(dir_, info_, id, suffix);
}

void ShardWriter::Commit(uint64_t id, const std::map<std::string, std::string>& fields) {
  const std::string sample = PadId(id, info_.Digits());
  if (id >= info_.count) {
    throw MakeError("{}: sample {} is outside the dataset (count = {})", dir_.string(), sample,
                    info_.count);
  }
  if (!shard_.Owns(id)) {
    throw MakeError("{}: sample {} does not belong to shard {}", dir_.string(), sample,
                    shard_.ToString());
  }
  ManifestRow row;
  row.id = id;
  for (const std::string& suffix : info_.files) {
    const fs::path p = SamplePath(id, suffix);
    if (!Exists(p)) {
      throw MakeError(
          "sample {}: {} is missing; write every file (the final one, '{}', last) before Commit",
          sample, p.string(), info_.final_file());
    }
    row.files.push_back(suffix);
  }
  for (const std::string& suffix : info_.optional_files) {
    if (Exists(SamplePath(id, suffix))) row.files.push_back(suffix);
  }
  for (const std::string& column : info_.manifest_columns) {
    auto it = fields.find(column);
    if (it == fields.end())
      throw MakeError("sample {}: manifest column '{}' has no value", sample, column);
    if (it->second.find_first_of("\r\n") != std::string::npos) {
      throw MakeError("sample {}: manifest column '{}' holds a line break", sample, column);
    }
    row.fields.push_back(it->second);
  }
  for (const auto& [column, value] : fields) {
    if (std::find(info_.manifest_columns.begin(), info_.manifest_columns.end(), column) ==
        info_.manifest_columns.end()) {
      throw MakeError("sample {}: '{}' is not a manifest column (declared: {})", sample, column,
                      Join(info_.manifest_columns, ", "));
    }
  }
  // One write() per row on an O_APPEND descriptor: rows never interleave, and a crash leaves at
  // worst a partial last line, which readers skip.
  const std::string line = FormatRow(row, info_.Digits()) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  WriteAll(fd_, line, part_path_);
  ++committed_;
}

uint64_t ShardWriter::committed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return committed_;
}

// --- Finalize -------------------------------------------------------------------------------

FinalizeResult Finalize(const fs::path& dir, const FinalizeOptions& options) {
  const DatasetInfo info = ReadDatasetInfo(dir);
  std::map<uint64_t, SourcedRow> rows;
  for (const fs::path& part : ManifestParts(dir)) {
    for (SourcedRow& r : ReadManifestFile(part, info, /*tolerate_partial=*/true)) {
      auto it = rows.find(r.row.id);
      if (it != rows.end()) {
        if (!(it->second.row == r.row)) {
          throw MakeError("{}: sample {} is recorded differently in {}", r.where,
                          PadId(r.row.id, info.Digits()), it->second.where);
        }
        continue;
      }
      rows.emplace(r.row.id, std::move(r));
    }
  }
  // A row counts only when every file it lists is there.
  for (auto it = rows.begin(); it != rows.end();) {
    bool ok = true;
    for (const std::string& suffix : it->second.row.files) {
      ok = ok && Exists(SamplePathIn(dir, info, it->first, suffix));
    }
    it = ok ? std::next(it) : rows.erase(it);
  }

  FinalizeResult result;
  result.rows = rows.size();
  result.missing = info.count - rows.size();
  if (result.missing > 0 && !options.allow_incomplete) {
    std::vector<std::string> examples;
    std::set<uint64_t> shards_left;
    const uint64_t n = std::max<uint64_t>(1, info.created_with_shards);
    for (uint64_t id = 0; id < info.count; ++id) {
      if (rows.count(id)) continue;
      if (examples.size() < 5) examples.push_back(PadId(id, info.Digits()));
      shards_left.insert(id % n);
    }
    std::vector<std::string> shard_names;
    for (uint64_t s : shards_left) {
      if (shard_names.size() == 8) {
        shard_names.push_back("...");
        break;
      }
      shard_names.push_back(fmt::format("{}/{}", s, n));
    }
    throw MakeError(
        "{}: {} of {} samples are not done (e.g. {}); shards with work left: {}. Run them (again), "
        "then finalize.",
        dir.string(), result.missing, info.count, Join(examples, ", "), Join(shard_names, ", "));
  }

  std::string text = Header(info) + "\n";
  for (const auto& [id, r] : rows) text += FormatRow(r.row, info.Digits()) + "\n";
  WriteFileAtomic(dir / kManifestCsv, text);

  toml::table table = ParseDatasetToml(dir / kDatasetToml);
  table.insert_or_assign("manifest", toml::table{{"rows", static_cast<int64_t>(result.rows)},
                                                 {"complete", result.missing == 0},
                                                 {"fnv1a64", Hex64(Fnv1a64(text))}});
  WriteDatasetToml(dir, table);
  return result;
}

// --- Dataset (reader) -----------------------------------------------------------------------

Dataset Dataset::Open(const fs::path& dir, const OpenOptions& options) {
  Dataset d;
  d.dir_ = dir;
  d.info_ = ReadDatasetInfo(dir);
  const std::string toml_name = (dir / kDatasetToml).string();
  if (!d.info_.finalized) {
    throw MakeError(
        "{}: the dataset has not been finalized (no [manifest] table); run finalize once every "
        "shard is done",
        toml_name);
  }
  if (!d.info_.complete && !options.allow_incomplete) {
    throw MakeError("{}: the dataset is incomplete ({} of {} samples; manifest.complete = false)",
                    toml_name, d.info_.manifest_rows, d.info_.count);
  }
  const fs::path manifest = dir / kManifestCsv;
  if (!Exists(manifest)) {
    throw MakeError("{}: not found, although {} says it was written; run finalize again",
                    manifest.string(), toml_name);
  }
  const std::string text = ReadFile(manifest);
  std::vector<SourcedRow> rows =
      ParseManifest(text, manifest.string(), d.info_, /*tolerate_partial=*/false);
  if (rows.size() != d.info_.manifest_rows) {
    throw MakeError("{}: holds {} rows but {} records {} (truncated or replaced?)",
                    manifest.string(), rows.size(), toml_name, d.info_.manifest_rows);
  }
  const std::string checksum = Hex64(Fnv1a64(text));
  if (!d.info_.manifest_fnv1a64.empty() && checksum != d.info_.manifest_fnv1a64) {
    throw MakeError("{}: checksum {} differs from {} recorded in {} (edited or corrupted?)",
                    manifest.string(), checksum, d.info_.manifest_fnv1a64, toml_name);
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].row.id <= rows[i - 1].row.id) {
      throw MakeError("{}: id {} follows id {}: the manifest must be sorted by id without repeats",
                      rows[i].where, rows[i].row.id, rows[i - 1].row.id);
    }
  }
  d.rows_.reserve(rows.size());
  d.ids_.reserve(rows.size());
  for (SourcedRow& r : rows) {
    d.ids_.push_back(r.row.id);
    d.rows_.push_back(std::move(r.row));
  }
  return d;
}

const ManifestRow* Dataset::Find(uint64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return nullptr;
  return &rows_[static_cast<size_t>(it - ids_.begin())];
}

const ManifestRow& Dataset::Row(uint64_t id) const {
  const ManifestRow* row = Find(id);
  if (!row) {
    throw MakeError("{}: sample {} is not in the dataset ({} samples)", dir_.string(),
                    PadId(id, info_.Digits()), rows_.size());
  }
  return *row;
}

bool Dataset::Has(uint64_t id, std::string_view suffix) const {
  const ManifestRow* row = Find(id);
  return row && std::find(row->files.begin(), row->files.end(), suffix) != row->files.end();
}

fs::path Dataset::Path(uint64_t id, std::string_view suffix) const {
  const ManifestRow& row = Row(id);
  if (std::find(row.files.begin(), row.files.end(), suffix) == row.files.end()) {
    throw MakeError("{}: sample {} has no '{}' file (it has: {})", dir_.string(),
                    PadId(id, info_.Digits()), suffix, Join(row.files, ", "));
  }
  return SamplePathIn(dir_, info_, id, suffix);
}

const std::string& Dataset::Field(uint64_t id, std::string_view column) const {
  const ManifestRow& row = Row(id);
  for (size_t i = 0; i < info_.manifest_columns.size(); ++i) {
    if (info_.manifest_columns[i] == column) return row.fields[i];
  }
  throw MakeError("{}: no manifest column '{}' (columns: {})", dir_.string(), column,
                  Join(info_.manifest_columns, ", "));
}

void Dataset::VerifyFiles() const {
  std::vector<std::string> missing;
  uint64_t total = 0;
  for (const ManifestRow& row : rows_) {
    for (const std::string& suffix : row.files) {
      const fs::path p = SamplePathIn(dir_, info_, row.id, suffix);
      if (!Exists(p)) {
        ++total;
        if (missing.size() < 5) missing.push_back(p.string());
      }
    }
  }
  if (total > 0) {
    throw MakeError("{}: {} files listed in {} are missing, e.g.:\n  {}", dir_.string(), total,
                    kManifestCsv, Join(missing, "\n  "));
  }
}

}  // namespace synface::core::data
