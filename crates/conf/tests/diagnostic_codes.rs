//! The diagnostic code table (`conf::codes`) against the code that reports them: every code
//! written in `crates/conf/src` has a row (with the severities it is written with), every row
//! is a code written there, and `docs/diagnostic-codes.md` is what the rows generate
//! (`HAVIP_REGENERATE=1` rewrites it). At run time, debug builds panic on a diagnostic whose
//! code has no row (`Diagnostic::new`), which the last test shows.

use conf::codes::{self, CODES};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// String literals in `crates/conf/src` that are not codes although shaped like one.
const NOT_CODES: &[&str] = &["receive-only"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("read crates/conf/src")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The quoted words of `text` shaped as codes: lower-case words joined by hyphens, and the
/// single words written right after a severity (`Severity::Error, "refused"`), each with the
/// severities written right before it.
fn written_codes(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let before = &rest[..start];
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let word = &after[..end];
        let shaped = !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && word.starts_with(|c: char| c.is_ascii_lowercase())
            && !word.ends_with('-');
        let severity = before
            .trim_end()
            .strip_suffix(',')
            .and_then(|b| b.trim_end().rsplit("Severity::").next().map(str::to_string))
            .filter(|s| s.chars().all(|c| c.is_ascii_alphabetic()) && !s.is_empty());
        if shaped && (word.contains('-') || severity.is_some()) {
            let entry = found.entry(word.to_string()).or_default();
            if let Some(s) = severity {
                entry.insert(s.to_lowercase());
            }
        }
        rest = &after[end + 1..];
    }
    found
}

fn codes_in_sources() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&repo().join("crates/conf/src"), &mut files);
    let mut all: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| !f.starts_with(repo().join("crates/conf/src/codes")))
    {
        let text = std::fs::read_to_string(f).expect("read a source file");
        for (code, sev) in written_codes(&text) {
            all.entry(code).or_default().extend(sev);
        }
    }
    for n in NOT_CODES {
        all.remove(*n);
    }
    all
}

#[test]
fn every_code_written_in_conf_has_a_row_and_every_row_is_written() {
    let written = codes_in_sources();
    let no_row: Vec<&String> = written.keys().filter(|c| codes::row(c).is_none()).collect();
    assert!(
        no_row.is_empty(),
        "codes without a row in crates/conf/src/codes/rows.rs: {no_row:?}"
    );
    let rows: BTreeSet<&str> = CODES.iter().map(|c| c.code).collect();
    let unused: Vec<&&str> = rows.iter().filter(|c| !written.contains_key(**c)).collect();
    assert!(unused.is_empty(), "rows no code writes: {unused:?}");
    assert_eq!(rows.len(), CODES.len(), "a code has two rows");
    for (code, severities) in &written {
        let row = codes::row(code).expect("checked above");
        for s in severities {
            assert!(
                row.severity.split('/').any(|r| r == s),
                "`{code}` is written as {s} but its row says {}",
                row.severity
            );
        }
    }
}

#[test]
fn every_row_says_why_and_what_to_do() {
    for c in CODES {
        assert!(
            c.reason.ends_with('.') && c.fix.ends_with('.') && c.reason.len() > 20,
            "row `{}` needs a reason and a fix, each a sentence",
            c.code
        );
    }
}

#[test]
fn docs_diagnostic_codes_md_is_what_the_table_generates() {
    let path = repo().join("docs/diagnostic-codes.md");
    let want = codes::markdown();
    if std::env::var("HAVIP_REGENERATE").as_deref() == Ok("1") {
        std::fs::write(&path, &want).expect("write docs/diagnostic-codes.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostic-codes.md is stale: HAVIP_REGENERATE=1 cargo test -p conf --test diagnostic_codes"
    );
}

#[test]
fn a_config_reports_only_codes_with_a_row() {
    let text = "global_defs {\n  vrrp_strict\n  bogus_keyword 1\n}\n{\n}\n\
                vrrp_instance VI_1 {\n  state MAYBE\n  interface eth0\n  virtual_router_id 51\n\
                priority 300\n  virtual_ipaddress {\n    10.0.0.1/24\n    fe80::1\n  }\n}\n";
    let report = conf::check_text(text, &conf::Options::default());
    assert!(report.diagnostics.len() >= 4, "{:?}", report.diagnostics);
    for d in &report.diagnostics {
        assert!(codes::row(d.code).is_some(), "{d}");
    }
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "has no row")]
fn a_diagnostic_with_a_code_without_a_row_panics_in_debug_builds() {
    let loc = conf::Location {
        file: "x.conf".into(),
        line: 1,
        col: 1,
    };
    let _ = conf::Diagnostic::new(conf::Severity::Error, "no-such-code", loc, "", "");
}
