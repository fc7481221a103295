#!/usr/bin/env python3
"""Writes docs/failover.md from the files scripts/failover-report.sh leaves in docs/failover/.

  failover-page.py machine RUNS          the machine's description, as JSON, on stdout
  failover-page.py page SCENARIOS DIR    the page, as Markdown, on stdout

The page says only what the files say: every figure comes from a series' summary (percentiles)
or its CSV (one row per run); a series without files is listed as not measured.
"""

import csv
import datetime
import json
import os
import platform
import subprocess
import sys

SETTINGS = [
    ("seed", "The seed pair as the guide gives it: VRRPv2, `advert_int 1`, unicast, PASS, nopreempt"),
    ("v3-50ms", "The seed pair as VRRPv3 with `advert_int 0.05`"),
    ("v3-10ms", "The seed pair as VRRPv3 with `advert_int 0.01`"),
]
SCENARIOS = ["crash", "graceful", "kill", "partition", "maintenance"]
DAEMONS = ["havipd", "keepalived"]


def run(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def machine(runs):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "runs": int(runs),
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "keepalived": run(["keepalived", "--version"]),
        "havip": run(["git", "rev-parse", "--short", "HEAD"]),
        # The last commit that changed what havipd runs (series may span several commits).
        "havipd": run(["git", "log", "-1", "--format=%h", "--", "crates/daemon", "crates/vrrp",
                       "crates/conf", "crates/rawlink", "crates/ctl"]),
    }
    json.dump(doc, sys.stdout, indent=1)


def load(directory, name):
    """The series' summary by daemon and its CSV rows, or None when it was not measured."""
    summary_path = os.path.join(directory, name + ".summary.json")
    csv_path = os.path.join(directory, name + ".csv")
    if not (os.path.exists(summary_path) and os.path.exists(csv_path)):
        return None
    with open(summary_path) as f:
        summary = {s["daemon"]: s for s in json.load(f)}
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    return summary, rows


def q(s, key, field, scale=1.0, digits=0):
    v = s.get(key)
    if not v:
        return "-"
    return f"{v[field] * scale:.{digits}f}"


def ratio(a, b):
    if b == 0:
        return "-" if a == 0 else "n/a (keepalived 0)"
    return f"{a / b:.2f}"


def rows_with(rows, daemon, column):
    return sum(1 for r in rows if r["daemon"] == daemon and float(r[column] or 0) > 0)


def series_table(summary, rows):
    head = (
        "| daemon | runs | outage p50 ms | p99 | max | runs with an outage "
        "| takeover p50 ms | p99 | no takeover | lost TCP p50 | p99 | both hold the VIP p50 ms | p99 | runs with both |"
    )
    out = [head, "|" + "---|" * 14]
    for d in DAEMONS:
        s = summary.get(d)
        if not s:
            continue
        out.append(
            f"| {d} | {s['runs']} | {q(s, 'outage_ms', 'p50', digits=1)} | {q(s, 'outage_ms', 'p99', digits=1)} "
            f"| {q(s, 'outage_ms', 'max', digits=1)} | {rows_with(rows, d, 'outage_ms')} "
            f"| {q(s, 'takeover_s', 'p50', 1000, 1)} | {q(s, 'takeover_s', 'p99', 1000, 1)} | {s['no_takeover']} "
            f"| {q(s, 'lost_tcp', 'p50')} | {q(s, 'lost_tcp', 'p99')} "
            f"| {q(s, 'split_ms', 'p50', digits=1)} | {q(s, 'split_ms', 'p99', digits=1)} | {rows_with(rows, d, 'split_ms')} |"
        )
    h, k = summary.get("havipd"), summary.get("keepalived")
    if h and k and h.get("outage_ms") and k.get("outage_ms"):
        out.append("")
        out.append(
            f"Outage ratio havipd/keepalived: p50 {ratio(h['outage_ms']['p50'], k['outage_ms']['p50'])}, "
            f"p99 {ratio(h['outage_ms']['p99'], k['outage_ms']['p99'])}."
        )
    return out


def page(scenarios_path, directory):
    with open(scenarios_path) as f:
        described = {s["name"]: s for s in json.load(f)}
    info = {}
    if os.path.exists(os.path.join(directory, "machine.json")):
        with open(os.path.join(directory, "machine.json")) as f:
            info = json.load(f)
    lines = INTRO.format(
        date=info.get("date", "unknown"),
        kernel=info.get("kernel", "unknown"),
        cpu=info.get("cpu", "unknown"),
        cpus=info.get("cpus", "?"),
        keepalived=info.get("keepalived", "unknown"),
        havip=info.get("havip", "unknown"),
        havipd=info.get("havipd", "unknown"),
    ).splitlines()
    missing = []
    for tag, title in SETTINGS:
        lines += ["", f"## {title}", ""]
        for sc in SCENARIOS:
            name = f"{tag}-{sc}"
            data = load(directory, name)
            if data is None:
                missing.append(name)
                continue
            spec = described.get(name, {})
            steps = ", ".join(f"{s['action']} {s['node']} at {s['at']} s" for s in spec.get("steps", []))
            lines += [f"### {name}", "", spec.get("description", ""), ""]
            lines += [f"Steps: {steps}; probed for {spec.get('duration', '?')} s.", ""]
            own = os.path.join(directory, f"{name}.machine.json")
            if os.path.exists(own):
                with open(own) as f:
                    m = json.load(f)
                lines += [f"Measured {m.get('date')} on {m.get('cpus')} CPUs ({m.get('cpu')}), "
                          f"Linux {m.get('kernel')}, havip at `{m.get('havip')}` "
                          "(later than the page's other series).", ""]
            lines += series_table(*data)
            lines += ["", f"![CDFs of {name}](failover/{name}.svg)", ""]
    if missing:
        lines += ["", "## Not measured", "", "Series without files (run the script with their names): "
                  + ", ".join(f"`{m}`" for m in missing) + "."]
    lines += NOTES.splitlines()
    print("\n".join(lines))


INTRO = """# Failover, measured: havipd and keepalived, run after run

Written by `scripts/failover-report.sh` from the files in `docs/failover/`; do not edit by hand.
Measured {date} on {cpus} CPUs ({cpu}), Linux {kernel}; keepalived: `{keepalived}`; havip at
`{havip}` (havipd's code last changed in `{havipd}`).

## How

Each series is `havip lab drill SERIES --scenario-file scripts/failover-scenarios.json --repeat
RUNS --vs keepalived`: one lab (the seed topology in network namespaces: two servers, a client,
a bridge), reused for the whole series, with havipd and keepalived taking turns run after run.
Every run starts both daemons afresh, waits for the primary to hold the VIP, plays the
scenario's steps and probes the VIP from the client: ICMP every 10 ms and a TCP request every
50 ms. Per run:

- **outage**: the longest stretch without an answer to the client (0 when no probe was lost);
  a stretch still going on when probing ends is counted up to the end;
- **takeover**: from the fault to the secondary holding the VIP;
- **lost TCP**: TCP requests that got no answer;
- **both hold the VIP**: time with the VIP on both servers' interfaces (`ip addr` read in each
  server's namespace in a loop, 10 ms apart plus the time the reads take).

Percentiles are nearest-rank over the runs. The pictures show each daemon's CDF side by side.
Several series may have run at once on the machine (the lab uses namespaces, so they do not
see each other); both daemons of a series always ran under the same conditions, in turns."""

NOTES = """
## Reading the figures

- **crash** (the cable cut) is the case VRRP exists for: the secondary waits out
  Master_Down_Interval (3 x advert_int + skew), so the outage scales with `advert_int` and is
  the same for both daemons by construction. The cut server keeps its VIP while it is cut off;
  the time it shows under "both hold the VIP" is invisible to the client.
- **kill** is `kill -9` of the daemon's main process. Both daemons run their VRRP work in a
  child that the kernel tells of its parent's death (keepalived's VRRP child, havipd's worker
  under its supervisor): it resigns with priority 0 and removes the VIP, so the secondary takes
  over after Skew_Time, as in **graceful**, and the VIP is never on two servers. What is still
  running 2 s after the kill is killed.
- **graceful** stops the primary's daemon: it resigns with priority 0 and the secondary takes
  over after Skew_Time.
- **maintenance** is havipd's planned switchover (`havip maintenance on`), make-before-break;
  keepalived has no such command, so its operators stop it, which is the graceful case.
- **partition** drops VRRP at the primary while data still flows: both servers hold the VIP
  until the heal. After the heal the secondary yields to the primary's next advert. If the
  primary never hears one of the secondary's adverts first, it has no reason to announce itself
  again, and a client whose ARP entry points at the secondary stays there until the entry is
  re-resolved: an outage that outlasts the probing window. Both daemons behave so (it is the
  protocol's), and the runs with an outage count how often the race went that way."""


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "machine":
        machine(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "page":
        page(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
