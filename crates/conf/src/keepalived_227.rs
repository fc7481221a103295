//! What keepalived 2.2.7, as Debian builds it, says of keywords havip reads as later keepalived
//! versions (or builds with namespaces, ipsets and dump-file support) do: "Unknown keyword"
//! (it ignores the line), no iptables support, and `global_tracking` deprecated. Each makes
//! `keepalived -t` exit 5. Found by running Debian's keepalived 2.2.7 on each keyword of
//! `keywords` alone; `auth_hmac` is not here: it is keepalived 2.4's, and havip follows 2.4.3
//! for it.

use crate::diag::{Diagnostic, Severity};
use crate::model::{Config, Settings};

/// `global_defs` keywords Debian's 2.2.7 does not know.
pub const GLOBAL: &[&str] = &[
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "email_from",
    "vrrp_ipsets",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "child_wait_time",
    "vrrp_track_process",
    "checker",
];

/// `vrrp_instance` keywords Debian's 2.2.7 does not know.
pub const INSTANCE: &[&str] = &["garp_group"];

/// `vrrp_sync_group` keywords Debian's 2.2.7 does not know.
pub const SYNC_GROUP: &[&str] = &["notify_deleted"];

/// Reports each use of a keyword keepalived 2.2.7 does not know.
pub fn check(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    if let Some(loc) = cfg.global.settings.loc("vrrp_iptables") {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "newer-keyword",
                loc.clone(),
                cfg.global.settings.text("vrrp_iptables"),
                "keepalived 2.2.7 (Debian's build) has no iptables support: it says so, uses \
                 nftables instead, and `keepalived -t` exits 5",
            )
            .hint("use `nftables` in global_defs"),
        );
    }
    let sections = std::iter::once((&cfg.global.settings, GLOBAL, "global_defs"))
        .chain(
            cfg.instances
                .iter()
                .map(|i| (&i.settings, INSTANCE, "vrrp_instance")),
        )
        .chain(
            cfg.sync_groups
                .iter()
                .map(|g| (&g.settings, SYNC_GROUP, "vrrp_sync_group")),
        );
    for (settings, keys, section) in sections {
        report(settings, keys, section, diags);
    }
    for g in &cfg.sync_groups {
        if let Some(loc) = g.settings.loc("global_tracking") {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "deprecated",
                    loc.clone(),
                    "global_tracking",
                    format!(
                        "({}) global_tracking is deprecated (keepalived 2.2.7 says so); it still \
                         applies the group's tracking to every member",
                        g.name
                    ),
                )
                .hint("put track_interface/track_script/track_file on the sync group"),
            );
        }
    }
}

fn report(settings: &Settings, keys: &[&str], section: &str, diags: &mut Vec<Diagnostic>) {
    for key in keys {
        if let Some(loc) = settings.loc(key) {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "newer-keyword",
                    loc.clone(),
                    settings.text(key),
                    format!(
                        "keepalived 2.2.7 (Debian's build) does not know `{key}` in {section}: \
                         it ignores the line and `keepalived -t` exits 5; havipd reads it"
                    ),
                )
                .hint("keep it for havipd or a later keepalived; remove it for keepalived 2.2.7"),
            );
        }
    }
}
