//! The client's probe: ICMP echo to the VIP every 10 ms from havip's own raw socket (no `ping`
//! binary; [`crate::echo`]), each reply timed by the kernel, and the outages read from the
//! replies: from the first lost probe to the first answered one.

use crate::echo::{self, EchoSocket};
use anyhow::{Context, Result};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Probe interval.
pub const INTERVAL_S: f64 = 0.01;

/// One answered probe: reply time (Unix seconds) and sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Reply {
    /// When the reply came.
    pub time: f64,
    /// ICMP sequence number.
    pub seq: u32,
}

/// A stretch without replies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Outage {
    /// When the first lost probe was sent (Unix seconds).
    pub start: f64,
    /// When the first probe after it was answered.
    pub end: f64,
    /// Probes lost.
    pub lost: u32,
}

impl Outage {
    /// Length in milliseconds.
    pub fn ms(&self) -> f64 {
        (self.end - self.start) * 1000.0
    }
}

/// Outages in a run of replies (any order): every gap in the sequence numbers.
pub fn outages(replies: &[Reply]) -> Vec<Outage> {
    let mut r = replies.to_vec();
    r.sort_by_key(|x| x.seq);
    r.dedup_by_key(|x| x.seq);
    r.windows(2)
        .filter(|w| w[1].seq > w[0].seq + 1)
        .map(|w| Outage {
            start: w[0].time + INTERVAL_S,
            end: w[1].time,
            lost: w[1].seq - w[0].seq - 1,
        })
        .collect()
}

/// As [`outages`], with an outage still going on at `end` (no reply in its last 3 intervals)
/// counted up to `end`.
pub fn outages_until(replies: &[Reply], end: f64) -> Vec<Outage> {
    let mut out = outages(replies);
    let last = replies.iter().max_by_key(|r| r.seq);
    if let Some(last) = last
        && end - last.time > 3.0 * INTERVAL_S
    {
        let start = last.time + INTERVAL_S;
        out.push(Outage {
            start,
            end,
            lost: ((end - start) / INTERVAL_S) as u32,
        });
    }
    out
}

/// A running probe: a sender thread putting one echo request on the wire every
/// [`INTERVAL_S`] (on a fixed schedule, not drifting with the sends) and a reader thread
/// recording every reply with the kernel's receive time.
pub struct Pinger {
    stop: Arc<AtomicBool>,
    replies: Arc<Mutex<Vec<Reply>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pinger {
    /// Starts probing `target` (an IPv4 or IPv6 address) from namespace `ns`.
    pub fn start(ns: &str, target: &str) -> Result<Self> {
        let addr: IpAddr = target
            .parse()
            .with_context(|| format!("probe target {target}: not an IP address"))?;
        let sock = Arc::new(echo::open_in(ns, addr)?);
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU32::new(0));
        let replies = Arc::new(Mutex::new(Vec::new()));
        let sender = {
            let (sock, stop, sent) = (sock.clone(), stop.clone(), sent.clone());
            std::thread::spawn(move || send_every_interval(&sock, &stop, &sent))
        };
        let reader = {
            let (stop, sink) = (stop.clone(), replies.clone());
            std::thread::spawn(move || read_replies(&sock, &stop, &sent, &sink))
        };
        Ok(Pinger {
            stop,
            replies,
            threads: vec![sender, reader],
        })
    }

    /// Replies so far.
    pub fn replies(&self) -> Vec<Reply> {
        self.replies.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Stops probing and returns every reply.
    pub fn stop(mut self) -> Vec<Reply> {
        self.halt();
        self.replies()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Sends request 1, 2, 3, ... at start + k * [`INTERVAL_S`]; `sent` is the last one sent.
/// A send that fails (no route while the VIP moves) counts as sent and lost, as `ping`'s.
fn send_every_interval(sock: &EchoSocket, stop: &AtomicBool, sent: &AtomicU32) {
    let start = Instant::now();
    let interval = Duration::from_secs_f64(INTERVAL_S);
    let mut seq: u32 = 0;
    while !stop.load(Ordering::SeqCst) {
        seq += 1;
        sent.store(seq, Ordering::SeqCst);
        let _ = sock.send(seq as u16);
        let due = start + interval * seq;
        if let Some(left) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(left);
        }
    }
}

fn read_replies(sock: &EchoSocket, stop: &AtomicBool, sent: &AtomicU32, sink: &Mutex<Vec<Reply>>) {
    while !stop.load(Ordering::SeqCst) {
        let r = match sock.recv() {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            // An error (the namespace's link going away) is not a reason to spin.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
        };
        let seq = unwrap_seq(r.seq, sent.load(Ordering::SeqCst));
        if let Ok(mut v) = sink.lock() {
            v.push(Reply { time: r.time, seq });
        }
    }
}

/// The full sequence number of a reply carrying `wire` (16 bits on the wire) when `sent`
/// requests have gone out: the latest request numbered so.
pub fn unwrap_seq(wire: u16, sent: u32) -> u32 {
    let base = sent & !0xffff;
    let seq = base | u32::from(wire);
    if seq > sent && base > 0 {
        seq - 0x1_0000
    } else {
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_unwrap_past_16_bits() {
        assert_eq!(unwrap_seq(7, 9), 7);
        assert_eq!(unwrap_seq(0, 65_536), 65_536);
        assert_eq!(
            unwrap_seq(65_535, 65_537),
            65_535,
            "a late reply from before the wrap"
        );
        assert_eq!(unwrap_seq(1, 65_537), 65_537);
        assert_eq!(unwrap_seq(5, 200_000), 196_613);
    }

    #[test]
    fn outage_runs_from_the_first_lost_probe_to_the_first_answer() {
        let at = |seq: u32, time: f64| Reply { time, seq };
        let replies = [
            at(1, 10.00),
            at(2, 10.01),
            at(3, 10.02),
            at(400, 14.00),
            at(401, 14.01),
        ];
        let o = outages(&replies);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].lost, 396);
        assert!((o[0].ms() - 3970.0).abs() < 1e-6, "{}", o[0].ms());
        assert!(outages(&replies[..3]).is_empty());
    }
}
