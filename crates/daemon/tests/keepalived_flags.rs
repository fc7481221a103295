//! Every flag of keepalived 2.2.7's and 2.4.3's `--help`, read from the real binaries (a flag a
//! new keepalived adds fails this test until havipd's handling of it is decided), run against
//! havipd in its short and long forms: a flag havipd accepts exits as keepalived does on the
//! same command line (`-t` on the same config, or alone for `-v`, `-h`, `--signum`); a flag it
//! refuses exits 1, as keepalived on a bad option, naming what to use instead.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEEPALIVED_22: &str = "/usr/sbin/keepalived";

fn keepalived_24() -> String {
    format!(
        "{}/../../target/keepalived-2.4.3/sbin/keepalived",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// One flag of a keepalived `--help`.
#[derive(Clone, Debug, PartialEq)]
struct Flag {
    short: Option<char>,
    long: String,
    /// `=VALUE` or ` VALUE`: a value is required; `[=VALUE]`: it may be given.
    value: Value,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    None,
    Required,
    Optional,
}

/// The flags listed by `keepalived --help` (printed on standard error).
fn help_flags(binary: &str) -> Vec<Flag> {
    let out = Command::new(binary).arg("--help").output().expect("--help");
    assert_eq!(out.status.code(), Some(0), "{binary} --help");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    text.lines().filter_map(parse_help_line).collect()
}

fn parse_help_line(line: &str) -> Option<Flag> {
    let t = line.trim_start();
    let (short, rest) = match t.strip_prefix('-')? {
        r if r.starts_with('-') => (None, t),
        r => {
            let mut c = r.chars();
            let short = c.next()?;
            (Some(short), c.as_str().strip_prefix(", ")?)
        }
    };
    let rest = rest.strip_prefix("--")?;
    let end = rest.find([' ', '=', '[']).unwrap_or(rest.len());
    let after = &rest[end..];
    let value = if after.starts_with('=') {
        Value::Required
    } else if after.starts_with('[') {
        Value::Optional
    } else if after.starts_with(' ') && !after.starts_with("  ") {
        Value::Required
    } else {
        Value::None
    };
    Some(Flag {
        short,
        long: rest[..end].to_string(),
        value,
    })
}

/// What havipd does with a keepalived flag.
#[derive(Clone, Copy, Debug)]
enum Handling {
    /// Accepted with keepalived's meaning, tried after `-t -f CONFIG`.
    Checked,
    /// Accepted, tried alone (it exits at once: version, help, signal numbers).
    Alone,
    /// Refused with exit 1, the message naming this alternative.
    Refused(&'static str),
}

fn handling(long: &str) -> Option<Handling> {
    use Handling::*;
    Some(match long {
        "use-file" | "vrrp" | "no_bfd" | "all" | "log-console" | "log-detail" | "log-facility"
        | "no-syslog" | "umask" | "dont-respawn" | "dont-fork" | "pid" | "vrrp_pid"
        | "checkers_pid" | "bfd_pid" | "namespace" | "core-dump" | "config-id" | "config-test"
        | "dont-release-ipvs" | "snmp" | "snmp-agent-socket" => Checked,
        "version" | "help" | "signum" => Alone,
        "check" => Refused("keepalived -C"),
        "genhash" => Refused("genhash"),
        "address-monitoring" => Refused("ip monitor address"),
        "dump-conf" => Refused("havip check -f FILE --explain"),
        "dont-release-vrrp" => Refused("--handover-on-stop"),
        "release-vips" => Refused("ip addr del"),
        "core-dump-pattern" => Refused("sysctl kernel.core_pattern"),
        "all-config" => Refused("havipd -t"),
        "ignore-sigint" => Refused("handle SIGINT"),
        _ => return None,
    })
}

/// The value a flag is given here.
fn value_for(long: &str, scratch: &Scratch) -> String {
    let file = |name: &str| scratch.dir.join(name).display().to_string();
    match long {
        "use-file" => scratch.conf.display().to_string(),
        "log-facility" => "local3".into(),
        "umask" => "022".into(),
        "namespace" => scratch.ns.clone(),
        "config-id" => "node1".into(),
        "signum" => "RELOAD".into(),
        "config-test" => file("check.log"),
        "core-dump-pattern" => "core".into(),
        "genhash" => "-h".into(),
        other => file(other),
    }
}

/// The command lines trying `flag`: its short form and its long form, with a value when it
/// takes one (an optional value as getopt takes it: `-fVALUE`, `--flag=VALUE`).
fn forms(flag: &Flag, scratch: &Scratch) -> Vec<Vec<String>> {
    let value = value_for(&flag.long, scratch);
    let mut forms = Vec::new();
    if let Some(c) = flag.short {
        let mut f = vec![format!("-{c}")];
        if flag.value == Value::Required {
            f.push(value.clone());
        }
        forms.push(f);
        if flag.value == Value::Optional {
            // getopt's optional value is attached: `-tLOG_FILE`.
            forms.push(vec![format!("-{c}{value}")]);
        }
    }
    forms.push(match flag.value {
        Value::None => vec![format!("--{}", flag.long)],
        _ => vec![format!("--{}={value}", flag.long)],
    });
    forms
}

/// A config, a scratch directory and a namespace (for `-s`), removed on drop.
struct Scratch {
    dir: PathBuf,
    conf: PathBuf,
    ns: String,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("havipd-flags-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let conf = dir.join("keepalived.conf");
        std::fs::write(
            &conf,
            "vrrp_instance VI_1 {\n  state BACKUP\n  interface lo\n  virtual_router_id 51\n  \
             priority 100\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.10/32\n  }\n}\n",
        )
        .expect("config");
        let ns = format!("hvflags{}", std::process::id());
        let made = Command::new("ip").args(["netns", "add", &ns]).status();
        assert!(made.is_ok_and(|s| s.success()), "ip netns add {ns}");
        Scratch { dir, conf, ns }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(binary: &Path, args: &[String]) -> Output {
    Command::new(binary).args(args).output().expect("runs")
}

fn checked_line(scratch: &Scratch, form: &[String]) -> Vec<String> {
    let mut line = vec![
        "-t".to_string(),
        "-f".into(),
        scratch.conf.display().to_string(),
    ];
    line.extend(form.iter().cloned());
    line
}

/// Tries one flag (listed by `keepalived`) on havipd; the failures, if any.
fn try_flag(keepalived: &str, flag: &Flag, scratch: &Scratch, havipd: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let Some(handling) = handling(&flag.long) else {
        return vec![format!(
            "{keepalived} --{}: a keepalived flag havipd has no handling for",
            flag.long
        )];
    };
    for form in forms(flag, scratch) {
        let line = match handling {
            Handling::Checked => checked_line(scratch, &form),
            _ => form.clone(),
        };
        let ours = run(havipd, &line);
        let said = String::from_utf8_lossy(&ours.stderr).into_owned();
        match handling {
            Handling::Refused(alternative) => {
                if ours.status.code() != Some(1) || !said.contains(alternative) {
                    failures.push(format!(
                        "havipd {}: {:?}, not 1 naming `{alternative}`: {said}",
                        line.join(" "),
                        ours.status.code()
                    ));
                }
            }
            Handling::Checked | Handling::Alone => {
                let theirs = run(Path::new(keepalived), &line);
                if ours.status.code() != theirs.status.code() {
                    failures.push(format!(
                        "havipd {}: exit {:?}, {keepalived}: {:?}\n{said}",
                        line.join(" "),
                        ours.status.code(),
                        theirs.status.code()
                    ));
                }
            }
        }
    }
    failures
}

#[test]
fn every_keepalived_flag_is_accepted_as_keepalived_takes_it_or_refused_naming_what_to_use() {
    let ka24 = keepalived_24();
    if hostcheck::skip_reason("keepalived flags", &[KEEPALIVED_22, &ka24]).is_some() {
        return;
    }
    let havipd = PathBuf::from(env!("CARGO_BIN_EXE_havipd"));
    let scratch = Scratch::new();
    let mut failures = Vec::new();
    let mut tried = 0;
    for keepalived in [KEEPALIVED_22, ka24.as_str()] {
        let flags = help_flags(keepalived);
        assert!(flags.len() > 20, "{keepalived} --help: {flags:?}");
        for flag in &flags {
            failures.extend(try_flag(keepalived, flag, &scratch, &havipd));
            tried += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{tried} flags of keepalived 2.2.7 and 2.4.3 tried");
}

/// What the accepted flags do beyond their exit code: `-v` prints havipd's version,
/// `-t=LOG_FILE` appends the report to the file, made under `-u`'s mask; a facility
/// keepalived would not take is named.
#[test]
fn accepted_flags_do_what_keepalived_does_with_them() {
    let havipd = PathBuf::from(env!("CARGO_BIN_EXE_havipd"));
    let version = run(&havipd, &["-v".into()]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("havipd {}", env!("CARGO_PKG_VERSION"))
    );
    let dir = std::env::temp_dir().join(format!("havipd-flag-effects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let conf = dir.join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n  interface lo\n  virtual_router_id 300\n}\n",
    )
    .expect("config");
    let log = dir.join("check.log");
    let checked = run(
        &havipd,
        &[
            "-u".into(),
            "077".into(),
            format!("--config-test={}", log.display()),
            "-f".into(),
            conf.display().to_string(),
        ],
    );
    let written = std::fs::read_to_string(&log).unwrap_or_default();
    let mode = std::fs::metadata(&log).map(|m| m.permissions().mode() & 0o777);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(checked.status.code(), Some(5), "{checked:?}");
    assert!(checked.stderr.is_empty(), "{checked:?}");
    assert!(written.contains("virtual_router_id"), "{written}");
    assert_eq!(mode.ok(), Some(0o600), "the log file's mode under -u 077");
    let bad = run(&havipd, &["-S".into(), "local8".into()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("local0-local7"));
}
