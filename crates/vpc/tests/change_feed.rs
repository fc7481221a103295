//! The data plane's push channel over real HTTP: `/internal/changes` answers a data plane
//! that is behind at once, wakes a waiting one at the next commit with only what changed,
//! gives the whole state to a new one or one of another epoch, and refuses callers without the
//! secret and malformed queries; a GARP report answers with the version that includes it.

mod common;

use common::Api;
use serde_json::json;
use std::time::Duration;
use vpc::cloud::Change;
use vpc::dataplane::control::{Control, PushedUpdate, Verdict};

fn control(api: &Api) -> Control {
    Control::new(&api.url, api.service.internal_secret())
}

#[test]
fn a_new_data_plane_gets_the_whole_state_then_only_changes() {
    let api = Api::memory();
    let s = api.seed();
    let c = control(&api);
    let first = c.changes("", 0, Duration::ZERO).expect("first");
    let PushedUpdate::State(cloud) = &first.update else {
        panic!("{first:?}")
    };
    assert_eq!(cloud.enis.len(), 2);
    assert_eq!(cloud.quotas.havips_per_eni, 5);
    assert_eq!(first.epoch, api.service.epoch());
    // Current, nothing waited for: nothing to do.
    let same = c
        .changes(&first.epoch, first.version, Duration::ZERO)
        .expect("again");
    assert!(matches!(&same.update, PushedUpdate::Changes(c) if c.is_empty()));
    assert_eq!(same.version, first.version);
    // A waiting data plane wakes at the next commit with just that change.
    let waiting = {
        let (c, epoch, version) = (c.clone(), first.epoch.clone(), first.version);
        std::thread::spawn(move || c.changes(&epoch, version, Duration::from_secs(20)))
    };
    std::thread::sleep(Duration::from_millis(200));
    let id = api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    let pushed = waiting.join().expect("thread").expect("long poll");
    assert!(pushed.version > first.version);
    let PushedUpdate::Changes(changes) = &pushed.update else {
        panic!("{pushed:?}")
    };
    assert!(
        matches!(&changes[..], [Change::HaVip(h)] if h.ha_vip_id == id),
        "{changes:?}"
    );
    // A GARP report's answer names the version that includes the move, and the feed has it.
    let verdict = c
        .report_garp(
            &s.enis[1],
            "172.16.16.12".parse().expect("ip"),
            vpc::model::GarpForm::Reply,
        )
        .expect("report");
    let Verdict::Moved(v) = verdict else {
        panic!("{verdict:?}")
    };
    let next = c
        .changes(&pushed.epoch, pushed.version, Duration::ZERO)
        .expect("after the move");
    assert_eq!(next.version, v);
    let PushedUpdate::Changes(changes) = &next.update else {
        panic!("{next:?}")
    };
    assert!(
        matches!(&changes[..], [Change::HaVip(h)] if h.network_interface_id == s.enis[1]),
        "{changes:?}"
    );
    // A version of another run of the server: the whole state again.
    let other = c
        .changes("0123456789abcdef", 1, Duration::ZERO)
        .expect("other");
    assert!(matches!(other.update, PushedUpdate::State(_)));
}

#[test]
fn a_long_poll_without_change_ends_after_its_wait_with_nothing() {
    let api = Api::memory();
    let c = control(&api);
    let first = c.changes("", 0, Duration::ZERO).expect("first");
    let quiet = c
        .changes(&first.epoch, first.version, Duration::from_millis(300))
        .expect("quiet");
    assert!(matches!(&quiet.update, PushedUpdate::Changes(c) if c.is_empty()));
}

#[test]
fn the_feed_refuses_strangers_and_malformed_queries() {
    let api = Api::memory();
    let stranger = Control::new(&api.url, "not-the-secret-at-all-not-the-secret");
    let e = stranger
        .changes("", 0, Duration::ZERO)
        .expect_err("no secret, no state");
    assert!(e.to_string().contains("401"), "{e}");
    let url = format!("{}internal/changes?after=soon", api.url);
    let bearer = format!("Bearer {}", api.service.internal_secret());
    let answer = match ureq::get(&url).set("Authorization", &bearer).call() {
        Err(ureq::Error::Status(400, r)) => r.into_string().expect("body"),
        other => panic!("{other:?}"),
    };
    let v: serde_json::Value = serde_json::from_str(&answer).expect("a JSON error");
    let message = v["Response"]["Error"]["Message"].as_str().unwrap_or("");
    assert!(message.contains("after"), "{answer}");
}
