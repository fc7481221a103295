//! VRRP packets for VRIDs this daemon does not run, counted off the event loop: a second raw
//! socket per family (and one beside the AH socket) takes exactly the packets the loop's socket filters out
//! ([`crate::vrid_filter`]), and a thread of ordinary priority reads and classifies them as the
//! loop would (malformed, invalid, no instance). A flood for other VRIDs then costs the loop
//! nothing, and every packet is still counted: those the counter's full queue dropped too, from
//! the kernel's own count.

use crate::raw_packets::{RecvBuffer, RecvError, configured, recv_batch};
use crate::vrid_filter::{Side, compiled, program};
use socket2::Socket;
use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use vrrp::{Advert, Family};

/// The counter's read buffer: the largest advert (255 IPv6 addresses, an `auth_hmac` trailer,
/// IPv4 options) fits; a longer packet is cut and counted as malformed or invalid.
const STRAY_BUFFER: usize = 8192;

/// The counter thread's stack: it reads, parses and counts, nothing deeper.
const STACK: usize = 256 * 1024;

/// Counts of packets that never reached the loop, by why.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Not well-formed IP with a VRRP payload.
    pub malformed: u64,
    /// VRRP that does not decode.
    pub invalid: u64,
    /// Valid adverts for a VRID not run here.
    pub no_instance: u64,
    /// Dropped unread by a full socket queue.
    pub overflow: u64,
}

#[derive(Default)]
struct Counts {
    malformed: AtomicU64,
    invalid: AtomicU64,
    no_instance: AtomicU64,
    overflow: AtomicU64,
}

/// The stray counter of one family; its thread ends when this is dropped.
pub struct Strays {
    family: Family,
    ah: bool,
    socket: Arc<Socket>,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

impl Strays {
    /// Opens the counting socket, taking nothing until [`Strays::take_all_but`], and starts
    /// its thread.
    pub fn start(family: Family, ah: bool) -> io::Result<Strays> {
        let socket = configured(family, ah)?;
        socket.attach_filter(&compiled(&program(
            family,
            ah,
            &(0..=255u8).collect(),
            Side::Others,
        )))?;
        // What came in before the filter is the loop's socket's to count too.
        let mut scratch = RecvBuffer::sized(STRAY_BUFFER);
        let mut ignored = 0;
        while recv_batch(socket.as_raw_fd(), (family, ah), &mut scratch, &mut ignored).is_ok() {}
        let strays = Strays {
            family,
            ah,
            socket: Arc::new(socket),
            counts: Arc::default(),
            stop: Arc::default(),
        };
        let channel = (family, ah);
        let (socket, counts, stop) = (
            strays.socket.clone(),
            strays.counts.clone(),
            strays.stop.clone(),
        );
        std::thread::Builder::new()
            .name("vrrp-strays".into())
            .stack_size(STACK)
            .spawn(move || count(channel, &socket, &counts, &stop))?;
        Ok(strays)
    }

    /// Takes every packet whose VRID is not in `ours`.
    pub fn take_all_but(&self, ours: &BTreeSet<u8>) -> io::Result<()> {
        let others = compiled(&program(self.family, self.ah, ours, Side::Others));
        self.socket.attach_filter(&others)
    }

    /// The counts so far.
    pub fn tally(&self) -> Tally {
        let c = &self.counts;
        Tally {
            malformed: c.malformed.load(Ordering::Relaxed),
            invalid: c.invalid.load(Ordering::Relaxed),
            no_instance: c.no_instance.load(Ordering::Relaxed),
            overflow: c.overflow.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Strays {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The thread: waits (half a second at most, to see `stop`), reads, classifies.
fn count(channel: (Family, bool), socket: &Socket, counts: &Counts, stop: &AtomicBool) {
    // Threads may inherit the creator's scheduling; the loop's real-time one is not for this.
    if let Err(e) = crate::sys::schedule_this_thread_normally() {
        tracing::warn!(error = %e, "stray VRRP counter: could not leave real-time scheduling");
    }
    let mut buf = RecvBuffer::sized(STRAY_BUFFER);
    let mut overflow = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [nix::poll::PollFd::new(
            socket.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        if nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(500u16)).unwrap_or(0) == 0 {
            continue;
        }
        let Ok(packets) = recv_batch(socket.as_raw_fd(), channel, &mut buf, &mut overflow) else {
            continue;
        };
        for p in packets {
            let counter = match p {
                Err(RecvError::Malformed(_)) => &counts.malformed,
                Err(_) => continue,
                Ok(p) => match Advert::decode_with_trailer(&p.payload, &p.addrs) {
                    Ok(_) => &counts.no_instance,
                    Err(_) => &counts.invalid,
                },
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        counts
            .overflow
            .store(u64::from(overflow), Ordering::Relaxed);
    }
}
