//! Masters without accept mode (`no_accept`, or strict mode's default) drop traffic to and
//! from their addresses, as keepalived does with nftables, in tables of the same shape:
//! `ip keepalived` (or the `nftables` name) with a set `vips` and two chains, `out`
//! (`ip saddr @vips drop`) and `in` (`ip daddr @vips drop`), at priority `nftables_priority`
//! (-1); `ip6 keepalived` likewise, letting neighbour discovery through and matching
//! link-local addresses with their interface (`vips_link_local`). A table is made on the
//! first address of its family blocked; an instance's addresses (excluded ones too) join the
//! sets while it is master and leave them when it is not; a table left by an earlier run is
//! replaced when the table is made, and the tables are deleted at exit. `nft` carries the
//! changes out.

use conf::accept_mode::DropTable;
use conf::model::Config;
use std::collections::BTreeSet;
use std::net::IpAddr;
use tokio::io::AsyncWriteExt;
use tracing::{info, warn};

/// An address in a drop set: its family (`ip`/`ip6`), set and element as nft writes them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Element {
    family: &'static str,
    set: &'static str,
    text: String,
}

impl Element {
    /// The element for `addr` on interface `ifname`.
    fn of(addr: IpAddr, ifname: &str) -> Element {
        match addr {
            IpAddr::V4(a) => Element {
                family: "ip",
                set: "vips",
                text: a.to_string(),
            },
            IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80 => Element {
                family: "ip6",
                set: "vips_link_local",
                text: format!("{a} . \"{ifname}\""),
            },
            IpAddr::V6(a) => Element {
                family: "ip6",
                set: "vips",
                text: a.to_string(),
            },
        }
    }
}

/// The drop table and what it blocks.
pub struct AcceptMode {
    table: DropTable,
    /// Instances without accept mode.
    blocking: BTreeSet<String>,
    /// Addresses in the sets now.
    blocked: BTreeSet<Element>,
    /// The families (`ip`, `ip6`) whose table exists.
    made: BTreeSet<&'static str>,
}

impl AcceptMode {
    /// The config's accept modes (no table until an address is blocked).
    pub fn new(cfg: &Config) -> Self {
        let mut a = AcceptMode {
            table: conf::accept_mode::drop_table(cfg),
            blocking: BTreeSet::new(),
            blocked: BTreeSet::new(),
            made: BTreeSet::new(),
        };
        a.reconfigure(cfg);
        a
    }

    /// Takes a reloaded config's accept modes (a changed table name or priority applies to
    /// the table made next).
    pub fn reconfigure(&mut self, cfg: &Config) {
        self.blocking = cfg
            .instances
            .iter()
            .filter(|i| !conf::accept_mode::accepts(cfg, i))
            .map(|i| i.name.clone())
            .collect();
        let table = conf::accept_mode::drop_table(cfg);
        if table != self.table {
            self.delete_tables();
            self.blocked.clear();
            self.table = table;
        }
    }

    /// Whether instance `name` has accept mode.
    pub fn accepts(&self, name: &str) -> bool {
        !self.blocking.contains(name)
    }

    /// Instance `name` became master holding `addrs` (each with its interface's name):
    /// without accept mode they are blocked.
    pub async fn master(&mut self, name: &str, addrs: impl Iterator<Item = (IpAddr, String)>) {
        if !self.blocking.contains(name) {
            return;
        }
        let new: BTreeSet<Element> = addrs
            .map(|(a, ifname)| Element::of(a, &ifname))
            .filter(|e| !self.blocked.contains(e))
            .collect();
        if new.is_empty() {
            return;
        }
        let mut script = String::new();
        for family in ["ip", "ip6"] {
            if !self.made.contains(family) && new.iter().any(|e| e.family == family) {
                script += &self.declaration(family);
            }
        }
        script += &changes("add", &self.table.name, &new);
        if nft(&script).await {
            self.made.extend(new.iter().map(|e| e.family));
            self.blocked.extend(new);
            info!(instance = name, table = %self.table.name, "firewall drop rule set (no accept mode)");
        }
    }

    /// Instance `name` released `addrs`: they are no longer blocked.
    pub async fn released(&mut self, name: &str, addrs: impl Iterator<Item = (IpAddr, String)>) {
        if !self.blocking.contains(name) {
            return;
        }
        let gone: BTreeSet<Element> = addrs
            .map(|(a, ifname)| Element::of(a, &ifname))
            .filter(|e| self.blocked.contains(e))
            .collect();
        if gone.is_empty() {
            return;
        }
        if nft(&changes("delete", &self.table.name, &gone)).await {
            for e in &gone {
                self.blocked.remove(e);
            }
            info!(instance = name, table = %self.table.name, "firewall drop rule removed");
        }
    }

    /// The table of `family` as keepalived makes it, replacing one an earlier run left (added
    /// first, so deleting it cannot fail).
    fn declaration(&self, family: &str) -> String {
        let (n, p) = (&self.table.name, self.table.priority);
        let mut t =
            format!("add table {family} {n}\ndelete table {family} {n}\ntable {family} {n} {{\n");
        if family == "ip" {
            t += "  set vips { type ipv4_addr; }\n";
            t += &format!(
                "  chain out {{ type filter hook output priority {p}; policy accept; ip saddr @vips drop; }}\n"
            );
            t += &format!(
                "  chain in {{ type filter hook input priority {p}; policy accept; ip daddr @vips drop; }}\n"
            );
        } else {
            t += "  set vips { type ipv6_addr; }\n";
            t += "  set neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }\n";
            t += "  set vips_link_local { type ipv6_addr . iface_index; }\n";
            for (chain, hook, dir) in [("out", "output", "saddr"), ("in", "input", "daddr")] {
                t += &format!(
                    "  chain {chain} {{ type filter hook {hook} priority {p}; policy accept; icmpv6 type @neighbor-discovery accept; ip6 {dir} fe80::/10 goto {chain}_link_local; ip6 {dir} @vips drop; }}\n"
                );
            }
            t += "  chain in_link_local { ip6 daddr . iif @vips_link_local drop; }\n";
            t += "  chain out_link_local { ip6 saddr . oif @vips_link_local drop; }\n";
        }
        t + "}\n"
    }

    /// Deletes the drop tables made.
    fn delete_tables(&mut self) {
        for family in std::mem::take(&mut self.made) {
            let _ = std::process::Command::new("nft")
                .args(["delete", "table", family, &self.table.name])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

impl Drop for AcceptMode {
    fn drop(&mut self) {
        self.delete_tables();
    }
}

/// An instance's addresses (excluded ones too), each with the name of its interface: its
/// `dev`, else the instance's VMAC or interface.
pub fn addresses(inst: &crate::instance::Instance) -> impl Iterator<Item = (IpAddr, String)> + '_ {
    let own = inst.vmac.as_ref().map_or(&inst.ifname, |v| &v.name);
    inst.vips
        .iter()
        .chain(&inst.excluded)
        .map(move |(v, _)| (v.addr, v.dev.clone().unwrap_or_else(|| own.clone())))
}

/// `add` or `delete` element lines for `elements`, one per family and set.
fn changes(verb: &str, table: &str, elements: &BTreeSet<Element>) -> String {
    let mut out = String::new();
    for family in ["ip", "ip6"] {
        for set in ["vips", "vips_link_local"] {
            let these: Vec<&str> = elements
                .iter()
                .filter(|e| e.family == family && e.set == set)
                .map(|e| e.text.as_str())
                .collect();
            if !these.is_empty() {
                out += &format!(
                    "{verb} element {family} {table} {set} {{ {} }}\n",
                    these.join(", ")
                );
            }
        }
    }
    out
}

/// Runs an nft script; whether it succeeded (failures logged).
async fn nft(script: &str) -> bool {
    let child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "nft could not run: the firewall drop rule for no accept mode is not set");
            return false;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes()).await;
    }
    match child.wait_with_output().await {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            warn!(script, error = %String::from_utf8_lossy(&out.stderr).trim(), "nft refused the change");
            false
        }
        Err(e) => {
            warn!(error = %e, "nft did not finish");
            false
        }
    }
}
