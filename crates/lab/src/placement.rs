//! Placing a directory of keepalived.conf files on a lab subnet: one server per file (named by
//! the file's stem), its interface named as its config names it, its address from
//! `unicast_src_ip`/`mcast_src_ip` or from its peers' `unicast_peer` lists, else a free one;
//! the subnet (a /24 and, with IPv6, a /64) derived from the addresses and VIPs; every VIP
//! probed. What cannot be placed is said at `file:line:col`, all of it at once.
//!
//! The lab has no services to check and must not touch the host, so every script runs the
//! lab's instead: a `vrrp_script` becomes `test ! -e <dir>/<server>.fail` (the `fail_check`
//! and `pass_check` steps drive it) and every notify script `/bin/true`. Each change is a note.

use crate::cluster::{Cluster, Member, Vip};
use crate::topology::{HostSpec, server_name};
use anyhow::{Result, anyhow};
use conf::Location;
use conf::model::Config;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// Most servers a lab has (short names a, b, d ... j).
pub const MAX_SERVERS: usize = 9;

/// One config as read: its file, text and model.
struct Read {
    path: PathBuf,
    label: String,
    text: String,
    config: Config,
}

/// An address a config names, and where.
#[derive(Clone)]
struct Named {
    addr: IpAddr,
    loc: Location,
    what: &'static str,
}

/// What one config says about its server.
struct Facts {
    iface: Option<(String, Location)>,
    sources: Vec<Named>,
    peers: Vec<Named>,
    vips: Vec<(Named, String)>,
}

/// Places the `*.conf` files of `dir`; `flags` is the directory of the check flags (the lab's
/// scratch directory).
pub fn place(dir: &Path, flags: &Path) -> Result<Cluster> {
    let files = crate::up::configs_in(dir)?;
    if files.len() > MAX_SERVERS {
        return Err(anyhow!(
            "{} holds {} configs: a lab has at most {MAX_SERVERS} servers",
            dir.display(),
            files.len()
        ));
    }
    let mut problems = Vec::new();
    let read: Vec<Read> = files
        .into_iter()
        .filter_map(|(path, text)| read_one(path, text, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(cannot_place(dir, &problems));
    }
    let facts: Vec<Facts> = read.iter().map(|r| facts(r, &mut problems)).collect();
    let cluster = assemble(&read, &facts, flags, &mut problems);
    if problems.is_empty() {
        Ok(cluster)
    } else {
        Err(cannot_place(dir, &problems))
    }
}

fn cannot_place(dir: &Path, problems: &[String]) -> anyhow::Error {
    anyhow!(
        "cannot place the configs of {} in a lab:\n  {}",
        dir.display(),
        problems.join("\n  ")
    )
}

fn read_one(path: PathBuf, text: String, problems: &mut Vec<String>) -> Option<Read> {
    let report = conf::check(&conf::reader::Disk, &path, None, &conf::Options::default());
    let before = problems.len();
    for d in report
        .diagnostics
        .iter()
        .filter(|d| d.severity == conf::Severity::Error)
    {
        problems.push(format!("{}: {}", d.location, d.message));
    }
    if let Some((k, _)) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("include"))
    {
        problems.push(format!(
            "{}:{}: include: the lab runs each server's config as one file; inline what it includes",
            path.display(),
            k + 1
        ));
    }
    if report.config.instances.is_empty() {
        problems.push(format!("{}: no vrrp_instance", path.display()));
    }
    let label = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    (problems.len() == before).then_some(Read {
        path,
        label,
        text,
        config: report.config,
    })
}

fn facts(r: &Read, problems: &mut Vec<String>) -> Facts {
    let mut f = Facts {
        iface: None,
        sources: Vec::new(),
        peers: Vec::new(),
        vips: Vec::new(),
    };
    let mut ifaces: Vec<(String, Location)> = Vec::new();
    for inst in &r.config.instances {
        if let Some((name, loc)) = inst.interface_at() {
            ifaces.push((name.to_string(), loc.clone()));
        }
        for t in &inst.track_interfaces {
            ifaces.push((t.name.clone(), t.loc.clone()));
        }
        for v in &inst.vips {
            if let Some(dev) = &v.dev {
                ifaces.push((dev.clone(), v.loc.clone()));
            }
            let named = Named {
                addr: v.addr,
                loc: v.loc.clone(),
                what: "virtual_ipaddress",
            };
            f.vips.push((named, inst.name.clone()));
        }
        for (what, addr, loc) in inst.source_addresses() {
            f.sources.push(Named {
                addr,
                loc: loc.clone(),
                what,
            });
        }
        f.peers.extend(inst.unicast_peers.iter().map(|p| Named {
            addr: p.addr,
            loc: p.loc.clone(),
            what: "unicast_peer",
        }));
    }
    f.iface = ifaces.first().cloned();
    if let Some((first, at)) = &f.iface {
        for (name, loc) in ifaces.iter().filter(|(n, _)| n != first) {
            problems.push(format!(
                "{loc}: {name}: the lab gives each server one interface, and {first} ({at}) is this one's"
            ));
        }
    } else {
        problems.push(format!(
            "{}: no instance names its interface",
            r.path.display()
        ));
    }
    f
}

/// Whether an address is placed on the subnet (link-local IPv6 is every interface's own).
fn routable(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(_) => true,
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
    }
}

/// The subnet of a family: the /24 (IPv4) or /64 (IPv6) of the first address named, and
/// every other address of that family checked against it.
fn subnet(all: &[Named], v6: bool, problems: &mut Vec<String>) -> Option<IpAddr> {
    let key = |a: &IpAddr| -> Option<Vec<u16>> {
        match a {
            IpAddr::V4(x) if !v6 => Some(x.octets()[..3].iter().map(|o| *o as u16).collect()),
            IpAddr::V6(x) if v6 && routable(a) => Some(x.segments()[..4].to_vec()),
            _ => None,
        }
    };
    let first = all.iter().find(|n| key(&n.addr).is_some())?;
    let net = key(&first.addr);
    for n in all
        .iter()
        .filter(|n| key(&n.addr).is_some_and(|k| Some(k) != net))
    {
        let (bits, f) = if v6 { (64, "/64") } else { (24, "/24") };
        problems.push(format!(
            "{}: {} {} is outside the {f} of {} ({}): the lab is one subnet (a /{bits} per family)",
            n.loc, n.what, n.addr, first.addr, first.loc
        ));
    }
    Some(first.addr)
}

fn host_in(net: IpAddr, host: u16) -> IpAddr {
    match net {
        IpAddr::V4(a) => {
            let o = a.octets();
            IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], host as u8))
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, host))
        }
    }
}

/// Each server's address in one family: its own source address, else an address its peers
/// list for it (one no other server has and it does not list itself), else a free one.
fn addresses(net: IpAddr, facts: &[Facts], problems: &mut Vec<String>) -> Vec<IpAddr> {
    let same = |a: &IpAddr| a.is_ipv4() == net.is_ipv4() && routable(a);
    let own: Vec<Option<Named>> = facts
        .iter()
        .map(|f| {
            let mut mine = f.sources.iter().filter(|n| same(&n.addr));
            let first = mine.next().cloned();
            for other in mine.filter(|n| Some(n.addr) != first.as_ref().map(|x| x.addr)) {
                if let Some(x) = &first {
                    problems.push(format!(
                        "{}: {} {}: this server already sends from {} ({})",
                        other.loc, other.what, other.addr, x.addr, x.loc
                    ));
                }
            }
            first
        })
        .collect();
    let mut taken: BTreeSet<IpAddr> = own.iter().flatten().map(|n| n.addr).collect();
    taken.extend(
        facts
            .iter()
            .flat_map(|f| f.vips.iter().map(|(v, _)| v.addr)),
    );
    let wanted: Vec<IpAddr> = facts
        .iter()
        .flat_map(|f| f.peers.iter().map(|p| p.addr))
        .filter(|a| same(a) && !taken.contains(a))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for (k, f) in facts.iter().enumerate() {
        let addr = match &own[k] {
            Some(n) => n.addr,
            None => {
                let listed = |a: &IpAddr| f.peers.iter().any(|p| p.addr == *a);
                let pick = wanted
                    .iter()
                    .find(|a| !taken.contains(a) && !listed(a))
                    .copied()
                    .or_else(|| {
                        (5..250)
                            .map(|h| host_in(net, h))
                            .find(|a| !taken.contains(a) && !wanted.contains(a))
                    })
                    .unwrap_or(net);
                taken.insert(pick);
                pick
            }
        };
        out.push(addr);
    }
    out
}

fn assemble(read: &[Read], facts: &[Facts], flags: &Path, problems: &mut Vec<String>) -> Cluster {
    let all: Vec<Named> = facts
        .iter()
        .flat_map(|f| {
            f.sources
                .iter()
                .chain(f.vips.iter().map(|(v, _)| v))
                .chain(&f.peers)
                .cloned()
        })
        .collect();
    let net4 = subnet(&all, false, problems);
    let net6 = subnet(&all, true, problems);
    let v4 = net4.map(|n| addresses(n, facts, problems));
    let v6 = net6.map(|n| addresses(n, facts, problems));
    let mut notes = Vec::new();
    let mut members = Vec::new();
    for (k, (r, f)) in read.iter().zip(facts).enumerate() {
        let host = HostSpec {
            name: server_name(k),
            label: r.label.clone(),
            iface: f.iface.as_ref().map_or("eth0".into(), |(i, _)| i.clone()),
            v4: v4.as_ref().and_then(|a| match a[k] {
                IpAddr::V4(x) => Some(x),
                IpAddr::V6(_) => None,
            }),
            v6: v6.as_ref().and_then(|a| match a[k] {
                IpAddr::V6(x) => Some(x),
                IpAddr::V4(_) => None,
            }),
        };
        if let Err(why) = lab_interface_name(&host.iface) {
            let at = f
                .iface
                .as_ref()
                .map_or(r.path.display().to_string(), |(_, l)| l.to_string());
            problems.push(format!(
                "{at}: interface `{}` {why}",
                host.iface.escape_debug()
            ));
        }
        let flag = flags.join(format!("{}.fail", host.name));
        let config = lab_scripts(r, &flag, &mut notes);
        members.push(Member {
            host,
            config,
            source: Some(r.path.clone()),
        });
    }
    check_peers(&members, facts, problems);
    let vips = vips(&members, facts, problems);
    let client = client(net4, net6, &members, &vips);
    Cluster {
        members,
        client,
        vips,
        notes,
    }
}

/// Every `unicast_peer` must be another server's address.
fn check_peers(members: &[Member], facts: &[Facts], problems: &mut Vec<String>) {
    let addrs = |m: &Member| -> Vec<IpAddr> {
        m.host
            .v4
            .map(IpAddr::V4)
            .into_iter()
            .chain(m.host.v6.map(IpAddr::V6))
            .collect()
    };
    for (k, f) in facts.iter().enumerate() {
        for p in f.peers.iter().filter(|p| routable(&p.addr)) {
            if addrs(&members[k]).contains(&p.addr) {
                problems.push(format!("{}: unicast_peer {} is this server", p.loc, p.addr));
            } else if !members.iter().any(|m| addrs(m).contains(&p.addr)) {
                let placed: Vec<String> = members
                    .iter()
                    .map(|m| format!("{} {}", m.host.label, addrs(m)[0]))
                    .collect();
                problems.push(format!(
                    "{}: unicast_peer {} is no server's address (placed: {})",
                    p.loc,
                    p.addr,
                    placed.join(", ")
                ));
            }
        }
    }
}

fn vips(members: &[Member], facts: &[Facts], problems: &mut Vec<String>) -> Vec<Vip> {
    let mut out: Vec<Vip> = Vec::new();
    for (v, instance) in facts.iter().flat_map(|f| &f.vips) {
        if !routable(&v.addr) || out.iter().any(|x| x.addr == v.addr) {
            continue;
        }
        let server = members.iter().find(|m| {
            m.host.v4.map(IpAddr::V4) == Some(v.addr) || m.host.v6.map(IpAddr::V6) == Some(v.addr)
        });
        if let Some(m) = server {
            problems.push(format!(
                "{}: virtual_ipaddress {} is {}'s own address",
                v.loc, v.addr, m.host.label
            ));
            continue;
        }
        out.push(Vip {
            addr: v.addr,
            instance: instance.clone(),
        });
    }
    if out.is_empty() {
        problems.push("no virtual_ipaddress the client could probe".to_string());
    }
    out
}

/// The client: .100 (or the first free from there) in each family the lab has.
fn client(
    net4: Option<IpAddr>,
    net6: Option<IpAddr>,
    members: &[Member],
    vips: &[Vip],
) -> HostSpec {
    let used = |a: &IpAddr| {
        vips.iter().any(|v| v.addr == *a)
            || members.iter().any(|m| {
                m.host.v4.map(IpAddr::V4) == Some(*a) || m.host.v6.map(IpAddr::V6) == Some(*a)
            })
    };
    let free = |net: IpAddr| {
        (100..250)
            .map(|h| host_in(net, h))
            .find(|a| !used(a))
            .unwrap_or(net)
    };
    HostSpec {
        name: "c".into(),
        label: "c".into(),
        iface: "eth0".into(),
        v4: net4.map(free).and_then(|a| match a {
            IpAddr::V4(x) => Some(x),
            IpAddr::V6(_) => None,
        }),
        v6: net6.map(free).and_then(|a| match a {
            IpAddr::V6(x) => Some(x),
            IpAddr::V4(_) => None,
        }),
    }
}

/// The config with the lab's scripts: `vrrp_script`s test the server's check flag, notify
/// scripts do nothing.
fn lab_scripts(r: &Read, flag: &Path, notes: &mut Vec<String>) -> String {
    let check = format!("\"/usr/bin/test ! -e {}\"", flag.display());
    let mut swaps: Vec<(Location, String)> = Vec::new();
    for s in r.config.scripts.values() {
        if let Some(loc) = s.command_loc() {
            swaps.push((loc.clone(), check.clone()));
        }
    }
    let notify_settings = r
        .config
        .instances
        .iter()
        .map(|i| &i.settings)
        .chain(r.config.sync_groups.iter().map(|g| &g.settings))
        .chain([&r.config.global.settings]);
    for settings in notify_settings {
        for (_, set) in settings.scripts() {
            swaps.push((set.loc.clone(), "/bin/true".into()));
        }
    }
    let mut lines: Vec<String> = r.text.lines().map(str::to_string).collect();
    for (loc, with) in &swaps {
        let Some(line) = lines.get_mut(loc.line as usize - 1) else {
            continue;
        };
        if let Some(swapped) = swap_argument(line, loc.col as usize - 1, with) {
            notes.push(format!("{loc}: runs {with} in the lab"));
            *line = swapped;
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `line` with the first argument after the keyword at character `col` replaced by `with`.
pub fn swap_argument(line: &str, col: usize, with: &str) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = col;
    while i < chars.len() && !chars[i].is_whitespace() {
        i += 1;
    }
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    if i >= chars.len() {
        return None;
    }
    if chars[i] == '"' {
        i += 1;
        while i < chars.len() && chars[i] != '"' {
            i += 1;
        }
        i = (i + 1).min(chars.len());
    } else {
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '}' {
            i += 1;
        }
    }
    let head: String = chars[..start].iter().collect();
    let tail: String = chars[i..].iter().collect();
    Some(format!("{head}{with}{tail}"))
}

/// Whether the lab can make an interface named `name` (the configs' `interface`): 1-15 of
/// ASCII letters, digits, `_`, `-` and `.`, not starting with `-`, and not `.` or `..`. A name
/// reaches `ip` as one argument, never a shell; this keeps it from reading as an option too.
pub fn lab_interface_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 15 {
        return Err(format!("is {} bytes long: Linux allows 1-15", name.len()));
    }
    if name.starts_with('-') || name == "." || name == ".." {
        return Err("cannot name an interface".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        Some(c) => Err(format!(
            "has `{}`: the lab makes interfaces of letters, digits, `_`, `-` and `.` only",
            c.escape_debug()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_after_a_keyword_is_swapped_quoted_or_not() {
        let quoted = "    script \"/usr/bin/killall -0 haproxy\"   # check";
        assert_eq!(
            swap_argument(quoted, 4, "/bin/true").as_deref(),
            Some("    script /bin/true   # check")
        );
        let bare = "notify_master /x.sh root }";
        assert_eq!(
            swap_argument(bare, 0, "/bin/true").as_deref(),
            Some("notify_master /bin/true root }")
        );
        assert_eq!(swap_argument("script", 0, "x"), None);
    }
}
