//! The daemon's only `unsafe`: registering a socket with tokio, which tokio made unsafe,
//! sending a signal by its number, signal masks and signalfd by number, forking the worker
//! and setting its environment, a script's parent-death signal, moving a thread into another
//! network namespace (the worker's `net_namespace`, the process watcher's socket) and trimming
//! the heap (the `sockaddr_ll` for frames lives in the `rawlink` crate, the scheduling calls in
//! `hostsys`).
#![allow(unsafe_code)]

use hostsys::sched::{self, Policy};
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

/// A timerfd tokio can wait on (it owns its descriptor).
pub struct OwnedTimer(pub nix::sys::timerfd::TimerFd);

impl std::os::fd::AsRawFd for OwnedTimer {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsFd;
        self.0.as_fd().as_raw_fd()
    }
}

/// Registers a timerfd with tokio's reactor.
pub fn async_timer(timer: nix::sys::timerfd::TimerFd) -> io::Result<AsyncFd<OwnedTimer>> {
    // SAFETY: `TimerFd` owns its descriptor, open until it is dropped, and the `AsyncFd` owns
    // it: the descriptor is valid for the whole life of the registration.
    unsafe { AsyncFd::register(OwnedTimer(timer)).map_err(|e| e.into_parts().1) }
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

/// Has the command's process sent SIGTERM when the thread that starts it ends (the worker's
/// loop thread: when the worker stops or dies), as keepalived's PR_SET_PDEATHSIG.
pub fn terminate_with_parent(cmd: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec and makes one prctl(2)
    // call, which is async-signal-safe, allocates nothing and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
}

/// Schedules the calling thread (the event loop) as `vrrp_rt_priority` and `vrrp_priority`
/// ask: SCHED_RR at a real-time priority (not inherited by the threads and scripts it starts),
/// and a nice value.
pub fn schedule_this_thread(s: conf::effective::Scheduling) -> io::Result<()> {
    if let Some(nice) = s.nice {
        sched::set_nice(nice)?;
    }
    if let Some(priority) = s.realtime {
        // Reset on fork: threads and scripts started later run as normal tasks.
        sched::set_calling_thread(Policy::RoundRobin, priority, true)?;
    }
    Ok(())
}

/// Schedules the calling thread as an ordinary task (SCHED_OTHER, nice 0), whatever it
/// inherited from the thread that started it: work that must never compete with the event loop.
pub fn schedule_this_thread_normally() -> io::Result<()> {
    sched::set_calling_thread(Policy::Other, 0, false)?;
    sched::set_nice(0)
}

/// Hands the heap's free pages back to the kernel. Parsing and checking the config leave
/// freed blocks below live ones, which the allocator keeps; after start-up and each reload
/// they are only resident weight. glibc's `malloc_trim` has no safe wrapper.
pub fn release_free_heap() {
    // SAFETY: malloc_trim(3) takes an integer and only walks the allocator's own lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Signals by number, for masks and a signalfd: nix's `SigSet` names only the classic
/// signals, and havipd also handles SIGRTMIN+2 (keepalived's JSON dump).
#[derive(Clone, Copy)]
pub struct SignalSet(libc::sigset_t);

impl SignalSet {
    /// The set of `signals`.
    pub fn of(signals: &[i32]) -> Self {
        let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initialises the whole set it is given, so it is initialised
        // after the call; sigaddset only writes into that set.
        let mut set = unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            set.assume_init()
        };
        for &signo in signals {
            // SAFETY: `set` is an initialised sigset_t; an invalid number is refused (EINVAL)
            // without touching it.
            unsafe { libc::sigaddset(&mut set, signo) };
        }
        SignalSet(set)
    }

    /// Blocks the set for the calling thread (and the threads and children it starts).
    pub fn block(&self) -> io::Result<()> {
        self.mask(libc::SIG_BLOCK)
    }

    /// Unblocks the set: pending signals are delivered now.
    pub fn unblock(&self) -> io::Result<()> {
        self.mask(libc::SIG_UNBLOCK)
    }

    fn mask(&self, how: libc::c_int) -> io::Result<()> {
        // SAFETY: `self.0` is an initialised sigset_t; the old mask is not asked for (null).
        match unsafe { libc::pthread_sigmask(how, &self.0, std::ptr::null_mut()) } {
            0 => Ok(()),
            e => Err(io::Error::from_raw_os_error(e)),
        }
    }

    /// A descriptor from which the set's signals (which must be blocked) are read.
    pub fn signalfd(&self) -> io::Result<std::os::fd::OwnedFd> {
        // SAFETY: -1 asks for a new descriptor; `self.0` is an initialised sigset_t.
        let fd = unsafe { libc::signalfd(-1, &self.0, libc::SFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: signalfd returned a new descriptor that nothing else owns.
        Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
    }
}

/// The number of the next signal read from a signalfd (its `ssi_signo`, the record's first
/// field).
pub fn read_signal(fd: &std::os::fd::OwnedFd) -> io::Result<i32> {
    let mut record = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
    let n = nix::unistd::read(fd, &mut record)?;
    match record.get(..4).filter(|_| n == record.len()) {
        Some(signo) => Ok(i32::from_ne_bytes([signo[0], signo[1], signo[2], signo[3]])),
        None => Err(io::Error::other(format!("short signalfd read ({n} bytes)"))),
    }
}

/// Which side of a fork this is.
pub enum Forked {
    /// The parent, with the child's pid.
    Parent(nix::unistd::Pid),
    /// The child.
    Child,
}

/// Forks a process that has one thread (refused otherwise): the child then holds a
/// consistent copy of every lock and of the allocator, and may run anything.
pub fn fork_single_threaded() -> io::Result<Forked> {
    let threads = std::fs::read_dir("/proc/self/task")?.count();
    if threads != 1 {
        return Err(io::Error::other(format!(
            "{threads} threads running: not forking"
        )));
    }
    // SAFETY: the process has a single thread (checked above; this thread starts none in
    // between), so no lock can be held by a thread that does not exist in the child.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Parent { child } => Ok(Forked::Parent(child)),
        nix::unistd::ForkResult::Child => Ok(Forked::Child),
    }
}

/// The environment of a forked worker: its systemd notifications go to `notify_socket`, and
/// it pings the watchdog every `watchdog_usec` if set (as the watchdog's own process).
pub fn set_worker_environment(notify_socket: &std::path::Path, watchdog_usec: Option<u64>) {
    // SAFETY: called in a freshly forked child before it starts any thread, so nothing reads
    // the environment while it changes.
    unsafe {
        std::env::set_var("NOTIFY_SOCKET", notify_socket);
        std::env::remove_var("WATCHDOG_PID");
        match watchdog_usec {
            Some(usec) => std::env::set_var("WATCHDOG_USEC", usec.to_string()),
            None => std::env::remove_var("WATCHDOG_USEC"),
        }
    }
}

/// Moves the calling thread into the network namespace `ns` refers to (a /proc/PID/ns/net
/// file). Only the calling thread moves; nix's `setns` is behind a feature the workspace does
/// not build.
pub fn enter_net_namespace(ns: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: setns(2) takes a descriptor, borrowed and so open for the call, and a flag; it
    // touches no memory of ours.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Moves the calling thread into the network namespace named by `file` (`/run/netns/NAME`), as
/// keepalived's `net_namespace` does; threads it starts afterwards start there too.
pub fn enter_net_namespace_file(file: &std::path::Path) -> io::Result<()> {
    let ns = std::fs::File::open(file)?;
    enter_net_namespace(std::os::fd::AsFd::as_fd(&ns))
}
