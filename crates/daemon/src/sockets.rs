//! VRRP on the wire: one raw socket (IP protocol 112) per address family, shared by every
//! instance for receiving and sending. Packet-info control messages give each received packet
//! its interface and destination, and set each sent packet's source and interface; TTL and hop
//! limit are 255 as RFC 5798 §5.1.1.3 requires; multicast loopback is off.

use nix::sys::socket::{
    self, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrIn, SockaddrIn6, SockaddrStorage,
    sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd};
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
    /// The VRRP message (IPv4 header stripped).
    pub payload: Vec<u8>,
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

/// The raw VRRP socket of one address family.
pub struct VrrpSocket {
    family: Family,
    fd: AsyncFd<Socket>,
}

impl VrrpSocket {
    /// Opens and configures the socket (needs CAP_NET_RAW).
    pub fn open(family: Family) -> io::Result<Self> {
        let domain = if family == Family::Ipv4 {
            Domain::IPV4
        } else {
            Domain::IPV6
        };
        let s = Socket::new(
            domain,
            Type::RAW,
            Some(Protocol::from(i32::from(vrrp::checksum::IPPROTO_VRRP))),
        )?;
        s.set_nonblocking(true)?;
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
        Ok(VrrpSocket {
            family,
            fd: crate::sys::async_socket(s)?,
        })
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

    /// Reads one packet if any is queued.
    pub fn try_recv(&self, buf: &mut [u8]) -> Result<Received, RecvError> {
        let fd = self.fd.get_ref().as_raw_fd();
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int, libc::in_pktinfo);
        let mut iov = [IoSliceMut::new(buf)];
        let msg = match socket::recvmsg::<SockaddrStorage>(
            fd,
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(m) => m,
            Err(nix::errno::Errno::EAGAIN) => return Err(RecvError::Empty),
            Err(e) => return Err(RecvError::Io(e.into())),
        };
        let len = msg.bytes;
        let mut ifindex = 0u32;
        let mut dst6 = None;
        let mut hops = None;
        for c in msg.cmsgs().map_err(|e| RecvError::Io(e.into()))? {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(p) => ifindex = p.ipi_ifindex as u32,
                ControlMessageOwned::Ipv6PacketInfo(p) => {
                    ifindex = p.ipi6_ifindex;
                    dst6 = Some(Ipv6Addr::from(p.ipi6_addr.s6_addr));
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
                _ => {}
            }
        }
        let src6 = msg
            .address
            .as_ref()
            .and_then(|a| a.as_sockaddr_in6())
            .map(|a| a.ip());
        let data = &buf[..len];
        match self.family {
            Family::Ipv4 => {
                let (header, payload) =
                    vrrp::ip::parse(data).map_err(|e| RecvError::Malformed(e.to_string()))?;
                Ok(Received {
                    addrs: header.addrs,
                    ttl: header.ttl,
                    ifindex,
                    payload: payload.to_vec(),
                })
            }
            Family::Ipv6 => {
                let (Some(src), Some(dst)) = (src6, dst6) else {
                    return Err(RecvError::Malformed(
                        "IPv6 packet without source or packet info".into(),
                    ));
                };
                Ok(Received {
                    addrs: PacketAddrs {
                        src: IpAddr::V6(src),
                        dst: IpAddr::V6(dst),
                    },
                    ttl: hops.unwrap_or(0),
                    ifindex,
                    payload: data.to_vec(),
                })
            }
        }
    }

    /// Sends a VRRP message from `src` to `dst` out of `ifindex`.
    pub fn send(&self, payload: &[u8], src: IpAddr, dst: IpAddr, ifindex: u32) -> io::Result<()> {
        let fd = self.fd.get_ref().as_raw_fd();
        let iov = [IoSlice::new(payload)];
        let result = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: ifindex as i32,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(s).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let to = SockaddrIn::from(SocketAddrV4::new(d, 0));
                socket::sendmsg(
                    fd,
                    &iov,
                    &[ControlMessage::Ipv4PacketInfo(&info)],
                    MsgFlags::empty(),
                    Some(&to),
                )
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: s.octets(),
                    },
                    ipi6_ifindex: ifindex,
                };
                let scope = if d.is_multicast() || is_link_local(d) {
                    ifindex
                } else {
                    0
                };
                let to = SockaddrIn6::from(SocketAddrV6::new(d, 0, 0, scope));
                socket::sendmsg(
                    fd,
                    &iov,
                    &[ControlMessage::Ipv6PacketInfo(&info)],
                    MsgFlags::empty(),
                    Some(&to),
                )
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "source and destination of different families",
                ));
            }
        };
        result.map(|_| ()).map_err(io::Error::from)
    }
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}
