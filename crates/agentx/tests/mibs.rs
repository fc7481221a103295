//! The VRRP MIBs as keepalived 2.2.7 fills them, from one instance's row: the values the
//! namespace test compares with keepalived's own walk, here without root.

use agentx::rows::{AddressRow, InstanceRow, RowState};
use agentx::{Oid, Value, View, keepalived_mib, rfc2787, rfc6527};
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an address")
}

fn backup_v2() -> InstanceRow {
    InstanceRow {
        name: "VI_1".into(),
        vrid: 51,
        version: 2,
        state: RowState::Backup,
        initial_state: RowState::Backup,
        wanted_state: RowState::Backup,
        base_priority: 100,
        effective_priority: 90,
        vips_enabled: false,
        interface: "eth0".into(),
        ifindex: 7,
        mac: [2, 0, 0, 0, 0, 1],
        advert_int_cs: 100,
        preempt: true,
        preempt_delay_s: 0,
        auth_type: 1,
        notify_exec: false,
        garp_delay_s: 5,
        primary: ip("10.0.0.1"),
        destination: Some(ip("224.0.0.18")),
        vips: vec![ip("10.0.0.100")],
        master: Some(ip("10.0.0.2")),
        accept: true,
        tracks_interface: false,
        addresses: vec![AddressRow {
            addr: ip("10.0.0.100"),
            prefix: 24,
            ifindex: 7,
            ifname: "eth0".into(),
            set: false,
            advertised: true,
        }],
        smtp_alert: false,
        promote_secondaries: true,
        linkbeat_use_polling: false,
        notify_deleted: false,
        master_reason: 0,
        proto_err_reason: 0,
        counters: [
            ("become_master".to_string(), 2),
            ("advert_rcvd".to_string(), 9),
        ]
        .into(),
    }
}

fn at(view: &View, oid: &[u32]) -> Value {
    view.get(&Oid::new(oid)).value
}

#[test]
fn keepalived_mib_instance_and_address_rows() {
    let mut v = View::default();
    keepalived_mib::view(&[backup_v2()], &mut v);
    let col = |c: u32| at(&v, &[1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 3, 1, c, 1]);
    assert_eq!(col(2), Value::OctetString(b"VI_1".to_vec()));
    assert_eq!(col(3), Value::Gauge32(51));
    assert_eq!(col(4), Value::Integer(1));
    assert_eq!(col(8), Value::Integer(90));
    assert_eq!(col(9), Value::Integer(2), "vipsEnabled false");
    assert_eq!(col(12), Value::Gauge32(1), "VRRPv2: seconds");
    assert_eq!(col(15), Value::Integer(1), "PASS");
    assert_eq!(
        col(27),
        Value::Integer(0),
        "accept is shown for VRRPv3 only"
    );
    assert_eq!(col(35), Value::OctetString(vec![224, 0, 0, 18]));
    assert_eq!(col(28), Value::Integer(1), "promote_secondaries");
    assert_eq!(col(33), Value::Integer(2), "no notify_deleted");
    let addr = |c: u32| at(&v, &[1, 3, 6, 1, 4, 1, 9586, 100, 5, 2, 6, 1, c, 1, 1]);
    assert_eq!(addr(3), Value::OctetString(vec![10, 0, 0, 100]));
    assert_eq!(addr(5), Value::Gauge32(24));
    assert_eq!(addr(10), Value::Integer(2), "unset while backup");
}

#[test]
fn rfc2787_rows_are_indexed_by_ifindex_and_vrid() {
    let mut v = View::default();
    rfc2787::view(&[backup_v2()], true, &mut v);
    let oper = |c: u32| at(&v, &[1, 3, 6, 1, 2, 1, 68, 1, 3, 1, c, 7, 51]);
    assert_eq!(oper(3), Value::Integer(2), "backup");
    assert_eq!(oper(7), Value::IpAddress([10, 0, 0, 2]), "the master heard");
    assert_eq!(oper(9), Value::Integer(2), "simpleTextPassword");
    assert_eq!(
        at(
            &v,
            &[1, 3, 6, 1, 2, 1, 68, 1, 4, 1, 2, 7, 51, 10, 0, 0, 100]
        ),
        Value::Integer(1)
    );
    assert_eq!(
        at(&v, &[1, 3, 6, 1, 2, 1, 68, 2, 4, 1, 1, 7, 51]),
        Value::Counter32(2)
    );
    assert_eq!(
        at(&v, &[1, 3, 6, 1, 2, 1, 68, 1, 2, 0]),
        Value::Integer(1),
        "traps enabled"
    );
    let mut v3 = backup_v2();
    v3.version = 3;
    let mut none = View::default();
    rfc2787::view(&[v3], true, &mut none);
    assert_eq!(
        at(&none, &[1, 3, 6, 1, 2, 1, 68, 1, 3, 1, 3, 7, 51]),
        Value::NoSuchObject,
        "VRRPv3 is not in RFC 2787"
    );
}

#[test]
fn rfc6527_rows_and_the_new_master_notification() {
    let mut row = backup_v2();
    let mut v = View::default();
    rfc6527::view(std::slice::from_ref(&row), &mut v);
    let oper = |c: u32| at(&v, &[1, 3, 6, 1, 2, 1, 207, 1, 1, 1, 1, c, 7, 51, 1]);
    assert_eq!(oper(3), Value::OctetString(vec![10, 0, 0, 2]));
    assert_eq!(oper(9), Value::Integer(100), "centiseconds");
    assert_eq!(
        at(&v, &[1, 3, 6, 1, 2, 1, 207, 1, 2, 5, 1, 3, 7, 51, 1]),
        Value::Counter64(9)
    );
    row.state = RowState::Master;
    row.master_reason = 1;
    let binds = rfc6527::new_master(&row);
    assert_eq!(binds[0].value, Value::OctetString(vec![10, 0, 0, 1]));
    assert_eq!(binds[1].value, Value::Integer(1));
    let trap = keepalived_mib::state_change(&row, "r1");
    assert_eq!(trap[1].value, Value::Integer(2));
    assert_eq!(trap[3].value, Value::OctetString(b"r1".to_vec()));
}
