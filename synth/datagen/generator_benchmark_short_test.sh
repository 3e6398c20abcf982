#!/usr/bin/env bash
# Runs the generator benchmark once in a tiny mode and checks its JSON (keeps the binary working;
# no timing assertions).
set -euo pipefail
bin="$1"
out="$TEST_TMPDIR/generator_benchmark.json"
"$bin" count=3 width=64 height=48 head=procedural out="$out" >/dev/null
python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = [p["preset"] for p in doc["presets"]]
assert names == ["a_rgb_depth", "b_depth", "c3i_depth"], names
for p in doc["presets"]:
    for k in ("end_to_end", "inline_write", "render_only"):
        assert p[k]["samples_per_s"] > 0, (p["preset"], k)
    assert p["samples"] == 3 and p["bytes_per_sample"] > 0, p
    assert p["end_to_end"]["stages_ms_per_sample"]["render"] > 0, p
    assert ("rgb.png" in p["outputs"]) == (p["preset"] != "b_depth"), p
print("generator benchmark ok:", names)
PY
