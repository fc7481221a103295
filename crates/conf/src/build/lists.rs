//! List blocks: one entry per line (`virtual_ipaddress`, `unicast_peer`, `track_*`, ...).

use crate::build::values::bad;
use crate::diag::{Diagnostic, Severity};
use crate::model::{Entry, Located, Peer, TrackRef, VirtualAddress};
use crate::routes::{
    Prefix, PrefixError, RouteSpec, RuleSpec, WordError, parse_route, parse_rule, prefix_error,
    scope,
};
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
        let Prefix { addr, len } = match Prefix::parse(n.key()) {
            Ok(p) => p,
            Err(e) => {
                let d = Diagnostic::new(
                    Severity::Error,
                    "bad-address",
                    n.name.loc.clone(),
                    n.text(),
                    format!("{}; keepalived skips this entry", prefix_error(n.key(), e)),
                );
                diags.push(match e {
                    PrefixError::NotAnAddress => d.hint("write ADDRESS[/PREFIX] [dev IFACE] ..."),
                    PrefixError::Length { .. } => d,
                });
                continue;
            }
        };
        let mut va = VirtualAddress {
            addr,
            prefix: len,
            broadcast: None,
            dev: None,
            scope: None,
            label: None,
            no_track: false,
            options: Vec::new(),
            loc: n.name.loc.clone(),
        };
        address_options(n, &mut va, diags);
        out.push(va);
    }
    out
}

/// The options after an address (`brd`, `dev`, `scope`, `label`, `no_track`, ...), into `va`.
fn address_options(n: &Node, va: &mut VirtualAddress, diags: &mut Vec<Diagnostic>) {
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
                    ("scope", Some(v)) => match scope(&v) {
                        Ok(s) => va.scope = Some(s),
                        Err(why) => diags.push(word_error(n, i + 2, why)),
                    },
                    ("label", Some(v)) => va.label = Some(v),
                    (k, Some(v)) => va.options.push(format!("{k} {v}")),
                }
                i += 2;
            }
            "no_track" => {
                va.no_track = true;
                i += 1;
            }
            opt @ ("home" | "-nodad" | "nodad" | "noprefixroute" | "autojoin" | "mngtmpaddr") => {
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
}

/// An error at word `word` of entry `n` (0 is its first word).
fn word_error(n: &Node, word: usize, message: String) -> Diagnostic {
    let loc = match word {
        0 => n.name.loc.clone(),
        k => n
            .args
            .get(k - 1)
            .map_or(n.name.loc.clone(), |a| a.loc.clone()),
    };
    Diagnostic::new(Severity::Error, "bad-value", loc, n.text(), message)
}

/// Parses each line of a block with `parse`; a line it refuses is an error at its word.
fn parsed<T>(
    block: &Node,
    what: &str,
    parse: fn(&[&str]) -> Result<T, WordError>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Located<T>> {
    let mut out = Vec::new();
    for n in block.children() {
        let words: Vec<&str> = std::iter::once(n.key()).chain(n.arg_texts()).collect();
        match parse(&words) {
            Ok(value) => out.push(Located {
                value,
                loc: n.name.loc.clone(),
            }),
            Err(e) => diags.push(word_error(n, e.word, format!("{what}: {}", e.message))),
        }
    }
    out
}

/// `virtual_routes` lines.
pub fn routes(block: &Node, diags: &mut Vec<Diagnostic>) -> Vec<Located<RouteSpec>> {
    parsed(block, "virtual_routes", parse_route, diags)
}

/// `virtual_rules` lines.
pub fn rules(block: &Node, diags: &mut Vec<Diagnostic>) -> Vec<Located<RuleSpec>> {
    parsed(block, "virtual_rules", parse_rule, diags)
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

/// `NAME [weight N [reverse|noreverse]]` entries, weights within -`max`..`max` (keepalived:
/// 253 for scripts, 254 for interfaces, files and processes).
pub fn track_refs(block: &Node, max: i64, diags: &mut Vec<Diagnostic>) -> Vec<TrackRef> {
    let mut out = Vec::new();
    for n in block.children() {
        let mut r = TrackRef {
            name: n.key().to_string(),
            weight: None,
            reverse: None,
            loc: n.name.loc.clone(),
        };
        let args = n.arg_texts();
        let reverse = |rest: &[&str]| match rest {
            [] => Ok(None),
            ["noreverse" | "no_reverse"] => Ok(Some(false)),
            ["reverse"] => Ok(Some(true)),
            _ => Err(()),
        };
        match args.as_slice() {
            [] => {}
            ["weight", w, rest @ ..] if w.parse::<i64>().is_ok() && reverse(rest).is_ok() => {
                let weight: i64 = w.parse().unwrap_or_default();
                if (-max..=max).contains(&weight) {
                    r.weight = Some(weight);
                    r.reverse = reverse(rest).unwrap_or_default();
                } else {
                    diags.push(word_error(
                        n,
                        2,
                        format!("weight {weight} is outside -{max}..{max}"),
                    ));
                }
            }
            _ => diags.push(Diagnostic::new(
                Severity::Warning,
                "bad-value",
                n.name.loc.clone(),
                n.text(),
                format!(
                    "expected `NAME [weight -{max}..{max} [reverse|noreverse]]`; the weight is ignored"
                ),
            )),
        }
        out.push(r);
    }
    out
}
