//! keepalived's signal names (`--signum=NAME`) and their numbers on this system.

/// The names havipd answers to.
pub const NAMES: [&str; 5] = ["STOP", "RELOAD", "DATA", "STATS", "JSON"];

/// SIGRTMIN+2: keepalived's JSON dump signal.
pub fn json() -> i32 {
    libc::SIGRTMIN() + 2
}

/// The number of the signal `name` stands for.
pub fn number(name: &str) -> Option<i32> {
    Some(match name.to_ascii_uppercase().as_str() {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => libc::SIGUSR1,
        "STATS" => libc::SIGUSR2,
        "JSON" => json(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_keepalived_s_on_linux() {
        assert_eq!(super::number("data"), Some(10));
        assert_eq!(super::number("STATS"), Some(12));
        assert_eq!(super::number("JSON"), Some(36));
        assert_eq!(super::number("RELOAD"), Some(1));
        assert_eq!(super::number("nope"), None);
    }
}

/// Which dump a signal asked for.
#[derive(Clone, Copy, Debug)]
pub enum Dump {
    /// SIGUSR1: keepalived.data.
    Data,
    /// SIGUSR2: keepalived.stats.
    Stats,
    /// SIGRTMIN+2: keepalived.json.
    Json,
}
