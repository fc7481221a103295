#!/usr/bin/env bash
# Captures real VRRP adverts from Debian's keepalived into crates/vrrp/tests/data/keepalived/.
# Needs root, keepalived, tcpdump, python3. Everything runs in two namespaces it creates and
# removes; no packet leaves them. ONLY=REGEX captures only the vectors whose name matches.
set -euo pipefail
out=${1:-"$(dirname "$0")/../crates/vrrp/tests/data/keepalived"}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tag="hvcap$$"
ns_a="${tag}a"; ns_b="${tag}b"
work=$(mktemp -d)
cleanup() {
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  pkill -f "$work" 2>/dev/null || true
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns_a"; ip netns add "$ns_b"
ip link add "${tag}x" type veth peer name "${tag}y"
ip link set "${tag}x" netns "$ns_a" name eth0
ip link set "${tag}y" netns "$ns_b" name eth0
ip -n "$ns_a" link set eth0 address 52:54:00:00:00:05
ip -n "$ns_b" link set eth0 address 52:54:00:00:00:06
for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; ip -n "$ns" link set eth0 up; done
ip -n "$ns_a" addr add 172.16.16.5/24 dev eth0
ip -n "$ns_b" addr add 172.16.16.6/24 dev eth0
ip -n "$ns_a" addr add fd00::5/64 dev eth0 nodad
ip -n "$ns_a" addr add fe80::5/64 dev eth0 nodad
sleep 1

# capture NAME CONFIG-BODY: runs keepalived in ns_a with the config, captures in ns_b.
capture() {
  local name=$1 body=$2
  if [ -n "${ONLY:-}" ] && ! [[ $name =~ $ONLY ]]; then return; fi
  printf 'global_defs {\n  router_id cap\n}\n%s\n' "$body" > "$work/$name.conf"
  ip netns exec "$ns_b" tcpdump -i eth0 -U -w "$work/$name.pcap" 'ip proto 112 or ip proto 51 or ip6 proto 112' \
    >/dev/null 2>&1 & echo $! > "$work/$name.tcpdump.pid"
  sleep 1
  ip netns exec "$ns_a" keepalived -n -l -P -f "$work/$name.conf" \
    -p "$work/$name.ka.pid" -r "$work/$name.vrrp.pid" >"$work/$name.log" 2>&1 &
  echo $! > "$work/$name.main.pid"
  sleep 3.5
  kill "$(cat "$work/$name.main.pid")"; sleep 1.5
  kill "$(cat "$work/$name.tcpdump.pid")"; sleep 0.5
  python3 - "$work/$name.pcap" "$out/$name" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
off, n = 24, 0
pkts = []
while off + 16 <= len(data):
    incl = struct.unpack('<I', data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    pkts.append(frame[14:])            # strip Ethernet
# first advert (normal priority) and last one (the priority-0 resignation at shutdown)
for label, p in (('', pkts[0]), ('-prio0', pkts[-1])):
    open(sys.argv[2] + label + '.hex', 'w').write(p.hex() + '\n')
print(sys.argv[2], len(pkts), 'packets')
PY
}

inst() { # version vrid extra
  cat <<EOC
vrrp_instance VI_$2 {
  state MASTER
  interface eth0
  virtual_router_id $2
  priority 255
  advert_int 1
  version $1
  $3
}
EOC
}

capture v2-pass-multicast "$(inst 2 51 'authentication {
    auth_type PASS
    auth_pass 1111
  }
  virtual_ipaddress {
    172.16.16.12
  }')"
capture v2-pass-unicast "$(inst 2 51 'authentication {
    auth_type PASS
    auth_pass 1111
  }
  unicast_src_ip 172.16.16.5
  unicast_peer {
    172.16.16.6
  }
  virtual_ipaddress {
    172.16.16.12
  }')"
capture v3-ipv4-multicast "$(inst 3 52 'virtual_ipaddress {
    172.16.16.12
    172.16.16.13
  }')"
capture v3-ipv4-unicast "$(inst 3 52 'unicast_src_ip 172.16.16.5
  unicast_peer {
    172.16.16.6
  }
  virtual_ipaddress {
    172.16.16.12
  }')"
capture v3-ipv6-multicast "$(inst 3 53 'virtual_ipaddress {
    fd00::12
  }')"
capture v2-ah-multicast "$(inst 2 54 'authentication {
    auth_type AH
    auth_pass secret
  }
  virtual_ipaddress {
    172.16.16.12
    172.16.16.13
  }')"
capture v2-ah-unicast "$(inst 2 54 'authentication {
    auth_type AH
    auth_pass longersecret
  }
  unicast_src_ip 172.16.16.5
  unicast_peer {
    172.16.16.6
  }
  virtual_ipaddress {
    172.16.16.12
  }')"
ls -l "$out"
