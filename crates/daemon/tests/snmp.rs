//! SNMP: havipd as an AgentX subagent of net-snmp's `snmpd`, beside keepalived 2.2.7 on the
//! same config in the same namespace. `snmpwalk` of KEEPALIVED-MIB's VRRP part, VRRP-MIB
//! (RFC 2787) and VRRPV3-MIB (RFC 6527) gives the same rows and values, but for the differences listed in
//! [`comparable`]; on a failover (the peer master stops), `snmptrapd` receives the same traps
//! (vrrpInstanceStateChange, vrrpTrapNewMaster, vrrpv3NewMaster), and an advert with TTL 64
//! then brings the same vrrpv3ProtoError. The master agent is restarted under havipd,
//! which registers again.

mod common;

use common::{Lab, state_of, wait_until};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

const WALKED: [&str; 3] = [
    ".1.3.6.1.4.1.9586.100.5.2",
    ".1.3.6.1.2.1.68",
    ".1.3.6.1.2.1.207",
];
const INSTANCE_STATE: &str = ".1.3.6.1.4.1.9586.100.5.2.3.1.4.";

/// The node under test: VI_1 (v2) backs up the peer, VI_6 (v3) is master alone.
fn config(agentx: &str) -> String {
    format!(
        "global_defs {{\n  router_id r1\n  enable_snmp_vrrp\n  enable_snmp_rfcv2\n  enable_snmp_rfcv3\n  enable_traps\n  snmp_socket unix:{agentx}\n}}\n\
         vrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  advert_int 1\n  \
         virtual_ipaddress {{\n    10.77.0.100/24\n  }}\n}}\n\
         vrrp_instance VI_6 {{\n  state MASTER\n  interface eth0\n  virtual_router_id 52\n  version 3\n  priority 150\n  \
         advert_int 0.5\n  promote_secondaries\n  smtp_alert\n  virtual_ipaddress {{\n    10.77.0.101/24\n  }}\n  virtual_ipaddress_excluded {{\n    10.77.0.102/24\n  }}\n}}\n"
    )
}

/// The peer: VI_1's master.
const PEER: &str = "vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 200\n  \
                    advert_int 1\n  virtual_ipaddress {\n    10.77.0.100/24\n  }\n}\n";

/// A walk's line as compared, or None for what differs by design:
/// - vrrpAddressAdvertising (vrrpAddressTable column 11) past the first instance: keepalived
///   2.2.7 says no(2) for every address of every instance but the first (its iterator resets
///   the flag only for the first list); havipd says yes for advertised addresses;
/// - VRRP-MIB vrrpOperVirtualRouterUpTime (column 13) and VRRPV3-MIB vrrpv3OperationsUpTime
///   (column 12): the master agent's sysUpTime when the instance started, which depends on
///   when each daemon started;
/// - counters (Counter32/64): compared by name only (adverts received depend on timing).
fn comparable(line: &str) -> Option<String> {
    let (oid, value) = line.split_once(" = ")?;
    let col = |prefix: &str| {
        oid.strip_prefix(prefix)
            .and_then(|r| r.split('.').next()?.parse::<u32>().ok())
    };
    if col(".1.3.6.1.4.1.9586.100.5.2.6.1.") == Some(11) && !oid.ends_with(".1.1") {
        return None;
    }
    if col(".1.3.6.1.2.1.68.1.3.1.") == Some(13) || col(".1.3.6.1.2.1.207.1.1.1.1.") == Some(12) {
        return None;
    }
    if value.starts_with("Counter") {
        return Some(format!("{oid} = Counter"));
    }
    Some(line.to_string())
}

fn walk(lab: &Lab) -> Vec<String> {
    let mut lines = Vec::new();
    for subtree in WALKED {
        let out = lab.exec(
            "a",
            &[
                "snmpwalk",
                "-v2c",
                "-c",
                "public",
                "-On",
                "-m",
                "",
                "127.0.0.1:16161",
                subtree,
            ],
        );
        lines.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(String::from),
        );
    }
    lines
}

/// Waits until the walk shows VI_1 in `vi1` (backup: having heard the peer) and VI_6 MASTER;
/// the walk then.
fn walk_when(lab: &Lab, vi1: u8, what: &str) -> Vec<String> {
    let mut last = Vec::new();
    let mut want = vec![
        format!("{INSTANCE_STATE}1 = INTEGER: {vi1}"),
        format!("{INSTANCE_STATE}2 = INTEGER: 2"),
    ];
    if vi1 == 1 {
        want.push(format!(
            ".1.3.6.1.2.1.68.1.3.1.7.{}.51 = IpAddress: 10.77.0.2",
            ifindex(lab)
        ));
    }
    let ok = wait_until(Duration::from_secs(20), || {
        last = walk(lab);
        want.iter().all(|w| last.contains(w))
    });
    assert!(
        ok.is_some(),
        "{what}: the walk never showed {want:?}:\n{}",
        last.join("\n")
    );
    last
}

/// From host b, a VRRPv2 advert for VRID 51 sent with TTL 64.
fn send_low_ttl_advert(lab: &Lab) {
    let py = "import socket\n\
p=bytearray([0x21,51,100,1,0,1,0,0])+socket.inet_aton('10.77.0.100')+bytes(8)\n\
s=sum((p[i]<<8)|p[i+1] for i in range(0,len(p),2))\n\
while s>>16: s=(s&0xffff)+(s>>16)\n\
p[6]=(~s&0xffff)>>8\n\
p[7]=~s&0xff\n\
k=socket.socket(socket.AF_INET,socket.SOCK_RAW,112)\n\
k.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_TTL,64)\n\
k.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('10.77.0.2'))\n\
k.sendto(bytes(p),('224.0.0.18',0))\n";
    lab.sh_in("b", &format!("python3 -c \"{py}\""));
}

/// eth0's index on host a.
fn ifindex(lab: &Lab) -> String {
    lab.sh_in("a", "cat /sys/class/net/eth0/ifindex")
        .trim()
        .to_string()
}

/// The traps snmptrapd logged (sysUpTime left out), from line `from` on.
fn traps(lab: &Lab, from: usize) -> Vec<String> {
    let log = std::fs::read_to_string(lab.dir.join("traps.log")).unwrap_or_default();
    log.lines()
        .filter_map(|l| l.strip_prefix("TRAP "))
        .skip(from)
        .map(|l| {
            l.split('\t')
                .filter(|v| !v.starts_with(".1.3.6.1.2.1.1.3.0 "))
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect()
}

fn start_master_agent(lab: &mut Lab, agentx: &str) {
    let conf = lab.write(
        "snmpd.conf",
        &format!(
            "master agentx\nagentXSocket unix:{agentx}\nagentXPerms 0600 0700\nrocommunity public 127.0.0.1\n\
             agentaddress udp:127.0.0.1:16161\ntrap2sink 127.0.0.1:16162 public\n"
        ),
    );
    let log = lab.dir.join("snmpd.out").display().to_string();
    // Its persistent state goes to the lab, not /var/lib/snmp.
    let persist = format!("SNMP_PERSISTENT_DIR={}", lab.dir.display());
    lab.spawn(
        "a",
        "snmpd",
        &[
            "env", &persist, "snmpd", "-f", "-C", "-c", &conf, "-Lf", &log, "-m", "",
        ],
    );
    assert!(
        wait_until(Duration::from_secs(10), || std::path::Path::new(agentx)
            .exists())
        .is_some(),
        "snmpd made no AgentX socket"
    );
}

/// One round: `daemon` on host a beside a havipd peer on b; the walk while VI_1 is backup, and
/// the traps when the peer stops.
fn round(lab: &mut Lab, daemon: &str, agentx: &str) -> (Vec<String>, Vec<String>) {
    let peer = lab.havipd("b", &format!("peer-{daemon}"), PEER);
    assert!(
        wait_until(Duration::from_secs(10), || state_of(&peer, "VI_1")
            == "MASTER")
        .is_some(),
        "the peer never became master"
    );
    match daemon {
        "keepalived" => lab.keepalived("a", daemon, "keepalived", &config(agentx)),
        _ => {
            lab.havipd("a", daemon, &config(agentx));
        }
    }
    let walked = walk_when(lab, 1, daemon);
    let before = traps(lab, 0).len();
    lab.signal(&format!("peer-{daemon}"), "TERM");
    walk_when(lab, 2, daemon);
    // Let the last trap arrive.
    std::thread::sleep(Duration::from_millis(500));
    // An advert with TTL 64 (RFC 3768 §7.1: 255 or discard): vrrpv3ProtoError (ipTtlError).
    send_low_ttl_advert(lab);
    std::thread::sleep(Duration::from_millis(2500));
    let sent = traps(lab, before);
    (walked, sent)
}

#[test]
fn walks_and_failover_traps_match_keepalived() {
    let Some(mut lab) = Lab::new(
        "snmp",
        &["keepalived", "snmpd", "snmpwalk", "snmptrapd", "python3"],
    ) else {
        return;
    };
    lab.host("a", &["10.77.0.1/24"]);
    lab.host("b", &["10.77.0.2/24"]);
    let agentx = lab.dir.join("agentx").display().to_string();
    let trapd = lab.write("snmptrapd.conf", "disableAuthorization yes\n");
    let trap_log = lab.dir.join("traps.log").display().to_string();
    let persist = format!("SNMP_PERSISTENT_DIR={}", lab.dir.display());
    lab.spawn(
        "a",
        "snmptrapd",
        &[
            "env",
            &persist,
            "snmptrapd",
            "-f",
            "-C",
            "-c",
            &trapd,
            "-On",
            "-m",
            "",
            "-Lf",
            &trap_log,
            "-F",
            "TRAP %v\n",
            "udp:127.0.0.1:16162",
        ],
    );
    start_master_agent(&mut lab, &agentx);

    let (ka_walk, ka_traps) = round(&mut lab, "keepalived", &agentx);
    lab.signal("keepalived", "TERM");
    let (hv_walk, hv_traps) = round(&mut lab, "havipd", &agentx);

    let ka: Vec<String> = ka_walk.iter().filter_map(|l| comparable(l)).collect();
    let hv: Vec<String> = hv_walk.iter().filter_map(|l| comparable(l)).collect();
    assert!(
        ka.len() > 60,
        "keepalived's walk is short:\n{}",
        ka.join("\n")
    );
    assert_eq!(hv, ka, "havipd's walk differs from keepalived's");

    // keepalived sends its traps for VI_1 only on this failover; so must havipd.
    assert!(
        ka_traps
            .iter()
            .any(|t| t.contains(".1.3.6.1.4.1.9586.100.5.2.10.0.2")),
        "keepalived sent no vrrpInstanceStateChange: {ka_traps:?}"
    );
    assert!(
        ka_traps.iter().any(|t| t.contains(".1.3.6.1.2.1.68.0.1")),
        "keepalived sent no vrrpTrapNewMaster: {ka_traps:?}"
    );
    assert!(
        ka_traps.iter().any(|t| t.contains(".1.3.6.1.2.1.207.0.2")),
        "keepalived sent no vrrpv3ProtoError: {ka_traps:?}"
    );
    assert_eq!(
        hv_traps,
        ka_traps,
        "havipd's traps differ from keepalived's; havipd's log:\n{}",
        lab.log("havipd")
    );
    println!("traps on the failover, from both: {ka_traps:#?}");

    // The master agent restarts: havipd connects again and registers again.
    lab.signal("snmpd", "TERM");
    start_master_agent(&mut lab, &agentx);
    let again = walk_when(&lab, 2, "after snmpd restarted");
    assert!(
        again.iter().any(|l| l.contains("STRING: \"VI_6\"")),
        "{}",
        again.join("\n")
    );
}

/// Waits up to `within` for havipd to connect to the fake master; the connection.
fn accept_within(listener: &UnixListener, within: Duration) -> Option<UnixStream> {
    let mut got = None;
    wait_until(within, || match listener.accept() {
        Ok((s, _)) => {
            got = Some(s);
            true
        }
        Err(_) => false,
    })?;
    let s = got?;
    s.set_nonblocking(false).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    Some(s)
}

/// Reads one PDU's bytes (header and payload) as havipd sends them (network byte order).
fn read_pdu(s: &mut UnixStream) -> Vec<u8> {
    let mut head = [0u8; 20];
    s.read_exact(&mut head).expect("a PDU header from havipd");
    let len = u32::from_be_bytes([head[16], head[17], head[18], head[19]]) as usize;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("a PDU payload from havipd");
    [head.to_vec(), body].concat()
}

/// A master agent (reached through `-x -A`) that lies or stalls: a header announcing 1 GiB gets the session dropped
/// (havipd connects again), a master that never answers Open is left after 5 s, and through it
/// all the instance keeps its VRRP schedule: it becomes MASTER on time.
#[test]
fn a_hostile_master_agent_neither_stalls_vrrp_nor_holds_the_subagent() {
    let Some(mut lab) = Lab::new("snmh", &[]) else {
        return;
    };
    lab.host("a", &["10.78.0.1/24"]);
    let path = lab.dir.join("master");
    let listener = UnixListener::bind(&path).expect("fake master socket");
    listener.set_nonblocking(true).expect("non-blocking");
    // keepalived's -x (every VRRP MIB) and -A (the master's address) stand for the keywords.
    let config = common::instance("VI_1", 61, 100, "10.78.0.100", "");
    let agentx = format!("unix:{}", path.display());
    let state = lab.havipd_with("a", "havipd", &config, "havipd", &["-x", "-A", &agentx]);

    // 1: answers Open with a header announcing a 1 GiB payload.
    let mut s = accept_within(&listener, Duration::from_secs(10)).expect("havipd connects");
    let open = read_pdu(&mut s);
    assert_eq!(open[1], 1, "the first PDU is Open");
    let mut lie = vec![1u8, 18, 0x10, 0];
    lie.extend_from_slice(&open[4..16]);
    lie.extend_from_slice(&(1u32 << 30).to_be_bytes());
    s.write_all(&lie).expect("send the lie");
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "havipd closes the session without sending more"
    );

    // 2: connects again; this master never answers.
    let mut stalled =
        accept_within(&listener, Duration::from_secs(5)).expect("havipd connects again");
    let since = std::time::Instant::now();
    assert_eq!(read_pdu(&mut stalled)[1], 1, "Open again");
    // VRRP is not held: Master_Down_Interval (3 s + skew) makes it MASTER.
    let master = wait_until(Duration::from_secs(6), || {
        state_of(&state, "VI_1") == "MASTER"
    });
    assert!(
        master.is_some(),
        "VI_1 did not become MASTER while the master agent stalled"
    );

    // 3: havipd gives up on the silent master and connects once more.
    let third = accept_within(&listener, Duration::from_secs(10));
    assert!(
        third.is_some(),
        "havipd kept waiting on a master that never answers"
    );
    let waited = since.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(9),
        "left the silent master after {waited:?}"
    );
    drop(stalled);
}
