//! VRRP on the wire: one raw socket (IP protocol 112) per address family, shared by every
//! instance for receiving and sending. Packet-info control messages give each received packet
//! its interface and destination, and set each sent packet's source and interface; TTL and hop
//! limit are 255 as RFC 5798 §5.1.1.3 requires; multicast loopback is off. A kernel filter
//! ([`crate::vrid_filter`]) lets through only the VRIDs run here; the others go to a second
//! socket, counted off the event loop ([`crate::strays`]).
//!
//! Instances with `auth_type AH` use a third one, as keepalived does: IPv4, IP protocol 51
//! (AH), with `IP_HDRINCL`, since the AH ICV covers the IP header we write (identification,
//! TTL, addresses); it receives whole packets, AH header included.

use nix::sys::socket::{
    self, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrIn, SockaddrIn6, SockaddrStorage,
    sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::BTreeSet;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use tokio::io::unix::AsyncFd;
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

/// One of the loop's sockets: VRRP of a family, or VRRP in AH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// IPv4 VRRP.
    V4,
    /// IPv6 VRRP.
    V6,
    /// IPv4 VRRP inside AH (`auth_type AH`).
    Ah,
}

impl Channel {
    /// The address family it carries.
    pub fn family(self) -> Family {
        match self {
            Channel::V6 => Family::Ipv6,
            Channel::V4 | Channel::Ah => Family::Ipv4,
        }
    }
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

/// The buffer packets are read into, kept between reads.
pub struct RecvBuffer {
    buf: Vec<u8>,
}

impl Default for RecvBuffer {
    fn default() -> Self {
        Self::sized(65536)
    }
}

impl RecvBuffer {
    /// A buffer of `len` bytes: a longer packet is cut there (and then does not parse).
    pub fn sized(len: usize) -> Self {
        RecvBuffer {
            buf: vec![0u8; len],
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

/// The raw VRRP socket of one address family (or the AH socket).
pub struct VrrpSocket {
    family: Family,
    ah: bool,
    fd: AsyncFd<Socket>,
    /// Packets its full queue dropped, as the kernel last said.
    overflow: std::cell::Cell<u32>,
    strays: crate::strays::Strays,
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

impl VrrpSocket {
    /// Opens the socket and its stray counter; until [`VrrpSocket::serve_only`] it takes every
    /// VRRP packet of its family.
    pub fn open(family: Family) -> io::Result<Self> {
        Self::open_for(family, false)
    }

    /// Opens the AH socket (IPv4, protocol 51, `IP_HDRINCL`) and its stray counter.
    pub fn open_ah() -> io::Result<Self> {
        Self::open_for(Family::Ipv4, true)
    }

    fn open_for(family: Family, ah: bool) -> io::Result<Self> {
        Ok(VrrpSocket {
            family,
            ah,
            fd: crate::sys::async_socket(configured(family, ah)?)?,
            overflow: std::cell::Cell::new(0),
            strays: crate::strays::Strays::start(family, ah)?,
        })
    }

    /// From now on takes only the VRIDs of `ours`; the stray counter takes the others (it
    /// switches first, so no packet goes uncounted meanwhile).
    pub fn serve_only(&self, ours: &BTreeSet<u8>) -> io::Result<()> {
        use crate::vrid_filter::{Side, compiled, program};
        self.strays.take_all_but(ours)?;
        let ours = compiled(&program(self.family, self.ah, ours, Side::Ours));
        self.fd.get_ref().attach_filter(&ours)
    }

    /// Packets dropped before reaching the loop: by this socket's full queue, and the stray
    /// counter's tally of the others.
    pub fn dropped_elsewhere(&self) -> crate::strays::Tally {
        let mut t = self.strays.tally();
        t.overflow += u64::from(self.overflow.get());
        t
    }

    /// Joins the VRRP multicast group `group` on interface `ifindex`.
    pub fn join(&self, group: IpAddr, ifindex: u32) -> io::Result<()> {
        let joined = match group {
            IpAddr::V4(g) => self
                .fd
                .get_ref()
                .join_multicast_v4_n(&g, &socket2::InterfaceIndexOrAddress::Index(ifindex)),
            IpAddr::V6(g) => self.fd.get_ref().join_multicast_v6(&g, ifindex),
        };
        match joined {
            // Several instances share an interface: the group is joined once.
            Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Ok(()),
            other => other,
        }
    }

    /// Waits until a packet may be readable.
    pub async fn readable(&self) -> io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, Socket>> {
        self.fd.readable().await
    }

    /// Reads the packets queued, up to the batch's size. `Err(Empty)` when none is queued.
    pub fn recv_some(
        &self,
        batch: &mut RecvBuffer,
    ) -> Result<Vec<Result<Received, RecvError>>, RecvError> {
        let mut overflow = self.overflow.get();
        let got = recv_batch(
            self.fd.get_ref().as_raw_fd(),
            (self.family, self.ah),
            batch,
            &mut overflow,
        );
        self.overflow.set(overflow);
        got
    }

    /// Sends messages, all from `src` out of `ifindex`, with as few system calls as the kernel
    /// allows (`sendmmsg`, the packet info shared); one result per message, in order. On the
    /// AH socket each message is a whole IPv4 packet.
    pub fn send_batch(
        &self,
        src: IpAddr,
        ifindex: u32,
        msgs: &[(Vec<u8>, IpAddr)],
    ) -> Vec<io::Result<()>> {
        let fd = self.fd.get_ref().as_raw_fd();
        let iovs: Vec<[IoSlice; 1]> = msgs.iter().map(|(b, _)| [IoSlice::new(b)]).collect();
        let mismatch = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "source and destination of different families",
            )
        };
        match src {
            IpAddr::V4(s) => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: ifindex as i32,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(s).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let addrs: Vec<Option<SockaddrIn>> = msgs
                    .iter()
                    .map(|(_, d)| match d {
                        IpAddr::V4(d) => Some(SockaddrIn::from(SocketAddrV4::new(*d, 0))),
                        IpAddr::V6(_) => None,
                    })
                    .collect();
                if addrs.iter().any(Option::is_none) {
                    return msgs.iter().map(|_| Err(mismatch())).collect();
                }
                let cmsgs = [ControlMessage::Ipv4PacketInfo(&info)];
                send_many(
                    fd,
                    &iovs,
                    &addrs,
                    &cmsgs,
                    nix::cmsg_space!(libc::in_pktinfo),
                )
            }
            IpAddr::V6(s) => {
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: s.octets(),
                    },
                    ipi6_ifindex: ifindex,
                };
                let addrs: Vec<Option<SockaddrIn6>> = msgs
                    .iter()
                    .map(|(_, d)| match d {
                        IpAddr::V6(d) => {
                            let scope = if d.is_multicast() || is_link_local(*d) {
                                ifindex
                            } else {
                                0
                            };
                            Some(SockaddrIn6::from(SocketAddrV6::new(*d, 0, 0, scope)))
                        }
                        IpAddr::V4(_) => None,
                    })
                    .collect();
                if addrs.iter().any(Option::is_none) {
                    return msgs.iter().map(|_| Err(mismatch())).collect();
                }
                let cmsgs = [ControlMessage::Ipv6PacketInfo(&info)];
                send_many(
                    fd,
                    &iovs,
                    &addrs,
                    &cmsgs,
                    nix::cmsg_space!(libc::in6_pktinfo),
                )
            }
        }
    }
}

/// Reads the packets queued on `fd` (a VRRP socket of `family`, the AH socket if `.1`), up
/// to the batch's size, each parsed; `overflow` gets the kernel's count of packets the
/// socket's full queue dropped. `Err(Empty)` when none is queued.
pub fn recv_batch(
    fd: RawFd,
    (family, ah): (Family, bool),
    batch: &mut RecvBuffer,
    overflow: &mut u32,
) -> Result<Vec<Result<Received, RecvError>>, RecvError> {
    let mut out = Vec::new();
    for _ in 0..BATCH {
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::in_pktinfo, u32);
        let buf = &mut batch.buf;
        let envelope = {
            let mut iov = [IoSliceMut::new(buf)];
            match socket::recvmsg::<SockaddrStorage>(
                fd,
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(m) => Meta::of(&m),
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(e) => return Err(RecvError::Io(e.into())),
            }
        };
        if let Ok(Meta {
            overflow: Some(n), ..
        }) = &envelope
        {
            *overflow = *n;
        }
        out.push(if ah {
            parse_ah(envelope, &batch.buf)
        } else {
            parse(family, envelope, &batch.buf)
        });
    }
    if out.is_empty() {
        return Err(RecvError::Empty);
    }
    Ok(out)
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

/// `sendmmsg` until every message went or failed: a message the kernel refuses ends a call;
/// it gets the error and the next call starts after it.
fn send_many<S: socket::SockaddrLike + Copy>(
    fd: std::os::fd::RawFd,
    iovs: &[[IoSlice; 1]],
    addrs: &[Option<S>],
    cmsgs: &[ControlMessage],
    cmsg_space: Vec<u8>,
) -> Vec<io::Result<()>> {
    let mut out: Vec<io::Result<()>> = Vec::with_capacity(iovs.len());
    let mut headers = socket::MultiHeaders::<S>::preallocate(iovs.len(), Some(cmsg_space));
    while out.len() < iovs.len() {
        let start = out.len();
        match socket::sendmmsg(
            fd,
            &mut headers,
            &iovs[start..],
            &addrs[start..],
            cmsgs,
            MsgFlags::empty(),
        ) {
            Ok(sent) => {
                let n = sent.count().max(1);
                out.extend((0..n).map(|_| Ok(())));
            }
            Err(e) => out.push(Err(e.into())),
        }
    }
    out.truncate(iovs.len());
    out
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}
