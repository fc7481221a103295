//! How a gratuitous ARP moves a HAVIP (the service side of the data plane): only a HAVIP of
//! the sender's subnet moves, only to an associated instance when CheckAssociate is on, at most
//! five per ENI; a move updates the binding, its FlushedTime and its history.

mod common;
use common::Api;
use serde_json::json;
use vpc::backend::GarpOutcome;
use vpc::model::GarpForm;

#[test]
fn garp_moves_the_binding_and_records_it() {
    let api = Api::memory();
    let s = api.seed();
    let id = api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    assert_eq!(
        api.service
            .garp(&s.enis[0], "172.16.16.12", GarpForm::Request),
        Ok(GarpOutcome::Moved)
    );
    let h = &api.ok("DescribeHaVips", json!({"HaVipIds": [id]}))["HaVipSet"][0];
    assert_eq!(h["NetworkInterfaceId"], s.enis[0].as_str());
    assert_eq!(h["InstanceId"], "ins-00000000");
    assert_eq!(h["State"], "AVAILABLE");
    assert_ne!(h["FlushedTime"], "0000-00-00 00:00:00");
    assert_eq!(
        api.service
            .garp(&s.enis[1], "172.16.16.12", GarpForm::Reply),
        Ok(GarpOutcome::Moved)
    );
    let snap = api.service.snapshot();
    assert_eq!(snap.havips[&id].network_interface_id, s.enis[1]);
    let reasons: Vec<&str> = snap.history.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[2].starts_with("GARP (reply) from eni-"),
        "{reasons:?}"
    );
}

#[test]
fn garps_that_must_not_move_anything() {
    let api = Api::memory();
    let s = api.seed();
    // A plain private IP (no HAVIP): the seeds' FAQ, the VPC ignores the announcement.
    assert!(matches!(
        api.service.garp(&s.enis[0], "172.16.16.30", GarpForm::Request),
        Ok(GarpOutcome::Refused(why)) if why.contains("not a HAVIP")
    ));
    // CheckAssociate: only the associated ENI may take it.
    let id = api.havip(
        &s,
        "h",
        json!({"Vip": "172.16.16.12", "CheckAssociate": true,
               "HaVipAssociationSet": [{"InstanceId": s.enis[0], "InstanceType": "ENI"}]}),
    );
    assert!(matches!(
        api.service.garp(&s.enis[1], "172.16.16.12", GarpForm::Request),
        Ok(GarpOutcome::Refused(why)) if why.contains("not associated")
    ));
    assert_eq!(api.service.snapshot().havips[&id].network_interface_id, "");
    assert_eq!(
        api.service
            .garp(&s.enis[0], "172.16.16.12", GarpForm::Request),
        Ok(GarpOutcome::Moved)
    );
    // A subnet elsewhere: its ENI cannot take this subnet's HAVIP.
    let other = api.ok(
        "CreateSubnet",
        json!({"VpcId": s.vpc, "SubnetName": "o", "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
    )["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet")
        .to_string();
    let eni = api.ok(
        "CreateNetworkInterface",
        json!({"VpcId": s.vpc, "SubnetId": other, "NetworkInterfaceName": "x",
               "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.17.5"}]}),
    )["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    assert!(matches!(
        api.service.garp(&eni, "172.16.16.12", GarpForm::Request),
        Ok(GarpOutcome::Refused(_))
    ));
    assert_eq!(
        api.service.snapshot().havips[&id].network_interface_id,
        s.enis[0]
    );
}

#[test]
fn an_eni_holds_at_most_five_havips() {
    let api = Api::memory();
    let s = api.seed();
    for k in 0..6 {
        api.ok(
            "CreateHaVip",
            json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": format!("h{k}"), "Vip": format!("172.16.16.{}", 20 + k)}),
        );
    }
    for k in 0..5 {
        assert_eq!(
            api.service.garp(
                &s.enis[0],
                &format!("172.16.16.{}", 20 + k),
                GarpForm::Request
            ),
            Ok(GarpOutcome::Moved)
        );
    }
    assert!(matches!(
        api.service.garp(&s.enis[0], "172.16.16.25", GarpForm::Request),
        Ok(GarpOutcome::Refused(why)) if why.contains("already holds 5")
    ));
}

#[test]
fn the_programmed_delay_holds_a_garp_report_back() {
    let api = Api::start_with_delay(
        Box::new(vpc::store::Memory),
        vpc::cloud::Quotas::default(),
        std::time::Duration::from_millis(800),
    );
    let s = api.seed();
    let id = api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    let started = std::time::Instant::now();
    let body = json!({"NetworkInterfaceId": s.enis[1], "Vip": "172.16.16.12", "Form": "reply"});
    let answer: serde_json::Value = ureq::post(&format!("{}internal/garp", api.url))
        .set(
            "Authorization",
            &format!("Bearer {}", api.service.internal_secret()),
        )
        .send_string(&body.to_string())
        .expect("200")
        .into_json()
        .expect("json");
    assert_eq!(answer["Moved"], true, "{answer}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        api.service.snapshot().havips[&id].network_interface_id,
        s.enis[1]
    );
}
