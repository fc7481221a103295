//! havipd's command line: its clap definition and the values keepalived's flags take, apart
//! from the daemon so that the lab (which checks `havipd_args`) and the packaging tools (man
//! page, completions) read it without linking the daemon.

use clap::Parser;
use std::path::PathBuf;

/// Command line, compatible with keepalived's common flags.
#[derive(Clone, Parser)]
#[command(
    name = "havipd",
    version,
    disable_version_flag = true,
    args_override_self = true,
    about = "keepalived-compatible VRRP daemon",
    long_about = "keepalived-compatible VRRP daemon.\n\n\
        havipd runs the vrrp_instance, vrrp_sync_group, vrrp_script and track blocks of an \
        existing keepalived.conf: VRRPv2 and VRRPv3 over IPv4 and IPv6, multicast or unicast, \
        virtual addresses and routes through netlink, gratuitous ARP and unsolicited neighbour \
        advertisements, notify scripts and auth_hmac. It stays in the foreground and logs to the \
        journal under systemd, to syslog otherwise, or to standard error with -l. The process \
        started runs the VRRP work in a child it restarts if it dies; if the parent dies, even \
        by SIGKILL, the child resigns its masters and removes its addresses. `havip \
        status`, `havip events`, `havip reload` and `havip maintenance` talk to it over its \
        control socket."
)]
pub struct Args {
    /// Configuration file.
    #[arg(short = 'f', long = "use-file", default_value = conf::DEFAULT_CONFIG)]
    pub file: PathBuf,
    /// Stay in the foreground (havipd never daemonizes; accepted for keepalived compatibility).
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Log to the console (standard error).
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Syslog facility, 0-7 or local0-local7, user or daemon (the default), used when neither
    /// the console (-l) nor the journal takes the log.
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY", value_parser = parse_facility)]
    pub log_facility: Option<LogFacility>,
    /// Do not log via syslog (nor the journal): with -l to the console only, else nowhere.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// umask for the files havipd creates (numeric: 022, 0x12, 18).
    #[arg(short = 'u', long = "umask", value_name = "MASK", value_parser = parse_umask)]
    pub umask: Option<u32>,
    /// Lift the core size limit, so that a crash dumps core.
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Check the configuration and exit with keepalived 2.2.7's code: 0 nothing to report,
    /// 4 cannot run, 5 configuration errors, 6 scripts without script security. With
    /// =LOG_FILE the report is appended to LOG_FILE instead of standard error.
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1, require_equals = true)]
    pub config_test: Option<Option<String>>,
    /// Pid file.
    #[arg(short = 'p', long = "pid")]
    pub pid_file: Option<PathBuf>,
    /// The VRRP worker's pid file.
    #[arg(short = 'r', long = "vrrp_pid")]
    pub vrrp_pid_file: Option<PathBuf>,
    /// keepalived's checker pid file (havipd runs no checker; accepted for compatibility).
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid_file: Option<PathBuf>,
    /// keepalived's BFD pid file (havipd's BFD sessions run in its VRRP worker, which has no pid
    /// file of its own for them; accepted for compatibility).
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid_file: Option<PathBuf>,
    /// Run the VRRP work in the network namespace NAME (`/run/netns/NAME`), overriding the
    /// config's `net_namespace`.
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// Do not restart a VRRP worker that died: stop havipd instead.
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Run only the VRRP side (havipd has nothing else; accepted for compatibility).
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// keepalived's -B (accepted; havipd still runs the config's `bfd_instance` sessions, in its
    /// VRRP worker).
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Run every child even without configuration for it. havipd's one child, the VRRP
    /// worker, runs whenever the config has a vrrp_instance; without one havipd does not start
    /// (no-vrrp-instance), where keepalived's VRRP child would wait idle for a reload.
    #[arg(long = "all")]
    pub all: bool,
    /// Leave the IPVS topology on stop (havipd sets up none; accepted for compatibility).
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    /// keepalived's -C (refused: havipd has no checker).
    #[arg(short = 'C', long = "check", hide = true)]
    pub checker_only: bool,
    /// keepalived's -x: serve every VRRP MIB (enable_snmp_vrrp, _rfcv2, _rfcv3).
    #[arg(short = 'x', long = "snmp", hide = true)]
    pub snmp: bool,
    /// keepalived's -A: the AgentX master's address unless `snmp_socket` names one.
    #[arg(short = 'A', long = "snmp-agent-socket", hide = true)]
    pub snmp_agent_socket: Option<String>,
    /// keepalived's -a (refused).
    #[arg(short = 'a', long = "address-monitoring", hide = true)]
    pub address_monitoring: bool,
    /// keepalived's -d (refused).
    #[arg(short = 'd', long = "dump-conf", hide = true)]
    pub dump_conf: bool,
    /// keepalived's -V (refused).
    #[arg(short = 'V', long = "dont-release-vrrp", hide = true)]
    pub dont_release_vrrp: bool,
    /// keepalived's -X (refused).
    #[arg(short = 'X', long = "release-vips", hide = true)]
    pub release_vips: bool,
    /// keepalived's -M (refused).
    #[arg(short = 'M', long = "core-dump-pattern", hide = true, num_args = 0..=1)]
    pub core_dump_pattern: Option<Option<String>>,
    /// keepalived's -e (refused).
    #[arg(short = 'e', long = "all-config", hide = true)]
    pub all_config: bool,
    /// keepalived's --ignore-sigint (refused).
    #[arg(long = "ignore-sigint", hide = true)]
    pub ignore_sigint: bool,
    /// keepalived's config id, selecting `@id` lines.
    #[arg(short = 'i', long = "config-id")]
    pub config_id: Option<String>,
    /// Where state files, the transition log and the control socket go. Default: /run/havip,
    /// or, when -p, -s or the config's net_namespace, instance or use_pid_dir make keepalived
    /// use another main pid file, that pid file's path followed by `.havip`.
    #[arg(long = "state-dir", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// On SIGTERM, hand each master over to a peer make-before-break (as `havip maintenance
    /// on`) and stop once the successor has taken the addresses, instead of resigning and
    /// removing them at once (keepalived's stop). Bounded by Master_Down_Interval.
    #[arg(long = "handover-on-stop")]
    pub handover_on_stop: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics (off by default). An address other
    /// than loopback needs --metrics-token-file.
    #[arg(long = "metrics-listen", value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// A file holding the bearer token scrapers must send (`Authorization: Bearer TOKEN`).
    #[arg(long = "metrics-token-file", value_name = "FILE")]
    pub metrics_token_file: Option<PathBuf>,
    /// Print the number of the signal that asks for NAME (STOP, RELOAD, DATA, STATS, JSON)
    /// and exit, as keepalived does.
    #[arg(long = "signum", value_name = "NAME")]
    pub signum: Option<String>,
    /// The mover settings (keepalived.conf syntax; see docs/mover.md): which cloud API moves
    /// each instance's VIPs to this server when it becomes MASTER. Checked at start with
    /// `havip check --mover FILE`'s checks (havipd does not start with an error in it), and
    /// read again on every reload (an error in it refuses the reload).
    #[arg(long = "mover", value_name = "FILE")]
    pub mover: Option<PathBuf>,
}

/// havipd's command line definition, for man pages and completions.
pub fn command() -> clap::Command {
    <Args as clap::CommandFactory>::command()
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
