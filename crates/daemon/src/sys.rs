//! The daemon's only `unsafe`: registering a socket with tokio, which tokio made unsafe,
//! sending a signal by its number, and scheduling the loop's thread (the `sockaddr_ll` for
//! frames lives in the `rawlink` crate).
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

/// Schedules the calling thread (the event loop) as `vrrp_rt_priority` and `vrrp_priority`
/// ask: SCHED_RR at a real-time priority (not inherited by the threads and scripts it starts),
/// and a nice value. nix has neither call.
pub fn schedule_this_thread(s: conf::effective::Scheduling) -> io::Result<()> {
    if let Some(nice) = s.nice {
        // SAFETY: setpriority(2) takes integers; who = 0 is the calling thread on Linux.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, libc::c_int::from(nice)) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    if let Some(priority) = s.realtime {
        let param = libc::sched_param {
            sched_priority: libc::c_int::from(priority),
        };
        // SAFETY: `param` is a valid sched_param that outlives the call; pid 0 is the
        // calling thread.
        // Reset on fork: threads and scripts started later run as normal tasks.
        let policy = libc::SCHED_RR | libc::SCHED_RESET_ON_FORK;
        if unsafe { libc::sched_setscheduler(0, policy, &param) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
