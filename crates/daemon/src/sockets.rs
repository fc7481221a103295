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

use nix::sys::socket::{self, ControlMessage, MsgFlags, SockaddrIn, SockaddrIn6};
use socket2::Socket;
use std::collections::BTreeSet;
use std::io::{self, IoSlice};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;
use tokio::io::unix::AsyncFd;
use vrrp::Family;

pub use crate::raw_packets::{BATCH, Received, RecvBuffer, RecvError, configured, recv_batch};

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
    /// The three channels, in the order of the loop's sockets.
    pub const ALL: [Channel; 3] = [Channel::V4, Channel::V6, Channel::Ah];

    /// The channel an instance of `family` sends and receives by (`ah`: `auth_type AH`, whose
    /// adverts go by the AH socket whatever the family).
    pub fn of(family: Family, ah: bool) -> Channel {
        match (family, ah) {
            (_, true) => Channel::Ah,
            (Family::Ipv4, false) => Channel::V4,
            (Family::Ipv6, false) => Channel::V6,
        }
    }

    /// This channel's socket among the loop's IPv4, IPv6 and AH sockets.
    pub fn socket(self, [v4, v6, ah]: [&Option<VrrpSocket>; 3]) -> &Option<VrrpSocket> {
        match self {
            Channel::V4 => v4,
            Channel::V6 => v6,
            Channel::Ah => ah,
        }
    }

    /// The address family it carries.
    pub fn family(self) -> Family {
        match self {
            Channel::V6 => Family::Ipv6,
            Channel::V4 | Channel::Ah => Family::Ipv4,
        }
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
    pub fn send_batch<B: AsRef<[u8]>>(
        &self,
        src: IpAddr,
        ifindex: u32,
        msgs: &[(B, IpAddr)],
    ) -> Vec<io::Result<()>> {
        let fd = self.fd.get_ref().as_raw_fd();
        let iovs: Vec<[IoSlice; 1]> = msgs
            .iter()
            .map(|(b, _)| [IoSlice::new(b.as_ref())])
            .collect();
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
