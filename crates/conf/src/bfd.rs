//! `bfd_instance NAME { ... }` and `track_bfd`: BFD sessions as keepalived 2.2.7 reads them
//! (its `bfd_parser.c`): ranges, defaults, what makes it drop an instance, and the references
//! of `vrrp_instance` and `vrrp_sync_group` to them.

use crate::build::values::{self, bad, out_of_range};
use crate::diag::{Diagnostic, Location, Severity};
use crate::keywords;
use crate::model::{Config, TrackRef};
use crate::tree::Node;
use serde::Serialize;
use std::net::IpAddr;

/// keepalived's largest interval, in ms (`UINT32_MAX / 1000`).
const INTERVAL_MAX_MS: u64 = u32::MAX as u64 / 1000;

/// One `bfd_instance` the VRRP side tracks, with keepalived's defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BfdInstance {
    /// Name.
    pub name: String,
    /// `neighbor_ip` (or `neighbour_ip`).
    pub neighbor: IpAddr,
    /// `source_ip`.
    pub source: Option<IpAddr>,
    /// `min_rx` in µs (default 10 ms).
    pub min_rx_us: u32,
    /// `min_tx` in µs (default 10 ms).
    pub min_tx_us: u32,
    /// `idle_tx` in µs (default 1 s).
    pub idle_tx_us: u32,
    /// `multiplier` (default 5).
    pub multiplier: u8,
    /// `passive`.
    pub passive: bool,
    /// `ttl`/`hoplimit` as keepalived takes it (default 255 for IPv4, 64 for IPv6): what
    /// received packets are checked against; see [`BfdInstance::sent_ttl`] for what is sent.
    pub ttl: u8,
    /// Whether `ttl`/`hoplimit` is written.
    pub ttl_written: bool,
    /// `max_hops`: a packet is accepted if it arrives with at least `ttl - max_hops` (default
    /// 0; 255 turns the check off; -1 as keepalived allows it).
    pub max_hops: i16,
    /// `weight` (default 0: the session down faults the instances that track it).
    pub weight: i64,
    /// `weight N reverse`.
    pub reverse: bool,
    /// Where the block starts.
    pub loc: Location,
}

impl BfdInstance {
    /// The TTL / hop limit packets are sent with: the one written, else RFC 5881 §5's 255, for
    /// IPv6 too (keepalived sends 64 there, which FRR's bfdd and other RFC 5881 peers discard).
    pub fn sent_ttl(&self) -> u8 {
        if self.ttl_written { self.ttl } else { 255 }
    }

    /// Whether a packet that arrived with `ttl` passes keepalived's GTSM check.
    pub fn accepts_ttl(&self, ttl: u8) -> bool {
        self.max_hops == 255 || i16::from(ttl) + self.max_hops >= i16::from(self.ttl)
    }
}

/// Reads one `bfd_instance` block into `cfg` (keepalived drops an instance without a
/// neighbour, with a source of another family, or with a neighbour already used).
pub fn build(node: &Node, cfg: &mut Config, diags: &mut Vec<Diagnostic>) {
    let Some(name) = crate::build::section_name(node, diags) else {
        return;
    };
    let mut b = Draft::default();
    for n in node.children() {
        b.line(n, diags);
    }
    let Some(neighbor) = b.neighbor else {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "missing-value",
                node.name.loc.clone(),
                node.text(),
                format!("bfd_instance {name} has no neighbor_ip; keepalived disables it"),
            )
            .until(node.last_line()),
        );
        return;
    };
    if let Some((src, loc)) = b
        .source
        .as_ref()
        .filter(|(s, _)| s.is_ipv4() != neighbor.is_ipv4())
    {
        diags.push(Diagnostic::new(
            Severity::Error,
            "mixed-family",
            loc.clone(),
            format!("source_ip {src}"),
            format!("bfd_instance {name}: source {src} and neighbor {neighbor} are not of the same family; keepalived disables the instance"),
        ));
        return;
    }
    let source = b.source.map(|(s, _)| s);
    let clash = cfg
        .bfd_instances
        .values()
        .find(|o| o.neighbor == neighbor && o.source == source && o.name != name);
    if let Some(other) = clash {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "duplicate-name",
            node.name.loc.clone(),
            node.text(),
            format!("bfd_instance {name} has the same neighbor {neighbor} as bfd_instance {} ({}); keepalived ignores this one", other.name, other.loc),
        ));
        return;
    }
    let ttl = b.ttl.unwrap_or(if neighbor.is_ipv4() { 255 } else { 64 });
    let max_hops = b.max_hops.min(i16::from(ttl));
    if b.only_checker {
        // `checker` alone: keepalived's VRRP process never hears of the session.
        return;
    }
    let old = cfg.bfd_instances.insert(
        name.clone(),
        BfdInstance {
            name,
            neighbor,
            source,
            min_rx_us: b.min_rx_us.unwrap_or(10_000),
            min_tx_us: b.min_tx_us.unwrap_or(10_000),
            idle_tx_us: b.idle_tx_us.unwrap_or(1_000_000),
            multiplier: b.multiplier.unwrap_or(5),
            passive: b.passive,
            ttl,
            ttl_written: b.ttl.is_some(),
            max_hops,
            weight: b.weight,
            reverse: b.reverse,
            loc: node.name.loc.clone(),
        },
    );
    if old.is_some() {
        diags.push(Diagnostic::new(
            Severity::Warning,
            "duplicate-name",
            node.name.loc.clone(),
            node.text(),
            "a `bfd_instance` with this name is already defined; this one replaces it",
        ));
    }
}

/// What a block said, before keepalived's end-of-block checks.
#[derive(Default)]
struct Draft {
    neighbor: Option<IpAddr>,
    source: Option<(IpAddr, Location)>,
    min_rx_us: Option<u32>,
    min_tx_us: Option<u32>,
    idle_tx_us: Option<u32>,
    multiplier: Option<u8>,
    passive: bool,
    ttl: Option<u8>,
    max_hops: i16,
    weight: i64,
    reverse: bool,
    vrrp: bool,
    only_checker: bool,
}

impl Draft {
    fn line(&mut self, n: &Node, diags: &mut Vec<Diagnostic>) {
        let arg = n.args.first().map(|a| a.text.as_str());
        match n.key() {
            "neighbor_ip" | "neighbour_ip" => match arg.and_then(|a| a.parse().ok()) {
                Some(ip) => self.neighbor = Some(ip),
                None => diags.push(bad(n, 0, "an IP address")),
            },
            "source_ip" => match arg.and_then(|a| a.parse().ok()) {
                Some(ip) => self.source = Some((ip, n.name.loc.clone())),
                None => diags.push(bad(n, 0, "an IP address")),
            },
            "min_rx" => self.min_rx_us = interval(n, 1, diags).or(self.min_rx_us),
            "min_tx" => self.min_tx_us = interval(n, 1, diags).or(self.min_tx_us),
            "idle_tx" => self.idle_tx_us = interval(n, 1000, diags).or(self.idle_tx_us),
            "multiplier" => {
                self.multiplier = int(n, 1, 255, diags).map(|v| v as u8).or(self.multiplier)
            }
            "passive" => self.passive = true,
            "ttl" | "hoplimit" => self.ttl = int(n, 1, 255, diags).map(|v| v as u8).or(self.ttl),
            "max_hops" => {
                self.max_hops = int(n, -1, 255, diags).map_or(self.max_hops, |v| v as i16)
            }
            "weight" => self.weight(n, diags),
            "vrrp" => {
                self.vrrp = true;
                self.only_checker = false;
            }
            "checker" => self.only_checker = !self.vrrp,
            "multihop" => diags.push(Diagnostic::new(
                Severity::Warning,
                "not-supported",
                n.name.loc.clone(),
                n.text(),
                "multi-hop BFD (RFC 5883) is not supported by havipd (keepalived 2.2.7 has none either); the session stays single hop",
            )),
            _ => diags.push(values::unknown("bfd_instance", n, &keywords::BFD)),
        }
    }

    fn weight(&mut self, n: &Node, diags: &mut Vec<Diagnostic>) {
        match int(n, -253, 253, diags) {
            Some(w) => self.weight = w,
            None => return,
        }
        match n.args.get(1).map(|a| a.text.as_str()) {
            None => {}
            Some("reverse") => self.reverse = true,
            Some(_) => diags.push(bad(n, 1, "`reverse` after the weight")),
        }
    }
}

/// An interval in ms with up to three decimals (keepalived's resolution is 1 µs), at least
/// `min_ms`; in µs.
fn interval(n: &Node, min_ms: u64, diags: &mut Vec<Diagnostic>) -> Option<u32> {
    let text = n.args.first().map_or("", |a| a.text.as_str());
    let Some(us) = decimal_ms(text) else {
        diags.push(bad(n, 0, "milliseconds (up to 3 decimals, e.g. 3.312)"));
        return None;
    };
    if us < min_ms * 1000 || us > INTERVAL_MAX_MS * 1000 {
        diags.push(out_of_range(
            n,
            text,
            &format!("{min_ms}-{INTERVAL_MAX_MS}"),
        ));
        return None;
    }
    u32::try_from(us).ok()
}

/// `12`, `3.312` (ms) in µs.
fn decimal_ms(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty()
        || frac.len() > 3
        || !(int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let frac: u64 = format!("{frac:0<3}").parse().ok()?;
    int.checked_mul(1000)?.checked_add(frac)
}

fn int(n: &Node, min: i64, max: i64, diags: &mut Vec<Diagnostic>) -> Option<i64> {
    let text = n.args.first().map_or("", |a| a.text.as_str());
    match text.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        Ok(_) => {
            diags.push(out_of_range(n, text, &format!("{min}..{max}")));
            None
        }
        Err(_) => {
            diags.push(bad(n, 0, "an integer"));
            None
        }
    }
}

/// `track_bfd` references to sessions that do not exist (keepalived ignores them), duplicates
/// within one instance or group (keepalived ignores the second), and weighted references of
/// sync group members (keepalived drops them unless the group has `sync_group_tracking_weight`).
pub fn validate(cfg: &Config, diags: &mut Vec<Diagnostic>) {
    for i in &cfg.instances {
        let group = cfg
            .sync_groups
            .iter()
            .find(|g| g.members.iter().any(|m| m.name == i.name));
        let Some(g) = group.filter(|g| !g.tracking_weight()) else {
            continue;
        };
        for r in &i.track_bfds {
            let weight = r
                .weight
                .or_else(|| cfg.bfd_instances.get(&r.name).map(|b| b.weight))
                .unwrap_or(0);
            if weight != 0 {
                diags.push(Diagnostic::new(
                    Severity::Warning,
                    "sync-group-weight-dropped",
                    r.loc.clone(),
                    r.name.clone(),
                    format!("({}) ignoring tracked bfd {} with weight {weight} due to SYNC group {}", i.name, r.name, g.name),
                ).hint("put the weight on the sync group's track_bfd, or add sync_group_tracking_weight to the group"));
            }
        }
    }
    let owners = cfg
        .instances
        .iter()
        .map(|i| (&i.name, &i.track_bfds))
        .chain(cfg.sync_groups.iter().map(|g| (&g.name, &g.track_bfds)));
    for (owner, refs) in owners {
        for (k, r) in refs.iter().enumerate() {
            if !cfg.bfd_instances.contains_key(&r.name) {
                diags.push(undefined(owner, r, cfg));
            } else if refs[..k].iter().any(|o| o.name == r.name) {
                diags.push(Diagnostic::new(
                    Severity::Warning,
                    "duplicate-reference",
                    r.loc.clone(),
                    r.name.clone(),
                    format!(
                        "({owner}) duplicate track_bfd {}; keepalived ignores this one",
                        r.name
                    ),
                ));
            }
        }
    }
}

fn undefined(owner: &str, r: &TrackRef, cfg: &Config) -> Diagnostic {
    let d = Diagnostic::new(
        Severity::Error,
        "undefined-reference",
        r.loc.clone(),
        r.name.clone(),
        format!(
            "({owner}) track bfd {} not found; keepalived ignores it",
            r.name
        ),
    );
    match values::nearest(&r.name, cfg.bfd_instances.keys().map(String::as_str)) {
        Some(n) => d.hint(format!("did you mean `{n}`?")),
        None => d.hint("define it with `bfd_instance NAME { neighbor_ip ADDRESS }`"),
    }
}
