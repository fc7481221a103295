//! The client's probe: ICMP echo to the VIP every 10 ms (iputils `ping -D`, timestamped), and
//! the outages read from its replies: from the first lost probe to the first answered one.

use anyhow::{Context, Result};
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

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

/// A running ping.
pub struct Pinger {
    child: Child,
    replies: Arc<Mutex<Vec<Reply>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Parses one line of `ping -D`: `[1700000000.123456] 64 bytes from ...: icmp_seq=7 ...`.
pub fn parse_reply(line: &str) -> Option<Reply> {
    let time = line.strip_prefix('[')?.split(']').next()?.parse().ok()?;
    if !line.contains(" bytes from ") {
        return None;
    }
    let seq = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("icmp_seq="))?
        .parse()
        .ok()?;
    Some(Reply { time, seq })
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

impl Pinger {
    /// Starts pinging `target` from namespace `ns`.
    pub fn start(ns: &str, target: &str) -> Result<Self> {
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, "ping", "-D", "-n", "-i"])
            .arg(INTERVAL_S.to_string())
            .args(["-W", "1", target])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting ping")?;
        let out = child.stdout.take().context("ping stdout")?;
        let replies = Arc::new(Mutex::new(Vec::new()));
        let sink = replies.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(r) = parse_reply(&line)
                    && let Ok(mut v) = sink.lock()
                {
                    v.push(r);
                }
            }
        });
        Ok(Pinger {
            child,
            replies,
            reader: Some(reader),
        })
    }

    /// Replies so far.
    pub fn replies(&self) -> Vec<Reply> {
        self.replies.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Stops pinging and returns every reply.
    pub fn stop(mut self) -> Vec<Reply> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.replies()
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timestamped_replies_and_skips_the_rest() {
        let r = parse_reply(
            "[1795394070.427381] 64 bytes from 172.16.16.12: icmp_seq=17 ttl=64 time=0.051 ms",
        );
        assert_eq!(
            r,
            Some(Reply {
                time: 1795394070.427381,
                seq: 17
            })
        );
        assert_eq!(
            parse_reply("[1795394070.4] no answer yet for icmp_seq=3"),
            None
        );
        assert_eq!(
            parse_reply("PING 172.16.16.12 (172.16.16.12) 56(84) bytes of data."),
            None
        );
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
