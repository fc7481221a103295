//! Where log lines go: the console with `-l` (as keepalived), otherwise the journal when
//! systemd's is running, otherwise syslog with keepalived's facility (`-S 0-7` or `local0-7`,
//! `user`, `daemon`: the default). `HAVIP_LOG` (`LEVEL` or `target=LEVEL,...` directives) overrides the
//! level; a value that does not parse is reported and the default level kept. Target filters
//! need no regular expressions, so none are linked into the daemon.

use daemon_cli::LogFacility;
use syslog_tracing::{Facility, Options, Syslog};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn facility(f: Option<LogFacility>) -> Facility {
    match f {
        Some(LogFacility::Local(0)) => Facility::Local0,
        Some(LogFacility::Local(1)) => Facility::Local1,
        Some(LogFacility::Local(2)) => Facility::Local2,
        Some(LogFacility::Local(3)) => Facility::Local3,
        Some(LogFacility::Local(4)) => Facility::Local4,
        Some(LogFacility::Local(5)) => Facility::Local5,
        Some(LogFacility::Local(6)) => Facility::Local6,
        Some(LogFacility::Local(7)) => Facility::Local7,
        Some(LogFacility::User) => Facility::User,
        _ => Facility::Daemon,
    }
}

/// Installs the global subscriber.
pub fn init(console: bool, detail: bool, syslog_facility: Option<LogFacility>) {
    let level = if detail { "debug" } else { "info" };
    let filter = || filter_from(std::env::var("HAVIP_LOG").ok().as_deref(), level);
    let console_fmt = || {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
    };
    if console {
        tracing_subscriber::registry()
            .with(filter())
            .with(console_fmt())
            .init();
        return;
    }
    if std::path::Path::new("/run/systemd/journal/socket").exists()
        && let Ok(journal) = tracing_journald::layer()
    {
        tracing_subscriber::registry()
            .with(filter())
            .with(journal.with_syslog_identifier("havipd".into()))
            .init();
        return;
    }
    match Syslog::new(c"havipd", Options::LOG_PID, facility(syslog_facility)) {
        Some(syslog) => tracing_subscriber::registry()
            .with(filter())
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(false)
                    .without_time()
                    .with_level(false)
                    .with_writer(syslog),
            )
            .init(),
        None => tracing_subscriber::registry()
            .with(filter())
            .with(console_fmt())
            .init(),
    }
}

/// The filter `HAVIP_LOG` asks for, or `default` (a level) when it is unset or does not parse.
fn filter_from(directives: Option<&str>, default: &str) -> Targets {
    let fallback = || default.parse().unwrap_or_default();
    match directives.map(str::parse::<Targets>) {
        None => fallback(),
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            eprintln!("havipd: HAVIP_LOG ignored ({e}); logging at {default}");
            fallback()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn havip_log_sets_levels_per_target_and_a_bad_value_keeps_the_default() {
        let t = filter_from(Some("warn,daemon::run=trace"), "info");
        assert!(t.would_enable("daemon::run", &Level::TRACE));
        assert!(!t.would_enable("daemon::reload", &Level::INFO));
        assert!(t.would_enable("daemon::reload", &Level::WARN));
        let bad = filter_from(Some("daemon=loud"), "info");
        assert_eq!(bad.default_level(), Some(LevelFilter::INFO));
        assert_eq!(
            filter_from(None, "debug").default_level(),
            Some(LevelFilter::DEBUG)
        );
    }
}
