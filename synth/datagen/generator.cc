#include "synth/datagen/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/data/dataset.h"
#include "core/geometry/rotation.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/util/runfiles.h"
#include "synth/datagen/sample.h"

namespace synface::synth::datagen {
namespace fs = std::filesystem;

namespace {

std::string Fixed(double v) { return fmt::format("{:.4f}", v); }

// A killed run leaves the temporary files of its atomic writes (".<stem>.tmp<pid>-<n><ext>",
// core/util/atomic_file.cc) behind. Those of this shard's samples are removed; other shards'
// may belong to a run in progress elsewhere and are left alone.
void RemoveStaleTemporaries(const fs::path& dir, const core::data::Shard& shard) {
  if (!fs::is_directory(dir)) return;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 3 || name[0] != '.' || name.find(".tmp") == std::string::npos) continue;
    size_t end = 1;
    while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
    if (end == 1 || end - 1 > 19) continue;
    if (shard.Owns(std::stoull(name.substr(1, end - 1)))) {
      std::error_code ec;
      fs::remove(e.path(), ec);
    }
  }
}

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

GenerateReport GenerateDataset(const GeneratorConfig& config,
                               const core::config::Config& resolved) {
  const auto start = std::chrono::steady_clock::now();
  const int threads = ResolveThreads(config.threads);
  SampleGenerator generator(config, threads);
  GenerateReport report;
  report.head_source = generator.head_source().resolved_source();
  if (!generator.head_source().note().empty()) {
    std::fprintf(stderr, "%s\n", generator.head_source().note().c_str());
  }

  core::data::DatasetInfo info;
  info.generator = kGeneratorName;
  info.generator_version = kGeneratorVersion;
  info.count = config.count;
  info.seed = config.seed;
  info.labels = config.Labels();
  info.files = config.Files();
  info.manifest_columns = {"subject", "yaw_deg", "pitch_deg", "roll_deg", "background"};
  info.config = resolved.Table();
  // The output folder is where the dataset is, not what it is: not stored, so a dataset can move.
  // Nor are the other run-only keys (threads, shard, ...): a resumed or re-sharded run then
  // writes the same dataset.toml as an uninterrupted one.
  for (const std::string& key : RunOnlyKeys()) info.config.erase(key);
  if (auto* head = info.config["head"].as_table()) {
    head->insert_or_assign("source", report.head_source);
  }
  info.unchecked_config_keys = RunOnlyKeys();
  core::data::ShardWriter writer(config.out, info, config.shard);
  const std::vector<uint64_t> pending = writer.Pending();
  report.pending = pending.size();
  const fs::path sample_dir = writer.SamplePath(0, "x").parent_path();
  RemoveStaleTemporaries(sample_dir, config.shard);

  uint64_t limit = pending.size();
  if (config.stop_after > 0) limit = std::min<uint64_t>(limit, config.stop_after);
  const int workers = static_cast<int>(std::min<uint64_t>(threads, std::max<uint64_t>(limit, 1)));

  std::unique_ptr<core::Progress> progress;
  if (config.progress) {
    progress = std::make_unique<core::Progress>(
        fmt::format("generate {} shard {}", config.out.filename().string(),
                    config.shard.ToString()),
        static_cast<int64_t>(limit), "samples");
  }

  // Workers take the next index; results are committed in index (= id) order.
  std::atomic<uint64_t> next{0};
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::map<std::string, std::string>> fields(limit);
  std::vector<char> written(limit, 0);
  uint64_t committed = 0;
  std::exception_ptr failure;
  std::atomic<bool> abort{false};

  auto commit_ready = [&]() {  // called with `mutex` held
    while (committed < limit && written[committed]) {
      writer.Commit(pending[committed], fields[committed]);
      ++committed;
    }
  };
  auto work = [&]() {
    for (;;) {
      if (abort) return;
      const uint64_t i = next.fetch_add(1);
      if (i >= limit) return;
      try {
        // Spare threads go to the renderer's tiles when few samples remain.
        const uint64_t remaining = limit - i;
        const int render_threads =
            remaining < static_cast<uint64_t>(workers) ? std::max(1, threads / workers) : 1;
        const SampleResult result = generator.Generate(pending[i], render_threads);
        generator.Write(result, sample_dir);
        std::map<std::string, std::string> row = {
            {"subject", std::to_string(result.labels.head.value("subject", int64_t{0}))},
            {"yaw_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.yaw))},
            {"pitch_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.pitch))},
            {"roll_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.roll))},
            {"background", result.labels.background.value("type", std::string("?"))}};
        std::lock_guard<std::mutex> lock(mutex);
        fields[i] = std::move(row);
        written[i] = 1;
        commit_ready();
        if (progress) progress->Update(static_cast<int64_t>(committed));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        abort = true;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  report.generated = committed;
  report.stopped = limit < pending.size();
  if (progress) progress->Finish(report.stopped ? "stopped (stop_after)" : "");

  // The shard that completes the dataset writes the merged manifest.
  if (!report.stopped &&
      core::data::PendingIds(config.out, core::data::Shard::All(), config.count).empty()) {
    core::data::Finalize(config.out);
    report.finalized = true;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

int GenerateMain(int argc, char** argv) {
  core::InitRunfiles(argv[0]);
  try {
    const core::config::CommandLine cl = core::config::SplitCommandLine(argc, argv);
    for (const std::string& flag : cl.rest) {
      if (flag == "--help" || flag == "-h") {
        std::printf(
            "usage: bazel run //synth:generate -- <config.toml ...> count=N out=DIR "
            "[shard=i/N] [threads=T] [key=value ...]\n\nkeys:\n%s",
            GeneratorSchema().Describe().c_str());
        return 0;
      }
      throw core::MakeError("unknown argument '{}' (expected config files and key=value)", flag);
    }
    if (cl.files.empty()) {
      throw core::Error(
          "no config file given: bazel run //synth:generate -- <config.toml> count=N out=DIR");
    }
    const core::config::Config config = LoadGeneratorConfig(cl.files, cl.overrides);
    const GeneratorConfig g = ReadGeneratorConfig(config, /*require_run_keys=*/true);
    const GenerateReport r = GenerateDataset(g, config);
    std::printf("%llu sample(s) written to %s in %.1f s (%.2f samples/s, heads: %s)%s\n",
                static_cast<unsigned long long>(r.generated), g.out.string().c_str(), r.seconds,
                r.seconds > 0 ? r.generated / r.seconds : 0.0, r.head_source.c_str(),
                r.finalized ? "; dataset complete (manifest.csv written)"
                : r.stopped ? "; stopped early: run again to continue"
                            : "; other shards still pending");
    return 0;
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace synface::synth::datagen
