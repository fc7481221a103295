#!/usr/bin/env bash
# Builds target/debian/havip_<version>_<arch>.deb: the release binaries, the man pages and
# completions generated from their command-line definitions (havip-dist), then cargo-deb.
# Needs cargo-deb (`cargo install cargo-deb --locked`) and dpkg-dev (dpkg-shlibdeps).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -p cli -p daemon -p dist
rm -rf "$target/release/dist"
"$target/release/havip-dist" "$target/release/dist" >/dev/null
rm -f "$target"/debian/havip_*.deb
cargo deb -p dist --no-build --locked
