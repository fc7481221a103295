//! Masters without accept mode (`no_accept`, or strict mode's default) drop traffic to and
//! from their addresses, as keepalived does with nftables: a table `ip keepalived` (or the
//! `nftables` name) with a set `vips` and two chains, `out` (`ip saddr @vips drop`) and `in`
//! (`ip daddr @vips drop`), at priority `nftables_priority` (-1). The table is made on the
//! first address blocked, an instance's addresses (excluded ones too) join the set while it
//! is master and leave it when it is not; a table left by an earlier run is replaced when
//! the table is made, and the table is deleted at exit. `nft` carries the changes out. IPv6 addresses are not
//! blocked (logged once).

use conf::accept_mode::DropTable;
use conf::model::Config;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use tokio::io::AsyncWriteExt;
use tracing::{info, warn};

/// The drop table and what it blocks.
pub struct AcceptMode {
    table: DropTable,
    /// Instances without accept mode.
    blocking: BTreeSet<String>,
    /// Addresses in the set now.
    blocked: BTreeSet<Ipv4Addr>,
    /// Whether the table exists.
    made: bool,
    ipv6_warned: bool,
}

impl AcceptMode {
    /// The config's accept modes (no table until an address is blocked).
    pub fn new(cfg: &Config) -> Self {
        let mut a = AcceptMode {
            table: conf::accept_mode::drop_table(cfg),
            blocking: BTreeSet::new(),
            blocked: BTreeSet::new(),
            made: false,
            ipv6_warned: false,
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
            self.delete_table();
            self.blocked.clear();
            self.table = table;
        }
    }

    /// Instance `name` became master holding `addrs`: without accept mode they are blocked.
    pub async fn master(&mut self, name: &str, addrs: impl Iterator<Item = IpAddr>) {
        if !self.blocking.contains(name) {
            return;
        }
        let mut new = self.v4(name, addrs);
        new.retain(|a| !self.blocked.contains(a));
        if new.is_empty() {
            return;
        }
        let t = &self.table;
        let mut script = String::new();
        if !self.made {
            // A table an earlier run left goes first (added, so deleting it cannot fail).
            script = format!(
                "add table ip {n}\ndelete table ip {n}\ntable ip {n} {{\n  set vips {{ type ipv4_addr; }}\n  \
                 chain out {{ type filter hook output priority {p}; policy accept; ip saddr @vips drop; }}\n  \
                 chain in {{ type filter hook input priority {p}; policy accept; ip daddr @vips drop; }}\n}}\n",
                n = t.name,
                p = t.priority
            );
        }
        script += &format!("add element ip {} vips {{ {} }}\n", t.name, list(&new));
        if nft(&script).await {
            self.made = true;
            self.blocked.extend(new);
            info!(instance = name, table = %self.table.name, "firewall drop rule set (no accept mode)");
        }
    }

    /// Instance `name` released `addrs`: they are no longer blocked.
    pub async fn released(&mut self, name: &str, addrs: impl Iterator<Item = IpAddr>) {
        if !self.blocking.contains(name) {
            return;
        }
        let mut gone = self.v4(name, addrs);
        gone.retain(|a| self.blocked.contains(a));
        if gone.is_empty() {
            return;
        }
        let script = format!(
            "delete element ip {} vips {{ {} }}\n",
            self.table.name,
            list(&gone)
        );
        if nft(&script).await {
            for a in &gone {
                self.blocked.remove(a);
            }
            info!(instance = name, table = %self.table.name, "firewall drop rule removed");
        }
    }

    /// The IPv4 addresses of `addrs`; IPv6 ones are logged once as not blocked.
    fn v4(&mut self, name: &str, addrs: impl Iterator<Item = IpAddr>) -> Vec<Ipv4Addr> {
        let mut v4 = Vec::new();
        for a in addrs {
            match a {
                IpAddr::V4(a) => v4.push(a),
                IpAddr::V6(a) if !self.ipv6_warned => {
                    self.ipv6_warned = true;
                    warn!(instance = name, address = %a, "no accept mode for IPv6 addresses: traffic to them is accepted");
                }
                IpAddr::V6(_) => {}
            }
        }
        v4
    }

    /// Deletes the drop table, if there is one.
    fn delete_table(&mut self) {
        if !self.made {
            return;
        }
        let _ = std::process::Command::new("nft")
            .args(["delete", "table", "ip", &self.table.name])
            .stderr(std::process::Stdio::null())
            .status();
        self.made = false;
    }
}

impl Drop for AcceptMode {
    fn drop(&mut self) {
        self.delete_table();
    }
}

fn list(addrs: &[Ipv4Addr]) -> String {
    addrs
        .iter()
        .map(Ipv4Addr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
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
