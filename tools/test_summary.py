#!/usr/bin/env python3
"""Counts test results from Bazel's build event file and prints the final 'N passed, N failed'.

A test target that was configured but never got a summary (it failed to build) counts as failed,
so a compile error can never turn into a green line. Per-case gtest counts come from test.xml.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET


def main(bep_path, testlogs):
    status = {}
    with open(bep_path) as f:
        for line in f:
            event = json.loads(line)
            eid = event.get("id", {})
            if "targetConfigured" in eid and "testSize" in event.get("configured", {}):
                status.setdefault(eid["targetConfigured"]["label"], "FAILED_TO_BUILD")
            elif "testSummary" in eid:
                status[eid["testSummary"]["label"]] = event["testSummary"].get("overallStatus", "NO_STATUS")
    cases = failed_cases = 0
    for label in status:
        xml = os.path.join(testlogs, label.lstrip("/").replace(":", "/"), "test.xml")
        if os.path.exists(xml):
            try:
                for case in ET.parse(xml).getroot().iter("testcase"):
                    cases += 1
                    failed_cases += case.find("failure") is not None or case.find("error") is not None
            except ET.ParseError:
                pass
    bad = sorted(label for label, s in status.items() if s not in ("PASSED", "FLAKY"))
    for label in bad:
        print(f"  {status[label]:16s} {label}")
    print(f"test cases: {cases - failed_cases} passed, {failed_cases} failed (from test.xml)")
    ok = len(status) - len(bad)
    print(f"{ok} passed, {len(bad)} failed")
    return 0 if not bad and status else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "bazel-testlogs"))
