#!/usr/bin/env python3
"""Compares two Google Benchmark JSON files as ratios (new / old) per benchmark.

  python3 tools/compare_benchmarks.py OLD.json NEW.json [--metric real_time|cpu_time|items_per_second]

Uses the median aggregate when the runs had repetitions, else the single run. A ratio below 1 for a
time (above 1 for a rate) means NEW is faster. Benchmarks present in only one file are listed apart.
"""
import argparse
import json
import sys


def load(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"{path}: cannot read benchmark JSON: {e}")
    if "benchmarks" not in doc:
        sys.exit(f"{path}: not a Google Benchmark JSON file (no 'benchmarks' key)")
    runs, medians = {}, {}
    for b in doc["benchmarks"]:
        name = b.get("run_name", b["name"])
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
        else:
            runs.setdefault(name, b)
    runs.update(medians)
    return doc.get("context", {}), runs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--metric", default="real_time")
    a = ap.parse_args()
    ctx_old, old = load(a.old)
    ctx_new, new = load(a.new)
    higher_is_better = a.metric.endswith("per_second")
    print(f"old: {a.old} ({ctx_old.get('date', '?')}, {ctx_old.get('num_cpus', '?')} cpus)")
    print(f"new: {a.new} ({ctx_new.get('date', '?')}, {ctx_new.get('num_cpus', '?')} cpus)")
    print(f"metric: {a.metric} ({'higher' if higher_is_better else 'lower'} is better)\n")
    width = max([len(n) for n in old.keys() & new.keys()] + [9])
    print(f"{'benchmark':{width}s}  {'old':>12s}  {'new':>12s}  {'new/old':>8s}")
    for name in sorted(old.keys() & new.keys()):
        o, n = old[name].get(a.metric), new[name].get(a.metric)
        if o is None or n is None:
            continue
        unit = old[name].get("time_unit", "") if a.metric.endswith("time") else ""
        ratio = n / o if o else float("inf")
        print(f"{name:{width}s}  {o:12.4g}{unit:>3s}  {n:12.4g}{unit:>3s}  {ratio:8.3f}")
    for label, names in (("only in old", old.keys() - new.keys()), ("only in new", new.keys() - old.keys())):
        for name in sorted(names):
            print(f"{label}: {name}")


if __name__ == "__main__":
    main()
