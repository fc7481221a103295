//! The keyword contract: every keyword of keepalived's VRRP side (2.2.7 and 2.4.3, BFD
//! included) has one [`Row`] in [`ROWS`] saying where it goes, the value it takes, whether
//! havipd acts on it as keepalived does ([`Status`]), keepalived's default, the version that
//! introduced it when it is newer than 2.2.7, and what it means. The builder reads values
//! through the section [`Table`]s and reports each row's status on the line that uses it;
//! `docs/keywords.md` and havipd.conf(5) are generated from the same rows ([`markdown`]).
//! keepalived's load-balancer half (IPVS: `virtual_server`, ...) stays outside:
//! [`UNSUPPORTED_TOP`].

pub mod doc;
mod rows;

pub use doc::markdown;
pub use rows::{ROWS, VALUES};

use crate::diag::Severity;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The value a keyword takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// No argument.
    Flag,
    /// Optional boolean (`on|off|true|false|yes|no`), absent = true.
    BoolOpt,
    /// Integer in an inclusive range.
    Int(i64, i64),
    /// Decimal seconds in an inclusive range, stored in microseconds.
    Secs(f64, f64),
    /// One word or quoted string.
    Str,
    /// A script: command (word or quoted) and optional user and group.
    Script,
    /// An IP address.
    Ip,
    /// Any number of arguments, kept as words.
    Words,
    /// A block whose lines are entries, handled by the section's builder.
    Block,
}

/// Where a keyword is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// Outside any block.
    Top,
    /// `global_defs`.
    Global,
    /// `vrrp_instance NAME`.
    Instance,
    /// `authentication` inside an instance.
    Authentication,
    /// `auth_hmac` inside an instance (keepalived 2.4).
    AuthHmac,
    /// `vrrp_script NAME`.
    VrrpScript,
    /// `vrrp_sync_group NAME`.
    SyncGroup,
    /// `track_file NAME` (and its old name `vrrp_track_file`).
    TrackFile,
    /// `vrrp_track_process NAME`.
    TrackProcess,
    /// `garp_group`.
    GarpGroup,
    /// `track_group NAME` (static tracking groups).
    TrackGroup,
    /// `bfd_instance NAME`.
    Bfd,
}

impl Section {
    /// Every section, in the order of the documentation.
    pub const ALL: [Section; 12] = [
        Section::Top,
        Section::Global,
        Section::Instance,
        Section::Authentication,
        Section::AuthHmac,
        Section::VrrpScript,
        Section::SyncGroup,
        Section::TrackFile,
        Section::TrackProcess,
        Section::GarpGroup,
        Section::TrackGroup,
        Section::Bfd,
    ];

    /// The section as written in keepalived.conf (`top level` for none).
    pub fn name(self) -> &'static str {
        match self {
            Section::Top => "top level",
            Section::Global => "global_defs",
            Section::Instance => "vrrp_instance",
            Section::Authentication => "authentication",
            Section::AuthHmac => "auth_hmac",
            Section::VrrpScript => "vrrp_script",
            Section::SyncGroup => "vrrp_sync_group",
            Section::TrackFile => "track_file",
            Section::TrackProcess => "vrrp_track_process",
            Section::GarpGroup => "garp_group",
            Section::TrackGroup => "track_group",
            Section::Bfd => "bfd_instance",
        }
    }

    /// The section of a keyword installed by keepalived's parser under `path` (the root
    /// keyword, then sublevels, joined with `/`; `top` for root keywords themselves).
    pub fn from_source(path: &str) -> Option<Section> {
        Some(match path {
            "top" => Section::Top,
            "global_defs" => Section::Global,
            "vrrp_instance" => Section::Instance,
            "vrrp_instance/authentication" => Section::Authentication,
            "vrrp_instance/auth_hmac" => Section::AuthHmac,
            "vrrp_script" => Section::VrrpScript,
            "vrrp_sync_group" => Section::SyncGroup,
            "track_file" | "vrrp_track_file" => Section::TrackFile,
            "vrrp_track_process" => Section::TrackProcess,
            "garp_group" => Section::GarpGroup,
            "track_group" => Section::TrackGroup,
            "bfd_instance" => Section::Bfd,
            _ => return None,
        })
    }
}

/// Whether havipd does what keepalived does with a keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// havipd acts as keepalived does, and a test exercises it.
    Done,
    /// keepalived refuses it: an error (the reason says what keepalived does).
    Refused(&'static str),
    /// Read and checked, but havipd does not act on it: a diagnostic of this severity
    /// (`Warning` when it changes what goes on the wire or when a failover happens, `Info`
    /// otherwise) with the reason.
    NotDone(Severity, &'static str),
}

impl Status {
    /// The status's name in the documentation.
    pub fn label(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Refused(_) => "refused",
            Status::NotDone(Severity::Info, _) => "not done (info)",
            Status::NotDone(..) => "not done (warning)",
        }
    }
}

/// One keyword of one section.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Where it is written.
    pub section: Section,
    /// The keyword.
    pub keyword: &'static str,
    /// The value it takes.
    pub kind: Kind,
    /// What havipd does with it.
    pub status: Status,
    /// keepalived's value when the keyword is absent.
    pub default: &'static str,
    /// The keepalived version that introduced it, when newer than 2.2.7 (else empty).
    pub since: &'static str,
    /// What it means, in one line.
    pub meaning: &'static str,
}

/// A status that depends on the keyword's first argument (`auth_type AH`).
#[derive(Clone, Copy, Debug)]
pub struct ValueRow {
    /// Where the keyword is written.
    pub section: Section,
    /// The keyword.
    pub keyword: &'static str,
    /// Its first argument, as keepalived compares it.
    pub value: &'static str,
    /// What havipd does with this value.
    pub status: Status,
    /// What the value means, in one line.
    pub meaning: &'static str,
}

/// The row of `keyword` in `section`.
pub fn row(section: Section, keyword: &str) -> Option<&'static Row> {
    static INDEX: OnceLock<HashMap<(Section, &'static str), &'static Row>> = OnceLock::new();
    INDEX
        .get_or_init(|| ROWS.iter().map(|r| ((r.section, r.keyword), r)).collect())
        .get(&(section, keyword))
        .copied()
}

/// The status of `keyword` written with `value` as first argument in `section`, when it
/// depends on the value.
pub fn value_row(section: Section, keyword: &str, value: &str) -> Option<&'static ValueRow> {
    VALUES
        .iter()
        .find(|v| v.section == section && v.keyword == keyword && v.value == value)
}

/// A section's keywords, indexed on first use (configs have thousands of lines).
pub struct Table {
    section: Section,
    index: OnceLock<HashMap<&'static str, &'static Row>>,
}

impl Table {
    /// The keywords of `section`.
    pub const fn new(section: Section) -> Self {
        Table {
            section,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &HashMap<&'static str, &'static Row> {
        self.index.get_or_init(|| {
            ROWS.iter()
                .filter(|r| r.section == self.section)
                .map(|r| (r.keyword, r))
                .collect()
        })
    }

    /// The section these keywords belong to.
    pub fn section(&self) -> Section {
        self.section
    }

    /// The kind of value `key` takes, if it is a keyword of this section.
    pub fn get(&self, key: &str) -> Option<Kind> {
        self.row(key).map(|r| r.kind)
    }

    /// The row of `key`, if it is a keyword of this section.
    pub fn row(&self, key: &str) -> Option<&'static Row> {
        self.index().get(key).copied()
    }

    /// All keywords.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        ROWS.iter()
            .filter(|r| r.section == self.section)
            .map(|r| r.keyword)
    }
}

/// Keywords outside any block.
pub static TOP: Table = Table::new(Section::Top);
/// `global_defs`.
pub static GLOBAL: Table = Table::new(Section::Global);
/// `vrrp_instance`.
pub static INSTANCE: Table = Table::new(Section::Instance);
/// `vrrp_script NAME`.
pub static SCRIPT: Table = Table::new(Section::VrrpScript);
/// `vrrp_sync_group NAME`.
pub static SYNC_GROUP: Table = Table::new(Section::SyncGroup);
/// `track_file NAME` / `vrrp_track_file NAME`.
pub static TRACK_FILE: Table = Table::new(Section::TrackFile);
/// `vrrp_track_process NAME`.
pub static TRACK_PROCESS: Table = Table::new(Section::TrackProcess);
/// `garp_group`.
pub static GARP_GROUP: Table = Table::new(Section::GarpGroup);
/// `authentication`.
pub static AUTHENTICATION: Table = Table::new(Section::Authentication);
/// `auth_hmac` (read by its own builder; the table names its keywords for suggestions).
pub static AUTH_HMAC: Table = Table::new(Section::AuthHmac);
/// `track_group NAME`.
pub static TRACK_GROUP: Table = Table::new(Section::TrackGroup);
/// `bfd_instance NAME`.
pub static BFD: Table = Table::new(Section::Bfd);

/// Top-level sections of keepalived's load-balancer (IPVS) half, which havip does not run
/// (reported together, once).
pub const UNSUPPORTED_TOP: &[&str] = &["virtual_server", "virtual_server_group"];

/// Keywords keepalived still accepts but has replaced, and what replaced them.
pub const DEPRECATED: &[(&str, &str, bool)] = &[
    // (old name, what replaced it, whether keepalived 2.2.7 says so: its warning makes
    // `keepalived -t` exit 5; the others it reads without a word). Measured on Debian's 2.2.7.
    (
        "lvs_sync_daemon_interface",
        "use `lvs_sync_daemon` in global_defs",
        true,
    ),
    ("vrrp_track_file", "use `track_file`", false),
    ("lvs_flush_onstop", "use `lvs_flush_on_stop`", false),
    ("lvs_process_name", "use `checker_process_name`", false),
    ("enable_snmp_keepalived", "use `enable_snmp_vrrp`", false),
    ("vrrp_rlimit_rtime", "use `vrrp_rlimit_rttime`", false),
    ("checker_rlimit_rtime", "use `checker_rlimit_rttime`", false),
    ("bfd_rlimit_rtime", "use `bfd_rlimit_rttime`", false),
    ("vrrp_vmac_garp_intvl", "use `vrrp_garp_extra_if`", true),
    ("vmac_garp_intvl", "use `garp_extra_if`", true),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_keyword_has_one_row_per_section() {
        let mut seen = std::collections::HashSet::new();
        for r in ROWS {
            assert!(
                seen.insert((r.section, r.keyword)),
                "{} {} twice",
                r.section.name(),
                r.keyword
            );
            assert!(!r.meaning.is_empty(), "{} has no meaning", r.keyword);
            assert!(!r.default.is_empty(), "{} has no default", r.keyword);
        }
    }

    #[test]
    fn value_rows_belong_to_rows() {
        for v in VALUES {
            assert!(row(v.section, v.keyword).is_some(), "{}", v.keyword);
        }
    }

    #[test]
    fn tables_find_their_rows() {
        assert_eq!(INSTANCE.get("priority"), Some(Kind::Int(1, 255)));
        assert_eq!(GLOBAL.get("priority"), None);
        assert_eq!(
            TOP.row("net_namespace").map(|r| r.section),
            Some(Section::Top)
        );
        assert!(value_row(Section::Authentication, "auth_type", "AH").is_some());
    }
}
