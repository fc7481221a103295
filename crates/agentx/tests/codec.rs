//! The codec round-trips every PDU it writes, refuses what RFC 2741 does not allow, and reads
//! PDUs written in either byte order.

use agentx::pdu::frame_len;
use agentx::{Error, Header, Oid, Payload, Pdu, SearchRange, Value, VarBind};
use proptest::prelude::*;

fn oid() -> impl Strategy<Value = Oid> {
    prop_oneof![
        prop::collection::vec(any::<u32>(), 0..20).prop_map(Oid),
        prop::collection::vec(any::<u32>(), 0..12)
            .prop_map(|t| Oid::new(&[1, 3, 6, 1, 4, 1]).child(&t)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Value::OctetString),
        Just(Value::Null),
        oid().prop_map(Value::ObjectId),
        any::<[u8; 4]>().prop_map(Value::IpAddress),
        any::<u32>().prop_map(Value::Counter32),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        any::<u64>().prop_map(Value::Counter64),
        Just(Value::NoSuchObject),
        Just(Value::NoSuchInstance),
        Just(Value::EndOfMibView),
    ]
}

fn varbinds() -> impl Strategy<Value = Vec<VarBind>> {
    prop::collection::vec(
        (oid(), value()).prop_map(|(name, value)| VarBind { name, value }),
        0..8,
    )
}

fn ranges() -> impl Strategy<Value = Vec<SearchRange>> {
    prop::collection::vec(
        (oid(), any::<bool>(), oid()).prop_map(|(start, include, end)| SearchRange {
            start,
            include,
            end,
        }),
        0..6,
    )
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (
            any::<u8>(),
            oid(),
            prop::collection::vec(any::<u8>(), 0..30)
        )
            .prop_map(|(timeout, id, descr)| Payload::Open { timeout, id, descr }),
        any::<u8>().prop_map(|reason| Payload::Close { reason }),
        (any::<u8>(), any::<u8>(), oid()).prop_map(|(timeout, priority, subtree)| {
            Payload::Register {
                timeout,
                priority,
                subtree,
            }
        }),
        ranges().prop_map(Payload::Get),
        ranges().prop_map(Payload::GetNext),
        (any::<u16>(), any::<u16>(), ranges()).prop_map(
            |(non_repeaters, max_repetitions, ranges)| Payload::GetBulk {
                non_repeaters,
                max_repetitions,
                ranges
            }
        ),
        varbinds().prop_map(Payload::Notify),
        Just(Payload::Ping),
        (any::<u32>(), any::<u16>(), any::<u16>(), varbinds()).prop_map(
            |(uptime, error, index, varbinds)| Payload::Response {
                uptime,
                error,
                index,
                varbinds
            }
        ),
    ]
}

proptest! {
    #[test]
    fn every_pdu_round_trips(payload in payload(), session: u32, transaction: u32, packet: u32,
                             context in prop::option::of(prop::collection::vec(any::<u8>(), 0..9))) {
        let context = context.filter(|_| !matches!(payload, Payload::Open { .. } | Payload::Close { .. } | Payload::Response { .. }));
        let pdu = Pdu { header: Header { session, transaction, packet }, context, payload };
        let bytes = pdu.encode();
        prop_assert_eq!(bytes.len() % 4, 0);
        let head: [u8; 20] = bytes[..20].try_into().expect("a header");
        prop_assert_eq!(frame_len(&head).expect("a valid header"), bytes.len());
        prop_assert_eq!(Pdu::decode(&bytes).expect("its own PDU"), pdu);
    }

    #[test]
    fn garbage_is_refused_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Pdu::decode(&bytes);
    }

    #[test]
    fn every_truncation_is_an_error(payload in payload()) {
        let bytes = Pdu { header: Header::default(), context: None, payload }.encode();
        for cut in 0..bytes.len() {
            prop_assert!(Pdu::decode(&bytes[..cut]).is_err());
        }
    }
}

/// A GetNext as net-snmp's master writes it on a little-endian host (NETWORK_BYTE_ORDER clear).
#[test]
fn little_endian_get_next_from_a_master() {
    let mut b = vec![1, 6, 0, 0];
    for v in [7u32, 8, 9, 20] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[3, 4, 1, 0]);
    for v in [1u32, 9586, 100] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[0, 0, 0, 0]);
    let pdu = Pdu::decode(&b).expect("a valid GetNext");
    assert_eq!(
        pdu.header,
        Header {
            session: 7,
            transaction: 8,
            packet: 9
        }
    );
    let want = SearchRange {
        start: Oid::new(&[1, 3, 6, 1, 4, 1, 9586, 100]),
        include: true,
        end: Oid::default(),
    };
    assert_eq!(pdu.payload, Payload::GetNext(vec![want]));
}

#[test]
fn oversized_and_unaligned_payloads_are_refused() {
    let mut h = [0u8; 20];
    h[0] = 1;
    h[2] = 0x10;
    h[16..].copy_from_slice(&(1u32 << 20).to_be_bytes());
    assert_eq!(frame_len(&h), Err(Error::TooLarge(1 << 20)));
    h[16..].copy_from_slice(&6u32.to_be_bytes());
    assert!(matches!(frame_len(&h), Err(Error::Malformed(_))));
    h[0] = 2;
    assert!(matches!(frame_len(&h), Err(Error::Malformed(_))));
}
