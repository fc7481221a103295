//! List blocks: one entry per line (`virtual_ipaddress`, `unicast_peer`, `track_*`, ...).

use crate::build::values::bad;
use crate::diag::{Diagnostic, Severity};
use crate::model::{Entry, Peer, TrackRef, VirtualAddress};
use crate::tree::Node;
use std::net::IpAddr;

/// Entries kept as written.
pub fn entries(block: &Node) -> Vec<Entry> {
    block
        .children()
        .iter()
        .map(|n| Entry {
            words: std::iter::once(n.key())
                .chain(n.arg_texts())
                .map(String::from)
                .collect(),
            loc: n.name.loc.clone(),
        })
        .collect()
}

/// `ADDR[/LEN] [brd ADDR] [dev IF] [scope S] [label L] [no_track] ...` entries.
pub fn addresses(block: &Node, diags: &mut Vec<Diagnostic>) -> Vec<VirtualAddress> {
    let mut out = Vec::new();
    for n in block.children() {
        let (addr_s, prefix_s) = match n.key().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (n.key(), None),
        };
        let Ok(addr) = addr_s.parse::<IpAddr>() else {
            diags.push(
                Diagnostic::new(
                    Severity::Error,
                    "bad-address",
                    n.name.loc.clone(),
                    n.text(),
                    format!(
                        "`{}` is not an IP address; keepalived skips this entry",
                        n.key()
                    ),
                )
                .hint("write ADDRESS[/PREFIX] [dev IFACE] ..."),
            );
            continue;
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_s.map(|p| p.parse::<u8>()) {
            None => max,
            Some(Ok(p)) if p <= max => p,
            Some(_) => {
                diags.push(Diagnostic::new(
                    Severity::Error,
                    "bad-address",
                    n.name.loc.clone(),
                    n.text(),
                    format!("prefix length must be 0-{max}; keepalived skips this entry"),
                ));
                continue;
            }
        };
        let mut va = VirtualAddress {
            addr,
            prefix,
            broadcast: None,
            dev: None,
            scope: None,
            label: None,
            no_track: false,
            options: Vec::new(),
            loc: n.name.loc.clone(),
        };
        let args = n.arg_texts();
        let mut i = 0;
        while i < args.len() {
            let value = args.get(i + 1).map(|s| s.to_string());
            match args[i] {
                "brd" | "broadcast" => {
                    match value.as_deref().map(str::parse::<IpAddr>) {
                        Some(Ok(b)) => va.broadcast = Some(b),
                        Some(Err(_))
                            if value.as_deref() == Some("+") || value.as_deref() == Some("-") =>
                        {
                            va.options
                                .push(format!("brd {}", value.unwrap_or_default()))
                        }
                        _ => diags.push(bad(n, i + 1, "a broadcast address after `brd`")),
                    }
                    i += 2;
                }
                "dev" | "scope" | "label" | "preferred_lft" | "track_group" | "peer" => {
                    match (args[i], value) {
                        (_, None) => diags.push(bad(n, i, &format!("a value after `{}`", args[i]))),
                        ("dev", Some(v)) => va.dev = Some(v),
                        ("scope", Some(v)) => va.scope = Some(v),
                        ("label", Some(v)) => va.label = Some(v),
                        (k, Some(v)) => va.options.push(format!("{k} {v}")),
                    }
                    i += 2;
                }
                "no_track" => {
                    va.no_track = true;
                    i += 1;
                }
                opt @ ("home" | "-nodad" | "nodad" | "noprefixroute" | "autojoin"
                | "mngtmpaddr") => {
                    va.options.push(opt.to_string());
                    i += 1;
                }
                other => {
                    diags.push(Diagnostic::new(
                        Severity::Warning,
                        "unknown-option",
                        n.args[i].loc.clone(),
                        n.text(),
                        format!("unknown address option `{other}`; keepalived rejects this entry"),
                    ));
                    i += 1;
                }
            }
        }
        out.push(va);
    }
    out
}

/// `ADDR [min_ttl N] [max_ttl N]` entries.
pub fn peers(block: &Node, diags: &mut Vec<Diagnostic>) -> Vec<Peer> {
    let mut out = Vec::new();
    for n in block.children() {
        let Ok(addr) = n.key().parse::<IpAddr>() else {
            diags.push(Diagnostic::new(
                Severity::Error,
                "bad-address",
                n.name.loc.clone(),
                n.text(),
                format!(
                    "unicast peer `{}` is not an IP address; keepalived skips it",
                    n.key()
                ),
            ));
            continue;
        };
        let mut p = Peer {
            addr,
            min_ttl: 0,
            max_ttl: 255,
            loc: n.name.loc.clone(),
        };
        let args = n.arg_texts();
        for pair in args.chunks(2) {
            let v = pair.get(1).and_then(|v| v.parse::<u8>().ok());
            match (pair[0], v) {
                ("min_ttl", Some(v)) => p.min_ttl = v,
                ("max_ttl", Some(v)) => p.max_ttl = v,
                _ => diags.push(Diagnostic::new(
                    Severity::Warning,
                    "bad-value",
                    n.name.loc.clone(),
                    n.text(),
                    "expected `min_ttl N` / `max_ttl N` (0-255) after the peer address; ignored",
                )),
            }
        }
        out.push(p);
    }
    out
}

/// `NAME [weight N [reverse]]` entries.
pub fn track_refs(block: &Node, diags: &mut Vec<Diagnostic>) -> Vec<TrackRef> {
    let mut out = Vec::new();
    for n in block.children() {
        let mut r = TrackRef {
            name: n.key().to_string(),
            weight: None,
            reverse: false,
            loc: n.name.loc.clone(),
        };
        let args = n.arg_texts();
        match args.as_slice() {
            [] => {}
            ["weight", w, rest @ ..]
                if w.parse::<i64>().is_ok_and(|w| (-254..=254).contains(&w))
                    && (rest.is_empty() || rest == ["reverse"]) =>
            {
                r.weight = w.parse().ok();
                r.reverse = !rest.is_empty();
            }
            _ => diags.push(Diagnostic::new(
                Severity::Warning,
                "bad-value",
                n.name.loc.clone(),
                n.text(),
                "expected `NAME [weight -254..254 [reverse]]`; the weight is ignored",
            )),
        }
        out.push(r);
    }
    out
}
