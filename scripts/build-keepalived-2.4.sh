#!/usr/bin/env bash
# Builds keepalived 2.4.3 from ../shared/vendor into target/keepalived-2.4.3/ once, as a test
# peer for auth_hmac (issue: authenticated adverts). Reuses a previous build when present.
# Prints the path of the binary on success.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tarball="${KEEPALIVED_24_TARBALL:-$root/../shared/vendor/keepalived-2.4.3.tar.gz}"
out="$root/target/keepalived-2.4.3"
bin="$out/sbin/keepalived"
if [ -x "$bin" ] && "$bin" --version 2>&1 | grep -q 'v2\.4\.3'; then
  echo "$bin"
  exit 0
fi
if [ ! -f "$tarball" ]; then
  echo "build-keepalived-2.4: no source tarball at $tarball" >&2
  exit 1
fi
src="$root/target/keepalived-2.4.3-src"
rm -rf "$src" "$out"
mkdir -p "$src"
tar -xzf "$tarball" -C "$src" --strip-components=1
cd "$src"
{
  ./autogen.sh
  ./configure --prefix="$out" --disable-lvs --enable-json --disable-dynamic-linking \
    --with-init=none
  make -j"$(nproc)"
  make install
} >"$root/target/keepalived-2.4.3-build.log" 2>&1 || {
  echo "build-keepalived-2.4: build failed; last lines of target/keepalived-2.4.3-build.log:" >&2
  tail -n 30 "$root/target/keepalived-2.4.3-build.log" >&2
  exit 1
}
echo "$bin"
