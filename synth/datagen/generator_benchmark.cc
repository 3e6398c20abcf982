// End-to-end speed of the dataset generator (issue "synth", item 14, end to end): labelled
// samples per second with every file written and committed (//synth:generate's pipeline), beside
// the render-only rate of the same samples in the same run, at 640x480 on all cores.
//
// Presets (the ICT head when present, else the procedural head):
//   a_rgb_depth   RGB + depth + mask + labels, 4 spp, shadows from one light (plain room)
//   b_depth       depth + mask + labels only (depth_only render: one centre ray per pixel)
//   c3i_depth     synth/configs/c3i_depth.toml as shipped (1-2 lights of all types; plain,
//                 textured and complex rooms)
// For each preset and the same sample ids:
//   end_to_end            GenerateDataset into a fresh folder: samples/s over the pipeline
//                         (setup, i.e. loading the head model, excluded), with per-stage times
//   inline_write          the previous pipeline for comparison: each worker renders, encodes and
//                         writes its sample with an fsync per file, no writer thread
//   render_only           scenes built beforehand, then only render::Render timed, one sample
//                         per worker as in the generator
// plus x_render_only = render_only / end_to_end samples/s (1 = writing costs nothing).
//
//   bazel run -c opt //synth/datagen:generator_benchmark -- [count=40] [out=result.json]
//       [presets=a_rgb_depth,b_depth,c3i_depth] [width=640 height=480] [tmp=DIR] [head=auto]
// Prints the JSON document (and writes it to `out` when given). Timings depend on the machine's
// load; the document records the load average before and after each measurement.
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/runfiles.h"
#include "synth/datagen/generator.h"
#include "synth/datagen/generator_config.h"
#include "synth/datagen/sample.h"

namespace synface::synth::datagen {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<double> LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return {};
  return {l[0], l[1], l[2]};
}

struct Preset {
  std::string name, file;
  std::vector<std::string> overrides;
};

std::vector<Preset> AllPresets() {
  const std::vector<std::string> one_light = {"lights.count=[1, 1]",
                                              "lights.shadows=true",
                                              "render.shadows=true",
                                              "render.samples_per_pixel=4",
                                              "background.types=[\"plain\"]",
                                              "output.depth=true",
                                              "output.mask=true"};
  Preset a{"a_rgb_depth", "base.toml", one_light};
  a.overrides.push_back("output.rgb=true");
  Preset b{"b_depth", "base.toml", one_light};
  b.overrides.push_back("output.rgb=false");
  Preset c{"c3i_depth", "c3i_depth.toml", {}};
  return {a, b, c};
}

// Runs `body(i)` for i in [0, n) on `threads` threads (next index first come).
template <typename Body>
void ParallelFor(uint64_t n, int threads, Body&& body) {
  std::atomic<uint64_t> next{0};
  auto work = [&] {
    for (uint64_t i; (i = next.fetch_add(1)) < n;) body(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

nlohmann::json StagesJson(const StageTimes& t, uint64_t samples) {
  const double k = samples > 0 ? 1000.0 / static_cast<double>(samples) : 0.0;
  return {{"head", t.head * k},     {"scene", t.scene * k},   {"bvh", t.bvh * k},
          {"labels", t.labels * k}, {"render", t.render * k}, {"visibility", t.visibility * k},
          {"encode", t.encode * k}, {"write", t.write * k},   {"fsync", t.sync * k}};
}

nlohmann::json RunPreset(const Preset& p, uint64_t count, int threads, int width, int height,
                         const fs::path& tmp) {
  const auto file = core::FindRunfile("synface/synth/configs/" + p.file);
  if (!file) throw core::MakeError("synth/configs/{} not in the runfiles", p.file);
  std::vector<std::string> overrides = p.overrides;
  overrides.push_back(fmt::format("camera.width={}", width));
  overrides.push_back(fmt::format("camera.height={}", height));
  overrides.push_back(fmt::format("count={}", count));
  overrides.push_back("progress=false");
  overrides.push_back(fmt::format("threads={}", threads));
  const fs::path out = tmp / p.name;
  fs::remove_all(out);
  overrides.push_back("out=" + out.string());
  const core::config::Config config = LoadGeneratorConfig({*file}, overrides);
  const GeneratorConfig g = ReadGeneratorConfig(config, /*require_run_keys=*/true);

  nlohmann::json j;
  j["preset"] = p.name;
  j["config"] = {{"file", "synth/configs/" + p.file}, {"overrides", p.overrides}};
  j["width"] = width;
  j["height"] = height;
  j["samples_per_pixel"] = g.render.samples_per_pixel;
  j["outputs"] = g.Files();
  j["samples"] = count;
  j["threads"] = threads;

  // 1. End to end: the generator itself.
  j["load_before"] = LoadAverage();
  const GenerateReport r = GenerateDataset(g, config);
  const double e2e_s = r.seconds - r.setup_seconds;
  j["head_source"] = r.head_source;
  j["end_to_end"] = {{"samples_per_s", r.generated / e2e_s},
                     {"seconds", e2e_s},
                     {"setup_seconds", r.setup_seconds},
                     {"stages_ms_per_sample", StagesJson(r.times, r.generated)}};
  uint64_t bytes = 0;
  for (const auto& e : fs::directory_iterator(out / "samples")) bytes += e.file_size();
  j["bytes_per_sample"] = bytes / std::max<uint64_t>(1, r.generated);
  fs::remove_all(out);

  const SampleGenerator generator(g, threads);
  // 2. The previous pipeline: render + encode + write with an fsync per file in each worker.
  {
    const fs::path dir = tmp / (p.name + "_inline");
    fs::remove_all(dir);
    fs::create_directories(dir);
    const auto t0 = Clock::now();
    ParallelFor(count, threads, [&](uint64_t id) {
      const SampleResult result = generator.Generate(id, 1);
      generator.Write(result, dir);
    });
    const double s = Since(t0);
    j["inline_write"] = {{"samples_per_s", count / s}, {"seconds", s}};
    fs::remove_all(dir);
  }
  // 3. Render only: the same samples' scenes, built first (not timed), then rendered.
  {
    std::vector<std::unique_ptr<SampleScene>> scenes(count);
    ParallelFor(count, threads, [&](uint64_t id) {
      scenes[id] = generator.BuildScene(id);
      scenes[id]->settings.threads = 1;
    });
    std::vector<double> render_s(count, 0);
    const auto t0 = Clock::now();
    ParallelFor(count, threads, [&](uint64_t id) {
      const SampleScene& s = *scenes[id];
      const auto t = Clock::now();
      const render::RenderOutput o =
          render::Render(*s.scene, s.camera, s.lighting, s.settings, s.background);
      render_s[id] = Since(t);
      if (o.depth.empty()) throw core::Error("render produced no depth");
    });
    const double s = Since(t0);
    double sum = 0;
    for (double v : render_s) sum += v;
    j["render_only"] = {{"samples_per_s", count / s},
                        {"seconds", s},
                        {"render_ms_per_sample_per_thread", 1000.0 * sum / count}};
  }
  j["load_after"] = LoadAverage();
  j["x_render_only"] = j["render_only"]["samples_per_s"].get<double>() /
                       j["end_to_end"]["samples_per_s"].get<double>();
  j["x_vs_inline_write"] = j["end_to_end"]["samples_per_s"].get<double>() /
                           j["inline_write"]["samples_per_s"].get<double>();
  return j;
}

int Main(int argc, char** argv) {
  core::InitRunfiles(argv[0]);
  uint64_t count = 40;
  int width = 640, height = 480;
  std::string out_path, presets_arg = "a_rgb_depth,b_depth,c3i_depth", head_source = "auto";
  fs::path tmp = fs::temp_directory_path() / fmt::format("generator_benchmark_{}", ::getpid());
  if (const char* t = std::getenv("TEST_TMPDIR")) tmp = fs::path(t) / "generator_benchmark";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    const std::string key = a.substr(0, eq),
                      value = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (key == "count") {
      count = std::stoull(value);
    } else if (key == "width") {
      width = std::stoi(value);
    } else if (key == "height") {
      height = std::stoi(value);
    } else if (key == "out") {
      out_path = core::ResolveUserPath(value).string();
    } else if (key == "presets") {
      presets_arg = value;
    } else if (key == "tmp") {
      tmp = core::ResolveUserPath(value);
    } else if (key == "head") {
      head_source = value;
    } else {
      throw core::MakeError(
          "unknown argument '{}' (count=N width=W height=H out=FILE presets=a,b tmp=DIR "
          "head=auto|ict|procedural)",
          a);
    }
  }
  if (count == 0 || width <= 0 || height <= 0)
    throw core::Error("count, width, height must be > 0");
  const int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));

  nlohmann::json doc;
  doc["benchmark"] = "synth generator end to end";
  doc["cores"] = threads;
  doc["presets"] = nlohmann::json::array();
  for (const Preset& p : AllPresets()) {
    if (("," + presets_arg + ",").find("," + p.name + ",") == std::string::npos) continue;
    Preset run = p;
    run.overrides.push_back("head.source=\"" + head_source + "\"");
    doc["presets"].push_back(RunPreset(run, count, threads, width, height, tmp));
    const auto& last = doc["presets"].back();
    std::fprintf(stderr, "%s: end to end %.2f samples/s, render only %.2f, inline write %.2f\n",
                 p.name.c_str(), last["end_to_end"]["samples_per_s"].get<double>(),
                 last["render_only"]["samples_per_s"].get<double>(),
                 last["inline_write"]["samples_per_s"].get<double>());
  }
  if (doc["presets"].empty()) throw core::MakeError("presets={}: none known", presets_arg);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  const std::string text = doc.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!out_path.empty()) core::WriteFileAtomic(out_path, text);
  return 0;
}

}  // namespace
}  // namespace synface::synth::datagen

int main(int argc, char** argv) {
  try {
    return synface::synth::datagen::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
