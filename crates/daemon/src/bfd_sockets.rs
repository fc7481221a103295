//! The BFD driver's sockets (RFC 5881): one receiving socket per family on UDP port 3784 that
//! reports each packet's TTL / hop limit, and one sending socket per session bound to a source
//! port in 49152-65535, connected to the neighbour's port 3784, sending with the session's TTL.

use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, SockaddrStorage, sockopt};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{self, IoSliceMut, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsFd;

/// A received datagram: its payload length, sender and TTL / hop limit (None: not reported).
pub struct Datagram {
    /// Payload bytes in the buffer.
    pub len: usize,
    /// Who sent it.
    pub from: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6) it arrived with.
    pub ttl: Option<u8>,
}

/// The receiving socket of `ipv6` or IPv4, bound to port 3784 of every address.
pub fn receiver(ipv6: bool) -> io::Result<Socket> {
    let (domain, any) = if ipv6 {
        (Domain::IPV6, IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    } else {
        (Domain::IPV4, IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_nonblocking(true)?;
    s.set_reuse_address(true)?;
    if ipv6 {
        s.set_only_v6(true)?;
        socket::setsockopt(&s.as_fd(), sockopt::Ipv6RecvHopLimit, &true)?;
    } else {
        socket::setsockopt(&s.as_fd(), sockopt::Ipv4RecvTtl, &true)?;
    }
    s.bind(&SockAddr::from(SocketAddr::new(any, bfd::CONTROL_PORT)))?;
    Ok(s)
}

/// Reads one datagram into `buf`; `Ok(None)` when none is queued.
pub fn recv(s: &Socket, buf: &mut [u8]) -> io::Result<Option<Datagram>> {
    let mut cmsg = nix::cmsg_space!(libc::c_int);
    let mut iov = [IoSliceMut::new(buf)];
    let m = match socket::recvmsg::<SockaddrStorage>(
        std::os::fd::AsRawFd::as_raw_fd(s),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT,
    ) {
        Ok(m) => m,
        Err(nix::errno::Errno::EAGAIN) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let from = match m.address.as_ref() {
        Some(a) if a.as_sockaddr_in().is_some() => a.as_sockaddr_in().map(|a| IpAddr::V4(a.ip())),
        Some(a) => a.as_sockaddr_in6().map(|a| IpAddr::V6(a.ip())),
        None => None,
    };
    let Some(from) = from else {
        return Ok(Some(Datagram {
            len: 0,
            from: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ttl: None,
        }));
    };
    let mut ttl = None;
    for c in m.cmsgs().map_err(io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv4Ttl(t) | ControlMessageOwned::Ipv6HopLimit(t) => {
                ttl = u8::try_from(t).ok()
            }
            _ => {}
        }
    }
    Ok(Some(Datagram {
        len: m.bytes,
        from,
        ttl,
    }))
}

/// A session's sending socket: from `source` (or the route's address) and a free port in
/// 49152-65535, to the neighbour's port 3784, with `ttl`.
pub fn sender(neighbor: IpAddr, source: Option<IpAddr>, ttl: u8) -> io::Result<Socket> {
    let domain = if neighbor.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_nonblocking(true)?;
    if neighbor.is_ipv4() {
        s.set_ttl_v4(u32::from(ttl))?;
    } else {
        s.set_unicast_hops_v6(u32::from(ttl))?;
    }
    let local = source.unwrap_or(match neighbor {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    bind_source_port(&s, local)?;
    s.connect(&SockAddr::from(SocketAddr::new(
        neighbor,
        bfd::CONTROL_PORT,
    )))?;
    Ok(s)
}

/// Binds to a random free port of RFC 5881's source range.
fn bind_source_port(s: &Socket, local: IpAddr) -> io::Result<()> {
    let ports = bfd::SOURCE_PORTS;
    let span = u32::from(ports.end() - ports.start()) + 1;
    let start = random_u32()? % span;
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for k in 0..span.min(512) {
        let port = *ports.start() + ((start + k) % span) as u16;
        match s.bind(&SockAddr::from(SocketAddr::new(local, port))) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Four random bytes from the kernel (discriminators, source ports).
pub fn random_u32() -> io::Result<u32> {
    let mut b = [0u8; 4];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(u32::from_ne_bytes(b))
}
