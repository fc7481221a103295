#!/usr/bin/env bash
# Records what `keepalived -t` (Debian's 2.2.7) reports for each seed config, with no-break
# spaces turned into plain spaces (the one thing havip tolerates and keepalived does not), on a
# host that has eth0 and none of the scripts: crates/conf/tests/data/seeds/NAME.keepalived.
# Needs root and keepalived; runs in a namespace it creates and removes.
set -euo pipefail
dir=${1:-"$(dirname "$0")/../crates/conf/tests/data/seeds"}
ns="hvkv$$"
work=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
ip netns add "$ns"
ip link add "${ns}a" type veth peer name "${ns}b"
ip link set "${ns}a" netns "$ns" name eth0
ip link set "${ns}b" netns "$ns" name peer0
ip -n "$ns" link set eth0 up
for conf in "$dir"/*.conf; do
  name=$(basename "$conf" .conf)
  sed 's/\xc2\xa0/ /g' "$conf" > "$work/$name.conf"
  set +e
  ip netns exec "$ns" keepalived -t -l -f "$work/$name.conf" > "$work/out" 2>&1
  rc=$?
  set -e
  {
    echo "exit $rc"
    # keepalived parses in several processes: keep each message once, without prefixes.
    sed -E 's/^.*Keepalived[_a-z]*\[[0-9]+\]: //; s/^\([^)]*: Line/(Line/' "$work/out" | grep -v '^$' | sort -u
  } > "$dir/$name.keepalived"
  echo "$name: exit $rc, $(($(wc -l < "$dir/$name.keepalived") - 1)) messages"
done
