#!/usr/bin/env bash
# tools/slurm_generate.sbatch run as a 3-task array (tasks started by hand with Slurm's
# environment variables): the shards complete the dataset and the last one writes manifest.csv.
set -euo pipefail
script=$1 generate=$2
dir=$TEST_TMPDIR/slurm
rm -rf "$dir" && mkdir -p "$dir"
cat > "$dir/tiny.toml" <<'TOML'
[head]
source = "procedural"
[camera]
width = 48
height = 36
[background]
types = ["plain"]
[render]
samples_per_pixel = 1
TOML
export SYNFACE_GENERATE=$PWD/$generate SLURM_SUBMIT_DIR=$dir SLURM_ARRAY_TASK_MIN=1
export SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1
for task in 3 1 2; do
  SLURM_ARRAY_TASK_ID=$task bash "$script" tiny.toml 7 out progress=false > "$dir/log$task" 2>&1
done
rows=$(($(wc -l < "$dir/out/manifest.csv") - 1))
[[ $rows == 7 ]] || { echo "manifest has $rows rows, expected 7"; cat "$dir"/log*; exit 1; }
grep -q "shard 2/3" "$dir/log3" || { echo "task 3 did not run shard 2/3"; cat "$dir/log3"; exit 1; }
# Bad usage is refused.
if SLURM_ARRAY_TASK_ID=1 bash "$script" tiny.toml 2>/dev/null; then echo "accepted bad usage"; exit 1; fi
if SLURM_ARRAY_TASK_ID=9 bash "$script" tiny.toml 7 out 2>/dev/null; then echo "accepted task 9 of 3"; exit 1; fi
echo "ok"
