//! The keyword contract: every keyword keepalived 2.4.3 and 2.2.7 install outside their
//! IPVS/checker half has a row in `conf::keywords`, in the section keepalived reads it in, with
//! the version that introduced it; `docs/keywords.md` is what the rows generate; each status
//! is reported on the line that uses the keyword.
//!
//! Sources: keepalived 2.4.3's tarball (`../shared/vendor/keepalived-2.4.3.tar.gz` beside the
//! repository, or `$KEEPALIVED_24_TARBALL`) and Debian's keepalived 2.2.7 source
//! (`target/keepalived-2.2.7/keepalived_2.2.7.orig.tar.gz`, fetched by
//! `scripts/fetch-keepalived-2.2-source.sh`, or `$KEEPALIVED_22_TARBALL`).

use conf::keywords::{self, ROWS, Section};
use conf::{Options, Severity};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tarball(var: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(var).map_or(default, PathBuf::from)
}

/// The source files whose keywords count: keepalived's core, VRRP, trackers, BFD and parser.
const SOURCE_DIRS: &[&str] = &[
    "keepalived/core/",
    "keepalived/vrrp/",
    "keepalived/trackers/",
    "keepalived/bfd/",
];

/// A directory removed when dropped, even when the test fails.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `(section path, keyword)` of every keyword the tarball's sources install.
fn keepalived_keywords(tarball: &Path, tag: &str) -> BTreeSet<(String, String)> {
    let dir = TempDir(std::env::temp_dir().join(format!("havip-kw-{tag}-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).expect("temp dir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(tarball)
        .arg("-C")
        .arg(&dir.0)
        .args(["--wildcards", "*/keepalived/*.c", "*/lib/parser.c"])
        .status()
        .expect("tar runs");
    assert!(status.success(), "tar -xzf {} failed", tarball.display());
    let mut files = Vec::new();
    collect_c_files(&dir.0, &mut files);
    files.sort();
    let mut out = BTreeSet::new();
    for f in files {
        let path = f.to_string_lossy();
        let wanted = SOURCE_DIRS.iter().any(|d| path.contains(d)) || path.ends_with("lib/parser.c");
        if wanted {
            let text =
                String::from_utf8_lossy(&std::fs::read(&f).expect("read source")).into_owned();
            out.extend(installs(&text));
        }
    }
    out
}

fn collect_c_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_c_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "c") {
            out.push(p);
        }
    }
}

/// The keywords one source file installs, with their section: `install_keyword_root` starts a
/// top-level keyword and its section, `install_keyword*` adds to the current section, and
/// `install_sublevel` ... `install_sublevel_end` nest under the keyword installed last.
fn installs(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut root, mut sub, mut last): (Option<String>, Vec<String>, Option<String>) =
        (None, Vec::new(), None);
    let mut rest = src;
    while let Some(at) = rest.find("install_") {
        let call = &rest[at..];
        let name_len = call
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(call.len());
        let name = &call[..name_len];
        let args = call[name_len..].trim_start();
        rest = &call[name_len..];
        let Some(args) = args.strip_prefix('(') else {
            continue;
        };
        let literal = args
            .trim_start()
            .strip_prefix('"')
            .and_then(|s| s.find('"').map(|end| s[..end].to_string()));
        match (name, literal) {
            ("install_sublevel", _) => sub.extend(last.clone()),
            ("install_sublevel_end", _) => {
                sub.pop();
            }
            ("install_keyword_root", Some(k)) => {
                out.push(("top".to_string(), k.clone()));
                (root, last) = (Some(k), None);
                sub.clear();
            }
            (n, Some(k)) if n.starts_with("install_keyword") => {
                let section = std::iter::once(root.clone().unwrap_or_default())
                    .chain(sub.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((section, k.clone()));
                last = Some(k);
            }
            _ => {}
        }
    }
    out
}

/// The keywords that have no row (or whose section has no name in the table).
fn missing_rows(found: &BTreeSet<(String, String)>) -> Vec<String> {
    found
        .iter()
        .filter(|(path, k)| {
            Section::from_source(path)
                .and_then(|s| keywords::row(s, k))
                .is_none()
        })
        .map(|(path, k)| format!("{path}: {k}"))
        .collect()
}

fn rows_of(found: &BTreeSet<(String, String)>) -> BTreeSet<(Section, String)> {
    found
        .iter()
        .filter_map(|(p, k)| Section::from_source(p).map(|s| (s, k.clone())))
        .collect()
}

#[test]
fn every_keyword_of_keepalived_2_4_3_has_a_row_and_every_row_a_keyword() {
    let path = tarball(
        "KEEPALIVED_24_TARBALL",
        repo().join("../shared/vendor/keepalived-2.4.3.tar.gz"),
    );
    if !path.is_file() {
        hostcheck::skip("keyword contract (2.4.3)", format!("no {}", path.display()));
        return;
    }
    let found = keepalived_keywords(&path, "243");
    assert!(
        found.len() > 250,
        "only {} keywords read: is the scanner broken?",
        found.len()
    );
    let missing = missing_rows(&found);
    assert!(
        missing.is_empty(),
        "keepalived 2.4.3 keywords without a row:\n{}",
        missing.join("\n")
    );
    let known = rows_of(&found);
    let phantom: Vec<_> = ROWS
        .iter()
        .filter(|r| !known.contains(&(r.section, r.keyword.to_string())))
        .map(|r| format!("{}: {}", r.section.name(), r.keyword))
        .collect();
    assert!(
        phantom.is_empty(),
        "rows keepalived 2.4.3 does not install:\n{}",
        phantom.join("\n")
    );
}

#[test]
fn every_keyword_of_keepalived_2_2_7_has_a_row_and_rows_newer_say_since_when() {
    let path = tarball(
        "KEEPALIVED_22_TARBALL",
        repo().join("target/keepalived-2.2.7/keepalived_2.2.7.orig.tar.gz"),
    );
    if !path.is_file() {
        let why = format!(
            "no {} (scripts/fetch-keepalived-2.2-source.sh)",
            path.display()
        );
        hostcheck::skip("keyword contract (2.2.7)", why);
        return;
    }
    let found = keepalived_keywords(&path, "227");
    assert!(
        found.len() > 250,
        "only {} keywords read: is the scanner broken?",
        found.len()
    );
    let missing = missing_rows(&found);
    assert!(
        missing.is_empty(),
        "keepalived 2.2.7 keywords without a row:\n{}",
        missing.join("\n")
    );
    let old = rows_of(&found);
    let wrong: Vec<_> = ROWS
        .iter()
        // In 2.2.7 with a version, or newer without one.
        .filter(|r| old.contains(&(r.section, r.keyword.to_string())) != r.since.is_empty())
        .map(|r| format!("{}: {} (since `{}`)", r.section.name(), r.keyword, r.since))
        .collect();
    assert!(
        wrong.is_empty(),
        "`since` must be empty exactly for 2.2.7's keywords:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn docs_keywords_md_is_what_the_table_generates() {
    let path = repo().join("docs/keywords.md");
    let want = keywords::markdown();
    if std::env::var("HAVIP_REGENERATE").as_deref() == Ok("1") {
        std::fs::write(&path, &want).expect("write docs/keywords.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/keywords.md is stale: HAVIP_REGENERATE=1 cargo test -p conf --test keyword_contract"
    );
}

/// `(line, severity, code)` of the diagnostics of `text` with `code`.
fn diags(text: &str, code: &str) -> Vec<(u32, Severity, String)> {
    conf::check_text(text, &Options::default())
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (d.location.line, d.severity, d.message.clone()))
        .collect()
}

const INSTANCE: &str = "vrrp_instance A {\n interface eth0\n virtual_router_id 5\n priority 100\n virtual_ipaddress { 10.0.0.9/24 }\n";

#[test]
fn a_keyword_not_done_is_reported_on_its_line_as_a_warning_or_an_info() {
    let text = format!(
        "global_defs {{\n enable_snmp_checker\n vrrp_min_garp\n}}\n{INSTANCE} vrf blue\n debug 2\n authentication {{\n  auth_type AH\n  auth_pass x\n }}\n}}\n"
    );
    let got: Vec<_> = diags(&text, "not-done")
        .into_iter()
        .map(|(l, s, _)| (l, s))
        .collect();
    assert_eq!(
        got,
        [
            (2, Severity::Info),
            (3, Severity::Warning),
            (10, Severity::Warning),
            (11, Severity::Info),
        ]
    );
    let vrf = &diags(&text, "not-done")[2].2;
    assert!(vrf.contains("no VRF support"), "{vrf}");
    // `auth_type` has a row per value; both PASS and AH are done.
    let pass = text.replace("auth_type AH", "auth_type PASS");
    assert_eq!(diags(&pass, "not-done"), diags(&text, "not-done"));
}

#[test]
fn a_keyword_keepalived_refuses_is_an_error() {
    // Debian's keepalived 2.2.7 (and our 2.4.3 build) has no ipset support: `keepalived -t`
    // says "(Line 2) Unknown keyword 'vrrp_ipsets'" and fails.
    let text = format!("global_defs {{\n vrrp_ipsets a b\n}}\n{INSTANCE}}}\n");
    let got: Vec<_> = diags(&text, "refused")
        .into_iter()
        .map(|(l, s, _)| (l, s))
        .collect();
    assert_eq!(got, [(2, Severity::Error)]);
}

#[test]
fn a_section_not_done_is_reported_once_on_its_line() {
    let text = format!(
        "static_ipaddress {{\n 10.0.0.7/24 dev eth0\n 10.0.0.8/24 dev eth0\n}}\nvrrp_track_process p {{\n process nginx\n weight 10\n}}\n{INSTANCE} track_process {{\n  p\n }}\n}}\n"
    );
    let got: Vec<_> = diags(&text, "not-done")
        .into_iter()
        .map(|(l, s, _)| (l, s))
        .collect();
    assert_eq!(
        got,
        // vrrp_track_process and track_process are done: only static_ipaddress is reported.
        [(1, Severity::Warning)]
    );
}

#[test]
fn root_keywords_are_read_where_keepalived_reads_them() {
    // keepalived 2.2.7 and 2.4.3: `instance` and `net_namespace` are top-level keywords;
    // inside global_defs they are unknown ("Unknown keyword 'instance'").
    let text = format!("net_namespace blue\nglobal_defs {{\n instance x\n}}\n{INSTANCE}}}\n");
    let not_done: Vec<_> = diags(&text, "not-done")
        .into_iter()
        .map(|(l, ..)| l)
        .collect();
    // net_namespace is done (havipd's worker runs in it): nothing to report on line 1.
    assert_eq!(not_done, Vec::<u32>::new());
    let unknown: Vec<_> = diags(&text, "unknown-keyword")
        .into_iter()
        .map(|(l, ..)| l)
        .collect();
    assert_eq!(unknown, [3]);
}
