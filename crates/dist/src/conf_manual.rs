//! havipd.conf(5): keepalived.conf as havipd reads it, generated from the keyword table
//! (`conf::keywords`): per section, each keyword with its status in havipd, keepalived's
//! default, the keepalived version that introduced it and what it means.

use clap_mangen::roff::{Roff, bold, roman};
use conf::keywords::{self, ROWS, Section, VALUES};

/// The page's file name.
pub const NAME: &str = "havipd.conf.5";

/// The page, in roff.
pub fn page() -> Vec<u8> {
    let mut roff = Roff::default();
    let version = format!("havip {}", env!("CARGO_PKG_VERSION"));
    roff.control(
        "TH",
        ["HAVIPD.CONF", "5", "", version.as_str(), "File Formats"],
    );
    roff.control("SH", ["NAME"]);
    roff.text([roman("havipd.conf - keepalived.conf as havipd reads it")]);
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(
        "havipd(8) reads keepalived's configuration (/etc/keepalived/keepalived.conf by \
         default) as keepalived does. Every keyword of keepalived's VRRP side (2.2.7 and 2.4.3, \
         BFD included) is listed below with its status: done (havipd acts as keepalived \
         does), refused (an error, as keepalived refuses it) or not done (havip check and \
         havipd report it on the line using it, as a warning when it changes what goes on the \
         wire or when a failover happens, else as an info, with the reason). keepalived's IPVS \
         sections (virtual_server, virtual_server_group) are skipped with one warning.",
    )]);
    let (done, refused, warn, info) = keywords::doc::counts();
    let summary = format!(
        "{} keywords: {done} done, {refused} refused, {warn} not done with a warning, {info} with an info.",
        ROWS.len()
    );
    roff.text([roman(summary.as_str())]);
    for section in Section::ALL {
        roff.control("SH", [section.name().to_uppercase().as_str()]);
        for r in ROWS.iter().filter(|r| r.section == section) {
            let since = if r.since.is_empty() { "2.2.7" } else { r.since };
            let line = format!(
                "{}; default {}; since keepalived {since}. {}",
                r.status.label(),
                r.default,
                keywords::doc::with_reason(r.meaning, r.status).replace('*', "")
            );
            roff.control("TP", []);
            roff.text([bold(r.keyword)]);
            roff.text([roman(line.as_str())]);
        }
        for v in VALUES.iter().filter(|v| v.section == section) {
            let term = format!("{} {}", v.keyword, v.value);
            let line = format!(
                "{}. {}",
                v.status.label(),
                keywords::doc::with_reason(v.meaning, v.status).replace('*', "")
            );
            roff.control("TP", []);
            roff.text([bold(term.as_str())]);
            roff.text([roman(line.as_str())]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman("havipd(8), havip-check(1), keepalived.conf(5)")]);
    roff.render().into_bytes()
}
