//! Whole Ethernet frames in and out of Linux interfaces with AF_PACKET sockets, and the one
//! builder and parser of Ethernet, ARP and announcement frames ([`frames`]): a sender (the
//! daemon's GARP / NA, the VPC data plane's forwarding) and a receiver that reports which
//! interface a frame came in on. The one `unsafe` block builds a `sockaddr_ll`, which no crate
//! constructs safely.

mod addr;
pub mod frames;
pub mod netns;

use nix::sys::socket::{
    AddressFamily, LinkAddr, SockFlag, SockProtocol, SockType, recvfrom, socket,
};
use socket2::{Domain, Socket, Type};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

/// A send-only packet socket (protocol 0: it receives nothing, so costs nothing on busy links).
pub struct Sender {
    socket: Socket,
}

impl Sender {
    /// Opens the socket (needs CAP_NET_RAW).
    pub fn new() -> io::Result<Self> {
        Ok(Sender {
            socket: Socket::new(Domain::PACKET, Type::RAW, None)?,
        })
    }

    /// Sends a complete Ethernet frame out of interface `ifindex`.
    pub fn send(&self, ifindex: u32, frame: &[u8]) -> io::Result<()> {
        let dst: [u8; 6] = frame
            .get(..6)
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "short frame"))?;
        let ethertype = frame
            .get(12..14)
            .map_or(0, |t| u16::from_be_bytes([t[0], t[1]]));
        let addr = addr::link_addr(ifindex, ethertype, dst)?;
        self.socket.send_to(frame, &addr).map(|_| ())
    }
}

/// A frame received, and the interface it arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Bytes of the frame in the buffer.
    pub len: usize,
    /// Interface index.
    pub ifindex: u32,
}

/// Receives every frame arriving on any interface of the namespace (ETH_P_ALL), skipping the
/// copies of frames sent from this host.
pub struct Receiver {
    fd: OwnedFd,
}

/// `PACKET_OUTGOING`: a copy of a frame this host sent.
const PACKET_OUTGOING: u8 = 4;

impl Receiver {
    /// Opens the socket (needs CAP_NET_RAW).
    pub fn new() -> io::Result<Self> {
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::EthAll,
        )?;
        Ok(Receiver { fd })
    }

    /// Makes [`Receiver::recv`] give up after `t` (with `WouldBlock`) when nothing arrives.
    pub fn set_timeout(&self, t: std::time::Duration) -> io::Result<()> {
        let tv = nix::sys::time::TimeVal::new(
            t.as_secs() as nix::libc::time_t,
            t.subsec_micros() as nix::libc::suseconds_t,
        );
        nix::sys::socket::setsockopt(&self.fd, nix::sys::socket::sockopt::ReceiveTimeout, &tv)?;
        Ok(())
    }

    /// Waits for the next incoming frame.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Arrival> {
        loop {
            let (len, from) = recvfrom::<LinkAddr>(self.fd.as_raw_fd(), buf)?;
            let Some(from) = from else { continue };
            if from.pkttype() == PACKET_OUTGOING {
                continue;
            }
            let ifindex = u32::try_from(from.ifindex()).unwrap_or(0);
            return Ok(Arrival { len, ifindex });
        }
    }
}
