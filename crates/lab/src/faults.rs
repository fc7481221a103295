//! Fault injection inside a server's namespace: its interface, nftables rules that drop VRRP
//! only (a partition of the control plane) or a share of all packets (loss), tc netem delay,
//! and killing every process of a crashed server.

use crate::shell::{run, run_in, run_with_input};
use anyhow::{Context, Result, bail};

const VRRP_TABLE: &str = "hvlab_vrrp";
const LOSS_TABLE: &str = "hvlab_loss";

/// `ip link set IFACE up|down` inside the namespace.
pub fn link(ns: &str, iface: &str, up: bool) -> Result<()> {
    let state = if up { "up" } else { "down" };
    run_in(ns, &["ip", "link", "set", iface, state])?;
    Ok(())
}

fn nft(ns: &str, script: &str) -> Result<()> {
    // On standard input: a script file in /tmp is one a local user could plant or swap.
    run_with_input(&["ip", "netns", "exec", ns, "nft", "-f", "-"], script)
        .map(|_| ())
        .context("nftables (is nftables installed?)")
}

fn filter_table(name: &str, rule: &str) -> String {
    format!(
        "table inet {name} {{\n  chain in {{ type filter hook input priority 0; {rule} }}\n  \
         chain out {{ type filter hook output priority 0; {rule} }}\n}}\n"
    )
}

/// Drops (or lets through again) IP protocol 112 both ways.
pub fn drop_vrrp(ns: &str, on: bool) -> Result<()> {
    if on {
        nft(ns, &filter_table(VRRP_TABLE, "meta l4proto 112 drop;"))
    } else {
        nft(ns, &format!("delete table inet {VRRP_TABLE}\n"))
    }
}

/// Drops `percent` of all packets both ways: at random, or `spread` evenly (the places of
/// [`sim::spread_pattern`], counted apart for VRRP and for other packets in each direction,
/// as the simulator counts adverts).
pub fn loss(ns: &str, percent: u8, spread: bool) -> Result<()> {
    if !(1..=100).contains(&percent) {
        bail!("loss must be 1-100 percent, not {percent}");
    }
    let rule = if spread {
        let (period, places) = sim::spread_pattern(percent);
        let places: Vec<String> = places.iter().map(u64::to_string).collect();
        let drop = format!("numgen inc mod {period} {{ {} }} drop", places.join(", "));
        format!("meta l4proto 112 {drop}; meta l4proto != 112 {drop};")
    } else {
        format!("numgen random mod 100 < {percent} drop;")
    };
    let _ = nft(ns, &format!("delete table inet {LOSS_TABLE}\n"));
    nft(ns, &filter_table(LOSS_TABLE, &rule))
}

/// Delays outgoing packets on `iface` (tc netem).
pub fn delay(ns: &str, iface: &str, ms: u32) -> Result<()> {
    let delay = format!("{ms}ms");
    let netem = [
        "tc", "qdisc", "replace", "dev", iface, "root", "netem", "delay", &delay,
    ];
    run_in(ns, &netem)
        .map(|_| ())
        .context("tc netem (this kernel may lack sch_netem)")
}

/// Removes loss and delay.
pub fn clear(ns: &str, iface: &str) -> Result<()> {
    let _ = nft(ns, &format!("delete table inet {LOSS_TABLE}\n"));
    let _ = run_in(ns, &["tc", "qdisc", "del", "dev", iface, "root"]);
    Ok(())
}

/// The processes in the namespace other than `keep`.
fn others_in(ns: &str, keep: &[u32]) -> Vec<u32> {
    run(&["ip", "netns", "pids", ns])
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter(|p| !keep.contains(p))
        .collect()
}

/// Kills every process in the namespace except `keep`.
pub fn kill_all_in(ns: &str, keep: &[u32]) {
    for pid in others_in(ns, keep) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Stops, then kills, every process in the namespace except `keep`, all in one command: as a
/// power cut, none of them runs another instruction (a stopped worker cannot act on its
/// parent's death, so nothing resigns).
pub fn kill_all_at_once(ns: &str, keep: &[u32]) {
    let pids = others_in(ns, keep);
    for sig in [
        nix::sys::signal::Signal::SIGSTOP,
        nix::sys::signal::Signal::SIGKILL,
    ] {
        for &pid in &pids {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig);
        }
    }
}

/// Waits up to `within` for every process in the namespace except `keep` to end by itself
/// (a daemon's children after its main process was killed); then kills what is left.
pub fn let_the_rest_end(ns: &str, keep: &[u32], within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline && !others_in(ns, keep).is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    kill_all_in(ns, keep);
}

/// Whether this kernel has tc netem (a throwaway namespace tries it).
pub fn netem_available() -> bool {
    let ns = format!("hvlnetem{}", std::process::id());
    let ok = run(&["ip", "netns", "add", &ns]).is_ok()
        && run(&["ip", "-n", &ns, "link", "set", "lo", "up"]).is_ok()
        && run_in(
            &ns,
            &[
                "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
            ],
        )
        .is_ok();
    let _ = run(&["ip", "netns", "del", &ns]);
    ok
}
