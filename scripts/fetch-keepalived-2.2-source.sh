#!/usr/bin/env bash
# Fetches Debian bookworm's keepalived 2.2.7 source (the orig tarball) into target/keepalived-2.2.7/
# once, with apt-get's own client and a private deb-src list (the machine's apt sources are not
# touched), for crates/conf/tests/keyword_contract.rs. Checks the tarball against the .dsc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/target/keepalived-2.2.7"
tarball="$out/keepalived_2.2.7.orig.tar.gz"
[ -f "$tarball" ] && exit 0
apt_dir="$out/apt"
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$out"
cat >"$apt_dir/sources/bookworm-src.sources" <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
  -o "Dir::State::Lists=$apt_dir/lists" -o Debug::NoLocking=1)
apt-get -qq "${apt_opts[@]}" update
# Only the orig tarball and the .dsc are needed: a missing Debian patch tarball is tolerated.
(cd "$out" && apt-get -qq "${apt_opts[@]}" source --download-only keepalived=1:2.2.7-1 2>/dev/null) || true
dsc="$out/keepalived_2.2.7-1.dsc"
[ -f "$dsc" ] && [ -f "$tarball" ] || { echo "fetch-keepalived-2.2: no source downloaded" >&2; exit 1; }
want=$(awk '/^Checksums-Sha256:/{on=1; next} /^[^ ]/{on=0} on && $3=="keepalived_2.2.7.orig.tar.gz"{print $1}' "$dsc")
have=$(sha256sum "$tarball" | cut -d' ' -f1)
if [ -z "$want" ] || [ "$want" != "$have" ]; then
  echo "fetch-keepalived-2.2: $tarball does not match $dsc" >&2
  rm -f "$tarball"
  exit 1
fi
