//! `bfd_instance` and `track_bfd` read as keepalived 2.2.7 reads them: defaults, ranges (each
//! refusal at its line and column), the instances keepalived drops, and the references.

use conf::{Options, Report, check_text};

fn check(text: &str) -> Report {
    check_text(text, &Options::default())
}

fn codes_at(r: &Report) -> Vec<(&'static str, u32, u32)> {
    r.diagnostics
        .iter()
        .filter(|d| d.code != "not-done")
        .map(|d| (d.code, d.location.line, d.location.col))
        .collect()
}

const INSTANCE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n \
                        priority 100\n virtual_ipaddress {\n  10.0.0.100\n }\n track_bfd {\n  \
                        nb1\n  nb2 weight -30 reverse\n }\n}\n";

#[test]
fn a_session_with_keepalived_defaults_and_one_with_every_setting() {
    let text = format!(
        "bfd_instance nb1 {{\n neighbor_ip 10.0.0.2\n}}\n\
         bfd_instance nb2 {{\n neighbour_ip fd00::2\n source_ip fd00::1\n min_rx 50\n min_tx 3.312\n \
         idle_tx 2000\n multiplier 3\n passive\n hoplimit 255\n max_hops 2\n weight -20\n}}\n{INSTANCE}"
    );
    let r = check(&text);
    assert_eq!(codes_at(&r), []);
    let nb1 = &r.config.bfd_instances["nb1"];
    assert_eq!(
        nb1.neighbor,
        "10.0.0.2".parse::<std::net::IpAddr>().expect("address")
    );
    assert_eq!(
        (nb1.min_rx_us, nb1.min_tx_us, nb1.idle_tx_us, nb1.multiplier),
        (10_000, 10_000, 1_000_000, 5)
    );
    assert_eq!(
        (nb1.ttl, nb1.max_hops, nb1.weight, nb1.passive),
        (255, 0, 0, false)
    );
    let nb2 = &r.config.bfd_instances["nb2"];
    assert_eq!(nb2.source, "fd00::1".parse().ok());
    assert_eq!(
        (nb2.min_rx_us, nb2.min_tx_us, nb2.idle_tx_us, nb2.multiplier),
        (50_000, 3_312, 2_000_000, 3)
    );
    assert_eq!(
        (nb2.ttl, nb2.max_hops, nb2.weight, nb2.passive),
        (255, 2, -20, true)
    );
    // GTSM as keepalived checks it: at least ttl - max_hops.
    assert!(nb2.accepts_ttl(253) && !nb2.accepts_ttl(252));
    let refs = &r.config.instances[0].track_bfds;
    assert_eq!(refs.len(), 2);
    assert_eq!((refs[0].weight, refs[0].reverse), (None, None));
    assert_eq!((refs[1].weight, refs[1].reverse), (Some(-30), Some(true)));
}

#[test]
fn ipv6_defaults_to_keepalived_hoplimit_64() {
    let r = check(&format!(
        "bfd_instance nb1 {{\n neighbor_ip fd00::2\n}}\nbfd_instance nb2 {{\n neighbor_ip fd00::3\n max_hops 100\n}}\n{INSTANCE}"
    ));
    assert_eq!(r.config.bfd_instances["nb1"].ttl, 64);
    // Received packets are checked as keepalived checks them; sent ones carry RFC 5881's 255.
    assert!(r.config.bfd_instances["nb1"].accepts_ttl(64));
    assert_eq!(r.config.bfd_instances["nb1"].sent_ttl(), 255);
    // max_hops above the TTL is cut down to it.
    assert_eq!(r.config.bfd_instances["nb2"].max_hops, 64);
}

#[test]
fn values_keepalived_refuses_are_reported_at_their_word_and_keep_the_default() {
    let text = format!(
        "bfd_instance nb1 {{\n neighbor_ip 10.0.0.2\n min_rx 0\n min_tx 1.2345\n idle_tx 999\n \
         multiplier 256\n ttl 0\n max_hops -2\n weight 254\n source_ip nope\n frobnicate 1\n}}\n\
         bfd_instance nb2 {{\n neighbor_ip 10.0.0.3\n weight -10 sideways\n}}\n{INSTANCE}"
    );
    let r = check(&text);
    assert_eq!(
        codes_at(&r),
        [
            ("out-of-range", 3, 9),
            ("bad-value", 4, 9),
            ("out-of-range", 5, 10),
            ("out-of-range", 6, 13),
            ("out-of-range", 7, 6),
            ("out-of-range", 8, 11),
            ("out-of-range", 9, 9),
            ("bad-value", 10, 12),
            ("unknown-keyword", 11, 2),
            ("bad-value", 15, 13),
        ]
    );
    let nb1 = &r.config.bfd_instances["nb1"];
    assert_eq!(
        (
            nb1.min_rx_us,
            nb1.min_tx_us,
            nb1.idle_tx_us,
            nb1.multiplier,
            nb1.ttl,
            nb1.weight
        ),
        (10_000, 10_000, 1_000_000, 5, 255, 0)
    );
    assert_eq!(nb1.source, None);
    assert_eq!(r.config.bfd_instances["nb2"].weight, -10);
}

#[test]
fn instances_keepalived_drops() {
    let text = format!(
        "bfd_instance nb1 {{\n min_rx 50\n}}\n\
         bfd_instance nb2 {{\n neighbor_ip 10.0.0.2\n source_ip fd00::1\n}}\n\
         bfd_instance nb3 {{\n neighbor_ip 10.0.0.3\n}}\n\
         bfd_instance nb4 {{\n neighbor_ip 10.0.0.3\n}}\n\
         bfd_instance nb5 {{\n neighbor_ip 10.0.0.5\n checker\n}}\n{INSTANCE}"
    );
    let r = check(&text);
    let names: Vec<&str> = r.config.bfd_instances.keys().map(String::as_str).collect();
    assert_eq!(names, ["nb3"]);
    assert_eq!(
        codes_at(&r),
        [
            ("missing-value", 1, 1),
            ("mixed-family", 6, 2),
            ("duplicate-name", 11, 1),
            ("undefined-reference", 26, 3),
            ("undefined-reference", 27, 3),
        ]
    );
}

#[test]
fn track_bfd_in_a_sync_group_and_duplicates() {
    let text = "bfd_instance nb1 {\n neighbor_ip 10.0.0.2\n}\n\
        vrrp_sync_group G {\n group {\n  VI_1\n }\n track_bfd {\n  nb1 weight 10\n  nbx\n }\n}\n\
        vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  \
        10.0.0.100\n }\n track_bfd {\n  nb1\n  nb1\n  nb1 weight 300\n  nb1 weight -5\n }\n}\n";
    let r = check(text);
    assert_eq!(r.config.sync_groups[0].track_bfds[0].weight, Some(10));
    assert_eq!(
        codes_at(&r),
        [
            ("sync-group-size", 4, 1),
            ("undefined-reference", 10, 3),
            ("duplicate-reference", 21, 3),
            ("duplicate-reference", 22, 3),
            ("bad-value", 22, 14),
            ("duplicate-reference", 23, 3),
            ("sync-group-weight-dropped", 23, 3),
        ]
    );
}

#[test]
fn a_link_local_neighbour_is_a_warning_at_its_address() {
    let text = format!(
        "bfd_instance nb1 {{\n neighbor_ip 10.0.0.2\n}}\nbfd_instance nb2 {{\n neighbour_ip fe80::254\n}}\n{INSTANCE}"
    );
    let r = check(&text);
    assert_eq!(codes_at(&r), [("not-supported", 5, 2)]);
    // The session is kept: it stays down, as havipd cannot open it.
    assert!(r.config.bfd_instances.contains_key("nb2"));
    let global = text.replace("fe80::254", "fd00::254");
    assert_eq!(codes_at(&check(&global)), []);
}
