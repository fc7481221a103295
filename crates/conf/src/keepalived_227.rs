//! What keepalived 2.2.7, as Debian builds it, says of keywords havip reads as later keepalived
//! versions (or builds with namespaces, ipsets and dump-file support) do: "Unknown keyword"
//! (it ignores the line), no iptables support, and `global_tracking` deprecated. Each makes
//! `keepalived -t` exit 5. Which keywords are later than 2.2.7 is the keyword table's `since`
//! (checked against both versions' sources by `tests/keyword_contract.rs`); `auth_hmac` is not
//! here: it is keepalived 2.4's, and havip follows 2.4.3 for it.

use crate::diag::{Diagnostic, Severity};
use crate::keywords::{self, Section};
use crate::model::{Config, Settings};

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
    let sections = std::iter::once((&cfg.global.settings, Section::Global, "global_defs"))
        .chain(
            cfg.instances
                .iter()
                .map(|i| (&i.settings, Section::Instance, "vrrp_instance")),
        )
        .chain(
            cfg.sync_groups
                .iter()
                .map(|g| (&g.settings, Section::SyncGroup, "vrrp_sync_group")),
        );
    for (settings, section, name) in sections {
        report(settings, section, name, diags);
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

/// Whether the keyword table says keepalived 2.2.7 does not have `key` in `section`: its row's
/// `since` is a later version. `auth_hmac` is left out: havip follows 2.4.3 for it.
fn newer_than_227(section: Section, key: &str) -> bool {
    let version = |v: &str| -> Vec<u32> { v.split('.').filter_map(|n| n.parse().ok()).collect() };
    keywords::row(section, key)
        .or_else(|| keywords::row(Section::Top, key))
        .is_some_and(|r| {
            !r.since.is_empty() && r.keyword != "auth_hmac" && version(r.since) > version("2.2.7")
        })
}

fn report(settings: &Settings, section: Section, name: &str, diags: &mut Vec<Diagnostic>) {
    for key in settings.0.keys().filter(|k| newer_than_227(section, k)) {
        if let Some(loc) = settings.loc(key) {
            diags.push(
                Diagnostic::new(
                    Severity::Warning,
                    "newer-keyword",
                    loc.clone(),
                    settings.text(key),
                    format!(
                        "keepalived 2.2.7 (Debian's build) does not know `{key}` in {name}: \
                         it ignores the line and `keepalived -t` exits 5; havipd reads it"
                    ),
                )
                .hint("keep it for havipd or a later keepalived; remove it for keepalived 2.2.7"),
            );
        }
    }
}
