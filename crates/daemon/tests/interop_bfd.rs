//! BFD (RFC 5880/5881, single hop) between havipd and Debian's keepalived 2.2.7 (its separate
//! BFD process), over IPv4 and IPv6, with either side passive: each side's session reaches Up
//! (keepalived logs it; havipd's `track_bfd` instance leaves FAULT), cutting the link takes both
//! down (keepalived's tracking instance and havipd's fault), and both come back when it heals;
//! a reload that changes no session keeps them. havipd's sessions run on a thread of their own
//! under `bfd_rt_priority`. Forged packets (TTL under 255, or from another
//! host than the neighbour) are discarded.

mod common;
use common::{Lab, state_of, wait_until};
use std::time::Duration;

/// The BFD and VRRP part of a config: a session to `neighbor` and an instance tracking it.
fn config(neighbor: &str, passive: bool, vrid: u8, vip: &str) -> String {
    let passive = if passive { "    passive\n" } else { "" };
    format!(
        "bfd_instance peer {{\n    neighbor_ip {neighbor}\n    min_rx 50\n    min_tx 50\n    \
         multiplier 3\n{passive}}}\n\
         vrrp_instance VB {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n    \
         track_bfd {{\n        peer\n    }}\n}}\n"
    )
}

/// havipd on `a`, keepalived on `k`; `v6`: the session runs over IPv6.
fn interop(tag: &str, v6: bool, havipd_passive: bool) {
    let Some(mut lab) = Lab::new(tag, &["keepalived"]) else {
        return;
    };
    lab.host("a", &["10.9.0.1/24", "fd09::1/64"]);
    lab.host("k", &["10.9.0.2/24", "fd09::2/64"]);
    let (to_k, to_a) = if v6 {
        ("fd09::2", "fd09::1")
    } else {
        ("10.9.0.2", "10.9.0.1")
    };
    // havipd's sessions run on a thread of their own, scheduled as keepalived's BFD process
    // would be.
    let global = "global_defs {\n    bfd_rt_priority 30\n}\n";
    let state = lab.havipd(
        "a",
        "havipd",
        &format!("{global}{}", config(to_k, havipd_passive, 61, "10.9.0.100")),
    );
    lab.keepalived(
        "k",
        "keepalived",
        "keepalived",
        &config(to_a, !havipd_passive, 62, "10.9.0.200"),
    );
    let up = |lab: &Lab| {
        lab.log("keepalived").contains("(peer) Entering Up state")
            && lab.holds("a", "10.9.0.100")
            && lab.holds("k", "10.9.0.200")
    };
    assert!(
        wait_until(Duration::from_secs(15), || up(&lab)).is_some(),
        "both sessions Up and both instances MASTER: havipd log:\n{}\nkeepalived log:\n{}",
        lab.log("havipd"),
        lab.log("keepalived")
    );
    assert!(
        lab.log("havipd").contains("BFD session Init -> Up")
            || lab.log("havipd").contains("BFD session Down -> Up")
    );
    assert_bfd_thread_realtime(&lab, 30);

    // A reload that changes no session keeps them: keepalived sees no Down, havipd's instance
    // stays MASTER.
    lab.reload("havipd");
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .log("havipd")
            .contains("BFD sessions kept"))
        .is_some(),
        "havipd log:\n{}",
        lab.log("havipd")
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(!lab.log("keepalived").contains("Entering Down state"));
    assert_eq!(state_of(&state, "VB"), "MASTER");

    // Cut the path (routes to nowhere on both sides; the links stay up): each side's
    // detection time (3 x 50 ms) passes without packets.
    lab.sh_in("a", &format!("ip route add blackhole {to_k}"));
    lab.sh_in("k", &format!("ip route add blackhole {to_a}"));
    let both_down = wait_until(Duration::from_secs(3), || {
        state_of(&state, "VB") == "FAULT"
            && lab.log("keepalived").contains("(VB) Entering FAULT STATE")
            && lab.log("keepalived").contains("Entering Down state")
    });
    assert!(
        both_down.is_some(),
        "both instances in FAULT after the cut: havipd {:?}; keepalived log:\n{}",
        state_of(&state, "VB"),
        lab.log("keepalived")
    );
    assert!(!lab.holds("a", "10.9.0.100"));
    assert!(
        lab.log("keepalived").contains("Entering Down state"),
        "keepalived log:\n{}",
        lab.log("keepalived")
    );
    assert!(lab.log("havipd").contains("Up -> Down"));

    // Heal: both sessions and both instances come back.
    lab.sh_in("a", &format!("ip route del blackhole {to_k}"));
    lab.sh_in("k", &format!("ip route del blackhole {to_a}"));
    assert!(
        wait_until(Duration::from_secs(15), || lab.holds("a", "10.9.0.100")
            && lab.holds("k", "10.9.0.200"))
        .is_some(),
        "back after the heal: havipd log:\n{}",
        lab.log("havipd")
    );
}

/// havipd's worker has a thread named `havipd-bfd` under SCHED_RR at `priority`, and its
/// other threads (the VRRP loop among them: no `vrrp_rt_priority`) are ordinary.
fn assert_bfd_thread_realtime(lab: &Lab, priority: u32) {
    let workers = lab.children_of("havipd");
    let mut seen = Vec::new();
    for pid in workers {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let dir = t.path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            // Fields after the command's closing parenthesis start at field 3 (state);
            // rt_priority is field 40 and policy field 41 (proc(5)).
            let rest: Vec<&str> = stat[stat.rfind(')').map_or(0, |i| i + 2)..]
                .split_whitespace()
                .collect();
            let field = |k: usize| rest.get(k).map(|f| f.to_string());
            seen.push((comm.trim().to_string(), field(37), field(38)));
        }
    }
    let bfd: Vec<_> = seen.iter().filter(|(c, _, _)| c == "havipd-bfd").collect();
    let expected = priority.to_string();
    assert!(
        bfd.len() == 1 && bfd[0].1 == Some(expected) && bfd[0].2.as_deref() == Some("2"),
        "one havipd-bfd thread under SCHED_RR (policy 2) at {priority}: threads (comm, rt_priority, policy) {seen:?}"
    );
    assert!(
        seen.iter()
            .filter(|(c, _, _)| c != "havipd-bfd")
            .all(|(_, _, p)| p.as_deref() == Some("0")),
        "the other threads are SCHED_OTHER: {seen:?}"
    );
}

#[test]
fn ipv4_session_with_keepalived_passive() {
    interop("bfd4", false, false);
}

#[test]
fn ipv6_session_with_havipd_passive() {
    interop("bfd6", true, true);
}

/// Sends 10 BFD Down packets (My Discriminator 0x1234) to `dst` port 3784 with `ttl`.
const FORGE: &str = "import socket,struct,sys,time\n\
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
s.setsockopt(socket.IPPROTO_IP,socket.IP_TTL,int(sys.argv[1]))\n\
s.bind(('',49200))\n\
p=struct.pack('!BBBBIIIII',0x20,0x40,3,24,0x1234,0,1000000,50000,0)\n\
for _ in range(10):\n    s.sendto(p,(sys.argv[2],3784)); time.sleep(0.02)\n";

/// RFC 5881 §5's defence: packets that crossed a router (TTL under 255) or that come from
/// another address than the neighbour's are discarded; the same packet with TTL 255 from the
/// neighbour is taken (the session goes Init).
#[test]
fn forged_packets_from_afar_or_from_another_host_are_discarded() {
    let Some(mut lab) = Lab::new("bfdx", &["python3"]) else {
        return;
    };
    lab.host("a", &["10.9.0.1/24"]);
    lab.host("k", &["10.9.0.2/24"]);
    lab.host("x", &["10.9.0.3/24"]);
    lab.havipd("a", "havipd", &config("10.9.0.2", true, 61, "10.9.0.100"));
    let forge = lab.write("forge.py", FORGE);
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .log("havipd")
            .contains("BFD sessions starting"))
        .is_some()
    );
    lab.sh_in("k", &format!("python3 {forge} 254 10.9.0.1"));
    lab.sh_in("x", &format!("python3 {forge} 255 10.9.0.1"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !lab.log("havipd").contains("BFD session Down -> Init"),
        "a forged packet was taken:\n{}",
        lab.log("havipd")
    );
    lab.sh_in("k", &format!("python3 {forge} 255 10.9.0.1"));
    assert!(
        wait_until(Duration::from_secs(2), || lab
            .log("havipd")
            .contains("BFD session Down -> Init"))
        .is_some(),
        "the neighbour's packet with TTL 255 was not taken:\n{}",
        lab.log("havipd")
    );
}
