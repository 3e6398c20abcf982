#!/usr/bin/env bash
# Runs the depth benchmark once in its tiny mode (64x48 inputs) and checks that its JSON holds
# every benchmark with a positive time and the frames/s counters. No timing assertions.
set -euo pipefail
out="$TEST_TMPDIR/depth_benchmark.json"
SYNFACE_DEPTH_BENCHMARK_TINY=1 "$1" --benchmark_min_time=0.01 --benchmark_repetitions=1 \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") != "aggregate"]
names = {b["name"].split("/")[0] for b in runs}
assert names == {"BM_DepthInference", "BM_DepthTrainStep"}, names
bad = [b["name"] for b in runs if not b.get("real_time", 0) > 0 or "error_occurred" in b]
assert not bad, f"benchmarks without a time or with errors: {bad}"
assert all(b.get("frames_per_s", 0) > 0 for b in runs if b["name"].startswith("BM_DepthInference"))
assert all(b.get("samples_per_s", 0) > 0 for b in runs if b["name"].startswith("BM_DepthTrainStep"))
print(f"{len(runs)} depth benchmarks ok")
PY
