//! Sending whole Ethernet frames (gratuitous ARP, NA) with an AF_PACKET socket.

use crate::sys::link_addr;
use socket2::{Domain, Socket, Type};
use std::io;

/// A send-only packet socket (protocol 0: it receives nothing, so costs nothing on busy links).
pub struct PacketSender {
    socket: Socket,
}

impl PacketSender {
    /// Opens the socket (needs CAP_NET_RAW).
    pub fn new() -> io::Result<Self> {
        Ok(PacketSender {
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
        let addr = link_addr(ifindex, ethertype, dst)?;
        self.socket.send_to(frame, &addr).map(|_| ())
    }
}
