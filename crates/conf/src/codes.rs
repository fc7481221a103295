//! Every diagnostic code `havip check` and havipd report, with its reason and its fix: the one
//! table `docs/diagnostic-codes.md` is generated from. A [`Diagnostic`](crate::Diagnostic)
//! with a code that has no row here is a bug (debug builds panic on it).

mod rows;

pub use rows::CODES;

/// Errors that keep havipd from starting with a config (and a reload from applying it).
/// Other errors name what it leaves out, as keepalived does (an entry skipped, a weight
/// ignored), and it runs the rest.
pub const FATAL: &[&str] = &[
    "file-unreadable",
    "no-such-interface",
    "duplicate-vrid",
    "no-vrrp-instance",
    // `script_user` names no user: no script could run as keepalived would run it.
    "no-such-user",
    // keepalived would run such an instance unauthenticated; havipd refuses to.
    "auth-hmac-active-key",
    // A VRRPv3, IPv6 or strict-mode instance without addresses (as an error): keepalived stops.
    "no-vip",
];

/// One diagnostic code.
#[derive(Clone, Copy, Debug)]
pub struct Code {
    /// The code, as printed in brackets (`[bad-value]`).
    pub code: &'static str,
    /// The severities it is reported with (`error`, `warning`, `info`, or several).
    pub severity: &'static str,
    /// Why it is reported: what keepalived (or the cloud) does with such a line.
    pub reason: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

/// The row of `code`, if there is one.
pub fn row(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code == code)
}

/// `docs/diagnostic-codes.md`: every code with its severities, reason and fix.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes of `havip check` and havipd\n\n\
         Generated from `crates/conf/src/codes/rows.rs` (regenerate with\n\
         `HAVIP_REGENERATE=1 cargo test -p conf --test diagnostic_codes`). Each diagnostic is\n\
         printed as `file:line:col: severity [code]: message`, with the line as written and a\n\
         hint. *error*: keepalived drops or refuses what the line says (some errors stop havipd\n\
         from starting, as they stop keepalived); *warning*: keepalived ignores or corrects it;\n\
         *info*: a note. `havip check` exits 2 on an error, 1 on warnings only, 0 otherwise.\n\
         Codes starting with `cloud-` (and `sample-values`) come from the HAVIP guide's advice\n\
         (`--profile cloud`, the default; `--profile none` leaves them out).\n\n",
    );
    out.push_str(
        "*stops havipd*: as an error, the code keeps havipd from starting (and a reload from\n\
         applying), as keepalived stops on it; other errors leave out what they name.\n\n\
         | code | severity | stops havipd | reason | fix |\n|---|---|---|---|---|\n",
    );
    let mut rows: Vec<&Code> = CODES.iter().collect();
    rows.sort_by_key(|c| c.code);
    for c in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.code,
            c.severity,
            if FATAL.contains(&c.code) { "yes" } else { "" },
            cell(c.reason),
            cell(c.fix)
        ));
    }
    out
}

/// A table cell: pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
