#!/usr/bin/env bash
# Builds every benchmark with -c opt and runs it, writing Google Benchmark JSON to
# runs/benchmarks/<UTC time>/<name>.json. --short: one quick repetition (CI); default: 5
# repetitions, medians reported. Compare two runs: python3 tools/compare_benchmarks.py A.json B.json
set -euo pipefail
cd "$(dirname "$0")/.."
short=0 filter=""
while (($#)); do
  case "$1" in
    --short) short=1; shift ;;
    --filter) filter=$2; shift 2 ;;
    *) echo "usage: bash tools/benchmark.sh [--short] [--filter REGEX]" >&2; exit 2 ;;
  esac
done
bash tools/setup.sh
mapfile -t targets < <(bazel query --output=label 'attr(tags, "benchmark", kind(cc_binary, //...))' 2>/dev/null)
bazel build -c opt "${targets[@]}"
out="runs/benchmarks/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
if ((short)); then flags=(--benchmark_min_time=0.01 --benchmark_repetitions=1)
else flags=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true); fi
[[ -n "$filter" ]] && flags+=(--benchmark_filter="$filter")
for t in "${targets[@]}"; do
  name=${t##*:}
  echo "benchmark: $t"
  bazel run -c opt "$t" -- "${flags[@]}" --benchmark_out="$PWD/$out/$name.json" --benchmark_out_format=json
done
echo "benchmark: JSON in $out"
