//! keepalived's `-t` exit code for a checked config (what `havipd -t` exits with).
//!
//! keepalived keeps, over everything it reports while reading a config, the greatest of its
//! levels (`config_err_t`, lib/parser.h) and `-t` exits with it: 4 for the levels that mean it
//! cannot run (a file not found, a bad interface, a fatal error), 5 for every other
//! configuration error or warning, 6 for script security. The greatest, not the most severe:
//! an unknown keyword beside a fatal error exits 5. Measured on keepalived 2.2.7 (Debian) by
//! `crates/cli/tests/verdicts.rs`; where 2.2.7 differs from its source's intent, it is what
//! 2.2.7 does that counts:
//! - a configuration file that cannot be read, or an `include` that matches nothing, only
//!   prints "Config files missing": 0;
//! - a missing interface stops the check before scripts are looked at, so a config with both
//!   exits 5, not 6.

use crate::diag::{Diagnostic, Severity};
use crate::model::Config;

/// How a diagnostic counts in keepalived's `-t` exit code, from the lowest to the greatest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TestLevel {
    /// keepalived says nothing, or nothing that counts (havip's own advice and notes).
    Silent,
    /// keepalived cannot run the config (`CONFIG_FATAL`, `CONFIG_BAD_IF`): exit 4.
    CannotRun,
    /// A configuration error or warning keepalived runs past: exit 5.
    Error,
    /// Scripts configured without `enable_script_security`: exit 6.
    Security,
}

/// Diagnostics keepalived has no counterpart for, or reports without counting it.
const SILENT: &[&str] = &[
    "sample-values",
    "pasted-unicode",
    // keepalived leaves `$NAME` as written without a word.
    "undefined-parameter",
    // keepalived 2.2.7: "Config files missing", exit 0.
    "file-unreadable",
    "include-unreadable",
    "include-no-match",
    // keepalived 2.2.7 opens the file again until it runs out of descriptors, then skips it
    // with a log line that does not count.
    "include-cycle",
    // keepalived's VRRP process with no instance just waits.
    "no-vrrp-instance",
    // keepalived runs IPVS and BFD; havip only says it does not.
    "not-supported",
    // What havipd does not do yet (the keyword table's status) is not keepalived's complaint.
    "not-done",
    // havip's own advice.
    "peer-is-self",
    // keepalived runs an instance whatever its name; havipd too, with a safe state file name.
    "instance-file-name",
];

/// Diagnostics of havipd's own refusals, where keepalived would run unauthenticated.
const CANNOT_RUN: &[&str] = &["auth-hmac-active-key"];

/// How `d` counts in keepalived's `-t` exit code.
pub fn test_level(d: &Diagnostic) -> TestLevel {
    // keepalived reads pasted characters as part of the words (an unknown keyword, a bad
    // value); only a CR before the line end is removed without a word.
    if d.code == "pasted-unicode" {
        return if d.message.contains("CRLF line ending") {
            TestLevel::Silent
        } else {
            TestLevel::Error
        };
    }
    if d.severity == Severity::Info || d.code.starts_with("cloud-") || SILENT.contains(&d.code) {
        TestLevel::Silent
    } else if d.code == "script-security" {
        TestLevel::Security
    } else if CANNOT_RUN.contains(&d.code) {
        TestLevel::CannotRun
    } else {
        TestLevel::Error
    }
}

/// keepalived 2.2.7's `keepalived -t` exit code for `cfg` checked with `diagnostics`.
pub fn config_test_code(cfg: &Config, diagnostics: &[Diagnostic]) -> u8 {
    // Under dynamic_interfaces keepalived waits for a missing interface without a word.
    let dynamic = cfg.global.settings.has("dynamic_interfaces");
    let bad_interface = !dynamic
        && diagnostics
            .iter()
            .any(|d| d.code == "no-such-interface" && d.severity == Severity::Error);
    let level = diagnostics
        .iter()
        .filter(|d| !(dynamic && d.code == "no-such-interface"))
        .map(test_level)
        .filter(|l| !(bad_interface && *l == TestLevel::Security))
        .max()
        .unwrap_or(TestLevel::Silent);
    match level {
        TestLevel::Silent => 0,
        TestLevel::CannotRun => 4,
        TestLevel::Error => 5,
        TestLevel::Security => 6,
    }
}

#[cfg(test)]
mod tests {
    use crate::host::FakeHost;
    use crate::reader::MemoryFiles;
    use crate::{Options, check};
    use std::path::Path;

    fn code(text: &str, interfaces: &[&str]) -> u8 {
        let files = MemoryFiles(
            [("/k/keepalived.conf".into(), text.as_bytes().to_vec())]
                .into_iter()
                .collect(),
        );
        let host = FakeHost {
            interfaces: interfaces.iter().map(|s| s.to_string()).collect(),
            scripts: vec!["/bin/true".into()],
            ..Default::default()
        };
        check(
            &files,
            Path::new("/k/keepalived.conf"),
            Some(&host),
            &Options::default(),
        )
        .config_test_code()
    }

    const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n \
                            virtual_ipaddress {\n  10.0.0.1\n }\n EXTRA\n}\n";

    fn with(extra: &str) -> String {
        INSTANCE.replace("EXTRA", extra)
    }

    #[test]
    fn keepalived_s_greatest_level() {
        assert_eq!(code(&with(""), &["eth0"]), 0);
        assert_eq!(code(&with("priorty 5"), &["eth0"]), 5);
        assert_eq!(code(&with("notify_master /bin/true"), &["eth0"]), 6);
        // Security is the greatest level: an unknown keyword beside it still exits 6.
        assert_eq!(
            code(&with("notify_master /bin/true\n priorty 5"), &["eth0"]),
            6
        );
        // A missing interface stops keepalived's check before scripts: 5.
        assert_eq!(code(&with("notify_master /bin/true"), &[]), 5);
        // A missing script is dropped before security is looked at.
        assert_eq!(code(&with("notify_master /nonexistent.sh"), &["eth0"]), 0);
    }

    #[test]
    fn what_keepalived_2_2_7_does_not_count() {
        // No file: "Config files missing", exit 0.
        let files = MemoryFiles::default();
        let r = check(&files, Path::new("/none.conf"), None, &Options::default());
        assert_eq!(r.config_test_code(), 0);
        assert!(!r.runnable());
        // No instance, a missing include, an undefined parameter: nothing keepalived counts.
        assert_eq!(code("global_defs {\n router_id a\n}\n", &[]), 0);
        let text = format!("include /k/none.conf\n{}", with("priority $P"));
        assert_eq!(code(&text, &["eth0"]), 5, "the bad priority counts");
        let text = format!("include /k/none.conf\n{}", with("# $P"));
        assert_eq!(code(&text, &["eth0"]), 0);
        // dynamic_interfaces: keepalived waits for the interface without a word.
        let text = format!("global_defs {{\n dynamic_interfaces\n}}\n{}", with(""));
        assert_eq!(code(&text, &[]), 0);
        // An instance name that is not a file name: keepalived 2.2.7 runs it (exit 0).
        let text = with("").replace("VI_1", "../../etc/x");
        assert_eq!(code(&text, &["eth0"]), 0);
    }
}
