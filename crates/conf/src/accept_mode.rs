//! Accept mode (RFC 5798 §6.1): whether a master that does not own its addresses accepts
//! traffic sent to them. keepalived's rule: an address owner (priority 255) always does;
//! otherwise the instance's `accept` / `no_accept` (the later line wins), else not in strict
//! mode (`strict_mode`, else global_defs' `vrrp_strict`) and yes otherwise; VRRPv2 in strict
//! mode never does (RFC 3768 has no accept mode). Without it, keepalived drops the traffic to
//! and from the addresses while master with an nftables table (`nftables [TABLE]`, default
//! `keepalived`, hooked at `nftables_priority`, default -1).

use crate::family::version;
use crate::model::{Config, Instance};

/// Whether the instance runs in accept mode.
pub fn accepts(cfg: &Config, i: &Instance) -> bool {
    if i.priority() == vrrp::PRIORITY_OWNER {
        return true;
    }
    let s = &i.settings;
    let strict = i.strict(&cfg.global);
    let explicit = match (s.loc("accept"), s.loc("no_accept")) {
        (Some(yes), Some(no)) => Some(yes > no),
        (Some(_), None) => Some(true),
        (None, Some(_)) => Some(false),
        (None, None) => None,
    };
    explicit.unwrap_or(!strict) && !(strict && version(cfg, i) == 2)
}

/// The nftables table that drops traffic for the addresses of masters without accept mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DropTable {
    /// Table name (in the `ip` family).
    pub name: String,
    /// Priority of its input and output hooks.
    pub priority: i64,
}

/// The config's drop table.
pub fn drop_table(cfg: &Config) -> DropTable {
    let g = &cfg.global.settings;
    DropTable {
        name: g
            .words("nftables")
            .and_then(|w| w.first().cloned())
            .unwrap_or_else(|| "keepalived".to_string()),
        priority: g.int("nftables_priority").unwrap_or(-1),
    }
}
