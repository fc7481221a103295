//! `virtual_routes` and `virtual_rules`: parsed from keepalived's `ip route` / `ip rule`-like
//! lines when the config is loaded (so a bad line is an error at start, with its location), and
//! installed with the VIPs by the master, removed when it stops being master.

use std::net::IpAddr;

/// An address with a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// Address.
    pub addr: IpAddr,
    /// Length.
    pub len: u8,
}

/// One `virtual_routes` line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteSpec {
    /// Destination.
    pub to: Option<Prefix>,
    /// Gateway (`via` / `gw`).
    pub via: Option<IpAddr>,
    /// Preferred source (`src`).
    pub src: Option<IpAddr>,
    /// Output interface (`dev`).
    pub dev: Option<String>,
    /// Routing table (`table`).
    pub table: Option<u32>,
    /// Metric (`metric` / `preference`).
    pub metric: Option<u32>,
    /// Scope name or number (`scope`).
    pub scope: Option<u8>,
    /// `blackhole`, `unreachable` or `prohibit`.
    pub kind: Option<String>,
    /// `onlink`.
    pub onlink: bool,
}

/// One `virtual_rules` line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleSpec {
    /// Source selector (`from`).
    pub from: Option<Prefix>,
    /// Destination selector (`to`).
    pub to: Option<Prefix>,
    /// Table to look up (`table` / `lookup`).
    pub table: Option<u32>,
    /// Priority (`priority` / `preference` / `pref`).
    pub priority: Option<u32>,
    /// `fwmark`.
    pub fwmark: Option<u32>,
    /// `iif`.
    pub iif: Option<String>,
    /// `oif`.
    pub oif: Option<String>,
}

/// Parses `10.0.0.0/8`, `default`, or an address (full-length prefix).
pub fn parse_prefix(s: &str) -> Result<Prefix, String> {
    if s == "default" {
        return Ok(Prefix {
            addr: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            len: 0,
        });
    }
    let (a, l) = s.split_once('/').unwrap_or((s, ""));
    let addr: IpAddr = a.parse().map_err(|_| format!("`{s}` is not an address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = if l.is_empty() {
        max
    } else {
        l.parse::<u8>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("`{s}`: prefix length must be 0-{max}"))?
    };
    Ok(Prefix { addr, len })
}

/// A scope name (`global`, `site`, `link`, `host`, `nowhere`) or number.
pub fn scope(s: &str) -> Result<u8, String> {
    match s {
        "global" | "universe" => Ok(0),
        "site" => Ok(200),
        "link" => Ok(253),
        "host" => Ok(254),
        "nowhere" => Ok(255),
        n => n
            .parse()
            .map_err(|_| format!("unknown scope `{s}` (global, site, link, host, nowhere)")),
    }
}

fn number(key: &str, v: &str) -> Result<u32, String> {
    v.parse()
        .map_err(|_| format!("`{key} {v}`: a number is needed"))
}

/// Takes the value after a keyword.
fn value<'a>(it: &mut std::slice::Iter<'a, String>, key: &str) -> Result<&'a str, String> {
    it.next()
        .map(String::as_str)
        .ok_or_else(|| format!("`{key}` needs a value"))
}

/// Parses a `virtual_routes` line.
pub fn parse_route(words: &[String]) -> Result<RouteSpec, String> {
    let mut r = RouteSpec::default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        match key {
            "to" => r.to = Some(parse_prefix(value(&mut it, key)?)?),
            "via" | "gw" => {
                let v = value(&mut it, key)?;
                r.via = Some(
                    v.parse()
                        .map_err(|_| format!("`{key} {v}`: not an address"))?,
                );
            }
            "src" => {
                let v = value(&mut it, key)?;
                r.src = Some(
                    v.parse()
                        .map_err(|_| format!("`src {v}`: not an address"))?,
                );
            }
            "dev" | "oif" => r.dev = Some(value(&mut it, key)?.to_string()),
            "table" => r.table = Some(number(key, value(&mut it, key)?)?),
            "metric" | "preference" | "priority" => {
                r.metric = Some(number(key, value(&mut it, key)?)?)
            }
            "scope" => r.scope = Some(scope(value(&mut it, key)?)?),
            "onlink" => r.onlink = true,
            "no_track" => {}
            "blackhole" | "unreachable" | "prohibit" => {
                r.kind = Some(key.to_string());
                if let Some(p) = it.clone().next().filter(|p| parse_prefix(p).is_ok()) {
                    r.to = Some(parse_prefix(p)?);
                    it.next();
                }
            }
            other if r.to.is_none() && parse_prefix(other).is_ok() => {
                r.to = Some(parse_prefix(other)?)
            }
            other => return Err(format!("unknown route option `{other}`")),
        }
    }
    if r.to.is_none() {
        return Err("the route has no destination".into());
    }
    Ok(r)
}

/// Parses a `virtual_rules` line.
pub fn parse_rule(words: &[String]) -> Result<RuleSpec, String> {
    let mut r = RuleSpec::default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let key = w.as_str();
        match key {
            "from" => r.from = Some(parse_prefix(value(&mut it, key)?)?),
            "to" => r.to = Some(parse_prefix(value(&mut it, key)?)?),
            "table" | "lookup" => r.table = Some(number(key, value(&mut it, key)?)?),
            "priority" | "preference" | "pref" => {
                r.priority = Some(number(key, value(&mut it, key)?)?)
            }
            "fwmark" => r.fwmark = Some(number(key, value(&mut it, key)?)?),
            "iif" => r.iif = Some(value(&mut it, key)?.to_string()),
            "oif" => r.oif = Some(value(&mut it, key)?.to_string()),
            "no_track" => {}
            other => return Err(format!("unknown rule option `{other}`")),
        }
    }
    if r.from.is_none() && r.to.is_none() && r.fwmark.is_none() && r.iif.is_none() {
        return Err("the rule selects nothing (from, to, fwmark or iif)".into());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn routes_as_keepalived_writes_them() {
        let r = parse_route(&words(
            "src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1 table 100 metric 5",
        ))
        .expect("route");
        assert_eq!(r.to, parse_prefix("192.168.109.0/24").ok());
        assert_eq!(r.via, "192.168.200.254".parse().ok());
        assert_eq!(r.src, "192.168.100.1".parse().ok());
        assert_eq!(
            (r.dev.as_deref(), r.table, r.metric),
            (Some("eth1"), Some(100), Some(5))
        );
        let b = parse_route(&words("blackhole 10.1.0.0/16")).expect("blackhole");
        assert_eq!(b.kind.as_deref(), Some("blackhole"));
        let d = parse_route(&words("default via 10.0.0.1 scope global")).expect("default");
        assert_eq!(d.to.map(|p| p.len), Some(0));
    }

    #[test]
    fn bad_routes_and_rules_say_what_is_wrong() {
        assert_eq!(
            parse_route(&words("10.0.0.0/8 via nowhere")),
            Err("`via nowhere`: not an address".into())
        );
        assert_eq!(
            parse_route(&words("10.0.0.0/40")),
            Err("unknown route option `10.0.0.0/40`".into())
        );
        assert_eq!(
            parse_route(&words("via 10.0.0.1")),
            Err("the route has no destination".into())
        );
        assert_eq!(
            parse_rule(&words("from 10.0.0.0/8 table")),
            Err("`table` needs a value".into())
        );
        assert_eq!(
            parse_rule(&words("table 5")),
            Err("the rule selects nothing (from, to, fwmark or iif)".into())
        );
    }

    #[test]
    fn rules_as_keepalived_writes_them() {
        let r = parse_rule(&words("from 192.168.28.0/24 table 1234 priority 100")).expect("rule");
        assert_eq!(r.from, parse_prefix("192.168.28.0/24").ok());
        assert_eq!((r.table, r.priority), (Some(1234), Some(100)));
    }
}
