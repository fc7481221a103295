//! Every keepalived.conf printed in the seed guides (all languages, both servers).
//!
//! `tests/data/seeds/NAME.keepalived` is what Debian's keepalived 2.2.7 reported for each
//! (scripts/keepalived-verdicts.sh: no-break spaces made plain, on a host with eth0 and none of
//! the scripts). Each of its problems must be reported by havip exactly once, on the same line;
//! the original text, pasted no-break spaces and all, must give the same findings plus one
//! note about the spaces; and each config must give a runnable model.

use conf::host::FakeHost;
use conf::reader::{Disk, MemoryFiles};
use conf::{Diagnostic, Options, Report, check};
use std::path::{Path, PathBuf};

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seeds");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("seed dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 7, "en, id, pt (primary and secondary) and zh");
    v
}

fn host() -> FakeHost {
    FakeHost {
        interfaces: vec!["eth0".into()],
        scripts: vec![],
        ..Default::default()
    }
}

fn run(path: &Path) -> Report {
    check(
        &Disk,
        path,
        Some(&host()),
        &Options {
            cloud: true,
            ..Default::default()
        },
    )
}

/// havip codes that may stand for a keepalived message.
fn codes_for(message: &str) -> &'static [&'static str] {
    let table: &[(&str, &[&str])] = &[
        ("outside range", &["out-of-range"]),
        ("' is invalid", &["out-of-range"]),
        ("Unexpected '{'", &["stray-block"]),
        ("Unknown keyword", &["unknown-keyword", "stray-block"]),
        ("unknown state", &["unknown-state"]),
        ("track script", &["undefined-reference", "script-not-found"]),
        ("since own interface", &["track-own-interface"]),
        (
            "preempt_delay is incompatible",
            &["preempt-delay-nopreempt"],
        ),
        ("No script set", &["script-missing"]),
        ("doesn't exist", &["no-such-interface"]),
        ("Non-existent interface", &["no-such-interface"]),
    ];
    table
        .iter()
        .find(|(pat, _)| message.contains(pat))
        .map_or(&[], |(_, codes)| codes)
}

fn matching<'a>(
    diags: &'a [Diagnostic],
    file: &str,
    line: Option<u32>,
    codes: &[&str],
) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| codes.contains(&d.code) && line.is_none_or(|l| d.covers(file, l)))
        .collect()
}

#[test]
fn every_keepalived_problem_is_reported_exactly_once() {
    for path in seeds() {
        let report = run(&path);
        let file = path.display().to_string();
        let verdict =
            std::fs::read_to_string(path.with_extension("keepalived")).expect("recorded verdict");
        let mut lines = verdict.lines();
        let exit: i32 = lines
            .next()
            .and_then(|l| l.strip_prefix("exit "))
            .and_then(|c| c.parse().ok())
            .expect("exit line");
        for message in lines {
            let codes = codes_for(message);
            assert!(
                !codes.is_empty(),
                "{file}: no mapping for keepalived's `{message}`"
            );
            let line = message
                .strip_prefix("(Line ")
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.parse::<u32>().ok());
            let found = matching(&report.diagnostics, &file, line, codes);
            assert_eq!(
                found.len(),
                1,
                "{file}: keepalived says `{message}`; havip matched {found:#?}"
            );
        }
        // keepalived -t's code, which havipd -t exits with (5: configuration errors).
        assert_eq!(
            i32::from(report.config_test_code()),
            exit,
            "{file}: keepalived -t exits {exit}"
        );
        // Nothing is reported twice at the same place.
        let mut keys: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (d.code, d.location.line, d.location.col))
            .collect();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "{file}: duplicate diagnostics");
    }
}

#[test]
fn pasted_no_break_spaces_are_tolerated_and_reported_once() {
    for path in seeds() {
        let raw = std::fs::read(&path).expect("seed");
        let plain = String::from_utf8(raw.clone())
            .expect("utf-8")
            .replace('\u{a0}', " ");
        let pasted_file = MemoryFiles([(PathBuf::from("/k.conf"), raw)].into_iter().collect());
        let plain_file = MemoryFiles(
            [(PathBuf::from("/k.conf"), plain.into_bytes())]
                .into_iter()
                .collect(),
        );
        let opts = Options {
            cloud: true,
            ..Default::default()
        };
        let with = check(&pasted_file, Path::new("/k.conf"), Some(&host()), &opts);
        let without = check(&plain_file, Path::new("/k.conf"), Some(&host()), &opts);
        let key = |r: &Report| {
            r.diagnostics
                .iter()
                .filter(|d| d.code != "pasted-unicode")
                .map(|d| (d.code, d.location.line, d.location.col, d.message.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&with), key(&without), "{}", path.display());
        let pasted: Vec<_> = with
            .diagnostics
            .iter()
            .filter(|d| d.code == "pasted-unicode")
            .collect();
        let has_nbsp =
            String::from_utf8_lossy(&std::fs::read(&path).expect("seed")).contains('\u{a0}');
        assert_eq!(
            pasted.len(),
            usize::from(has_nbsp),
            "{}: one note for the no-break spaces, if any",
            path.display()
        );
        assert_eq!(
            with.config,
            without.config,
            "{}: same model",
            path.display()
        );
    }
}

#[test]
fn every_seed_gives_a_runnable_model() {
    for path in seeds() {
        let report = run(&path);
        assert_eq!(report.config.instances.len(), 1, "{}", path.display());
        for e in report.effective() {
            let e = e.unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            assert!(vrrp::Router::new(e.router.clone()).is_ok());
            assert_eq!(e.router.unicast_peers.len(), 1, "the seeds use unicast");
            assert!(!e.router.preempt, "nopreempt");
        }
    }
}

#[test]
fn the_english_pair_elects_and_fails_over_in_the_simulator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seeds");
    let router = |name: &str| {
        run(&dir.join(name))
            .effective()
            .remove(0)
            .expect("runnable")
            .router
    };
    let (primary, secondary) = (router("en-primary.conf"), router("en-secondary.conf"));
    assert_eq!(primary.primary_address.to_string(), "172.16.16.5");
    assert_eq!(secondary.unicast_peers[0].addr.to_string(), "172.16.16.5");
    let mut net = sim::Network::new(1);
    let a = net.add_node("HAVIP-01", primary);
    let b = net.add_node("HAVIP-02", secondary);
    net.start(a);
    net.run_until(vrrp::Timestamp(1_000_000));
    net.start(b);
    net.run_until(vrrp::Timestamp(10_000_000));
    assert!(
        net.holds_vips(a) && !net.holds_vips(b),
        "HAVIP-01 starts first and becomes master"
    );
    net.crash(a);
    net.run_until(vrrp::Timestamp(20_000_000));
    assert!(net.holds_vips(b));
}
