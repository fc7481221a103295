//! `havip lab bench --find-capacity`: how many instances one daemon, pinned to one core,
//! runs at an advert interval before its adverts slip past 1 ms of their schedule. The daemon
//! runs the master side alone; the other server listens to the wire (a raw socket of havip's
//! own, no daemon there) and takes every advert's arrival time from the kernel: an advert that
//! arrives more than [`SLIP`] after its interval since the instance's previous one slipped. A
//! count keeps its schedule when at most [`LATE_SHARE`] of its adverts slipped.

use crate::bench::{BenchSpec, config};
use crate::daemon::{self, Kind};
use crate::tcp::Worker;
use crate::topology::{Topology, new_id};
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How late an advert may be and still keep its schedule.
pub const SLIP: f64 = 0.001;
/// The share of adverts that may slip at a count that keeps its schedule (the 99th percentile).
pub const LATE_SHARE: f64 = 0.01;
/// VRIDs available: the most instances a lab server runs.
pub const MAX_INSTANCES: u16 = 255;

/// How the adverts of one window kept their schedule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Slip {
    /// Gaps measured (adverts after each instance's first).
    pub adverts: usize,
    /// Of those, the ones later than [`SLIP`].
    pub late: usize,
    /// The 99th percentile of lateness, in milliseconds (0 when early or on time).
    pub p99_ms: f64,
}

impl Slip {
    /// Whether the window kept its schedule: some adverts heard, at most [`LATE_SHARE`] late.
    pub fn kept(&self) -> bool {
        self.adverts > 0 && (self.late as f64) <= LATE_SHARE * self.adverts as f64
    }
}

/// Lateness of `arrivals` (VRID, seconds) against `advert_int`: per VRID, each gap since the
/// previous advert over the interval.
pub fn slip(arrivals: &[(u8, f64)], advert_int: f64) -> Slip {
    let mut last: BTreeMap<u8, f64> = BTreeMap::new();
    let mut lateness = Vec::new();
    for &(vrid, at) in arrivals {
        if let Some(prev) = last.insert(vrid, at) {
            lateness.push((at - prev - advert_int).max(0.0));
        }
    }
    let late = lateness.iter().filter(|l| **l > SLIP).count();
    lateness.sort_by(f64::total_cmp);
    let p99 = match lateness.len() {
        0 => 0.0,
        n => lateness[((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1],
    };
    Slip {
        adverts: lateness.len(),
        late,
        p99_ms: p99 * 1e3,
    }
}

/// Adverts heard: VRID and arrival time in seconds.
pub type Arrivals = Vec<(u8, f64)>;

/// Listens to VRRP (IPv4) on `eth0` of namespace `ns`, recording each advert's VRID and
/// arrival time (seconds since the first, by the kernel's receive timestamps).
pub fn listen(ns: &str) -> Result<Worker<Result<Arrivals>>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = crate::netns::spawn_in(ns, move || -> Result<Arrivals> {
        use nix::sys::socket::{self, ControlMessageOwned, MsgFlags, SockaddrStorage, sockopt};
        use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
        use std::os::fd::{AsFd, AsRawFd};
        let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112)))?;
        let index = nix::net::if_::if_nametoindex("eth0").context("eth0's index")?;
        sock.join_multicast_v4_n(
            &std::net::Ipv4Addr::new(224, 0, 0, 18),
            &InterfaceIndexOrAddress::Index(index),
        )?;
        // Arrival times from the kernel: the listener's own scheduling adds no lateness.
        socket::setsockopt(&sock.as_fd(), sockopt::ReceiveTimestampns, &true)?;
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        let (mut start, mut out, mut buf) = (None, Vec::new(), [0u8; 2048]);
        while !flag.load(Ordering::Relaxed) {
            let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec);
            let mut iov = [std::io::IoSliceMut::new(&mut buf)];
            let Ok(m) = socket::recvmsg::<SockaddrStorage>(
                sock.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            ) else {
                continue;
            };
            let stamp = m.cmsgs()?.find_map(|c| match c {
                ControlMessageOwned::ScmTimestampns(t) => {
                    Some(t.tv_sec() as f64 + t.tv_nsec() as f64 * 1e-9)
                }
                _ => None,
            });
            let (n, Some(stamp)) = (m.bytes, stamp) else {
                continue;
            };
            let at = stamp - *start.get_or_insert(stamp);
            let vrid_at = usize::from(buf[0] & 0xf) * 4 + 1;
            if vrid_at < n {
                out.push((buf[vrid_at], at));
            }
        }
        Ok(out)
    })?;
    Ok(Worker::running(stop, thread))
}

/// One count measured: `instances` on the master side, pinned to core 0, and the slip of
/// their adverts over the window.
pub fn measure(kind: Kind, instances: u16, advert_int: f64, window: f64) -> Result<Slip> {
    let topo = Topology::up(&new_id(), 2)?;
    let spec = BenchSpec {
        instances,
        advert_int,
        window,
        auth_hmac: false,
        features: Default::default(),
        rt_priority: None,
    };
    let (a, b) = (topo.servers[0].clone(), topo.servers[1].clone());
    let master = daemon::start(kind, &topo, &a, &config(&spec, 150, None))?;
    // Master_Down_Interval, start-up work (GARP rounds) and the pinning settle first.
    std::thread::sleep(Duration::from_secs(2));
    for pid in master.pids() {
        let pinned = std::process::Command::new("taskset")
            .args(["-a", "-p", "-c", "0", &pid.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .context("running taskset")?;
        anyhow::ensure!(pinned.success(), "taskset could not pin {kind} ({pid})");
    }
    std::thread::sleep(Duration::from_secs(4));
    let listener = listen(&b.ns)?;
    std::thread::sleep(Duration::from_secs_f64(window));
    let arrivals = listener.stop().context("the advert listener stopped")??;
    Ok(slip(&arrivals, advert_int))
}

/// One step of the search.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Instances run.
    pub instances: u16,
    /// How their adverts kept their schedule.
    pub slip: Slip,
}

/// What the search found for one daemon.
#[derive(Clone, Debug, Serialize)]
pub struct Capacity {
    /// Daemon.
    pub daemon: Kind,
    /// The most instances found to keep their schedule (0: not even the fewest tried);
    /// [`MAX_INSTANCES`] means at least that many.
    pub instances: u16,
    /// Every count measured, in order.
    pub steps: Vec<Step>,
}

/// Searches the most instances `kind` runs at `advert_int` on one core keeping its schedule:
/// doubling from 25 up to the first count that slips, then halving the gap between the
/// last count that kept and it, down to `resolution` instances.
pub fn find(
    kind: Kind,
    advert_int: f64,
    window: f64,
    resolution: u16,
    progress: &dyn Fn(&str),
) -> Result<Capacity> {
    let mut steps = Vec::new();
    let mut try_count = |n: u16| -> Result<bool> {
        progress(&format!("{kind}: {n} instances"));
        let slip = measure(kind, n, advert_int, window)?;
        progress(&format!(
            "{kind}: {n} instances: {} of {} adverts later than 1 ms, p99 {:.2} ms",
            slip.late, slip.adverts, slip.p99_ms
        ));
        steps.push(Step { instances: n, slip });
        Ok(slip.kept())
    };
    let (mut kept, mut slipped) = (0u16, None);
    let mut n = 25u16;
    loop {
        if try_count(n)? {
            kept = n;
            if n == MAX_INSTANCES {
                break;
            }
            n = (n * 2).min(MAX_INSTANCES);
        } else {
            slipped = Some(n);
            break;
        }
    }
    if let Some(mut high) = slipped {
        while high - kept > resolution.max(1) {
            let mid = kept + (high - kept) / 2;
            if try_count(mid)? {
                kept = mid;
            } else {
                high = mid;
            }
        }
    }
    Ok(Capacity {
        daemon: kind,
        instances: kept,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advert_later_than_a_millisecond_slipped() {
        // VRID 1 on time, then 1.5 ms late; VRID 2 0.5 ms late, then early.
        let arrivals = [
            (1, 0.000),
            (2, 0.001),
            (1, 0.010),
            (2, 0.0115),
            (1, 0.0215),
            (2, 0.0205),
        ];
        let s = slip(&arrivals, 0.01);
        assert_eq!((s.adverts, s.late), (4, 1));
        assert!((s.p99_ms - 1.5).abs() < 1e-6, "{s:?}");
        assert!(!s.kept());
    }

    #[test]
    fn a_window_keeps_its_schedule_with_at_most_one_advert_in_a_hundred_late() {
        let mut arrivals: Vec<(u8, f64)> = (0..201).map(|k| (7, k as f64 * 0.01)).collect();
        arrivals.push((7, 2.0 + 0.01 + 0.002));
        arrivals.push((7, 2.0 + 0.02 + 0.004));
        assert_eq!(slip(&arrivals, 0.01).late, 2);
        assert!(slip(&arrivals, 0.01).kept());
        assert!(!slip(&[], 0.01).kept(), "nothing heard keeps nothing");
    }
}
