#!/usr/bin/env python3
"""Markdown rows of docs/mover-drills.md from the CSVs of `havip lab drill SCEN --mover tencent
--vs keepalived --repeat N --csv FILE`: per scenario and run label, the runs, how many ended with
the right final owner, and the outage p50 / p99 (nearest rank) over all runs and over the runs
that ended right.

Usage: scripts/mover-table.py FILE.csv [FILE.csv ...]
"""
import csv
import math
import sys

PATHS = {
    "havipd-mover": "API, no HAVIP",
    "keepalived-script": "API, no HAVIP",
    "havipd": "GARP, HAVIP",
    "keepalived": "GARP, HAVIP",
}


def rank(values, p):
    """Nearest-rank percentile, as `--repeat` prints them."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def pair(values):
    p50, p99 = rank(values, 50), rank(values, 99)
    if p50 is None:
        return "-"
    return f"{p50:.0f} / {p99:.0f}"


def main(files):
    for f in files:
        rows = list(csv.DictReader(open(f)))
        labels = []
        for r in rows:
            if r["daemon"] not in labels:
                labels.append(r["daemon"])
        for label in labels:
            runs = [r for r in rows if r["daemon"] == label]
            right = [r for r in runs if r["owner_correct"] == "true"]
            scenario = runs[0]["scenario"]
            print(
                f"| {scenario} | `{label}` | {PATHS.get(label, '?')} | {len(runs)} | "
                f"{len(right)} of {len(runs)} | {pair([float(r['outage_ms']) for r in runs])} | "
                f"{pair([float(r['outage_ms']) for r in right])} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
