//! The one `unsafe` block: a `sockaddr_ll` for socket2.
#![allow(unsafe_code)]

use socket2::{SockAddr, SockAddrStorage};
use std::io;

/// A `sockaddr_ll` for sending a frame of `ethertype` to `mac` out of `ifindex`.
pub fn link_addr(ifindex: u32, ethertype: u16, mac: [u8; 6]) -> io::Result<SockAddr> {
    let mut ll: libc::sockaddr_ll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: ethertype.to_be(),
        sll_ifindex: i32::try_from(ifindex)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "ifindex"))?,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 6,
        sll_addr: [0; 8],
    };
    ll.sll_addr[..6].copy_from_slice(&mac);
    let mut storage = SockAddrStorage::zeroed();
    let len = std::mem::size_of::<libc::sockaddr_ll>();
    // SAFETY: `sockaddr_storage` is larger than and aligned for any socket address, including
    // `sockaddr_ll`; we copy exactly `len` initialised bytes of `ll` into its start, and pass
    // that length, so socket2 sees a well-formed AF_PACKET address.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&ll as *const libc::sockaddr_ll).cast::<u8>(),
            storage.view_as::<libc::sockaddr_ll>() as *mut libc::sockaddr_ll as *mut u8,
            len,
        );
        Ok(SockAddr::new(storage, len as libc::socklen_t))
    }
}
