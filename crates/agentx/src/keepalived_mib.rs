//! The VRRP part of KEEPALIVED-MIB (`1.3.6.1.4.1.9586.100.5.2`), as keepalived 2.2.7's
//! `vrrp_snmp.c` fills it: `vrrpInstanceTable` (index: the instance's position, from 1), `vrrpAddressTable` and
//! the `vrrpInstanceStateChange` notification.

use crate::rows::{AddressRow, InstanceRow, RowState, ip_bytes, truth};
use crate::{Oid, Value, VarBind, View};

/// KEEPALIVED-MIB's root.
pub const KEEPALIVED: [u32; 9] = [1, 3, 6, 1, 4, 1, 9586, 100, 5];

/// The subtree registered for `enable_snmp_vrrp`.
pub fn subtree() -> Oid {
    Oid::new(&KEEPALIVED).child(&[2])
}

/// `vrrpInstanceState` in the table: unknown (4) past fault.
fn table_state(s: RowState) -> i32 {
    match s {
        RowState::Stop => 4,
        s => s as i32,
    }
}

/// `vrrpInstanceTable`'s rows: column, value.
fn columns(r: &InstanceRow) -> Vec<(u32, Value)> {
    let int = Value::Integer;
    let advert = if r.version == 2 {
        r.advert_int_cs / 100
    } else {
        r.advert_int_cs
    };
    let mut c = vec![
        (2, Value::OctetString(r.name.clone().into_bytes())),
        (3, Value::Gauge32(u32::from(r.vrid))),
        (4, int(table_state(r.state))),
        (5, int(table_state(r.initial_state))),
        (6, int(table_state(r.wanted_state))),
        (7, int(i32::from(r.base_priority))),
        (8, int(i32::from(r.effective_priority))),
        (9, int(truth(r.vips_enabled))),
        (10, Value::OctetString(r.interface.clone().into_bytes())),
        (11, int(truth(r.tracks_interface))),
        (12, Value::Gauge32(advert)),
        (13, int(truth(r.preempt))),
        (14, Value::Gauge32(r.preempt_delay_s)),
        (
            15,
            int(if r.version == 2 {
                i32::from(r.auth_type)
            } else {
                0
            }),
        ),
        (16, int(2)),
        (19, Value::Gauge32(r.garp_delay_s)),
        (20, int(truth(r.smtp_alert))),
        (21, int(truth(r.notify_exec))),
        (27, int(if r.version == 3 { truth(r.accept) } else { 0 })),
        (28, int(truth(r.promote_secondaries))),
        (29, int(truth(r.linkbeat_use_polling))),
        (30, int(i32::from(r.version))),
        (33, int(truth(r.notify_deleted))),
    ];
    if let Some(d) = r.destination {
        c.push((34, int(if d.is_ipv6() { 2 } else { 1 })));
        c.push((35, Value::OctetString(ip_bytes(&d))));
    }
    c
}

/// `vrrpAddressTable`'s columns for one address.
fn address_columns(a: &AddressRow) -> Vec<(u32, Value)> {
    let int = Value::Integer;
    let mut c = vec![
        (2, int(if a.addr.is_ipv6() { 2 } else { 1 })),
        (3, Value::OctetString(ip_bytes(&a.addr))),
    ];
    if !a.addr.is_ipv6() {
        c.push((4, Value::OctetString(vec![0; 4])));
    }
    c.extend([
        (5, Value::Gauge32(u32::from(a.prefix))),
        (6, int(14)),
        (7, int(a.ifindex as i32)),
        (8, Value::OctetString(a.ifname.clone().into_bytes())),
        (10, int(truth(a.set))),
        (11, int(truth(a.advertised))),
    ]);
    c
}

/// The view of `vrrpInstanceTable` and `vrrpAddressTable` for these instances, in
/// configuration order (an instance's index is its position from 1; its addresses' too).
pub fn view(rows: &[InstanceRow], into: &mut View) {
    let table = subtree().child(&[3, 1]);
    let addresses = subtree().child(&[6, 1]);
    for (i, r) in rows.iter().enumerate() {
        let i = i as u32 + 1;
        for (col, v) in columns(r) {
            into.set(table.child(&[col, i]), v);
        }
        for (j, a) in r.addresses.iter().enumerate() {
            for (col, v) in address_columns(a) {
                into.set(addresses.child(&[col, i, j as u32 + 1]), v);
            }
        }
    }
}

/// `vrrpInstanceStateChange`'s bindings after snmpTrapOID, as keepalived sends them: the
/// columns' OIDs without an index, then `routerId.0`.
pub fn state_change(r: &InstanceRow, router_id: &str) -> Vec<VarBind> {
    let col = |c: u32| subtree().child(&[3, 1, c]);
    vec![
        VarBind {
            name: col(2),
            value: Value::OctetString(r.name.clone().into_bytes()),
        },
        VarBind {
            name: col(4),
            value: Value::Integer(r.state as i32),
        },
        VarBind {
            name: col(5),
            value: Value::Integer(r.initial_state as i32),
        },
        VarBind {
            name: Oid::new(&KEEPALIVED).child(&[1, 2, 0]),
            value: Value::OctetString(router_id.as_bytes().to_vec()),
        },
    ]
}

/// `vrrpInstanceStateChange`'s OID.
pub fn state_change_oid() -> Oid {
    subtree().child(&[10, 0, 2])
}
