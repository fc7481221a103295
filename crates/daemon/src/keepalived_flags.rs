//! keepalived's command-line flags that need more than a field: the values keepalived accepts
//! (`-S`, `-u`), what havipd does at once for `-u`, `-m` and `-t=LOG_FILE`, and the flags it
//! refuses, each with what to use instead. `tests/keepalived_flags.rs` runs every flag of
//! keepalived 2.2.7's and 2.4.3's `--help` against havipd.

use crate::Args;
use std::ffi::OsString;

/// A syslog facility as keepalived's `-S` takes it: `0`-`7` or `local0`-`local7`, `user`,
/// `daemon`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFacility {
    /// LOG_LOCAL0 to LOG_LOCAL7.
    Local(u8),
    /// LOG_USER.
    User,
    /// LOG_DAEMON (keepalived's default).
    Daemon,
}

/// Parses `-S`'s value as keepalived does.
pub fn parse_facility(s: &str) -> Result<LogFacility, String> {
    let n = s.strip_prefix("local").unwrap_or(s);
    match (n.parse::<u8>(), s) {
        (Ok(n @ 0..=7), _) => Ok(LogFacility::Local(n)),
        (_, "user") => Ok(LogFacility::User),
        (_, "daemon") => Ok(LogFacility::Daemon),
        _ => Err(format!(
            "invalid log facility `{s}`: 0-7, local0-local7, user or daemon"
        )),
    }
}

/// Parses `-u`'s value as keepalived does (`strtol` base 0: `022` is octal, `0x12` hex, `18`
/// decimal), up to 0777.
pub fn parse_umask(s: &str) -> Result<u32, String> {
    let parsed = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8)
    } else {
        s.parse()
    };
    match parsed {
        Ok(m) if m <= 0o777 => Ok(m),
        _ => Err(format!("invalid umask `{s}`: a number up to 0777")),
    }
}

/// The command line with keepalived's getopt spelling of `-t`'s optional value, `-tLOG_FILE`,
/// written as `--config-test=LOG_FILE` (the form the parser takes).
pub fn getopt_spellings(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    args.into_iter()
        .map(|a| match a.to_str().and_then(|t| t.strip_prefix("-t")) {
            Some(file) if !file.is_empty() && !file.starts_with('=') => {
                format!("--config-test={file}").into()
            }
            _ => a,
        })
        .collect()
}

/// Why `-T` (`--genhash`, keepalived's genhash utility mode) is refused.
pub const GENHASH: &str = "-T (--genhash) is not supported: havipd has no health checker: use keepalived's `genhash` (`keepalived -T`)";

/// The first flag given that havipd refuses, with the message naming what to use instead.
pub fn refusal(args: &Args) -> Option<String> {
    let refused: [(bool, &str, &str); 8] = [
        (
            args.checker_only,
            "-C (--check)",
            "havipd has no health checker (it is keepalived -P, the VRRP side only): run the checker with `keepalived -C`",
        ),
        (
            args.address_monitoring,
            "-a (--address-monitoring)",
            "havipd does not log every address change: use `ip monitor address`, and `havip events --follow` for havipd's own",
        ),
        (
            args.dump_conf,
            "-d (--dump-conf)",
            "use `havip check -f FILE --explain` for the configuration as read, or SIGUSR1 (`kill -USR1 PID`) for keepalived.data",
        ),
        (
            args.dont_release_vrrp,
            "-V (--dont-release-vrrp)",
            "havipd removes its addresses and routes when it stops, as keepalived does by default: use --handover-on-stop for a stop the peer covers without an outage",
        ),
        (
            args.release_vips,
            "-X (--release-vips)",
            "havipd removes only the addresses it added: remove another's with `ip addr del`",
        ),
        (
            args.core_dump_pattern.is_some(),
            "-M (--core-dump-pattern)",
            "set the pattern with `sysctl kernel.core_pattern=PATN` and give -m for the core dump",
        ),
        (
            args.all_config,
            "-e (--all-config)",
            "`havipd -t` and `havip check` report a missing include (include-unreadable, include-no-match): check before starting",
        ),
        (
            args.ignore_sigint,
            "--ignore-sigint",
            "under gdb, `handle SIGINT nostop noprint nopass` keeps SIGINT from havipd",
        ),
    ];
    refused
        .iter()
        .find(|(given, _, _)| *given)
        .map(|(_, flag, what)| format!("{flag} is not supported: {what}"))
}

/// Does at once what `-u`, `-m` and `-t=LOG_FILE` ask, before anything else runs.
pub fn apply_process_flags(args: &Args) -> Result<(), String> {
    if let Some(mask) = args.umask {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(mask));
    }
    if args.core_dump {
        use nix::sys::resource::{RLIM_INFINITY, Resource, setrlimit};
        setrlimit(Resource::RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY)
            .map_err(|e| format!("-m: cannot lift the core size limit: {e}"))?;
    }
    if let Some(Some(log)) = &args.config_test
        && !log.is_empty()
    {
        // keepalived's -t=LOG_FILE: the check's output goes to the file, appended.
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(log)
            .map_err(|e| format!("Unable to open config-test log file {log}: {e}"))?;
        nix::unistd::dup2_stderr(&file).map_err(|e| format!("-t={log}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attached_config_test_file_is_getopt_s_optional_value() {
        let line = |v: &[&str]| getopt_spellings(v.iter().map(OsString::from));
        assert_eq!(
            line(&["havipd", "-t/tmp/x.log", "-t", "-t=/y", "-f", "-tz"]),
            [
                "havipd",
                "--config-test=/tmp/x.log",
                "-t",
                "-t=/y",
                "-f",
                "--config-test=z"
            ]
        );
    }

    #[test]
    fn facilities_and_umasks_read_as_keepalived_reads_them() {
        assert_eq!(parse_facility("3"), Ok(LogFacility::Local(3)));
        assert_eq!(parse_facility("local7"), Ok(LogFacility::Local(7)));
        assert_eq!(parse_facility("user"), Ok(LogFacility::User));
        assert_eq!(parse_facility("daemon"), Ok(LogFacility::Daemon));
        assert!(parse_facility("8").is_err());
        assert!(parse_facility("local8").is_err());
        assert_eq!(parse_umask("022"), Ok(0o22));
        assert_eq!(parse_umask("0x12"), Ok(0x12));
        assert_eq!(parse_umask("18"), Ok(18));
        assert_eq!(parse_umask("0"), Ok(0));
        assert!(parse_umask("0778").is_err());
        assert!(parse_umask("1000").is_err());
        assert!(parse_umask("abc").is_err());
    }
}
