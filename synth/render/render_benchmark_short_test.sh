#!/usr/bin/env bash
# Runs the render benchmark once in its shortest mode and checks that every benchmark reported a
# time and no error (keeps the binary working; no timing assertions).
set -euo pipefail
bin="$1"
out="$TEST_TMPDIR/render_benchmark.json"
"$bin" --benchmark_min_time=0.01 --benchmark_repetitions=1 \
  --benchmark_out="$out" --benchmark_out_format=json >/dev/null
python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
runs = [b for b in doc["benchmarks"] if b.get("run_type") != "aggregate"]
assert runs, "no benchmark ran"
bad = [b["name"] for b in runs if not b.get("real_time", 0) > 0 or "error_occurred" in b]
assert not bad, f"benchmarks without a time or with errors: {bad}"
print(f"{len(runs)} benchmarks ok")
PY
