//! Reading VRRP packets from a raw socket: the socket's options, batches read by one
//! `recvmmsg` with their packet-info control messages, and each packet parsed into its envelope (addresses,
//! TTL or hop limit, interface) and VRRP message. Used by the event loop's sockets
//! (`sockets.rs`) and by the stray counter (`strays.rs`) alike.

use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, SockaddrStorage, sockopt};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr};
use std::os::fd::{AsFd, RawFd};
use vrrp::{Family, PacketAddrs};

/// A received VRRP message with its IP envelope.
#[derive(Debug)]
pub struct Received {
    /// Source and destination.
    pub addrs: PacketAddrs,
    /// TTL / hop limit.
    pub ttl: u8,
    /// Interface it arrived on.
    pub ifindex: u32,
    /// The VRRP message (IPv4 header, and AH, stripped).
    pub payload: Vec<u8>,
    /// On the AH socket: the whole IPv4 packet, for the ICV.
    pub ah_packet: Option<Vec<u8>>,
}

/// Why a packet was not handed on.
#[derive(Debug)]
pub enum RecvError {
    /// Nothing more to read now.
    Empty,
    /// A packet that is not well-formed IP.
    Malformed(String),
    /// Socket error.
    Io(io::Error),
}

/// Packets read per socket per wake-up, at most: a flood cannot keep the loop from its timers.
pub const BATCH: usize = 16;

/// The buffers packets are read into (one slot per packet of a batch), kept between reads.
pub struct RecvBuffer {
    /// [`BATCH`] slots of `slot` bytes, end to end.
    buf: Vec<u8>,
    slot: usize,
}

impl Default for RecvBuffer {
    fn default() -> Self {
        Self::sized(65536)
    }
}

impl RecvBuffer {
    /// [`BATCH`] slots of `len` bytes each: a longer packet is cut there (and then does not
    /// parse). One allocation, zeroed lazily by the kernel when it is that large: only the
    /// pages packets are read into take memory.
    pub fn sized(len: usize) -> Self {
        RecvBuffer {
            buf: vec![0u8; len * BATCH],
            slot: len,
        }
    }
}

/// What the kernel says about a received packet besides its bytes.
type Envelope = Result<Meta, RecvError>;

/// A received packet's length, interface, (IPv6) addresses and hop limit, and the socket's
/// count of packets its full queue dropped so far.
struct Meta {
    len: usize,
    ifindex: u32,
    src6: Option<Ipv6Addr>,
    dst6: Option<Ipv6Addr>,
    hops: Option<u8>,
    overflow: Option<u32>,
}

impl Meta {
    fn of(m: &socket::RecvMsg<'_, '_, SockaddrStorage>) -> Envelope {
        let mut meta = Meta {
            len: m.bytes,
            ifindex: 0,
            src6: m
                .address
                .as_ref()
                .and_then(|a| a.as_sockaddr_in6())
                .map(|a| a.ip()),
            dst6: None,
            hops: None,
            overflow: None,
        };
        for c in m.cmsgs().map_err(|e| RecvError::Io(e.into()))? {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(p) => meta.ifindex = p.ipi_ifindex as u32,
                ControlMessageOwned::Ipv6PacketInfo(p) => {
                    meta.ifindex = p.ipi6_ifindex;
                    meta.dst6 = Some(Ipv6Addr::from(p.ipi6_addr.s6_addr));
                }
                ControlMessageOwned::Ipv6HopLimit(h) => meta.hops = u8::try_from(h).ok(),
                ControlMessageOwned::RxqOvfl(n) => meta.overflow = Some(n),
                _ => {}
            }
        }
        Ok(meta)
    }
}

/// A raw VRRP socket of `family` (`ah`: the IPv4 AH socket, which writes its own IP
/// headers), configured, non-blocking, counting the packets its full queue drops (needs
/// CAP_NET_RAW).
pub fn configured(family: Family, ah: bool) -> io::Result<Socket> {
    let domain = if family == Family::Ipv4 {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let protocol = if ah {
        vrrp::ah::IPPROTO_AH
    } else {
        vrrp::checksum::IPPROTO_VRRP
    };
    let s = Socket::new(domain, Type::RAW, Some(Protocol::from(i32::from(protocol))))?;
    s.set_nonblocking(true)?;
    if ah {
        s.set_header_included_v4(true)?;
    }
    match family {
        Family::Ipv4 => {
            s.set_multicast_ttl_v4(255)?;
            s.set_ttl_v4(255)?;
            s.set_multicast_loop_v4(false)?;
            s.set_tos_v4(0xc0)?;
            socket::setsockopt(&s.as_fd(), sockopt::Ipv4PacketInfo, &true)?;
        }
        Family::Ipv6 => {
            s.set_multicast_hops_v6(255)?;
            s.set_unicast_hops_v6(255)?;
            s.set_multicast_loop_v6(false)?;
            socket::setsockopt(&s.as_fd(), sockopt::Ipv6RecvPacketInfo, &true)?;
            socket::setsockopt(&s.as_fd(), sockopt::Ipv6RecvHopLimit, &true)?;
        }
    }
    socket::setsockopt(&s.as_fd(), sockopt::RxqOvfl, &1)?;
    Ok(s)
}

/// Reads the packets queued on `fd` (a VRRP socket of `family`, the AH socket if `.1`), up
/// to the batch's size in one `recvmmsg`, each parsed; `overflow` gets the kernel's count of
/// packets the socket's full queue dropped. `Err(Empty)` when none is queued.
pub fn recv_batch(
    fd: RawFd,
    (family, ah): (Family, bool),
    batch: &mut RecvBuffer,
    overflow: &mut u32,
) -> Result<Vec<Result<Received, RecvError>>, RecvError> {
    let envelopes = receive_many(fd, batch)?;
    if envelopes.is_empty() {
        return Err(RecvError::Empty);
    }
    let mut out = Vec::with_capacity(envelopes.len());
    for (envelope, buf) in envelopes.into_iter().zip(batch.buf.chunks(batch.slot)) {
        if let Ok(Meta {
            overflow: Some(n), ..
        }) = &envelope
        {
            *overflow = *n;
        }
        out.push(if ah {
            parse_ah(envelope, buf)
        } else {
            parse(family, envelope, buf)
        });
    }
    Ok(out)
}

/// One `recvmmsg` into the batch's slots: each packet's envelope, in the slots' order; none
/// when nothing is queued.
fn receive_many(fd: RawFd, batch: &mut RecvBuffer) -> Result<Vec<Envelope>, RecvError> {
    let cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::in_pktinfo, u32);
    let mut headers = socket::MultiHeaders::<SockaddrStorage>::preallocate(BATCH, Some(cmsg));
    let mut iovs: Vec<[IoSliceMut<'_>; 1]> = batch
        .buf
        .chunks_mut(batch.slot)
        .map(|s| [IoSliceMut::new(s)])
        .collect();
    match socket::recvmmsg(
        fd,
        &mut headers,
        iovs.iter_mut(),
        MsgFlags::MSG_DONTWAIT,
        None,
    ) {
        Ok(got) => Ok(got.map(|m| Meta::of(&m)).collect()),
        Err(nix::errno::Errno::EAGAIN) => Ok(Vec::new()),
        Err(e) => Err(RecvError::Io(e.into())),
    }
}

/// The VRRP message of a received packet and its envelope.
fn parse(family: Family, e: Envelope, buf: &[u8]) -> Result<Received, RecvError> {
    let e = e?;
    let data = &buf[..e.len.min(buf.len())];
    match family {
        Family::Ipv4 => {
            let (header, payload) =
                vrrp::ip::parse(data).map_err(|e| RecvError::Malformed(e.to_string()))?;
            Ok(Received {
                addrs: header.addrs,
                ttl: header.ttl,
                ifindex: e.ifindex,
                payload: payload.to_vec(),
                ah_packet: None,
            })
        }
        Family::Ipv6 => {
            let (Some(src), Some(dst)) = (e.src6, e.dst6) else {
                return Err(RecvError::Malformed(
                    "IPv6 packet without source or packet info".into(),
                ));
            };
            Ok(Received {
                addrs: PacketAddrs {
                    src: IpAddr::V6(src),
                    dst: IpAddr::V6(dst),
                },
                ttl: e.hops.unwrap_or(0),
                ifindex: e.ifindex,
                payload: data.to_vec(),
                ah_packet: None,
            })
        }
    }
}

/// An AH packet: the VRRP message after AH, and the whole packet kept for the ICV. AH around
/// another protocol is malformed here (keepalived drops it too).
fn parse_ah(e: Envelope, buf: &[u8]) -> Result<Received, RecvError> {
    let e = e?;
    let data = &buf[..e.len.min(buf.len())];
    let opened = vrrp::ah::open(data).map_err(|e| RecvError::Malformed(e.to_string()))?;
    Ok(Received {
        addrs: opened.ip.addrs,
        ttl: opened.ip.ttl,
        ifindex: e.ifindex,
        payload: opened.vrrp.to_vec(),
        ah_packet: Some(data.to_vec()),
    })
}
