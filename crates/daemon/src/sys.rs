//! The daemon's only `unsafe`: registering a socket with tokio, which tokio made unsafe, and
//! sending a signal by its number (the `sockaddr_ll` for frames lives in the `rawlink` crate).
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

/// Sends signal `signo` to process `pid`. nix's `kill` takes only the named signals, and the
/// supervisor must pass on SIGRTMIN+2 (keepalived's JSON dump) as well.
pub fn send_signal(pid: u32, signo: i32) -> io::Result<()> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    if unsafe { libc::kill(pid, signo) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
