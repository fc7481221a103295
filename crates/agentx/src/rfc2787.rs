//! VRRP-MIB (RFC 2787, `1.3.6.1.2.1.68`) as keepalived 2.2.7 fills it for its VRRPv2 IPv4
//! instances: `vrrpNodeVersion`, `vrrpNotificationCntl`, `vrrpOperTable`,
//! `vrrpAssoIpAddrTable` (index: ifIndex, VRID), the router statistics and `vrrpTrapNewMaster`.

use crate::rows::{InstanceRow, RowState, ip_subids, truth};
use crate::{Oid, Value, VarBind, View};
use std::net::IpAddr;

/// VRRP-MIB's root.
pub const VRRP_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 68];

/// The subtree registered for `enable_snmp_rfcv2`.
pub fn subtree() -> Oid {
    Oid::new(&VRRP_MIB)
}

/// Whether RFC 2787 covers the instance: VRRPv2 over IPv4.
pub fn covers(r: &InstanceRow) -> bool {
    r.version == 2 && !r.is_ipv6()
}

fn ipv4(ip: Option<IpAddr>) -> Value {
    match ip {
        Some(IpAddr::V4(a)) => Value::IpAddress(a.octets()),
        _ => Value::IpAddress([0; 4]),
    }
}

/// `vrrpOperState`: initialize(1), backup(2), master(3).
fn oper_state(s: RowState) -> i32 {
    match s {
        RowState::Backup => 2,
        RowState::Master => 3,
        _ => 1,
    }
}

fn oper_columns(r: &InstanceRow) -> Vec<(u32, Value)> {
    let int = Value::Integer;
    let auth = match r.auth_type {
        1 => 2,
        2 => 3,
        _ => 1,
    };
    vec![
        (2, Value::OctetString(r.mac.to_vec())),
        (3, int(oper_state(r.state))),
        (4, int(1)),
        (5, int(i32::from(r.effective_priority))),
        (6, int(r.vips.len() as i32)),
        (
            7,
            ipv4(if r.state == RowState::Master {
                None
            } else {
                r.master
            }),
        ),
        (8, ipv4(Some(r.primary))),
        (9, int(auth)),
        (11, int((r.advert_int_cs / 100) as i32)),
        (12, int(truth(r.preempt))),
        (14, int(1)),
        (15, int(1)),
    ]
}

/// keepalived's per-router statistics (`vrrpRouterStatsEntry` columns 1-12).
const STATS: [&str; 12] = [
    "become_master",
    "advert_rcvd",
    "interval_err",
    "auth_failure",
    "ip_ttl_err",
    "pri_zero_rcvd",
    "pri_zero_sent",
    "invalid_type_rcvd",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "packet_len_err",
];

/// The view of VRRP-MIB for these instances (those it covers); `traps`: `enable_traps`.
pub fn view(rows: &[InstanceRow], traps: bool, into: &mut View) {
    let root = subtree();
    into.set(root.child(&[1, 1, 0]), Value::Integer(2));
    into.set(root.child(&[1, 2, 0]), Value::Integer(truth(traps)));
    for n in 1..=3 {
        into.set(root.child(&[2, n, 0]), Value::Counter32(0));
    }
    for r in rows.iter().filter(|r| covers(r)) {
        let index = [r.ifindex, u32::from(r.vrid)];
        for (col, v) in oper_columns(r) {
            into.set(root.child(&[1, 3, 1, col]).child(&index), v);
        }
        for vip in &r.vips {
            let name = root
                .child(&[1, 4, 1, 2])
                .child(&index)
                .child(&ip_subids(vip));
            into.set(name, Value::Integer(1));
        }
        for (n, counter) in STATS.iter().enumerate() {
            let name = root.child(&[2, 4, 1, n as u32 + 1]).child(&index);
            into.set(name, Value::Counter32(r.counter(counter) as u32));
        }
    }
}

/// `vrrpTrapNewMaster`'s OID.
pub fn new_master_oid() -> Oid {
    subtree().child(&[0, 1])
}

/// `vrrpTrapNewMaster`'s binding, as keepalived sends it: `vrrpOperMasterIpAddr` is the new
/// master's (this instance's) address.
pub fn new_master(r: &InstanceRow) -> Vec<VarBind> {
    let name = subtree().child(&[1, 3, 1, 7, r.ifindex, u32::from(r.vrid)]);
    vec![VarBind {
        name,
        value: ipv4(Some(r.primary)),
    }]
}
