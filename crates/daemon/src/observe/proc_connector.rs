//! The kernel's process events (the netlink proc connector: NETLINK_CONNECTOR, group
//! CN_IDX_PROC, PROC_CN_MCAST_LISTEN), as keepalived's `core/track_process.c` reads them.
//!
//! The kernel sends these events only to sockets of the initial network namespace (the
//! connector's kernel socket exists only there: in another namespace the subscription fails with
//! ECONNREFUSED and nothing arrives). keepalived 2.2.7 run in a namespace (`ip netns exec`)
//! logs "Failed to set/clear process event listen - errno 111", never scans /proc either, and
//! keeps every instance that tracks a process in FAULT. havipd, when it runs in another
//! namespace, creates the socket in the initial one: the calling thread enters the namespace of
//! pid 1 (`/proc/1/ns/net`) or, where pid 1's cannot be opened (a sandbox that hides it, as on
//! our CI machine), of kthreadd (pid 2, a kernel thread, always in the initial namespace), opens
//! and binds the socket there, and returns to its own namespace; the socket keeps the namespace
//! it was made in.

use nix::sys::socket::{MsgFlags, NetlinkAddr, recvfrom, sendto};
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// The connector's index and value for process events (linux/connector.h).
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// linux/cn_proc.h `enum proc_cn_mcast_op`.
const PROC_CN_MCAST_LISTEN: u32 = 1;
/// Sizes of `struct nlmsghdr` and `struct cn_msg`; `struct proc_event` follows them.
const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const EVENT: usize = NLMSG_HDR + CN_MSG;
/// Offset of `event_data` in `struct proc_event` (what, cpu, 8-byte timestamp).
const DATA: usize = EVENT + 16;

/// A process event the watcher acts on (pids are the kernel's: thread ids, and thread group ids
/// for processes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcEvent {
    /// The kernel acknowledged the subscription.
    Ack,
    /// `parent_tgid` made a new task `child_pid` in thread group `child_tgid`.
    Fork {
        /// The parent process.
        parent_tgid: i32,
        /// The new task.
        child_pid: i32,
        /// Its thread group (equal to `child_pid` for a new process).
        child_tgid: i32,
    },
    /// A task exec'd.
    Exec {
        /// The task.
        pid: i32,
        /// Its thread group.
        tgid: i32,
    },
    /// A task changed its command name.
    Comm {
        /// The task.
        pid: i32,
        /// Its thread group.
        tgid: i32,
        /// The new name.
        comm: String,
    },
    /// A task exited.
    Exit {
        /// The task.
        pid: i32,
        /// Its thread group.
        tgid: i32,
    },
    /// Any other event (uid, gid, sid, ptrace, coredump).
    Other,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    u32_at(b, at).map(|v| v as i32)
}

/// Decodes one message of the proc connector; `None` if it is not one (short, another
/// connector, an error or no-op message).
pub fn decode(b: &[u8]) -> Option<ProcEvent> {
    let len = u32_at(b, 0)? as usize;
    let kind = u16::from_ne_bytes(b.get(4..6)?.try_into().ok()?);
    // NLMSG_NOOP 1, NLMSG_ERROR 2.
    if len > b.len() || len < DATA || kind == 1 || kind == 2 {
        return None;
    }
    if u32_at(b, NLMSG_HDR)? != CN_IDX_PROC || u32_at(b, NLMSG_HDR + 4)? != CN_VAL_PROC {
        return None;
    }
    let what = u32_at(b, EVENT)?;
    let at = |k: usize| i32_at(b, DATA + 4 * k);
    Some(match what {
        0 => ProcEvent::Ack,
        0x1 => ProcEvent::Fork {
            parent_tgid: at(1)?,
            child_pid: at(2)?,
            child_tgid: at(3)?,
        },
        0x2 => ProcEvent::Exec {
            pid: at(0)?,
            tgid: at(1)?,
        },
        0x200 => {
            let raw = b.get(DATA + 8..DATA + 24)?;
            let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
            ProcEvent::Comm {
                pid: at(0)?,
                tgid: at(1)?,
                comm: String::from_utf8_lossy(&raw[..end]).into_owned(),
            }
        }
        0x8000_0000 => ProcEvent::Exit {
            pid: at(0)?,
            tgid: at(1)?,
        },
        _ => ProcEvent::Other,
    })
}

/// The subscription request: `nlmsghdr` + `cn_msg` + the operation.
fn listen_message() -> Vec<u8> {
    let total = (NLMSG_HDR + CN_MSG + 4) as u32;
    let mut m = Vec::with_capacity(total as usize);
    m.extend_from_slice(&total.to_ne_bytes());
    m.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // pid
    m.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // ack
    m.extend_from_slice(&4u16.to_ne_bytes()); // len
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    m
}

/// A subscribed proc connector socket (non-blocking).
pub struct Connector {
    socket: Socket,
}

/// What a read of the socket gave.
pub enum Received {
    /// An event.
    Event(ProcEvent),
    /// Nothing queued.
    Empty,
    /// The kernel dropped events (the receive buffer was full): counts must be rebuilt.
    Lost,
}

/// The initial network namespace: pid 1's, else kthreadd's (see the module's doc).
fn initial_namespace() -> io::Result<std::fs::File> {
    std::fs::File::open("/proc/1/ns/net").or_else(|first| {
        let kthreadd = std::fs::read_to_string("/proc/2/comm").unwrap_or_default();
        if kthreadd.trim() != "kthreadd" {
            return Err(first);
        }
        std::fs::File::open("/proc/2/ns/net")
    })
}

/// Whether `a` and `b` are the same namespace.
fn same_namespace(a: &std::fs::File, b: &std::fs::File) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (a.metadata()?, b.metadata()?);
    Ok(a.ino() == b.ino() && a.dev() == b.dev())
}

/// A netlink connector socket bound to the process events group.
fn bound_socket() -> io::Result<Socket> {
    let socket = Socket::new(
        Domain::from(libc::AF_NETLINK),
        Type::DGRAM,
        Some(Protocol::from(libc::NETLINK_CONNECTOR)),
    )?;
    nix::sys::socket::bind(socket.as_raw_fd(), &NetlinkAddr::new(0, CN_IDX_PROC))?;
    Ok(socket)
}

impl Connector {
    /// Opens the socket (in pid 1's network namespace if this thread is elsewhere, see the
    /// module's doc), sets its receive buffer and subscribes. Call it from a thread of its own:
    /// the thread enters the other namespace for a moment.
    pub fn open(rcvbuf: Option<(u32, bool)>) -> io::Result<Connector> {
        let home = std::fs::File::open("/proc/thread-self/ns/net")?;
        let init = initial_namespace()?;
        let socket = if same_namespace(&home, &init)? {
            bound_socket()?
        } else {
            crate::sys::enter_net_namespace(init.as_fd())?;
            let made = bound_socket();
            crate::sys::enter_net_namespace(home.as_fd()).map_err(|e| {
                // This thread cannot go home: it must not run anything else.
                io::Error::other(format!("returning to the own network namespace: {e}"))
            })?;
            made?
        };
        let c = Connector { socket };
        if let Some((size, force)) = rcvbuf {
            c.set_rcvbuf(size as usize, force)?;
        }
        sendto(
            c.socket.as_raw_fd(),
            &listen_message(),
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        c.socket.set_nonblocking(true)?;
        Ok(c)
    }

    /// Sets the receive buffer (`force`: beyond the system's maximum, as root may).
    pub fn set_rcvbuf(&self, size: usize, force: bool) -> io::Result<()> {
        if force {
            nix::sys::socket::setsockopt(
                &self.socket,
                nix::sys::socket::sockopt::RcvBufForce,
                &size,
            )?;
            Ok(())
        } else {
            self.socket.set_recv_buffer_size(size)
        }
    }

    /// The receive buffer's size.
    pub fn rcvbuf(&self) -> io::Result<usize> {
        self.socket.recv_buffer_size()
    }

    /// Reads one message; messages not from the kernel are skipped.
    pub fn receive(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            match recvfrom::<NetlinkAddr>(self.socket.as_raw_fd(), buf) {
                Ok((n, from)) => {
                    if from.is_none_or(|a| a.pid() != 0) {
                        continue;
                    }
                    if let Some(e) = decode(&buf[..n]) {
                        return Ok(Received::Event(e));
                    }
                }
                Err(nix::errno::Errno::EAGAIN) => return Ok(Received::Empty),
                Err(nix::errno::Errno::EINTR) => {}
                Err(nix::errno::Errno::ENOBUFS) => return Ok(Received::Lost),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The socket, to wait on.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(what: u32, data: &[u32]) -> Vec<u8> {
        let mut m = listen_message();
        m.truncate(NLMSG_HDR + CN_MSG);
        m.extend_from_slice(&what.to_ne_bytes());
        m.extend_from_slice(&[0; 12]); // cpu, timestamp
        for d in data {
            m.extend_from_slice(&d.to_ne_bytes());
        }
        m.resize(m.len().max(DATA + 24), 0);
        let len = m.len() as u32;
        m[..4].copy_from_slice(&len.to_ne_bytes());
        m
    }

    #[test]
    fn events_decode_at_the_kernel_s_offsets() {
        assert_eq!(
            decode(&message(1, &[10, 10, 11, 11])),
            Some(ProcEvent::Fork {
                parent_tgid: 10,
                child_pid: 11,
                child_tgid: 11
            })
        );
        assert_eq!(
            decode(&message(2, &[12, 12])),
            Some(ProcEvent::Exec { pid: 12, tgid: 12 })
        );
        assert_eq!(
            decode(&message(0x8000_0000, &[13, 12])),
            Some(ProcEvent::Exit { pid: 13, tgid: 12 })
        );
        let mut comm = message(0x200, &[14, 14]);
        comm[DATA + 8..DATA + 12].copy_from_slice(b"web\0");
        assert_eq!(
            decode(&comm),
            Some(ProcEvent::Comm {
                pid: 14,
                tgid: 14,
                comm: "web".into()
            })
        );
        assert_eq!(decode(&message(0, &[])), Some(ProcEvent::Ack));
    }

    #[test]
    fn a_subscribed_socket_hears_a_child_exec_and_exit_with_the_buffer_asked_for() {
        if hostcheck::skip_reason("proc connector", &[]).is_some() {
            return;
        }
        let c = Connector::open(Some((4 << 20, true))).expect("proc connector");
        assert!(c.rcvbuf().expect("SO_RCVBUF") >= 4 << 20);
        let mut child = std::process::Command::new("/bin/true")
            .spawn()
            .expect("true");
        let pid = child.id() as i32;
        child.wait().expect("true ends");
        let (mut exec, mut exit) = (false, false);
        let mut buf = [0u8; 1024];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !(exec && exit) && std::time::Instant::now() < deadline {
            match c.receive(&mut buf).expect("receive") {
                Received::Event(ProcEvent::Exec { tgid, .. }) if tgid == pid => exec = true,
                Received::Event(ProcEvent::Exit { pid: p, tgid }) if p == pid && tgid == pid => {
                    exit = true
                }
                Received::Empty => std::thread::sleep(std::time::Duration::from_millis(5)),
                _ => {}
            }
        }
        assert!(exec && exit, "exec {exec}, exit {exit}");
    }

    #[test]
    fn other_messages_are_not_events() {
        let mut m = message(2, &[1, 1]);
        m[NLMSG_HDR..NLMSG_HDR + 4].copy_from_slice(&2u32.to_ne_bytes());
        assert_eq!(decode(&m), None, "another connector");
        assert_eq!(decode(&m[..30]), None, "short");
        let mut e = message(2, &[1, 1]);
        e[4..6].copy_from_slice(&2u16.to_ne_bytes());
        assert_eq!(decode(&e), None, "NLMSG_ERROR");
    }
}
