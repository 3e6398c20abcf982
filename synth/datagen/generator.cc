#include "synth/datagen/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/data/dataset.h"
#include "core/geometry/rotation.h"
#include "core/util/atomic_file.h"
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

  report.workers = workers;

  std::unique_ptr<core::Progress> progress;
  if (config.progress) {
    progress = std::make_unique<core::Progress>(
        fmt::format("generate {} shard {}", config.out.filename().string(),
                    config.shard.ToString()),
        static_cast<int64_t>(limit), "samples");
  }

  // The pipeline. Workers (one per core) take the next index, build, render and encode it, and
  // queue the encoded files. The writer thread writes them (temporary file + rename, no fsync
  // each) and commits the samples in index (= id) order in batches: one durability point per
  // batch (SyncFiles: every file of the batch, then the folder), and only then the batch's
  // manifest rows. So a row, which is what marks a sample done, is never recorded before its
  // files are durable; a crash leaves at worst written but uncommitted samples, which a resumed
  // run redoes (byte-identically).
  struct Queued {
    uint64_t index = 0;
    EncodedSample encoded;
    std::map<std::string, std::string> row;
  };
  std::mutex mutex;
  std::condition_variable queue_cv, space_cv;
  std::deque<Queued> queue;
  const size_t max_queue = static_cast<size_t>(2 * workers);  // bounds memory (~2 MB a sample)
  int workers_running = workers;
  std::atomic<uint64_t> next{0};
  std::exception_ptr failure;
  std::atomic<bool> abort{false};
  StageTimes times;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!failure) failure = e;
    abort = true;
    queue_cv.notify_all();
    space_cv.notify_all();
  };

  auto work = [&]() {
    for (;;) {
      if (abort) break;
      const uint64_t i = next.fetch_add(1);
      if (i >= limit) break;
      try {
        // Spare threads go to the renderer's tiles when few samples remain.
        const uint64_t remaining = limit - i;
        const int render_threads =
            remaining < static_cast<uint64_t>(workers) ? std::max(1, threads / workers) : 1;
        SampleResult result = generator.Generate(pending[i], render_threads);
        Queued q;
        q.index = i;
        q.row = {{"subject", std::to_string(result.labels.head.value("subject", int64_t{0}))},
                 {"yaw_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.yaw))},
                 {"pitch_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.pitch))},
                 {"roll_deg", Fixed(core::geometry::RadToDeg(result.labels.pose.roll))},
                 {"background", result.labels.background.value("type", std::string("?"))}};
        q.encoded = generator.Encode(result, &result.times);
        std::unique_lock<std::mutex> lock(mutex);
        space_cv.wait(lock, [&] { return abort || queue.size() < max_queue; });
        if (abort) break;
        times += result.times;
        queue.push_back(std::move(q));
        queue_cv.notify_one();
      } catch (...) {
        fail(std::current_exception());
        break;
      }
    }
    std::lock_guard<std::mutex> lock(mutex);
    --workers_running;
    queue_cv.notify_all();
  };

  // Writer state (its thread only).
  std::vector<std::vector<fs::path>> paths(limit);
  std::vector<std::map<std::string, std::string>> rows(limit);
  std::vector<char> written(limit, 0);
  uint64_t committed = 0;
  double write_s = 0, sync_s = 0;
  constexpr uint64_t kBatch = 32;                      // samples per durability point, at most
  constexpr auto kBatchAge = std::chrono::seconds(2);  // or this much time, whichever first
  auto last_flush = std::chrono::steady_clock::now();
  auto flush = [&]() {  // commits the written prefix
    uint64_t end = committed;
    std::vector<fs::path> batch;
    while (end < limit && written[end]) {
      batch.insert(batch.end(), paths[end].begin(), paths[end].end());
      ++end;
    }
    last_flush = std::chrono::steady_clock::now();
    if (end == committed) return;
    core::SyncFiles(batch);
    const auto synced = std::chrono::steady_clock::now();
    sync_s += std::chrono::duration<double>(synced - last_flush).count();
    last_flush = synced;
    for (; committed < end; ++committed) {
      writer.Commit(pending[committed], rows[committed]);
      paths[committed].clear();
    }
    if (progress) progress->Update(static_cast<int64_t>(committed));
  };
  auto write_loop = [&]() {
    const core::AtomicWriteOptions no_sync{/*sync=*/false};
    try {
      for (;;) {
        Queued q;
        {
          std::unique_lock<std::mutex> lock(mutex);
          queue_cv.wait(lock, [&] { return abort || !queue.empty() || workers_running == 0; });
          if (queue.empty()) break;  // all workers done (or one failed): commit what is complete
          q = std::move(queue.front());
          queue.pop_front();
          space_cv.notify_one();
        }
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& [name, bytes] : q.encoded.files) {
          paths[q.index].push_back(sample_dir / name);
          core::WriteFileAtomic(sample_dir / name, bytes, no_sync);
        }
        write_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rows[q.index] = std::move(q.row);
        written[q.index] = 1;
        uint64_t ready = committed;
        while (ready < limit && written[ready]) ++ready;
        if (ready - committed >= kBatch ||
            (ready > committed && std::chrono::steady_clock::now() - last_flush >= kBatchAge)) {
          flush();
        }
      }
      flush();
    } catch (...) {
      fail(std::current_exception());
    }
  };

  report.setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::thread writer_thread(write_loop);
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  writer_thread.join();
  if (failure) std::rethrow_exception(failure);
  times.write = write_s;
  times.sync = sync_s;
  report.times = times;
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
    if (r.generated > 0) {
      std::printf("stages (wall time per sample, summed over %d worker(s) + the writer): %s\n",
                  r.workers, r.times.Format(r.generated).c_str());
    }
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
