//! An instance's address family and VRRP version, as keepalived decides them from its first
//! address, its source, `native_ipv6` and `version`/`vrrp_version`.

use crate::diag::Location;
use crate::model::{Config, Instance};

/// The VRRP version an instance runs (its own `version`, else `vrrp_version`, else 2).
pub fn version(cfg: &Config, i: &Instance) -> u8 {
    let v = i
        .settings
        .int("version")
        .or_else(|| cfg.global.settings.int("vrrp_version"))
        .unwrap_or(2) as u8;
    if v == 2 && is_ipv6(i) { 3 } else { v }
}

/// Whether the instance is IPv6 (by its first address or source, or `native_ipv6` written
/// before them).
pub fn is_ipv6(i: &Instance) -> bool {
    native_ipv6_first(i)
        || i.vips
            .first()
            .map(|v| v.addr.is_ipv6())
            .or_else(|| i.settings.ip("unicast_src_ip").map(|a| a.is_ipv6()))
            .unwrap_or(false)
}

/// Whether `native_ipv6` comes before every line that gives the instance its family (its
/// first virtual address, `unicast_src_ip`): keepalived then makes it IPv6 and VRRPv3, and
/// skips its IPv4 addresses. Written after an IPv4 one, keepalived ignores it.
fn native_ipv6_first(i: &Instance) -> bool {
    let Some(native) = i.settings.loc("native_ipv6") else {
        return false;
    };
    let before = |l: Option<&Location>| l.is_none_or(|l| native < l);
    before(i.vips.first().map(|v| &v.loc)) && before(i.settings.loc("unicast_src_ip"))
}
