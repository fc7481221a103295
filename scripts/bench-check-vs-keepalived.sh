#!/usr/bin/env bash
# Times `havip check` and `keepalived -t` on the same generated 1,000-instance config, in a
# namespace that has the interfaces it names (eth0..eth3), best of N runs each.
# Needs root and keepalived. Prints both times and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}; runs=${2:-5}
ns="hvbc$$"; work=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build -q --release -p cli
cargo build -q --release -p conf --example gen_config
./target/release/examples/gen_config "$n" > "$work/k.conf"
ip netns add "$ns"
for i in 0 1 2 3; do
  ip link add "${ns}a$i" type veth peer name "${ns}b$i"
  ip link set "${ns}a$i" netns "$ns" name "eth$i"; ip link set "${ns}b$i" netns "$ns" name "peer$i"
  ip -n "$ns" link set "eth$i" up
done
best() { # command...: fails unless the command succeeds once untimed
  "$@" > "$work/out" 2>&1 || { echo "failed: $*" >&2; tail -5 "$work/out" >&2; exit 1; }
  local best=999999
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 )); [ "$ms" -lt "$best" ] && best=$ms
  done
  echo "$best"
}
base=$(best ip netns exec "$ns" true)
h=$(best ip netns exec "$ns" "$PWD/target/release/havip" check --profile none -f "$work/k.conf")
k=$(best ip netns exec "$ns" keepalived -t -f "$work/k.conf")
echo "config: $n instances, $(wc -l < "$work/k.conf") lines"
ip netns exec "$ns" "$PWD/target/release/havip" check --profile none -f "$work/k.conf" | tail -1
echo "ip netns exec alone: ${base} ms (included in both below)"
echo "havip check:   ${h} ms (best of $runs)"
echo "keepalived -t: ${k} ms (best of $runs)"
awk -v h="$h" -v k="$k" -v b="$base" 'BEGIN { if (h > 0) printf "keepalived/havip: %.1fx end to end, %.1fx without the namespace entry\n", k / h, (k - b) / (h - b) }'
