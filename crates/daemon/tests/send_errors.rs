//! Packets the kernel refuses are counted apart and logged, never counted as sent: adverts
//! dropped by an nftables output rule (EPERM) and gratuitous ARPs dropped at the interface's
//! nftables egress hook (ENOBUFS). The instance becomes master alone after Master_Down_Interval = 3 + 156/256 s.

mod common;
use common::{Lab, instance, stats_of, wait_until};
use std::time::Duration;

const VIP: &str = "10.6.0.100";

#[test]
fn refused_adverts_and_garps_are_counted_apart_and_logged() {
    let Some(mut lab) = Lab::new("sde", &["nft"]) else {
        return;
    };
    lab.host("a", &["10.6.0.1/24"]);
    lab.sh_in(
        "a",
        "nft add table inet sendtest && \
         nft add chain inet sendtest out '{ type filter hook output priority 0; }' && \
         nft add rule inet sendtest out ip protocol vrrp drop && \
         nft add table netdev sendtest && \
         nft add chain netdev sendtest egress '{ type filter hook egress device eth0 priority 0; }' && \
         nft add rule netdev sendtest egress ether type arp drop",
    );
    let state = lab.havipd("a", "a", &instance("VI_1", 64, 100, VIP, ""));
    assert!(
        wait_until(Duration::from_secs(6), || lab.holds("a", VIP)).is_some(),
        "{}",
        lab.log("a")
    );
    std::thread::sleep(Duration::from_millis(2500));
    let s = stats_of(&lab, "a", &state, "VI_1");
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("no {k}: {s}"));
    assert!(n("advert_send_errors") >= 2, "{s}");
    assert_eq!(n("advert_sent"), 0, "refused adverts counted as sent: {s}");
    assert!(n("garp_send_errors") >= 1, "{s}");
    assert_eq!(n("na_send_errors"), 0, "{s}");
    let log = lab.log("a");
    assert!(log.contains("advert not sent"), "{log}");
    assert!(log.contains("gratuitous ARP not sent"), "{log}");
    // Rate-limited: one line per kind in these few seconds.
    assert_eq!(log.matches("advert not sent").count(), 1, "{log}");
}
