//! The seed pair in the VPC without a HAVIP (`havip lab drill --vpc --mover tencent`): the VIP
//! is a secondary private IP that only the cloud's API moves. With the cloud throttling a
//! fifth of the calls, slower and with Describe lagging, havipd's mover ends every drill with the address
//! on the VRRP master's ENI only and the client's requests answered by it; keepalived's
//! documented `notify_master` script (one MigratePrivateIpAddress through tccli) moves it on a
//! plain crash. Correctness of the final owner only: no timing is asserted (the check waits up
//! to 20 s, beyond the mover's 10 s recheck and its throttled retries).

use lab::daemon::Kind;
use lab::drill::{self, DrillResult, Setup};
use lab::vpc::Backend;

fn setup(faults: vpc::faults::Faults) -> Setup {
    let mut s = Setup::seed();
    s.vpc = Some(Backend::Userspace);
    s.mover = true;
    s.api_faults = faults;
    s.owner_grace = Some(std::time::Duration::from_secs(20));
    s
}

/// A fifth of the calls throttled, 100 ms added to each, Describe 0.5 s behind the writes.
fn bad_day() -> vpc::faults::Faults {
    vpc::faults::Faults {
        throttle_percent: 20,
        latency_ms: 100,
        stale_describe_ms: 500,
        ..Default::default()
    }
}

fn run(name: &str, kinds: [Kind; 2], faults: vpc::faults::Faults) -> DrillResult {
    let sc = drill::scenario(name).expect("built-in scenario");
    let r = drill::run_on(
        &setup(faults),
        &sc,
        kinds,
        &|m| eprintln!("{m}"),
        &|_, _| {},
    )
    .expect("drill runs");
    eprintln!(
        "{name} {}: owner {:?}, worst outage {:.1} ms",
        r.daemon,
        r.owner,
        r.worst_outage_ms()
    );
    r
}

fn assert_right(r: &DrillResult) {
    let o = r.owner.as_ref().expect("the owner check ran");
    assert!(
        o.correct,
        "{} {}: the address did not end on the VRRP master's ENI only: {o:?}\ntransitions: {:?}",
        r.scenario, r.daemon, r.transitions
    );
}

#[test]
fn havipd_mover_leaves_the_address_on_the_master_through_the_clouds_bad_days() {
    if hostcheck::skip_reason("mover drills", &["nft"]).is_some() {
        return;
    }
    for name in ["crash", "flap-backup", "partition"] {
        let r = run(name, [Kind::Havipd; 2], bad_day());
        assert_eq!(r.daemon, "havipd-mover");
        assert_right(&r);
    }
}

#[test]
fn keepalived_notify_master_script_moves_the_address_on_a_crash() {
    if hostcheck::skip_reason("mover drill with keepalived's script", &["keepalived"]).is_some() {
        return;
    }
    if let Err(e) = lab::mover::tccli_path() {
        hostcheck::skip("mover drill with keepalived's script", e.to_string());
        return;
    }
    let r = run("crash", [Kind::Keepalived; 2], Default::default());
    assert_eq!(r.daemon, "keepalived-script");
    assert_right(&r);
}
