//! The seeds' "verify the switch" step on the seed topology, in the simulator: HAVIP-01
//! (172.16.16.5) and HAVIP-02 (172.16.16.6), HAVIP 172.16.16.12, unicast, PASS 1111,
//! advert_int 5, nopreempt, both priority 100. Runs each failure and prints the outage.
//!
//! `cargo run --release -p sim --example seed_drill [-- --json]`

use sim::record::{outages, split_brain};
use sim::{Network, NodeId};
use std::net::IpAddr;
use vrrp::{AdvertInterval, Auth, Micros, RouterConfig, Timestamp, UnicastPeer, timing};

fn seed_config(me: &str, peer: &str) -> RouterConfig {
    let ip = |s: &str| s.parse::<IpAddr>().expect("seed address");
    let mut c = RouterConfig::new(51, ip(me), vec![ip("172.16.16.12")]);
    c.advert_interval = AdvertInterval::from_secs(5).expect("advert_int 5");
    c.preempt = false;
    c.auth = Auth::pass("1111");
    c.unicast_peers = vec![UnicastPeer::new(ip(peer))];
    c.garp.master_delay = Micros::from_secs(1);
    c.garp.master_refresh = Micros::from_secs(5);
    c
}

struct Row {
    scenario: &'static str,
    outage: Micros,
    split_brain: Micros,
    bound: Micros,
}

fn drill(scenario: &'static str, fail: impl Fn(&mut Network, NodeId)) -> Row {
    let mut net = Network::new(1);
    let a = net.add_node("HAVIP-01", seed_config("172.16.16.5", "172.16.16.6"));
    let b = net.add_node("HAVIP-02", seed_config("172.16.16.6", "172.16.16.5"));
    net.start(a);
    net.run_until(Timestamp(2_000_000));
    net.start(b);
    net.run_until(Timestamp(60_000_000));
    let fault_at = net.now();
    fail(&mut net, a);
    net.run_until(Timestamp(120_000_000));
    let outage = outages(net.serving_records(), &[a, b], fault_at)
        .iter()
        .map(|i| i.length(net.now()))
        .fold(Micros::ZERO, |x, y| x + y);
    let dual = split_brain(net.vip_records(), &[a, b])
        .iter()
        .map(|i| i.length(net.now()))
        .fold(Micros::ZERO, |x, y| x + y);
    let cfg = seed_config("172.16.16.6", "172.16.16.5");
    let interval = Micros(cfg.advert_interval.micros());
    let bound = match scenario {
        "stop" => timing::skew(cfg.version, cfg.priority, interval) + Micros(100),
        _ => timing::master_down_interval(cfg.version, 3, cfg.priority, interval),
    };
    Row {
        scenario,
        outage,
        split_brain: dual,
        bound,
    }
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let rows = [
        drill("crash", |net, a| net.crash(a)),
        drill("stop", |net, a| net.stop(a)),
        drill("link-cut", |net, a| {
            net.set_cut(a, true);
            net.run_until(Timestamp(100_000_000));
            net.set_cut(a, false);
        }),
    ];
    if json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    r#"{{"scenario":"{}","outage_us":{},"split_brain_us":{},"bound_us":{}}}"#,
                    r.scenario, r.outage.0, r.split_brain.0, r.bound.0
                )
            })
            .collect();
        println!("[{}]", items.join(","));
        return;
    }
    println!(
        "seed topology (simulated): HAVIP-01 172.16.16.5 / HAVIP-02 172.16.16.6, VIP 172.16.16.12, advert_int 5, nopreempt"
    );
    println!(
        "{:<10} {:>14} {:>14} {:>16}",
        "failure", "outage", "split brain", "protocol bound"
    );
    for r in &rows {
        println!(
            "{:<10} {:>14} {:>14} {:>16}",
            r.scenario,
            r.outage.to_string(),
            r.split_brain.to_string(),
            r.bound.to_string()
        );
    }
    println!(
        "(the outage of a crash depends on where in the 5 s advert cycle it falls; the bound is MDI)"
    );
}
