#!/usr/bin/env bash
# Regenerates docs/failover.md and its pictures: the seed pair (VRRPv2, advert_int 1) and the same
# pair as VRRPv3 at 0.05 s and 0.01 s, each in five scenarios (crash, graceful, kill, partition
# and heal, maintenance), drilled RUNS times per daemon with havipd and keepalived taking turns
# in one lab. Per series, docs/failover/ gets SERIES.csv (every run), SERIES.summary.json
# (percentiles) and SERIES.svg (the CDFs); the page is then written from those files alone.
#
# Usage: scripts/failover-report.sh [SERIES...]   (as root; keepalived installed)
#   RUNS=100      runs per daemon and series
#   SERIES        names from scripts/failover-scenarios.json (default: all of them); series
#                 not named keep their files from an earlier run
#   REPORT_ONLY=1 only rewrite the page from the files already there
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-100}
scenarios=scripts/failover-scenarios.json
out=docs/failover
mkdir -p "$out"
failed=()

if [ "${REPORT_ONLY:-0}" != 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "failover-report: the lab needs root (network namespaces)" >&2; exit 2; }
  command -v keepalived >/dev/null || { echo "failover-report: keepalived is not installed" >&2; exit 2; }
  cargo build --release -q --bin havip --bin havipd
  if [ $# -gt 0 ]; then
    series=("$@")
  else
    mapfile -t series < <(python3 -c 'import json, sys; [print(s["name"]) for s in json.load(open(sys.argv[1]))]' "$scenarios")
  fi
  for s in "${series[@]}"; do
    echo "== $s: $runs runs per daemon" >&2
    if target/release/havip lab drill "$s" --scenario-file "$scenarios" --repeat "$runs" \
        --vs keepalived --json --results-dir "$out" --svg "$out/$s.svg" --csv "$out/$s.csv" \
        > "$out/$s.json.tmp"; then
      python3 -c 'import json, sys; json.dump(json.load(sys.stdin)["summary"], sys.stdout, indent=1)' \
        < "$out/$s.json.tmp" > "$out/$s.summary.json"
    else
      failed+=("$s")
    fi
    rm -f "$out/$s.json.tmp"
    python3 scripts/failover-page.py machine "$runs" > "$out/$s.machine.json"
  done
  # A run of every series describes the whole page; a partial one, each series it ran.
  if [ $# -eq 0 ]; then
    python3 scripts/failover-page.py machine "$runs" > "$out/machine.json"
    for s in "${series[@]}"; do rm -f "$out/$s.machine.json"; done
  fi
fi
python3 scripts/failover-page.py page "$scenarios" "$out" > docs/failover.md
echo "wrote docs/failover.md" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "failover-report: series that failed (their old files kept): ${failed[*]}" >&2
  exit 1
fi
