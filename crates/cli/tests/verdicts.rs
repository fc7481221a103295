//! Same verdict as keepalived: over a corpus of configs written the way people write them
//! (`tests/data/verdicts`), `havipd -t` exits with Debian keepalived 2.2.7's `keepalived -t`
//! code, and `havip check` says a config runs exactly when keepalived, started on it, keeps
//! running. Both run as root in one namespace holding the interfaces the config names, so a
//! verdict that depends on the host (an interface, a script, a user) is taken on the same host.
//!
//! Each config says where it comes from (`# source:`) and what it exercises (`# exercises:`);
//! `# absent: IF...` leaves interfaces it names out of the namespace, `# config-id: ID` runs
//! everything with `-i ID`, `# oracle: 2.4.3` takes keepalived 2.4.3 as the oracle (keywords
//! 2.2.7 does not have), `# live: no (why)` skips starting keepalived for real, and
//! `# keepalived-crashes: CODE (why)` expects `keepalived -t` to die by a signal (checked) and
//! `havipd -t` to exit CODE, and `# differs: runs (why)` expects havipd's verdict on running
//! to be the opposite of keepalived's (checked, so the line goes when the difference does).

mod netns;

use netns::{Netns, check_runs, interfaces};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One corpus config and what its header says.
struct Case {
    path: PathBuf,
    absent: Vec<String>,
    config_id: Option<String>,
    keepalived_24: bool,
    live: bool,
    /// keepalived -t dies by a signal on this config; havipd -t exits with this code (what
    /// keepalived's messages before the crash count for).
    crashes: Option<i32>,
    /// havipd's verdict on running differs from keepalived's, for the reason given.
    runs_differs: bool,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/verdicts")
}

fn cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the verdict corpus")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    paths.sort();
    paths.into_iter().map(case).collect()
}

/// A case with no header, for a file that may not exist.
fn case_for(path: PathBuf) -> Case {
    Case {
        path,
        absent: Vec::new(),
        config_id: None,
        keepalived_24: false,
        live: false,
        crashes: None,
        runs_differs: false,
    }
}

fn case(path: PathBuf) -> Case {
    let text = read_config(&path);
    let header = |key: &str| {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix(&format!("# {key}:")).map(str::trim))
            .map(str::to_string)
    };
    Case {
        absent: header("absent")
            .map(|a| a.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        config_id: header("config-id"),
        keepalived_24: header("oracle").as_deref() == Some("2.4.3"),
        live: !header("live").is_some_and(|l| l.starts_with("no")),
        runs_differs: header("differs").is_some_and(|d| d.starts_with("runs")),
        crashes: header("keepalived-crashes")
            .and_then(|c| c.split_whitespace().next().and_then(|n| n.parse().ok())),
        path,
    }
}

/// A corpus config's text, a leading byte-order mark left out (the header is after it).
fn read_config(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a corpus config");
    text.strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text)
}

impl Case {
    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn id_args(&self) -> Vec<String> {
        self.config_id
            .iter()
            .flat_map(|id| ["-i".to_string(), id.clone()])
            .collect()
    }

    fn keepalived(&self) -> PathBuf {
        if self.keepalived_24 {
            lab::daemon::keepalived_24_path().expect("keepalived 2.4.3 is built")
        } else {
            PathBuf::from("/usr/sbin/keepalived")
        }
    }
}

/// Exit code and standard error of `program ARGS -f CONFIG` in the namespace.
fn test_code(ns: &Netns, program: &Path, args: &[&str], case: &Case) -> (i32, String) {
    let out = ns
        .command(program)
        .args(args)
        .args(case.id_args())
        .arg("-f")
        .arg(&case.path)
        .current_dir("/")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), text)
}

/// Whether keepalived, started on the config in the namespace, is still running after a
/// while (it exits at once on a config it cannot run); stopped either way.
fn keepalived_starts(ns: &Netns, case: &Case, dir: &Path) -> (bool, String) {
    let log = dir.join("keepalived.log");
    let mut child = ns
        .command(case.keepalived())
        .args(["-n", "-l", "-D", "-f"])
        .arg(&case.path)
        .args(case.id_args())
        .arg("-p")
        .arg(dir.join("keepalived.pid"))
        .arg("-r")
        .arg(dir.join("vrrp.pid"))
        // keepalived 2.4.3 is built without the checker (it refuses `-c`). Debian's 2.2.7 has
        // BFD: without `-b` it takes /run/keepalived_bfd.pid, and a start beside another one
        // whose config has a `bfd_instance` sees "already running" and stops at once.
        .args(if case.keepalived_24 {
            vec![]
        } else {
            vec![
                "-c".into(),
                dir.join("checkers.pid"),
                "-b".into(),
                dir.join("bfd.pid"),
            ]
        })
        .current_dir("/")
        .stdout(std::fs::File::create(&log).expect("log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("keepalived runs");
    let deadline = Instant::now() + Duration::from_millis(2500);
    let mut exited = false;
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            exited = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    netns::stop(&mut child);
    (!exited, std::fs::read_to_string(&log).unwrap_or_default())
}

/// What keepalived, started on the corpus, leaves in /tmp (FIFOs, `track_file` init files: the
/// corpus names them all `/tmp/havip-verdicts*`), removed when the test ends, passed or not.
struct Litter;

impl Drop for Litter {
    fn drop(&mut self) {
        for entry in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("havip-verdicts")
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The verdicts on one config, or the disagreement.
fn compare(k: usize, case: &Case, dir: &Path) -> Result<(), String> {
    let mut names = interfaces(&case.path, case.config_id.as_deref());
    names.retain(|n| !case.absent.contains(n));
    let ns = Netns::new(format!("hvvd{}x{k}", std::process::id() % 100_000), &names);
    let work = dir.join(format!("run{k}"));
    std::fs::create_dir_all(&work).expect("work dir");
    let havipd = lab::daemon::havipd_path().expect("havipd is built next to havip");
    let (kc, ktext) = test_code(&ns, &case.keepalived(), &["-t", "-l", "-n"], case);
    let (hc, htext) = test_code(&ns, &havipd, &["-t", "-l"], case);
    let (runs, report) = check_runs(&ns, &case.path, &case.id_args());
    let mut problems = Vec::new();
    match case.crashes {
        Some(code) if kc != -1 || hc != code => problems.push(format!(
            "keepalived -t was to crash ({kc}) and havipd -t exit {code} ({hc})"
        )),
        None if kc != hc => problems.push(format!("keepalived -t exits {kc}, havipd -t {hc}")),
        _ => {}
    }
    let mut klog = String::new();
    if case.live {
        let (started, log) = keepalived_starts(&ns, case, &work);
        klog = log;
        if (started != runs) != case.runs_differs {
            problems.push(format!(
                "keepalived {}, havip check says it {}{}",
                if started { "runs" } else { "refuses to run" },
                if runs { "runs" } else { "cannot run" },
                if case.runs_differs {
                    " (the `# differs: runs` line no longer holds)"
                } else {
                    ""
                }
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{}: {}\n--- keepalived -t\n{ktext}--- havipd -t\n{htext}--- havip check\n{report}\
         --- keepalived run\n{}",
        case.name(),
        problems.join("; "),
        klog.lines().rev().take(8).collect::<Vec<_>>().join("\n")
    ))
}

#[test]
fn havipd_and_check_give_keepalived_s_verdict_on_the_corpus() {
    let keepalived_24 = lab::daemon::keepalived_24_path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/nonexistent/keepalived-2.4.3".into());
    if hostcheck::skip_reason(
        "verdicts against keepalived",
        &["/usr/sbin/keepalived", &keepalived_24],
    )
    .is_some()
    {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let _litter = Litter;
    let cases = cases();
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let chunks: Vec<_> = cases
            .iter()
            .enumerate()
            .collect::<Vec<_>>()
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                let chunk = chunk.to_vec();
                let dir = dir.path();
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(k, case)| compare(k, case, dir))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        chunks
            .into_iter()
            .flat_map(|h| h.join().expect("a worker"))
            .collect()
    });
    let broken: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    eprintln!(
        "verdicts over {} configs: {} agree with keepalived",
        cases.len(),
        cases.len() - broken.len()
    );
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
}

#[test]
fn a_file_that_cannot_be_read_gets_keepalived_s_code() {
    if hostcheck::skip_reason("verdict on a missing file", &["/usr/sbin/keepalived"]).is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let case = case_for(dir.path().join("absent.conf"));
    let ns = Netns::new(format!("hvvm{}", std::process::id() % 100_000), &[]);
    let havipd = lab::daemon::havipd_path().expect("havipd is built next to havip");
    let (kc, ktext) = test_code(&ns, &case.keepalived(), &["-t", "-l", "-n"], &case);
    let (hc, htext) = test_code(&ns, &havipd, &["-t", "-l"], &case);
    // keepalived 2.2.7 prints "Config files missing" and exits 0.
    assert_eq!((kc, hc), (0, 0), "{ktext}\n{htext}");
    assert!(
        !check_runs(&ns, &case.path, &case.id_args()).0,
        "a file that cannot be read cannot run"
    );
}

#[test]
fn every_corpus_config_says_where_it_comes_from_and_what_it_exercises() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} configs", cases.len());
    for case in &cases {
        let text = read_config(&case.path);
        for key in ["# source:", "# exercises:"] {
            assert!(
                text.lines()
                    .take_while(|l| l.starts_with('#'))
                    .any(|l| l.starts_with(key)),
                "{}: no `{key}` line",
                case.name()
            );
        }
    }
}

/// The keyword names of the keyword table (`conf::keywords::ROWS`), every section's.
fn keyword_names() -> Vec<String> {
    let mut names: Vec<String> = conf::keywords::ROWS
        .iter()
        .map(|r| r.keyword.to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_corpus_uses_every_vrrp_keyword() {
    let names = keyword_names();
    assert!(names.len() > 200, "only {} keywords read", names.len());
    let mut words = std::collections::HashSet::new();
    let mut stack = vec![corpus_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
                    words.extend(line.split_whitespace().map(str::to_string));
                }
            }
        }
    }
    let unused: Vec<&String> = names.iter().filter(|n| !words.contains(*n)).collect();
    assert!(unused.is_empty(), "keywords no config uses: {unused:?}");
}
