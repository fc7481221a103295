//! The control packet codec: round trips (proptest), a hand-made vector, and each discard rule
//! of RFC 5880 §6.8.6 that needs no session.

use bfd::packet::{ControlPacket, DecodeError, Diag, State};
use proptest::prelude::*;

fn state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::AdminDown),
        Just(State::Down),
        Just(State::Init),
        Just(State::Up)
    ]
}

prop_compose! {
    fn valid_packet()(
        diag in 0u8..32, state in state(), poll: bool, final_: bool, cpi: bool, demand: bool,
        detect_mult in 1u8..=255, my_discr in 1u32.., your_discr: u32,
        desired_min_tx: u32, required_min_rx: u32, required_min_echo_rx: u32,
    ) -> ControlPacket {
        let your_discr = if matches!(state, State::Init | State::Up) { your_discr.max(1) } else { your_discr };
        ControlPacket { diag: Diag::from_bits(diag), state, poll, final_, cpi, demand, detect_mult,
            my_discr, your_discr, desired_min_tx, required_min_rx, required_min_echo_rx }
    }
}

proptest! {
    #[test]
    fn valid_packets_round_trip(p in valid_packet()) {
        let bytes = p.encode();
        prop_assert_eq!(ControlPacket::decode(&bytes), Ok(p));
    }

    #[test]
    fn trailing_bytes_beyond_length_are_ignored(p in valid_packet(), extra in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut bytes = p.encode().to_vec();
        bytes.extend(extra);
        prop_assert_eq!(ControlPacket::decode(&bytes), Ok(p));
    }

    #[test]
    fn any_bytes_decode_without_panic_and_accepted_ones_re_encode(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(p) = ControlPacket::decode(&bytes) {
            // What was accepted re-encodes to the same 24 header bytes, bar the length field.
            let again = p.encode();
            prop_assert_eq!(&again[4..], &bytes[4..24]);
            prop_assert_eq!(again[0], bytes[0]);
            prop_assert_eq!(again[1], bytes[1]);
            prop_assert_eq!(again[2], bytes[2]);
        }
    }
}

/// A keepalived-style Down packet: version 1, state Down, mult 5, discr 0x11223344, your 0,
/// DesiredMinTx 1 s (idle), RequiredMinRx 10 ms.
const DOWN: [u8; 24] = [
    0x20, 0x40, 0x05, 0x18, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0x00, 0x0f, 0x42, 0x40, 0x00, 0x00,
    0x27, 0x10, 0, 0, 0, 0,
];

#[test]
fn decodes_a_down_packet_field_by_field() {
    let p = ControlPacket::decode(&DOWN).expect("valid");
    assert_eq!(p.state, State::Down);
    assert_eq!(p.diag, Diag::None);
    assert_eq!(p.detect_mult, 5);
    assert_eq!(p.my_discr, 0x1122_3344);
    assert_eq!(p.your_discr, 0);
    assert_eq!(p.desired_min_tx, 1_000_000);
    assert_eq!(p.required_min_rx, 10_000);
    assert!(!p.poll && !p.final_);
    assert_eq!(p.encode(), DOWN);
}

fn mutated(f: impl FnOnce(&mut [u8; 24])) -> Result<ControlPacket, DecodeError> {
    let mut b = DOWN;
    f(&mut b);
    ControlPacket::decode(&b)
}

#[test]
fn discards_what_rfc5880_6_8_6_discards() {
    assert_eq!(
        ControlPacket::decode(&DOWN[..23]),
        Err(DecodeError::Short(23))
    );
    assert_eq!(mutated(|b| b[0] = 0x40), Err(DecodeError::Version(2)));
    assert_eq!(mutated(|b| b[3] = 23), Err(DecodeError::LengthTooSmall(23)));
    assert_eq!(
        mutated(|b| b[3] = 25),
        Err(DecodeError::LengthBeyondPayload {
            field: 25,
            payload: 24
        })
    );
    assert_eq!(mutated(|b| b[2] = 0), Err(DecodeError::ZeroMultiplier));
    assert_eq!(mutated(|b| b[1] |= 0x01), Err(DecodeError::Multipoint));
    assert_eq!(
        mutated(|b| b[4..8].copy_from_slice(&[0; 4])),
        Err(DecodeError::ZeroMyDiscriminator)
    );
    // Init and Up need Your Discriminator; Down and AdminDown may leave it 0.
    assert_eq!(
        mutated(|b| b[1] = 0xc0),
        Err(DecodeError::ZeroYourDiscriminator(State::Up))
    );
    assert_eq!(
        mutated(|b| b[1] = 0x80),
        Err(DecodeError::ZeroYourDiscriminator(State::Init))
    );
    assert!(mutated(|b| b[1] = 0x00).is_ok());
    // The A bit needs 26 bytes and then authentication we do not have.
    assert_eq!(
        mutated(|b| b[1] |= 0x04),
        Err(DecodeError::LengthTooSmall(24))
    );
    let mut long = DOWN.to_vec();
    long.extend([1, 2]);
    long[1] |= 0x04;
    long[3] = 26;
    assert_eq!(
        ControlPacket::decode(&long),
        Err(DecodeError::Authenticated)
    );
}
