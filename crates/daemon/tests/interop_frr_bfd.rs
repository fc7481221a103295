//! BFD between havipd and FRR's bfdd (8.4, Debian's `frr`), an RFC 5881 implementation stricter
//! than keepalived's (it takes single-hop packets with TTL / hop limit 255 only), over IPv4
//! and IPv6: both sessions reach Up (`vtysh -c "show bfd peers"`, havipd's `track_bfd` instance
//! leaves FAULT), cutting the link takes both down, healing brings both back; FRR's
//! administrative `shutdown` takes havipd's session down without faulting its instance.

mod common;
use common::{Lab, state_of, wait_until};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const BFDD: &str = "/usr/lib/frr/bfdd";

fn havipd_config(neighbor: &str) -> String {
    format!(
        "bfd_instance peer {{\n    neighbor_ip {neighbor}\n    min_rx 50\n    min_tx 50\n    \
         multiplier 3\n}}\n\
         vrrp_instance VB {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 61\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {{\n        10.9.0.100/24\n    }}\n    \
         track_bfd {{\n        peer\n    }}\n}}\n"
    )
}

fn interop(tag: &str, havipd_addr: &str, frr_addr: &str) {
    let Some(mut lab) = Lab::new(tag, &["vtysh", BFDD]) else {
        return;
    };
    lab.host("a", &["10.9.0.1/24", "fd09::1/64"]);
    lab.host("k", &["10.9.0.2/24", "fd09::2/64"]);
    let state = lab.havipd("a", "havipd", &havipd_config(frr_addr));
    // bfdd drops to the `frr` user: its sockets, pid and log go to a directory it can write.
    let run = lab.dir.join("frr");
    std::fs::create_dir_all(&run).expect("frr dir");
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let conf = lab.write(
        "bfdd.conf",
        &format!(
            "bfd\n peer {havipd_addr} local-address {frr_addr}\n  receive-interval 50\n  \
             transmit-interval 50\n  detect-multiplier 3\n !\n!\n"
        ),
    );
    let d = run.display().to_string();
    let (pid, ctl, zserv) = (
        format!("{d}/bfdd.pid"),
        format!("{d}/bfdd.sock"),
        format!("{d}/zserv.api"),
    );
    lab.spawn(
        "k",
        "bfdd",
        &[
            BFDD,
            "-f",
            &conf,
            "--vty_socket",
            &d,
            "-i",
            &pid,
            "--bfdctl",
            &ctl,
            "-z",
            &zserv,
            "-u",
            "frr",
            "-g",
            "frr",
            "-P",
            "0",
        ],
    );
    let frr_status = |lab: &Lab| {
        let out = lab.exec("k", &["vtysh", "--vty_socket", &d, "-c", "show bfd peers"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let up = wait_until(Duration::from_secs(15), || {
        frr_status(&lab).contains("Status: up") && lab.holds("a", "10.9.0.100")
    });
    assert!(
        up.is_some(),
        "FRR's session Up and havipd's instance MASTER: FRR:\n{}\nhavipd log:\n{}\nbfdd log:\n{}",
        frr_status(&lab),
        lab.log("havipd"),
        lab.log("bfdd")
    );

    lab.cable("k", false);
    let down = wait_until(Duration::from_secs(3), || {
        state_of(&state, "VB") == "FAULT" && frr_status(&lab).contains("Status: down")
    });
    assert!(
        down.is_some(),
        "both down after the cut: havipd {:?}, FRR:\n{}",
        state_of(&state, "VB"),
        frr_status(&lab)
    );

    lab.cable("k", true);
    let back = wait_until(Duration::from_secs(15), || {
        frr_status(&lab).contains("Status: up") && lab.holds("a", "10.9.0.100")
    });
    assert!(
        back.is_some(),
        "both back after the heal: FRR:\n{}",
        frr_status(&lab)
    );

    // FRR shuts its session down administratively: havipd's session goes Down on the
    // neighbour's AdminDown, and, as keepalived, does not take it for a path failure.
    let peer = format!("peer {havipd_addr} local-address {frr_addr}");
    let vty = |cmds: &[&str]| {
        let mut argv = vec![
            "vtysh",
            "--vty_socket",
            &d,
            "-c",
            "configure terminal",
            "-c",
            "bfd",
            "-c",
            &peer,
        ];
        for c in cmds {
            argv.extend(["-c", c]);
        }
        assert!(lab.exec("k", &argv).status.success());
    };
    vty(&["shutdown"]);
    let signalled = wait_until(Duration::from_secs(3), || {
        lab.log("havipd").contains("diag=NeighborSignaledDown")
    });
    assert!(signalled.is_some(), "havipd log:\n{}", lab.log("havipd"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(state_of(&state, "VB"), "MASTER");
    vty(&["no shutdown"]);
    assert!(
        wait_until(Duration::from_secs(10), || frr_status(&lab)
            .contains("Status: up"))
        .is_some()
    );
}

#[test]
fn ipv4_session_with_frr_bfdd() {
    interop("frr4", "10.9.0.1", "10.9.0.2");
}

#[test]
fn ipv6_session_with_frr_bfdd() {
    interop("frr6", "fd09::1", "fd09::2");
}
