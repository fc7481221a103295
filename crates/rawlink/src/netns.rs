//! Entering a network namespace on the calling thread (`setns` changes only the calling
//! thread's namespace), so one process can open sockets and send frames in several.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;

/// The namespace named `name` (`ip netns` name), opened to be entered later.
pub fn open(name: &str) -> io::Result<File> {
    let path = format!("/run/netns/{name}");
    File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("opening {path}: {e}")))
}

/// The calling thread's current namespace, to come back to.
pub fn current() -> io::Result<File> {
    File::open("/proc/thread-self/ns/net")
}

/// Moves the calling thread into the namespace `ns` refers to.
pub fn enter_fd(ns: impl AsFd) -> io::Result<()> {
    nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).map_err(io::Error::from)
}

/// Moves the calling thread into the namespace named `name`.
pub fn enter(name: &str) -> io::Result<()> {
    let ns = open(name)?;
    enter_fd(&ns).map_err(|e| io::Error::new(e.kind(), format!("entering namespace {name}: {e}")))
}
