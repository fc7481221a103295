//! The cloud API's tenants and replays (issue 29, item 5): each key belongs to an account
//! (AppId) and sees and changes only that account's resources (another's answer as absent ones
//! do); a store from before accounts keeps everything under the default account; a signed
//! request cannot be replayed nor sent to another action; the signed API answers the cloud's
//! own host names while the console does not.

mod common;

use common::{Api, ID, KEY};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use vpc::cloud::Quotas;
use vpc::service::Options;

const OTHER_ID: &str = "AKIDother000000000000000000000000000";
const OTHER_KEY: &str = "other-secret-key";
const OTHER_APP: &str = "1300000002";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn options(accounts: &[(&str, &str)]) -> Options {
    Options {
        quotas: Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        },
        accounts: accounts
            .iter()
            .map(|(k, a)| (k.to_string(), a.to_string()))
            .collect(),
        ..Options::default()
    }
}

fn keys() -> BTreeMap<String, String> {
    BTreeMap::from([
        (ID.to_string(), KEY.to_string()),
        (OTHER_ID.to_string(), OTHER_KEY.to_string()),
    ])
}

/// Sends `headers` and `body` as they are; returns `Response`.
fn send(api: &Api, headers: &BTreeMap<String, String>, body: &str) -> Value {
    let mut req = ureq::post(&api.url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let text = match req.send_string(body) {
        Ok(r) => r.into_string().expect("body"),
        Err(ureq::Error::Status(_, r)) => r.into_string().expect("body"),
        Err(e) => panic!("{e}"),
    };
    serde_json::from_str::<Value>(&text).expect("JSON")["Response"].clone()
}

/// Signs `action` with `body` as (`id`, `key`) for `host`; returns the headers.
fn signed(host: &str, action: &str, body: &Value, id: &str, key: &str) -> BTreeMap<String, String> {
    vpc::auth::sign_request(host, action, body.to_string().as_bytes(), id, key, now())
}

/// Calls as the other account.
fn other(api: &Api, action: &str, body: Value) -> Value {
    send(
        api,
        &signed(&api.host, action, &body, OTHER_ID, OTHER_KEY),
        &body.to_string(),
    )
}

fn code(r: &Value) -> &str {
    r["Error"]["Code"].as_str().unwrap_or("none")
}

#[test]
fn another_accounts_resources_are_absent_to_reads_writes_and_quotas() {
    let api = Api::start_with_keys(
        Box::new(vpc::store::Memory),
        options(&[(OTHER_ID, OTHER_APP)]),
        keys(),
    );
    let s = api.seed();
    let havip = api.havip(&s, "mine", json!({"Vip": "172.16.16.12"}));
    let eip = api.ok("AllocateAddresses", json!({}))["AddressSet"][0].clone();
    // The other account sees nothing of it.
    for action in [
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeNetworkInterfaces",
        "DescribeHaVips",
        "DescribeAddresses",
    ] {
        let r = other(&api, action, json!({}));
        assert_eq!(r["TotalCount"], 0, "{action}: {r}");
    }
    // Naming them answers as for ids that do not exist.
    let missing = "havip-zzzzzzzz";
    for (action, body, absent) in [
        (
            "DeleteHaVip",
            json!({"HaVipId": havip}),
            json!({"HaVipId": missing}),
        ),
        (
            "ModifyHaVipAttribute",
            json!({"HaVipId": havip, "HaVipName": "x"}),
            json!({"HaVipId": missing, "HaVipName": "x"}),
        ),
        (
            "DescribeHaVips",
            json!({"HaVipIds": [havip]}),
            json!({"HaVipIds": [missing]}),
        ),
        (
            "HaVipDisassociateAddressIp",
            json!({"HaVipId": havip}),
            json!({"HaVipId": missing}),
        ),
        (
            "CreateHaVip",
            json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "x"}),
            json!({"VpcId": "vpc-zzzzzzzz", "SubnetId": "subnet-zzzzzzzz", "HaVipName": "x"}),
        ),
        (
            "CreateSubnet",
            json!({"VpcId": s.vpc, "SubnetName": "x", "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
            json!({"VpcId": "vpc-zzzzzzzz", "SubnetName": "x", "CidrBlock": "172.16.17.0/24", "Zone": "z"}),
        ),
        (
            "AttachNetworkInterface",
            json!({"NetworkInterfaceId": s.enis[0], "InstanceId": "ins-9"}),
            json!({"NetworkInterfaceId": "eni-zzzzzzzz", "InstanceId": "ins-9"}),
        ),
        (
            "DescribeAddresses",
            json!({"AddressIds": [eip]}),
            json!({"AddressIds": ["eip-zzzzzzzz"]}),
        ),
    ] {
        let theirs = other(&api, action, body);
        let nowhere = other(&api, action, absent);
        assert_eq!(code(&theirs), code(&nowhere), "{action}: {theirs}");
        assert_eq!(
            theirs["TotalCount"], nowhere["TotalCount"],
            "{action}: {theirs}"
        );
        if !action.starts_with("Describe") {
            assert_ne!(code(&nowhere), "none", "{action}: {nowhere}");
        }
    }
    // Its own resources are its own; EIP addresses stay unique across accounts.
    let (vpc, subnet) = {
        let v = other(
            &api,
            "CreateVpc",
            json!({"VpcName": "b", "CidrBlock": "172.16.0.0/16"}),
        );
        let vpc = v["Vpc"]["VpcId"].as_str().expect("vpc").to_string();
        let s = other(
            &api,
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "b", "CidrBlock": "172.16.16.0/24", "Zone": "z"}),
        );
        (
            vpc,
            s["Subnet"]["SubnetId"]
                .as_str()
                .expect("subnet")
                .to_string(),
        )
    };
    let theirs = other(
        &api,
        "CreateHaVip",
        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "b", "Vip": "172.16.16.12"}),
    );
    assert_eq!(code(&theirs), "none", "{theirs}");
    let their_eip = other(&api, "AllocateAddresses", json!({}))["AddressSet"][0].clone();
    let ip_of = |r: Value| r["AddressSet"][0]["AddressIp"].as_str().map(str::to_string);
    let mine_ip = ip_of(api.ok("DescribeAddresses", json!({"AddressIds": [eip]})));
    let their_ip = ip_of(other(
        &api,
        "DescribeAddresses",
        json!({"AddressIds": [their_eip]}),
    ));
    assert!(mine_ip.is_some() && mine_ip != their_ip);
    // Binding someone else's EIP by its address: not found.
    let bind = other(
        &api,
        "HaVipAssociateAddressIp",
        json!({"HaVipId": theirs["HaVip"]["HaVipId"], "AddressIp": mine_ip}),
    );
    assert_ne!(code(&bind), "none", "{bind}");
    // Nothing of the first account changed, and it does not see the second's.
    let h = api.ok("DescribeHaVips", json!({}));
    assert_eq!(h["TotalCount"], 1, "{h}");
    assert_eq!(h["HaVipSet"][0]["HaVipName"], "mine");
    assert_eq!(api.ok("DescribeVpcs", json!({}))["TotalCount"], 1);
}

#[test]
fn a_store_from_before_accounts_keeps_everything_under_the_default_account() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vpc.db");
    let open = || Box::new(vpc::store::Sqlite::open(&path).expect("store"));
    let havip = {
        let api = Api::start_with_keys(open(), options(&[]), keys());
        let s = api.seed();
        api.havip(&s, "old", json!({"Vip": "172.16.16.12"}))
    };
    // As a store written before accounts: no owners recorded.
    let db = rusqlite::Connection::open(&path).expect("sqlite");
    db.execute("DROP TABLE owners", []).expect("drop owners");
    drop(db);
    let api = Api::start_with_keys(open(), options(&[(OTHER_ID, OTHER_APP)]), keys());
    let h = api.ok("DescribeHaVips", json!({"HaVipIds": [havip]}));
    assert_eq!(
        h["HaVipSet"][0]["HaVipName"], "old",
        "the default account keeps it"
    );
    assert_eq!(other(&api, "DescribeHaVips", json!({}))["TotalCount"], 0);
    assert_eq!(other(&api, "DescribeVpcs", json!({}))["TotalCount"], 0);
}

#[test]
fn a_captured_write_is_refused_replayed_or_sent_to_another_action() {
    let api = Api::memory();
    let s = api.seed();
    let havip = api.havip(&s, "h", json!({"Vip": "172.16.16.12"}));
    let eip = api.ok("AllocateAddresses", json!({}))["AddressSet"][0].clone();
    let ip =
        api.ok("DescribeAddresses", json!({"AddressIds": [eip]}))["AddressSet"][0]["AddressIp"]
            .clone();
    api.ok(
        "HaVipAssociateAddressIp",
        json!({"HaVipId": havip, "AddressIp": ip}),
    );
    // A captured disassociation, replayed and then sent to DeleteHaVip.
    let body = json!({"HaVipId": havip});
    let captured = signed(&api.host, "HaVipDisassociateAddressIp", &body, ID, KEY);
    assert_eq!(code(&send(&api, &captured, &body.to_string())), "none");
    // Past the second the client signed in (the grace for its own identical requests).
    std::thread::sleep(std::time::Duration::from_millis(
        vpc::replay::SAME_SIGNATURE_GRACE_MS as u64 + 100,
    ));
    let replay = send(&api, &captured, &body.to_string());
    assert_eq!(code(&replay), "AuthFailure.SignatureFailure", "{replay}");
    let mut swapped = captured.clone();
    swapped.insert("x-tc-action".into(), "DeleteHaVip".into());
    let r = send(&api, &swapped, &body.to_string());
    assert_eq!(code(&r), "AuthFailure.SignatureFailure", "{r}");
    assert_eq!(
        api.ok("DescribeHaVips", json!({"HaVipIds": [havip]}))["TotalCount"],
        1
    );
    // The same read twice (an SDK polling within one second) is answered twice.
    let read = signed(&api.host, "DescribeHaVips", &json!({}), ID, KEY);
    for _ in 0..2 {
        assert_eq!(code(&send(&api, &read, "{}")), "none");
    }
}

#[test]
fn the_signed_api_answers_the_clouds_host_names_and_the_console_does_not() {
    let api = Api::memory();
    for host in [
        "vpc.tencentcloudapi.com",
        "vpc.ap-guangzhou.tencentcloudapi.com",
    ] {
        let r = send(
            &api,
            &signed(host, "DescribeVpcs", &json!({}), ID, KEY),
            "{}",
        );
        assert_eq!(code(&r), "none", "{host}: {r}");
        let mut h = signed(host, "DescribeVpcs", &json!({"Limit": "1"}), ID, KEY);
        h.insert("x-tc-version".into(), "2099-01-01".into());
        let r = send(&api, &h, &json!({"Limit": "1"}).to_string());
        assert_eq!(code(&r), "NoSuchVersion", "{r}");
        let console = ureq::get(&format!("{}console", api.url))
            .set("Host", host)
            .call();
        assert!(
            matches!(console, Err(ureq::Error::Status(403, _))),
            "{host}"
        );
    }
    // Any other name is still refused on the API.
    let r = send(
        &api,
        &signed("rebind.test", "DescribeVpcs", &json!({}), ID, KEY),
        "{}",
    );
    assert_eq!(code(&r), "AuthFailure.UnauthorizedOperation", "{r}");
}
