//! Reads `bfd_instance NAME { ... }` as keepalived 2.2.7's `bfd_parser.c` does: ranges,
//! defaults, and what makes it drop an instance.

use crate::bfd::BfdInstance;
use crate::build::values::{self, bad, out_of_range};
use crate::diag::{Diagnostic, Location, Severity};
use crate::keywords;
use crate::model::Config;
use crate::tree::Node;
use std::net::IpAddr;

/// keepalived's largest interval, in ms (`UINT32_MAX / 1000`).
const INTERVAL_MAX_MS: u64 = u32::MAX as u64 / 1000;

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
    let neighbor = match usable_neighbor(node, &name, &b, cfg) {
        Ok(neighbor) => neighbor,
        Err(refusal) => return diags.push(*refusal),
    };
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
            source: b.source.map(|(s, _)| s),
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

/// The block's neighbour, or why keepalived drops the block: no neighbour, a source of the
/// other family, or a neighbour (with the same source) another block already has.
fn usable_neighbor(
    node: &Node,
    name: &str,
    b: &Draft,
    cfg: &Config,
) -> Result<IpAddr, Box<Diagnostic>> {
    let Some(neighbor) = b.neighbor else {
        return Err(Box::new(
            Diagnostic::new(
                Severity::Warning,
                "missing-value",
                node.name.loc.clone(),
                node.text(),
                format!("bfd_instance {name} has no neighbor_ip; keepalived disables it"),
            )
            .until(node.last_line()),
        ));
    };
    if let Some((src, loc)) = b
        .source
        .as_ref()
        .filter(|(s, _)| s.is_ipv4() != neighbor.is_ipv4())
    {
        return Err(Box::new(Diagnostic::new(
            Severity::Error,
            "mixed-family",
            loc.clone(),
            format!("source_ip {src}"),
            format!(
                "bfd_instance {name}: source {src} and neighbor {neighbor} are not of the same family; keepalived disables the instance"
            ),
        )));
    }
    let source = b.source.as_ref().map(|(s, _)| *s);
    let clash = cfg
        .bfd_instances
        .values()
        .find(|o| o.neighbor == neighbor && o.source == source && o.name != name);
    if let Some(other) = clash {
        return Err(Box::new(Diagnostic::new(
            Severity::Warning,
            "duplicate-name",
            node.name.loc.clone(),
            node.text(),
            format!(
                "bfd_instance {name} has the same neighbor {neighbor} as bfd_instance {} ({}); keepalived ignores this one",
                other.name, other.loc
            ),
        )));
    }
    Ok(neighbor)
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
                Some(ip) => {
                    if is_link_local(ip) {
                        diags.push(link_local(n));
                    }
                    self.neighbor = Some(ip);
                }
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

/// An IPv6 link-local address (fe80::/10), which names no interface by itself.
fn is_link_local(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80)
}

/// A link-local neighbour: `bfd_instance` cannot name the interface it is reached on.
fn link_local(n: &Node) -> Diagnostic {
    Diagnostic::new(
        Severity::Warning,
        "not-supported",
        n.name.loc.clone(),
        n.text(),
        "a link-local BFD neighbour needs an interface, which bfd_instance cannot name: the session cannot be opened and stays down",
    )
    .hint("use the neighbour's global IPv6 address")
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
