#!/usr/bin/env bash
# Runs each benchmark binary given in one short repetition with JSON output and checks the JSON
# holds every benchmark with a positive time (the CI-friendly short mode; no timing assertions).
set -euo pipefail
for bin in "$@"; do
  out="$TEST_TMPDIR/$(basename "$bin").json"
  "$bin" --benchmark_min_time=0.01 --benchmark_repetitions=1 \
    --benchmark_out="$out" --benchmark_out_format=json >/dev/null
  python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
runs = [b for b in doc["benchmarks"] if b.get("run_type") != "aggregate"]
assert runs, "no benchmark ran"
bad = [b["name"] for b in runs if not b.get("real_time", 0) > 0 or "error_occurred" in b]
assert not bad, f"benchmarks without a time or with errors: {bad}"
print(f"{sys.argv[1]}: {len(runs)} benchmarks ok")
PY
done
