//! keepalived's command-line flags that need more than a field (the values `-S` and `-u` take
//! are read in `daemon_cli`): what havipd does at once for `-u`, `-m` and `-t=LOG_FILE`, and the flags it
//! refuses, each with what to use instead. `tests/keepalived_flags.rs` runs every flag of
//! keepalived 2.2.7's and 2.4.3's `--help` against havipd.

use daemon_cli::Args;
use std::ffi::OsString;

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
}
