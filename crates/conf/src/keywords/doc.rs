//! `docs/keywords.md`, generated from the rows.

use super::{ROWS, Section, Status, VALUES};
use std::fmt::Write;

/// The keyword contract as Markdown: per section, each keyword with its status, keepalived's
/// default, the version that introduced it (when newer than 2.2.7) and what it means; the
/// reason of every keyword that is not done.
pub fn markdown() -> String {
    let mut out = String::from(
        "# keepalived keywords in havipd\n\n\
         Generated from `crates/conf/src/keywords/rows.rs` (regenerate with\n\
         `HAVIP_REGENERATE=1 cargo test -p conf --test keyword_contract`). Every keyword of\n\
         keepalived 2.2.7 and 2.4.3 outside the load balancer (IPVS/checker) half has a row.\n\
         *done*: havipd acts as keepalived does; *refused*: an error, as keepalived refuses it;\n\
         *not done*: `havip check` and havipd report a `not-done` diagnostic on the line using\n\
         it, a warning when it changes what goes on the wire or when a failover happens, else\n\
         an info. keepalived's IPVS sections (`virtual_server`, `virtual_server_group`) are\n\
         reported once as `not-supported`. *since*: the keepalived version that introduced the\n\
         keyword (2.2.7: Debian bookworm's version has it).\n\n",
    );
    let (done, refused, warn, info) = counts();
    let _ = writeln!(
        out,
        "{} keywords: {done} done, {refused} refused, {} not done ({warn} warnings, {info} infos).\n",
        ROWS.len(),
        warn + info
    );
    for section in Section::ALL {
        let _ = writeln!(out, "## {}\n", section.name());
        out.push_str("| keyword | status | default | since | meaning |\n|---|---|---|---|---|\n");
        for r in ROWS.iter().filter(|r| r.section == section) {
            let since = if r.since.is_empty() { "2.2.7" } else { r.since };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {since} | {} |",
                r.keyword,
                r.status.label(),
                cell(r.default),
                cell(&with_reason(r.meaning, r.status)),
            );
        }
        for v in VALUES.iter().filter(|v| v.section == section) {
            let _ = writeln!(
                out,
                "| `{} {}` | {} | | | {} |",
                v.keyword,
                v.value,
                v.status.label(),
                cell(&with_reason(v.meaning, v.status)),
            );
        }
        out.push('\n');
    }
    out
}

/// Rows done, refused, not done with a warning, not done with an info.
pub fn counts() -> (usize, usize, usize, usize) {
    let mut c = (0, 0, 0, 0);
    for r in ROWS {
        match r.status {
            Status::Done => c.0 += 1,
            Status::Refused(_) => c.1 += 1,
            Status::NotDone(crate::Severity::Info, _) => c.3 += 1,
            Status::NotDone(..) => c.2 += 1,
        }
    }
    c
}

/// The meaning, followed by why havipd does not do it.
pub fn with_reason(meaning: &str, status: Status) -> String {
    match status {
        Status::Done => meaning.to_string(),
        Status::Refused(why) | Status::NotDone(_, why) => format!("{meaning}. *{why}*"),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
