//! Classic BPF programs that split the VRRP packets of one address family by VRID in the
//! kernel: the event loop's socket takes only the VRIDs this daemon runs, so a flood for other
//! VRIDs never wakes it; a second socket takes exactly the rest, to be counted off the loop.
//!
//! An IPv4 raw socket's packet starts at the IP header (the VRID is the VRRP message's second
//! byte, after `4 * IHL` bytes, and after the 24-byte AH header too on the AH socket of
//! `auth_type AH`); an IPv6 raw socket's at the VRRP message. A packet too short to hold a
//! VRID goes to the counting side (it is malformed there).

use socket2::SockFilter;
use std::collections::BTreeSet;
use vrrp::Family;

/// Which part of the traffic a socket takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Packets whose VRID is one of ours.
    Ours,
    /// Every other packet.
    Others,
}

// Opcodes (linux/filter.h), the few these programs use.
const LD_W_LEN: u16 = 0x80; // BPF_LD | BPF_W | BPF_LEN: A = packet length
const LDX_B_MSH: u16 = 0xb1; // BPF_LDX | BPF_B | BPF_MSH: X = 4 * (P[k] & 0xf)
const LD_B_IND: u16 = 0x50; // BPF_LD | BPF_B | BPF_IND: A = P[X + k]
const LD_B_ABS: u16 = 0x30; // BPF_LD | BPF_B | BPF_ABS: A = P[k]
const ALU_SUB_K: u16 = 0x14; // BPF_ALU | BPF_SUB | BPF_K: A -= k
const JGT_X: u16 = 0x2d; // BPF_JMP | BPF_JGT | BPF_X: A > X
const JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K: A > k
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K: A == k
const RET_K: u16 = 0x06; // BPF_RET | BPF_K: keep k bytes (0: drop)

const KEEP: u32 = u32::MAX;
const DROP: u32 = 0;

/// One instruction, as the kernel reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u16,
    /// Jump offset when true.
    pub jt: u8,
    /// Jump offset when false.
    pub jf: u8,
    /// Constant.
    pub k: u32,
}

const fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
    Insn { code, jt, jf, k }
}

/// The program giving `side` of `family`'s packets, `ours` being the VRIDs run here; `ah`:
/// the socket carries VRRP inside AH (IPv4 only).
pub fn program(family: Family, ah: bool, ours: &BTreeSet<u8>, side: Side) -> Vec<Insn> {
    let (mine, theirs) = match side {
        Side::Ours => (KEEP, DROP),
        Side::Others => (DROP, KEEP),
    };
    // Offset of the VRID after the IPv4 header.
    let vrid_at = if ah { vrrp::ah::AH_LEN as u32 + 1 } else { 1 };
    // A = the VRID, or `theirs` at once for a packet too short to hold one.
    let mut p = match family {
        Family::Ipv4 => vec![
            insn(LDX_B_MSH, 0, 0, 0),
            insn(LD_W_LEN, 0, 0, 0),
            insn(ALU_SUB_K, 0, 0, vrid_at),
            insn(JGT_X, 1, 0, 0),
            insn(RET_K, 0, 0, theirs),
            insn(LD_B_IND, 0, 0, vrid_at),
        ],
        Family::Ipv6 => vec![
            insn(LD_W_LEN, 0, 0, 0),
            insn(JGT_K, 1, 0, 1),
            insn(RET_K, 0, 0, theirs),
            insn(LD_B_ABS, 0, 0, 1),
        ],
    };
    // Per VRID: equal -> the next instruction (keep or drop as ours), else skip it.
    for vrid in ours {
        p.push(insn(JEQ_K, 0, 1, u32::from(*vrid)));
        p.push(insn(RET_K, 0, 0, mine));
    }
    p.push(insn(RET_K, 0, 0, theirs));
    p
}

/// The program in the form `setsockopt(SO_ATTACH_FILTER)` takes.
pub fn compiled(program: &[Insn]) -> Vec<SockFilter> {
    program
        .iter()
        .map(|i| SockFilter::new(i.code, i.jt, i.jf, i.k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `p` on `packet` as the kernel would for these opcodes; the bytes kept.
    fn run(p: &[Insn], packet: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        loop {
            let i = p[pc];
            let byte = |at: usize| packet.get(at).map(|b| u32::from(*b));
            match i.code {
                LD_W_LEN => a = packet.len() as u32,
                LDX_B_MSH => match byte(i.k as usize) {
                    Some(b) => x = 4 * (b & 0xf),
                    None => return 0,
                },
                LD_B_IND => match byte((x + i.k) as usize) {
                    Some(b) => a = b,
                    None => return 0,
                },
                LD_B_ABS => match byte(i.k as usize) {
                    Some(b) => a = b,
                    None => return 0,
                },
                ALU_SUB_K => a = a.wrapping_sub(i.k),
                JGT_X | JGT_K | JEQ_K => {
                    let taken = match i.code {
                        JGT_X => a > x,
                        JGT_K => a > i.k,
                        _ => a == i.k,
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                RET_K => return i.k,
                other => panic!("opcode {other:#x}"),
            }
            pc += 1;
        }
    }

    fn v4(ihl_words: u8, vrid: u8) -> Vec<u8> {
        let mut p = vec![0u8; usize::from(ihl_words) * 4];
        p[0] = 0x40 | ihl_words;
        p.extend([0x31, vrid, 100, 1, 0, 100, 0, 0]);
        p
    }

    #[test]
    fn each_packet_goes_to_exactly_one_side() {
        let ours: BTreeSet<u8> = [7, 51, 255].into();
        let sides = |family, packet: &[u8]| {
            [Side::Ours, Side::Others].map(|s| run(&program(family, false, &ours, s), packet) != 0)
        };
        // IPv4, with and without options.
        assert_eq!(sides(Family::Ipv4, &v4(5, 51)), [true, false]);
        assert_eq!(sides(Family::Ipv4, &v4(6, 7)), [true, false]);
        assert_eq!(sides(Family::Ipv4, &v4(5, 52)), [false, true]);
        assert_eq!(sides(Family::Ipv4, &v4(5, 0)), [false, true]);
        // Too short to hold a VRID (or a bogus IHL pointing past the end): counted.
        assert_eq!(sides(Family::Ipv4, &v4(5, 51)[..21]), [false, true]);
        assert_eq!(sides(Family::Ipv4, &[0x4f, 0, 0]), [false, true]);
        // IPv6: the message itself.
        assert_eq!(sides(Family::Ipv6, &[0x31, 255, 1, 2]), [true, false]);
        assert_eq!(sides(Family::Ipv6, &[0x31, 254, 1, 2]), [false, true]);
        assert_eq!(sides(Family::Ipv6, &[0x31]), [false, true]);
    }

    /// keepalived's AH advert (vrid 54, captured): the VRID is found after AH.
    #[test]
    fn on_the_ah_socket_the_vrid_follows_ah() {
        let advert = "45c0004400010000ff331e9eac101005e000001270040000ac10100500000001\
                      385ff1fe9488355b17b18f642136ff020201658bac10100cac10100d0000000000000000";
        let packet: Vec<u8> = (0..advert.len() / 2)
            .map(|k| u8::from_str_radix(&advert[2 * k..2 * k + 2], 16).expect("hex"))
            .collect();
        let side = |vrids: &[u8], s| {
            let ours: BTreeSet<u8> = vrids.iter().copied().collect();
            run(&program(Family::Ipv4, true, &ours, s), &packet) != 0
        };
        assert!(side(&[54], Side::Ours) && !side(&[54], Side::Others));
        // 0x70 (112, AH's next header) sits where a plain packet's VRID would: not ours.
        assert!(!side(&[112, 4], Side::Ours) && side(&[112, 4], Side::Others));
        // Cut inside AH: counted.
        let cut = &packet[..30];
        let ours: BTreeSet<u8> = [54].into();
        assert_eq!(run(&program(Family::Ipv4, true, &ours, Side::Ours), cut), 0);
        assert_ne!(
            run(&program(Family::Ipv4, true, &ours, Side::Others), cut),
            0
        );
    }

    #[test]
    fn with_no_vrid_of_ours_everything_is_counted() {
        let none = BTreeSet::new();
        let p = program(Family::Ipv4, false, &none, Side::Ours);
        assert_eq!(run(&p, &v4(5, 1)), 0);
        let p = program(Family::Ipv4, false, &none, Side::Others);
        assert_ne!(run(&p, &v4(5, 1)), 0);
    }

    #[test]
    fn all_256_vrids_fit_in_one_program() {
        let all: BTreeSet<u8> = (0..=255).collect();
        let p = program(Family::Ipv4, false, &all, Side::Ours);
        assert!(p.len() <= 4096, "{}", p.len());
        assert_ne!(run(&p, &v4(5, 200)), 0);
    }
}
