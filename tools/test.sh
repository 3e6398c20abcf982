#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test; ends with "N passed, N failed"
# counted from Bazel's build event file (one count per test target).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 1
bep=$(mktemp --suffix=.bep.json)
trap 'rm -f "$bep"' EXIT
bazel test //... --keep_going --build_event_json_file="$bep" "$@"
bazel_rc=$?
python3 tools/test_summary.py "$bep" "$(bazel info bazel-testlogs 2>/dev/null)"
summary_rc=$?
# 4 = no test targets; anything else non-zero with a clean summary is a build failure outside tests.
if ((bazel_rc != 0 && summary_rc == 0)); then echo "bazel exited with $bazel_rc"; exit "$bazel_rc"; fi
exit "$summary_rc"
