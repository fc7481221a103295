//! Sending whole Ethernet frames (gratuitous ARP, NA): the `rawlink` crate's sender.

/// A send-only packet socket.
pub type PacketSender = rawlink::Sender;
