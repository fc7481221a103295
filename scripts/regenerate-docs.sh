#!/usr/bin/env bash
# Rewrites every page generated from the code, through the tests that check them (each fails
# when its page differs from what the code generates; HAVIP_REGENERATE=1 makes it write the
# page first): docs/keywords.md, docs/diagnostic-codes.md, docs/schemas/*.schema.json,
# docs/metrics.md and docs/exit-codes.md. Then `git diff docs/` shows what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export HAVIP_REGENERATE=1
cargo test -q -p conf --test keyword_contract docs_keywords_md
cargo test -q -p conf --test diagnostic_codes docs_diagnostic_codes_md
cargo test -q -p ctl --test schemas docs_schemas
cargo test -q -p daemon --test reference_pages docs_
cargo test -q -p dist --test exit_codes
