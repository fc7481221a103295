//! Simulator scenarios. Times are asserted exactly, in microseconds, from the protocol's
//! arithmetic: adverts every interval from the moment of becoming master, 100 µs one-way delay,
//! Master_Down_Interval = 3 x interval + (256 - priority) / 256 s (v2).

use sim::record::{outages, split_brain};
use sim::{LinkFaults, Network, NodeId};
use std::net::IpAddr;
use vrrp::{AdvertInterval, Micros, Reason, RouterConfig, State, Timestamp, UnicastPeer, Version};

const D: u64 = 100; // default one-way delay, µs
const MDI_150: u64 = 3_414_062; // 3 s + 106/256 s
const MDI_120: u64 = 3_531_250; // 3 s + 136/256 s
const MDI_100: u64 = 3_609_375; // 3 s + 156/256 s
const SKEW_100: u64 = 609_375;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn t(us: u64) -> Timestamp {
    Timestamp(us)
}

fn secs(s: u64) -> Timestamp {
    Timestamp(s * 1_000_000)
}

fn cfg(host: u8, priority: u8) -> RouterConfig {
    let mut c = RouterConfig::new(51, ip(&format!("10.0.0.{host}")), vec![ip("10.0.0.100")]);
    c.priority = priority;
    c
}

/// Primary A (150, .5) and secondary B (100, .6), started at 0.
fn pair(seed: u64, tweak: impl Fn(&mut RouterConfig)) -> (Network, NodeId, NodeId) {
    let mut net = Network::new(seed);
    let (mut a, mut b) = (cfg(5, 150), cfg(6, 100));
    tweak(&mut a);
    tweak(&mut b);
    let a = net.add_node("primary", a);
    let b = net.add_node("secondary", b);
    net.start_all();
    (net, a, b)
}

/// Times at which `node` entered MASTER, with the reason.
fn masterships(net: &Network, node: NodeId) -> Vec<(Timestamp, Reason)> {
    net.transitions()
        .iter()
        .filter(|r| r.node == node && r.to == State::Master)
        .map(|r| (r.at, r.reason))
        .collect()
}

/// Last advert A sent at or before `at`, given it became master at `m` with interval 1 s.
fn last_advert(m: u64, at: u64) -> u64 {
    m + (at - m) / 1_000_000 * 1_000_000
}

#[test]
fn initial_election_elects_the_higher_priority_at_its_mdi() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(60));
    assert_eq!(
        masterships(&net, a),
        vec![(
            t(MDI_150),
            Reason::MasterDown {
                waited: Micros(MDI_150)
            }
        )]
    );
    assert!(masterships(&net, b).is_empty());
    assert!(split_brain(net.vip_records(), &[a, b]).is_empty());
    assert!(net.holds_vips(a) && !net.holds_vips(b));
    assert_eq!(net.codec_errors(), 0);
}

#[test]
fn primary_crash_takeover_at_last_advert_plus_mdi() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(10));
    net.crash(a);
    net.run_until(secs(30));
    let last = last_advert(MDI_150, 10_000_000) + D; // arrival of A's last advert at B
    let takeover = last + MDI_100;
    assert_eq!(takeover, 13_023_537);
    assert_eq!(
        masterships(&net, b),
        vec![(
            t(takeover),
            Reason::MasterDown {
                waited: Micros(MDI_100)
            }
        )]
    );
    let gaps = outages(net.vip_records(), &[a, b], secs(5));
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0].start, gaps[0].end), (secs(10), Some(t(takeover))));
}

#[test]
fn graceful_stop_hands_over_after_skew_time() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(10));
    net.stop(a);
    net.run_until(secs(30));
    let takeover = 10_000_000 + D + SKEW_100;
    assert_eq!(
        masterships(&net, b),
        vec![(t(takeover), Reason::MasterResigned)]
    );
    let gaps = outages(net.vip_records(), &[a, b], secs(5));
    assert_eq!(gaps[0].length(net.now()), Micros(D + SKEW_100));
}

#[test]
fn nopreempt_keeps_the_new_master_when_the_primary_returns() {
    let (mut net, a, b) = pair(1, |c| c.preempt = false);
    net.run_until(secs(10));
    net.crash(a);
    net.run_until(secs(20));
    net.start(a);
    net.run_until(secs(120));
    assert_eq!(masterships(&net, a).len(), 1, "only the initial election");
    assert_eq!(
        masterships(&net, b),
        vec![(
            t(13_023_537),
            Reason::MasterDown {
                waited: Micros(MDI_100)
            }
        )]
    );
    assert_eq!(net.router(a).state(), State::Backup);
    assert!(split_brain(net.vip_records(), &[a, b]).is_empty());
}

#[test]
fn with_preempt_the_returning_primary_takes_back_at_its_mdi() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(10));
    net.crash(a);
    net.run_until(secs(20));
    net.start(a);
    net.run_until(secs(60));
    let back = 20_000_000 + MDI_150;
    assert_eq!(masterships(&net, a)[1].0, t(back));
    let yielded = net
        .transitions()
        .iter()
        .find(|r| r.node == b && r.from == State::Master)
        .expect("B yields");
    assert_eq!(yielded.at, t(back + D));
    assert_eq!(
        yielded.reason,
        Reason::HigherPriority {
            from: ip("10.0.0.5"),
            priority: 150
        }
    );
    // The hand-over overlaps by the one-way delay only.
    let overlaps = split_brain(net.vip_records(), &[a, b]);
    assert_eq!(overlaps.len(), 1);
    assert_eq!(overlaps[0].length(net.now()), Micros(D));
}

#[test]
fn preempt_delay_defers_the_takeback() {
    let (mut net, a, b) = pair(1, |c| c.preempt_delay = Micros::from_secs(10));
    net.run_until(secs(10));
    net.crash(a);
    net.run_until(t(20_500_000));
    net.start(a);
    net.run_until(secs(60));
    let b_master = masterships(&net, b)[0].0.0;
    // B's adverts reach A at b_master + k s + D. The first after the restart starts the delay;
    // the last one accepted arrives before that plus 10 s; A takes over an MDI after it.
    let first = (1..)
        .map(|k| b_master + k * 1_000_000 + D)
        .find(|&x| x > 20_500_000)
        .expect("an advert");
    let last_accepted = (0..)
        .map(|k| first + k * 1_000_000)
        .take_while(|&x| x < first + 10_000_000)
        .last()
        .expect("some");
    assert_eq!(masterships(&net, a)[1].0, t(last_accepted + MDI_150));
    assert_eq!(last_accepted + MDI_150, 33_437_699);
}

#[test]
fn three_routers_fail_over_in_priority_order() {
    let mut net = Network::new(1);
    let a = net.add_node("a", cfg(5, 150));
    let b = net.add_node("b", cfg(6, 120));
    let c = net.add_node("c", cfg(7, 100));
    net.start_all();
    net.run_until(secs(10));
    net.crash(a);
    net.run_until(secs(20));
    let b_at = last_advert(MDI_150, 10_000_000) + D + MDI_120;
    assert_eq!(
        masterships(&net, b),
        vec![(
            t(b_at),
            Reason::MasterDown {
                waited: Micros(MDI_120)
            }
        )]
    );
    assert!(
        masterships(&net, c).is_empty(),
        "C's longer MDI is reset by B's first advert"
    );
    net.crash(b);
    net.run_until(secs(40));
    let c_at = last_advert(b_at, 20_000_000) + D + MDI_100;
    assert_eq!(
        masterships(&net, c),
        vec![(
            t(c_at),
            Reason::MasterDown {
                waited: Micros(MDI_100)
            }
        )]
    );
    assert!(split_brain(net.vip_records(), &[a, b, c]).is_empty());
}

#[test]
fn partition_makes_split_brain_and_healing_ends_it_within_one_interval() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(20));
    net.partition(&[a], &[b]);
    net.run_until(secs(40));
    let dual_from = last_advert(MDI_150, 20_000_000) + D + MDI_100;
    let sb = split_brain(net.vip_records(), &[a, b]);
    assert_eq!(sb.len(), 1);
    assert_eq!(sb[0].start, t(dual_from));
    assert_eq!(sb[0].end, None, "still split while partitioned");
    net.heal();
    net.run_until(secs(60));
    let sb = split_brain(net.vip_records(), &[a, b]);
    let end = sb[0].end.expect("healed");
    assert!(
        end <= secs(41),
        "one master within one advert interval of healing, got {end}"
    );
    // B's next advert reaches A, which answers at once; B yields on that answer.
    let b_next = (0..)
        .map(|k| dual_from + k * 1_000_000)
        .find(|&x| x > 40_000_000)
        .expect("advert");
    assert_eq!(end, t(b_next + 2 * D));
    // and A re-announces its addresses when it sees the lower-priority master
    assert!(
        net.announcements()
            .iter()
            .any(|&(at, n, _)| n == a && at == t(b_next + D))
    );
    assert_eq!(net.router(b).state(), State::Backup);
}

#[test]
fn link_cut_of_the_master_is_a_takeover_and_restoring_it_heals() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(10));
    net.set_cut(a, true);
    net.run_until(secs(20));
    assert_eq!(masterships(&net, b)[0].0, t(13_023_537));
    // A still holds the address (it was not told) but serves nobody: clients see an outage
    // from the cut to B's takeover, and the holders overlap until the cut is repaired.
    let gaps = outages(net.serving_records(), &[a, b], secs(5));
    assert_eq!(
        (gaps[0].start, gaps[0].end),
        (secs(10), Some(t(13_023_537)))
    );
    assert!(net.holds_vips(a));
    net.set_cut(a, false);
    net.run_until(secs(30));
    assert_eq!(net.router(b).state(), State::Backup);
    assert_eq!(net.router(a).state(), State::Master);
    let sb = split_brain(net.vip_records(), &[a, b]);
    assert_eq!(sb.len(), 1);
    assert!(sb[0].end.expect("healed") <= secs(21));
}

#[test]
fn interface_down_on_the_master_is_a_fault_and_fast_handover() {
    let (mut net, a, b) = pair(1, |_| {});
    net.run_until(secs(10));
    net.set_link(a, false);
    net.run_until(secs(20));
    assert_eq!(net.router(a).state(), State::Fault);
    // keepalived sends priority 0 when going to FAULT, but the link is down: B waits its MDI.
    assert_eq!(masterships(&net, b)[0].0, t(13_023_537));
}

#[test]
fn v3_ipv6_fast_adverts_fail_over_to_the_microsecond() {
    let mut net = Network::new(1);
    let mk = |host: &str, prio| {
        let mut c = RouterConfig::new(53, ip(host), vec![ip("fd00::12")]);
        c.version = Version::V3;
        c.advert_interval = AdvertInterval::from_centis(10).expect("0.1 s");
        c.priority = prio;
        c
    };
    let a = net.add_node("a", mk("fe80::5", 150));
    let b = net.add_node("b", mk("fe80::6", 100));
    net.start_all();
    net.run_until(secs(1));
    let a_master = masterships(&net, a)[0].0.0;
    assert_eq!(a_master, 341_406); // 0.3 s + 106 x 0.1 s / 256
    net.crash(a);
    net.run_until(secs(2));
    let last = a_master + (1_000_000 - a_master) / 100_000 * 100_000 + D;
    assert_eq!(masterships(&net, b)[0].0, t(last + 360_937)); // 0.3 s + 156 x 0.1 s / 256
}

#[test]
fn seed_topology_unicast_nopreempt_advert_int_5() {
    // The seeds' pair: both BACKUP, priority 100, nopreempt, advert_int 5, unicast to each other.
    let mut net = Network::new(1);
    let mk = |me: &str, peer: &str| {
        let mut c = RouterConfig::new(51, ip(me), vec![ip("172.16.16.12")]);
        c.advert_interval = AdvertInterval::from_secs(5).expect("5 s");
        c.preempt = false;
        c.auth = vrrp::Auth::pass("1111");
        c.unicast_peers = vec![UnicastPeer::new(ip(peer))];
        c
    };
    let a = net.add_node("HAVIP-01", mk("172.16.16.5", "172.16.16.6"));
    let b = net.add_node("HAVIP-02", mk("172.16.16.6", "172.16.16.5"));
    net.start(a); // HAVIP-01 starts first and becomes the primary
    net.run_until(secs(2));
    net.start(b);
    net.run_until(secs(30));
    assert_eq!(
        masterships(&net, a),
        vec![(
            t(15_609_375),
            Reason::MasterDown {
                waited: Micros(15_609_375)
            }
        )]
    );
    net.crash(a);
    net.run_until(secs(60));
    assert_eq!(masterships(&net, b)[0].0, t(25_609_375 + D + 15_609_375));
    net.start(a);
    net.run_until(secs(120));
    assert_eq!(
        masterships(&net, a).len(),
        1,
        "nopreempt: the old primary stays backup"
    );
}

#[test]
fn duplicates_and_jitter_cause_no_spurious_transitions() {
    let (mut net, a, b) = pair(7, |_| {});
    net.set_faults(LinkFaults {
        loss: 0.0,
        delay: Micros(500),
        jitter: Micros(400),
        duplicate: 0.3,
        spread: false,
    });
    net.run_until(secs(3600));
    assert_eq!(
        net.transitions().len(),
        3,
        "A: init->backup->master, B: init->backup"
    );
    assert!(masterships(&net, b).is_empty());
    assert!(net.holds_vips(a));
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let run = |seed| {
        let (mut net, _, _) = pair(seed, |_| {});
        net.set_faults(LinkFaults {
            loss: 0.3,
            delay: Micros(300),
            jitter: Micros(200),
            duplicate: 0.1,
            spread: false,
        });
        net.run_until(secs(900));
        net.transitions().to_vec()
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42), run(43));
}
