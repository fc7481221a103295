//! `docs/exit-codes.md` is what the man pages' EXIT STATUS sections generate
//! (`HAVIP_REGENERATE=1` rewrites it, a difference fails).

use std::path::Path;

#[test]
fn docs_exit_codes_md_is_what_the_man_pages_say() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/exit-codes.md");
    let want = dist::exit_codes::markdown();
    if std::env::var("HAVIP_REGENERATE").as_deref() == Ok("1") {
        std::fs::write(&path, &want).expect("write docs/exit-codes.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/exit-codes.md is stale: HAVIP_REGENERATE=1 cargo test -p dist --test exit_codes"
    );
    for code in ["havip check", "havip lab", "| `4` |", "| `6` |"] {
        assert!(want.contains(code), "{code} is missing");
    }
}
