#!/usr/bin/env bash
# The main job: installs what is missing, runs every experiment of the smoke suite (each thesis
# table that has one, at smoke scale), then regenerates the papers report from the result records.
#   bash tools/main.sh [--scale smoke|paper] [--runs DIR] [--out DIR]
# Records go to runs/<experiment>/<run id>/, the report to reports/report.md (+ reports/csv/).
set -euo pipefail
cd "$(dirname "$0")/.."
scale=smoke runs="$PWD/runs" out="$PWD/reports"
while (($#)); do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --runs) runs=$(realpath -m "$2"); shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: bash tools/main.sh [--scale smoke|paper] [--runs DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done
bash tools/setup.sh

mapfile -t experiments < <(bazel query --output=label 'attr(tags, "smoke_suite", //experiments:all)' 2>/dev/null | sort)
echo "main: ${#experiments[@]} experiment(s) at scale '$scale': ${experiments[*]}"
bazel build -c opt "${experiments[@]}" //papers:regenerate

failed=()
start=$SECONDS
for target in "${experiments[@]}"; do
  echo "main: === $target ($((SECONDS - start)) s elapsed)"
  if ! bazel run -c opt "$target" -- --scale "$scale" --runs "$runs"; then
    failed+=("$target")
  fi
done
bazel run -c opt //papers:regenerate -- --runs "$runs" --out "$out"
echo "main: ${#experiments[@]} experiment(s) in $((SECONDS - start)) s, ${#failed[@]} failed${failed:+: ${failed[*]}}"
echo "main: report at $out/report.md"
((${#failed[@]} == 0))
