#!/usr/bin/env python3
"""Stand-in lcov merger / report generator: turns gcc's *.gcov.json.gz into lcov records."""
import glob, gzip, json, os, re, sys

args = dict(x[2:].split("=", 1) for x in sys.argv[1:] if x.startswith("--") and "=" in x)
skip = [re.compile(x.split("=", 1)[1]) for x in sys.argv[1:] if x.startswith("--filter_sources=")]
out = args.get("output_file")
if "reports_file" in args:  # coverage_report_generator
    with open(out, "w") as o:
        for report in open(args["reports_file"]).read().split():
            if not report.endswith("baseline_coverage.dat") and os.path.exists(report):
                o.write(open(report).read())
    sys.exit(0)
lines = {}
for path in glob.glob(os.path.join(args.get("coverage_dir", "."), "**", "*.gcov.json.gz"), recursive=True):
    for f in json.load(gzip.open(path, "rt"))["files"]:
        if not any(r.match(f["file"]) for r in skip):
            counts = lines.setdefault(f["file"], {})
            for line in f["lines"]:
                counts[line["line_number"]] = counts.get(line["line_number"], 0) + line["count"]
with open(out, "w") as o:
    for src, counts in sorted(lines.items()):
        o.write("SF:%s\n" % src + "".join("DA:%d,%d\n" % kv for kv in sorted(counts.items())))
        o.write("LF:%d\nLH:%d\nend_of_record\n" % (len(counts), sum(1 for c in counts.values() if c)))
