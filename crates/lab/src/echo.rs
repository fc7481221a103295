//! ICMP echo from a raw socket (IPv4 or IPv6), with the kernel's receive time of every reply
//! (`SO_TIMESTAMPNS`): the client probe needs no `ping` binary. A socket stays in the network
//! namespace it was opened in, so it is opened on a thread inside the client's namespace
//! ([`open_in`]) and then used from any thread.

use anyhow::{Context, Result};
use nix::sys::socket::{
    AddressFamily, ControlMessageOwned, MsgFlags, SockFlag, SockProtocol, SockType,
    SockaddrStorage, recvmsg, sendto, setsockopt, socket, sockopt,
};
use nix::sys::time::TimeVal;
use std::io::IoSliceMut;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

/// Bytes after the 8-byte ICMP header, as `ping`'s default (64-byte ICMP message).
const PAYLOAD: usize = 56;
/// How long one [`EchoSocket::recv`] waits before returning `None`.
const READ_WAIT: Duration = Duration::from_millis(50);

static NEXT_ID: AtomicU16 = AtomicU16::new(0);

/// A raw ICMP socket sending echo requests to one address and reading that address's replies
/// to its own identifier.
pub struct EchoSocket {
    fd: OwnedFd,
    target: IpAddr,
    id: u16,
}

/// One echo reply: its sequence number (as sent) and the kernel's receive time (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EchoReply {
    /// The request's sequence number.
    pub seq: u16,
    /// When the kernel received the reply.
    pub time: f64,
}

/// Opens an [`EchoSocket`] to `target` inside the namespace `ns` (`ip netns` name).
pub fn open_in(ns: &str, target: IpAddr) -> Result<EchoSocket> {
    crate::netns::spawn_in(ns, move || EchoSocket::open(target))?
        .join()
        .map_err(|_| anyhow::anyhow!("the thread opening the probe socket panicked"))??
        .with_context(|| format!("opening an ICMP socket in {ns}"))
}

impl EchoSocket {
    /// Opens a socket in the calling thread's network namespace (needs CAP_NET_RAW).
    pub fn open(target: IpAddr) -> Result<Self> {
        let (family, proto) = match target {
            IpAddr::V4(_) => (AddressFamily::Inet, SockProtocol::Icmp),
            IpAddr::V6(_) => (AddressFamily::Inet6, SockProtocol::IcmpV6),
        };
        let fd = socket(family, SockType::Raw, SockFlag::SOCK_CLOEXEC, proto)
            .context("a raw ICMP socket (needs root)")?;
        setsockopt(&fd, sockopt::ReceiveTimestampns, &true).context("SO_TIMESTAMPNS")?;
        let wait = TimeVal::new(0, READ_WAIT.as_micros() as _);
        setsockopt(&fd, sockopt::ReceiveTimeout, &wait).context("SO_RCVTIMEO")?;
        let id = (std::process::id() as u16) ^ NEXT_ID.fetch_add(0x9e37, Ordering::Relaxed);
        Ok(EchoSocket { fd, target, id })
    }

    /// Sends echo request `seq`.
    pub fn send(&self, seq: u16) -> Result<()> {
        let packet = request(self.target.is_ipv6(), self.id, seq);
        let to = SockaddrStorage::from(SocketAddr::new(self.target, 0));
        sendto(self.fd.as_raw_fd(), &packet, &to, MsgFlags::empty())
            .with_context(|| format!("sending an echo request to {}", self.target))?;
        Ok(())
    }

    /// The next reply from the target to this socket's requests, or `None` when none came
    /// within 50 ms (other ICMP traffic the raw socket sees is skipped).
    pub fn recv(&self) -> Result<Option<EchoReply>> {
        let mut buf = [0u8; 1500];
        let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec);
        let (len, from, time) = {
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = match recvmsg::<SockaddrStorage>(
                self.fd.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            ) {
                Ok(m) => m,
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => return Ok(None),
                Err(e) => return Err(e).context("reading echo replies"),
            };
            let time = msg.cmsgs()?.find_map(|c| match c {
                ControlMessageOwned::ScmTimestampns(t) => {
                    Some(t.tv_sec() as f64 + t.tv_nsec() as f64 * 1e-9)
                }
                _ => None,
            });
            (msg.bytes, msg.address.and_then(|a| source(&a)), time)
        };
        if from != Some(self.target) {
            return Ok(None);
        }
        let Some(time) = time else {
            anyhow::bail!("the kernel gave no receive time (SO_TIMESTAMPNS)")
        };
        Ok(parse_reply(&buf[..len], self.target.is_ipv6(), self.id)
            .map(|seq| EchoReply { seq, time }))
    }
}

fn source(a: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    a.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

/// An echo request: type 8 (ICMPv6: 128), the identifier, the sequence number and `ping`'s
/// payload size. ICMPv4's checksum is ours to fill; the kernel fills ICMPv6's.
pub fn request(v6: bool, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![0u8; 8 + PAYLOAD];
    p[0] = if v6 { 128 } else { 8 };
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in p[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if !v6 {
        let sum = vrrp::checksum::internet_checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// The sequence number of an echo reply to identifier `id`, from what a raw socket reads
/// (IPv4: with the IP header; IPv6: the ICMPv6 message alone).
pub fn parse_reply(packet: &[u8], v6: bool, id: u16) -> Option<u16> {
    let icmp = if v6 {
        packet
    } else {
        let ihl = usize::from(packet.first()? & 0x0f) * 4;
        packet.get(ihl..)?
    };
    let want_type = if v6 { 129 } else { 0 };
    if icmp.len() < 8 || icmp[0] != want_type || icmp[1] != 0 {
        return None;
    }
    (u16::from_be_bytes([icmp[4], icmp[5]]) == id).then(|| u16::from_be_bytes([icmp[6], icmp[7]]))
}

/// Whether one echo request from namespace `ns` to `target` is answered within `wait`.
pub fn answered(ns: &str, target: IpAddr, wait: Duration) -> bool {
    let Ok(sock) = open_in(ns, target) else {
        return false;
    };
    if sock.send(1).is_err() {
        return false;
    }
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        match sock.recv() {
            Ok(Some(r)) if r.seq == 1 => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_checksums_to_zero_and_its_reply_parses() {
        let req = request(false, 0x1234, 77);
        assert_eq!(req.len(), 64);
        assert_eq!(vrrp::checksum::internet_checksum(&req), 0);
        // The reply as a raw IPv4 socket reads it: a 20-byte IP header, then type 0.
        let mut reply = vec![0x45u8];
        reply.resize(20, 0);
        reply.extend_from_slice(&req);
        reply[20] = 0;
        assert_eq!(parse_reply(&reply, false, 0x1234), Some(77));
        assert_eq!(
            parse_reply(&reply, false, 0x1235),
            None,
            "another socket's id"
        );
        reply[20] = 8;
        assert_eq!(
            parse_reply(&reply, false, 0x1234),
            None,
            "a request is no reply"
        );
        let mut v6 = request(true, 9, 65535);
        assert_eq!(v6[0], 128);
        v6[0] = 129;
        assert_eq!(parse_reply(&v6, true, 9), Some(65535));
        assert_eq!(parse_reply(&v6[..7], true, 9), None, "truncated");
    }
}
