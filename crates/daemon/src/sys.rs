//! The daemon's only `unsafe`: registering a socket with tokio, which tokio made unsafe (the
//! `sockaddr_ll` for frames lives in the `rawlink` crate).
#![allow(unsafe_code)]

use socket2::Socket;
use std::io;
use tokio::io::unix::AsyncFd;

/// Registers an owned socket with the tokio reactor.
pub fn async_socket(socket: Socket) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: `Socket` owns its file descriptor, which stays open and unchanged until the
    // `Socket` is dropped, and the `AsyncFd` owns the `Socket`: the descriptor is valid for the
    // whole life of the registration, as `register` requires.
    unsafe { AsyncFd::register(socket).map_err(|e| e.into_parts().1) }
}
