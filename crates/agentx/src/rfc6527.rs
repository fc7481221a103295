//! VRRPV3-MIB (RFC 6527, `1.3.6.1.2.1.207`) as keepalived 2.2.7 (Debian's build, which
//! answers for VRRPv2 instances too) fills it for its instances with addresses:
//! `vrrpv3OperationsTable`, `vrrpv3AssociatedIpAddrTable` (index: ifIndex, VRID, IP version;
//! addresses as their bytes, without a length), the statistics, `vrrpv3NewMaster` and
//! `vrrpv3ProtoError`.

use crate::rows::{InstanceRow, RowState, ip_bytes, ip_subids, truth};
use crate::{Oid, Value, VarBind, View};

/// VRRPV3-MIB's root.
pub const VRRPV3_MIB: [u32; 7] = [1, 3, 6, 1, 2, 1, 207];

/// The subtree registered for `enable_snmp_rfcv3`.
pub fn subtree() -> Oid {
    Oid::new(&VRRPV3_MIB)
}

/// Whether keepalived shows the instance: one with a virtual address.
pub fn covers(r: &InstanceRow) -> bool {
    !r.vips.is_empty()
}

fn index(r: &InstanceRow) -> [u32; 3] {
    [
        r.ifindex,
        u32::from(r.vrid),
        if r.is_ipv6() { 2 } else { 1 },
    ]
}

/// `vrrpv3OperationsStatus`: initialize(1), backup(2), master(3).
fn status(s: RowState) -> i32 {
    match s {
        RowState::Backup => 2,
        RowState::Master => 3,
        _ => 1,
    }
}

/// The master's address: ours while master, else the one heard (zeros before any).
fn master_address(r: &InstanceRow) -> Vec<u8> {
    match (r.state, r.master) {
        (RowState::Master, _) => ip_bytes(&r.primary),
        (_, Some(m)) => ip_bytes(&m),
        (_, None) => vec![0; ip_bytes(&r.primary).len()],
    }
}

fn oper_columns(r: &InstanceRow) -> Vec<(u32, Value)> {
    let int = Value::Integer;
    vec![
        (3, Value::OctetString(master_address(r))),
        (4, Value::OctetString(ip_bytes(&r.primary))),
        (5, Value::OctetString(r.mac.to_vec())),
        (6, int(status(r.state))),
        (7, Value::Gauge32(u32::from(r.effective_priority))),
        (8, int(r.vips.len() as i32)),
        (9, int(r.advert_int_cs as i32)),
        (10, int(truth(r.preempt))),
        (11, int(truth(r.accept))),
        (13, int(1)),
    ]
}

fn stats_columns(r: &InstanceRow) -> Vec<(u32, Value)> {
    let c64 = |name: &str| Value::Counter64(r.counter(name));
    vec![
        (1, Value::Counter32(r.counter("become_master") as u32)),
        (2, Value::Integer(i32::from(r.master_reason))),
        (3, c64("advert_rcvd")),
        (4, c64("interval_err")),
        (5, c64("ip_ttl_err")),
        (6, Value::Integer(i32::from(r.proto_err_reason))),
        (7, c64("pri_zero_rcvd")),
        (8, c64("pri_zero_sent")),
        (9, c64("invalid_type_rcvd")),
        (10, c64("addr_list_err")),
        (11, c64("packet_len_err")),
        (12, Value::TimeTicks(0)),
        (13, Value::Gauge32(r.advert_int_cs * 10)),
    ]
}

/// The view of VRRPV3-MIB for these instances (those it covers).
pub fn view(rows: &[InstanceRow], into: &mut View) {
    let root = subtree();
    for n in 1..=3 {
        into.set(root.child(&[1, 2, n, 0]), Value::Counter64(0));
    }
    into.set(root.child(&[1, 2, 4, 0]), Value::TimeTicks(0));
    for r in rows.iter().filter(|r| covers(r)) {
        let index = index(r);
        for (col, v) in oper_columns(r) {
            into.set(root.child(&[1, 1, 1, 1, col]).child(&index), v);
        }
        for vip in &r.vips {
            let name = root
                .child(&[1, 1, 2, 1, 2])
                .child(&index)
                .child(&ip_subids(vip));
            into.set(name, Value::Integer(1));
        }
        for (col, v) in stats_columns(r) {
            into.set(root.child(&[1, 2, 5, 1, col]).child(&index), v);
        }
    }
}

/// `vrrpv3NewMaster`'s OID.
pub fn new_master_oid() -> Oid {
    subtree().child(&[0, 1])
}

/// `vrrpv3NewMaster`'s bindings, as keepalived sends them: the new master's (our) address and
/// why it became master.
pub fn new_master(r: &InstanceRow) -> Vec<VarBind> {
    let index = index(r);
    vec![
        VarBind {
            name: subtree().child(&[1, 1, 1, 1, 3]).child(&index),
            value: Value::OctetString(ip_bytes(&r.primary)),
        },
        VarBind {
            name: subtree().child(&[1, 2, 5, 1, 2]).child(&index),
            value: Value::Integer(i32::from(r.master_reason)),
        },
    ]
}

/// `vrrpv3ProtoError`'s OID.
pub fn proto_error_oid() -> Oid {
    subtree().child(&[0, 2])
}

/// `vrrpv3ProtoError`'s binding, as keepalived sends it: the instance's protoErrReason.
pub fn proto_error(r: &InstanceRow) -> Vec<VarBind> {
    vec![VarBind {
        name: subtree().child(&[1, 2, 5, 1, 6]).child(&index(r)),
        value: Value::Integer(i32::from(r.proto_err_reason)),
    }]
}
