//! Prefixes, scopes, and the `virtual_routes` / `virtual_rules` lines of keepalived's
//! `ip route` / `ip rule`-like syntax, parsed into typed values: the one parser of each, so
//! `havip check` reports at the word what havipd would otherwise fail on when it installs them.

use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Prefix {
    /// Address.
    pub addr: IpAddr,
    /// Length.
    pub len: u8,
}

/// Why a prefix did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixError {
    /// The part before `/` is no IPv4 or IPv6 address.
    NotAnAddress,
    /// The length is not a number up to `max`.
    Length {
        /// 32 or 128.
        max: u8,
    },
}

impl Prefix {
    /// Parses `ADDR` (full length) or `ADDR/LEN`.
    pub fn parse(s: &str) -> Result<Prefix, PrefixError> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().map_err(|_| PrefixError::NotAnAddress)?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            None => max,
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or(PrefixError::Length { max })?,
        };
        Ok(Prefix { addr, len })
    }

    /// The whole address space of one family (`default`).
    pub fn everything(ipv6: bool) -> Prefix {
        let addr = if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        Prefix { addr, len: 0 }
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// Says what is wrong with prefix `s`.
pub fn prefix_error(s: &str, e: PrefixError) -> String {
    match e {
        PrefixError::NotAnAddress => format!("`{s}` is not an IP address"),
        PrefixError::Length { max } => format!("`{s}`: the prefix length must be 0-{max}"),
    }
}

/// A scope name (`global`, `site`, `link`, `host`, `nowhere`) or number (0-255).
pub fn scope(s: &str) -> Result<u8, String> {
    match s {
        "global" | "universe" => Ok(0),
        "site" => Ok(200),
        "link" => Ok(253),
        "host" => Ok(254),
        "nowhere" => Ok(255),
        n => n.parse().map_err(|_| {
            format!("unknown scope `{s}` (global, site, link, host, nowhere or 0-255)")
        }),
    }
}

/// `blackhole`, `unreachable` or `prohibit`: a route that goes to no interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RouteKind {
    /// Silently discard.
    Blackhole,
    /// Answer host unreachable.
    Unreachable,
    /// Answer administratively prohibited.
    Prohibit,
}

/// One `virtual_routes` line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RouteSpec {
    /// Destination (`default` resolved to the route's family).
    pub to: Prefix,
    /// Gateway (`via` / `gw`).
    pub via: Option<IpAddr>,
    /// Preferred source (`src`).
    pub src: Option<IpAddr>,
    /// Output interface (`dev` / `oif`).
    pub dev: Option<String>,
    /// Routing table (`table`).
    pub table: Option<u32>,
    /// Metric (`metric` / `preference` / `priority`).
    pub metric: Option<u32>,
    /// Scope (`scope`).
    pub scope: Option<u8>,
    /// A route to no interface.
    pub kind: Option<RouteKind>,
    /// `onlink`.
    pub onlink: bool,
}

/// One `virtual_rules` line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RuleSpec {
    /// IPv6 rule (from its addresses or `inet6`), else IPv4.
    pub ipv6: bool,
    /// Source selector (`from`; `all` is none).
    pub from: Option<Prefix>,
    /// Destination selector (`to`; `all` is none).
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

/// What is wrong with a line, and at which word (0 is the first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordError {
    /// Index of the offending word.
    pub word: usize,
    /// What is wrong.
    pub message: String,
}

/// The words of a line, read left to right, with errors pointing at the word.
struct Words<'a> {
    words: &'a [&'a str],
    next: usize,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Option<(usize, &'a str)> {
        let w = self.words.get(self.next)?;
        self.next += 1;
        Some((self.next - 1, w))
    }

    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.next).copied()
    }

    /// The value after keyword `key` (at `at`).
    fn value(&mut self, at: usize, key: &str) -> Result<(usize, &'a str), WordError> {
        self.next()
            .ok_or_else(|| fail(at, format!("`{key}` needs a value")))
    }

    fn number(&mut self, at: usize, key: &str) -> Result<u32, WordError> {
        let (i, v) = self.value(at, key)?;
        v.parse()
            .map_err(|_| fail(i, format!("`{key} {v}`: a number is needed")))
    }

    fn address(&mut self, at: usize, key: &str) -> Result<(usize, IpAddr), WordError> {
        let (i, v) = self.value(at, key)?;
        let a = v
            .parse()
            .map_err(|_| fail(i, format!("`{key} {v}`: not an IP address")))?;
        Ok((i, a))
    }

    fn prefix(&mut self, at: usize, key: &str) -> Result<(usize, Option<Prefix>), WordError> {
        let (i, v) = self.value(at, key)?;
        Ok((i, selector(i, v)?))
    }
}

fn fail(word: usize, message: String) -> WordError {
    WordError { word, message }
}

/// A prefix, or `None` for `default` / `any` / `all` (every address of the line's family).
fn selector(at: usize, s: &str) -> Result<Option<Prefix>, WordError> {
    if matches!(s, "default" | "any" | "all") {
        return Ok(None);
    }
    Prefix::parse(s)
        .map(Some)
        .map_err(|e| fail(at, prefix_error(s, e)))
}

/// The family a line has settled on, and the word that settled it.
#[derive(Default)]
struct Family(Option<(bool, usize)>);

impl Family {
    /// Records that word `at` is of family `ipv6`; a word of the other family is an error.
    fn set(&mut self, at: usize, ipv6: bool) -> Result<(), WordError> {
        match self.0 {
            None => self.0 = Some((ipv6, at)),
            Some((f, _)) if f == ipv6 => {}
            Some((_, first)) => {
                let name = |v6| if v6 { "IPv6" } else { "IPv4" };
                return Err(fail(
                    at,
                    format!(
                        "an {} value in an {} line (from word {}): IPv4 and IPv6 cannot be mixed",
                        name(ipv6),
                        name(!ipv6),
                        first + 1
                    ),
                ));
            }
        }
        Ok(())
    }

    fn ipv6(&self) -> bool {
        self.0.is_some_and(|(f, _)| f)
    }
}

/// A route's destination, whose address (unless `default`) settles the line's family.
fn destination(
    (at, p): (usize, Option<Prefix>),
    family: &mut Family,
) -> Result<(usize, Option<Prefix>), WordError> {
    if let Some(p) = p {
        family.set(at, p.addr.is_ipv6())?;
    }
    Ok((at, p))
}

/// Parses a `virtual_routes` line: `[to] PREFIX|default [via ADDR] [src ADDR] [dev IF] ...`.
pub fn parse_route(words: &[&str]) -> Result<RouteSpec, WordError> {
    let mut w = Words { words, next: 0 };
    let mut family = Family::default();
    // The destination: unset, or set to a prefix / to `default` (None), and where.
    let mut to: Option<(usize, Option<Prefix>)> = None;
    let mut r = RouteSpec {
        to: Prefix::everything(false),
        via: None,
        src: None,
        dev: None,
        table: None,
        metric: None,
        scope: None,
        kind: None,
        onlink: false,
    };
    while let Some((at, key)) = w.next() {
        match key {
            "inet" | "inet6" => family.set(at, key == "inet6")?,
            "to" => to = Some(destination(w.prefix(at, key)?, &mut family)?),
            "via" | "gw" => {
                if let Some(f @ ("inet" | "inet6")) = w.peek() {
                    let (i, _) = w.value(at, key)?;
                    family.set(i, f == "inet6")?;
                }
                let (i, a) = w.address(at, key)?;
                family.set(i, a.is_ipv6())?;
                r.via = Some(a);
            }
            "src" => {
                let (i, a) = w.address(at, key)?;
                family.set(i, a.is_ipv6())?;
                r.src = Some(a);
            }
            "dev" | "oif" => r.dev = Some(w.value(at, key)?.1.to_string()),
            "table" => r.table = Some(w.number(at, key)?),
            "metric" | "preference" | "priority" => r.metric = Some(w.number(at, key)?),
            "scope" => {
                let (i, v) = w.value(at, key)?;
                r.scope = Some(scope(v).map_err(|m| fail(i, m))?);
            }
            "onlink" => r.onlink = true,
            "no_track" => {}
            "blackhole" | "unreachable" | "prohibit" => {
                r.kind = Some(match key {
                    "blackhole" => RouteKind::Blackhole,
                    "unreachable" => RouteKind::Unreachable,
                    _ => RouteKind::Prohibit,
                });
            }
            other if to.is_none() => {
                to = Some(destination((at, selector(at, other)?), &mut family)?)
            }
            other => {
                return Err(fail(
                    at,
                    format!("unknown route word `{other}` (the destination is already given)"),
                ));
            }
        }
    }
    let Some((_, dest)) = to else {
        return Err(fail(0, "the route has no destination".into()));
    };
    r.to = dest.unwrap_or_else(|| Prefix::everything(family.ipv6()));
    Ok(r)
}

/// Parses a `virtual_rules` line: `[from PREFIX] [to PREFIX] [table N] [priority N] ...`.
pub fn parse_rule(words: &[&str]) -> Result<RuleSpec, WordError> {
    let mut w = Words { words, next: 0 };
    let mut family = Family::default();
    let mut r = RuleSpec::default();
    let mut selects = false;
    while let Some((at, key)) = w.next() {
        match key {
            "inet" | "inet6" => family.set(at, key == "inet6")?,
            "from" | "to" => {
                let (i, p) = w.prefix(at, key)?;
                if let Some(p) = p {
                    family.set(i, p.addr.is_ipv6())?;
                }
                selects = true;
                *(if key == "from" {
                    &mut r.from
                } else {
                    &mut r.to
                }) = p;
            }
            "table" | "lookup" => r.table = Some(w.number(at, key)?),
            "priority" | "preference" | "pref" => r.priority = Some(w.number(at, key)?),
            "fwmark" => {
                r.fwmark = Some(w.number(at, key)?);
                selects = true;
            }
            "iif" => {
                r.iif = Some(w.value(at, key)?.1.to_string());
                selects = true;
            }
            "oif" => {
                r.oif = Some(w.value(at, key)?.1.to_string());
                selects = true;
            }
            "no_track" => {}
            other => return Err(fail(at, format!("unknown rule word `{other}`"))),
        }
    }
    if !selects {
        return Err(fail(
            0,
            "the rule selects nothing (from, to, fwmark, iif or oif)".into(),
        ));
    }
    r.ipv6 = family.ipv6();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    fn p(s: &str) -> Prefix {
        Prefix::parse(s).expect("prefix")
    }

    #[test]
    fn prefixes_and_their_errors() {
        assert_eq!(p("10.0.0.0/8").len, 8);
        assert_eq!(p("fd00::1").len, 128);
        assert_eq!(
            Prefix::parse("10.0.0.0/33"),
            Err(PrefixError::Length { max: 32 })
        );
        assert_eq!(
            Prefix::parse("fd00::/129"),
            Err(PrefixError::Length { max: 128 })
        );
        assert_eq!(Prefix::parse("eth0"), Err(PrefixError::NotAnAddress));
        assert_eq!(scope("link"), Ok(253));
        assert!(scope("galaxy").is_err());
    }

    #[test]
    fn routes_as_keepalived_writes_them() {
        let r = parse_route(&words(
            "src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1 table 100 metric 5",
        ))
        .expect("route");
        assert_eq!(r.to, p("192.168.109.0/24"));
        assert_eq!(r.via, "192.168.200.254".parse().ok());
        assert_eq!(r.src, "192.168.100.1".parse().ok());
        assert_eq!(
            (r.dev.as_deref(), r.table, r.metric),
            (Some("eth1"), Some(100), Some(5))
        );
        let b = parse_route(&words("blackhole 10.1.0.0/16")).expect("blackhole");
        assert_eq!(
            (b.kind, b.to),
            (Some(RouteKind::Blackhole), p("10.1.0.0/16"))
        );
        let d = parse_route(&words("default via 10.0.0.1 scope global")).expect("default");
        assert_eq!(d.to, p("0.0.0.0/0"));
    }

    #[test]
    fn a_default_route_takes_the_family_of_its_gateway() {
        let d = parse_route(&words("default via fe80::1 dev eth0")).expect("IPv6 default");
        assert_eq!(d.to, p("::/0"));
        let d = parse_route(&words("inet6 default dev eth0")).expect("inet6 default");
        assert_eq!(d.to, p("::/0"));
        let d = parse_route(&words("default via inet6 fd00::1")).expect("via inet6");
        assert_eq!(d.to, p("::/0"));
    }

    #[test]
    fn bad_routes_say_which_word_is_wrong() {
        let e = |s| parse_route(&words(s)).expect_err(s);
        assert_eq!(e("10.0.0.0/8 via nowhere").word, 2);
        assert_eq!(
            e("10.0.0.0/40").message,
            "`10.0.0.0/40`: the prefix length must be 0-32"
        );
        assert_eq!(e("10.1.0.0/16 via 10.0.0.1 blah").word, 3);
        assert!(
            e("10.1.0.0/16 via 10.0.0.1 blah")
                .message
                .contains("`blah`")
        );
        assert_eq!(e("via 10.0.0.1").message, "the route has no destination");
        let mixed = e("10.1.0.0/16 via fe80::1");
        assert_eq!(mixed.word, 2);
        assert!(mixed.message.contains("cannot be mixed"), "{mixed:?}");
        assert_eq!(e("inet 10.0.0.0/8 via inet6 fd00::1").word, 3);
        assert_eq!(e("10.0.0.0/8 scope galaxy").word, 2);
        assert_eq!(e("10.0.0.0/8 table").message, "`table` needs a value");
    }

    #[test]
    fn rules_as_keepalived_writes_them() {
        let r = parse_rule(&words("from 192.168.28.0/24 table 1234 priority 100")).expect("rule");
        assert_eq!(r.from, Some(p("192.168.28.0/24")));
        assert_eq!(
            (r.table, r.priority, r.ipv6),
            (Some(1234), Some(100), false)
        );
        let r = parse_rule(&words("to fd00::/64 lookup 7")).expect("v6 rule");
        assert!(r.ipv6);
        let r = parse_rule(&words("from all fwmark 3 table 3")).expect("from all");
        assert_eq!((r.from, r.fwmark), (None, Some(3)));
    }

    #[test]
    fn bad_rules_say_which_word_is_wrong() {
        let e = |s| parse_rule(&words(s)).expect_err(s);
        assert_eq!(e("from 10.0.0.0/8 table").word, 2);
        assert_eq!(
            e("table 5").message,
            "the rule selects nothing (from, to, fwmark, iif or oif)"
        );
        assert_eq!(e("from 10.0.0.0/8 to fd00::/8 table 1").word, 3);
        assert_eq!(e("from 10.0.0.0/8 goto 5").word, 2);
    }
}
