//! The API over HTTP with TC3-signed requests: the HAVIP life cycle, and every error path the
//! cloud documents for these actions, each with its code.

mod common;
use common::{Api, KEY};
use serde_json::json;

#[test]
fn havip_lifecycle_create_describe_modify_bind_unbind_delete() {
    let api = Api::memory();
    let s = api.seed();
    let r = api.ok(
        "CreateHaVip",
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "seed", "Vip": "172.16.16.12"}),
    );
    let h = &r["HaVip"];
    let id = h["HaVipId"].as_str().expect("id").to_string();
    assert!(vpc::ids::is_id("havip", &id));
    assert_eq!(h["State"], "UNBIND");
    assert_eq!(h["FlushedTime"], "0000-00-00 00:00:00");
    assert_eq!(h["NetworkInterfaceId"], "");
    // Automatic VIP: the first free address (.2).
    let auto = api.ok(
        "CreateHaVip",
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "auto"}),
    );
    assert_eq!(auto["HaVip"]["Vip"], "172.16.16.2");
    let d = api.ok("DescribeHaVips", json!({"HaVipIds": [id]}));
    assert_eq!(d["TotalCount"], 1);
    assert_eq!(d["HaVipSet"][0]["Vip"], "172.16.16.12");
    let by_vip = api.ok(
        "DescribeHaVips",
        json!({"Filters": [{"Name": "vip", "Values": ["172.16.16.12"]}]}),
    );
    assert_eq!(by_vip["TotalCount"], 1);
    // The SDK model's other filters: every HAVIP here is NORMAL, in no CDC, unprotected.
    let count = |name: &str, value: &str| {
        api.ok(
            "DescribeHaVips",
            json!({"Filters": [{"Name": name, "Values": [value]}]}),
        )["TotalCount"]
            .as_u64()
    };
    assert_eq!(count("type", "NORMAL"), Some(2));
    assert_eq!(count("type", "GWLB"), Some(0));
    assert_eq!(count("cdc-id", "cluster-1"), Some(0));
    assert_eq!(count("termination-protection", "false"), Some(2));
    assert_eq!(count("traffic-protection", "true"), Some(0));
    let page = api.ok("DescribeHaVips", json!({"Offset": 1, "Limit": 1}));
    assert_eq!(
        (
            page["TotalCount"].as_u64(),
            page["HaVipSet"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    api.ok(
        "ModifyHaVipAttribute",
        json!({"HaVipId": id, "HaVipName": "renamed"}),
    );
    let eips = api.ok("AllocateAddresses", json!({"AddressCount": 1}));
    let eip_id = eips["AddressSet"][0].as_str().expect("eip").to_string();
    let eip =
        api.ok("DescribeAddresses", json!({"AddressIds": [eip_id]}))["AddressSet"][0]["AddressIp"]
            .as_str()
            .expect("ip")
            .to_string();
    let bind = api.ok(
        "HaVipAssociateAddressIp",
        json!({"HaVipId": id, "AddressIp": eip}),
    );
    let task = bind["RequestId"].as_str().expect("task").to_string();
    assert_eq!(
        api.ok("DescribeVpcTaskResult", json!({"TaskId": task}))["Status"],
        "SUCCESS"
    );
    let d = api.ok(
        "DescribeHaVips",
        json!({"Filters": [{"Name": "address-ip", "Values": [eip]}]}),
    );
    assert_eq!(d["HaVipSet"][0]["HaVipName"], "renamed");
    assert_eq!(d["HaVipSet"][0]["AddressIp"], eip);
    assert_eq!(
        api.err("DeleteHaVip", json!({"HaVipId": id})),
        "ResourceInUse"
    );
    api.ok("HaVipDisassociateAddressIp", json!({"HaVipId": id}));
    let del = api.ok("DeleteHaVip", json!({"HaVipId": id}));
    assert_eq!(
        api.ok("DescribeVpcTaskResult", json!({"TaskId": del["RequestId"]}))["Status"],
        "SUCCESS"
    );
    assert_eq!(
        api.ok("DescribeHaVips", json!({"HaVipIds": [id]}))["TotalCount"],
        0
    );
}

#[test]
fn client_token_makes_create_idempotent() {
    let api = Api::memory();
    let s = api.seed();
    let body =
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "x", "ClientToken": "tok-1"});
    let a = api.ok("CreateHaVip", body.clone());
    let b = api.ok("CreateHaVip", body);
    assert_eq!(a["HaVip"]["HaVipId"], b["HaVip"]["HaVipId"]);
    assert_eq!(api.ok("DescribeHaVips", json!({}))["TotalCount"], 1);
    let long = "t".repeat(65);
    assert_eq!(
        api.err(
            "CreateHaVip",
            json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "x", "ClientToken": long})
        ),
        "InvalidParameterValue.TooLong"
    );
}

#[test]
fn create_havip_validation_errors() {
    let api = Api::start(
        Box::new(vpc::store::Memory),
        vpc::cloud::Quotas {
            havips_per_vpc: 3,
            requests_per_second: 0,
            ..Default::default()
        },
    );
    let s = api.seed();
    let with = |extra: serde_json::Value| {
        let mut b = json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "h"});
        if let (Some(m), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        b
    };
    let cases = [
        (
            json!({"SubnetId": s.subnet, "HaVipName": "h"}),
            "MissingParameter",
        ),
        (
            json!({"VpcId": s.vpc, "SubnetId": s.subnet}),
            "MissingParameter",
        ),
        (with(json!({"VpcId": "vpc-zzzzzzzz"})), "ResourceNotFound"),
        (
            with(json!({"SubnetId": "subnet-zzzzzzzz"})),
            "ResourceNotFound",
        ),
        (
            with(json!({"Vip": "172.16.16.300"})),
            "InvalidParameterValue.Malformed",
        ),
        (
            with(json!({"Vip": "172.16.17.12"})),
            "InvalidParameterValue.Range",
        ),
        (
            with(json!({"Vip": "172.16.16.0"})),
            "InvalidParameterValue.Reserved",
        ),
        (
            with(json!({"Vip": "172.16.16.1"})),
            "InvalidParameterValue.Reserved",
        ),
        (
            with(json!({"Vip": "172.16.16.255"})),
            "InvalidParameterValue.Reserved",
        ),
        (with(json!({"Vip": "172.16.16.5"})), "ResourceInUse"),
        (
            with(json!({"HaVipName": "n".repeat(61)})),
            "InvalidParameterValue.TooLong",
        ),
        (with(json!({"CheckAssociate": "yes"})), "InvalidParameter"),
        (with(json!({"Colour": "blue"})), "UnknownParameter"),
        (
            with(json!({"NetworkInterfaceId": "eni-zzzzzzzz"})),
            "ResourceNotFound",
        ),
        (
            with(
                json!({"HaVipAssociationSet": [{"InstanceId": s.enis[0], "InstanceType": "ENI"}, {"InstanceId": s.enis[0], "InstanceType": "ENI"}]}),
            ),
            "InvalidParameterValue.DuplicatedHaVipAssociations",
        ),
        (
            with(
                json!({"HaVipAssociationSet": [{"InstanceId": s.enis[0], "InstanceType": "ENI"}, {"InstanceId": "ins-00000001", "InstanceType": "CVM"}]}),
            ),
            "UnsupportedOperation",
        ),
        (
            with(json!({"HaVipAssociationSet": [{"InstanceId": "x", "InstanceType": "VM"}]})),
            "InvalidParameterValue.Range",
        ),
        // No IPv6 subnets, so no IPv6 HAVIPs (on either backend: the action refuses it).
        (with(json!({"Vip": "2001:db8::12"})), "UnsupportedOperation"),
    ];
    for (body, code) in cases {
        assert_eq!(api.err("CreateHaVip", body.clone()), code, "{body}");
    }
    // A name of exactly 60 characters is fine; the VIP is then in use by that HAVIP.
    api.ok(
        "CreateHaVip",
        with(json!({"Vip": "172.16.16.12", "HaVipName": "n".repeat(60)})),
    );
    assert_eq!(
        api.err("CreateHaVip", with(json!({"Vip": "172.16.16.12"}))),
        "ResourceInUse"
    );
    api.ok("CreateHaVip", with(json!({})));
    api.ok("CreateHaVip", with(json!({})));
    assert_eq!(
        api.err("CreateHaVip", with(json!({}))),
        "LimitExceeded",
        "quota of 3"
    );
}

#[test]
fn describe_modify_and_eip_errors() {
    let api = Api::memory();
    let s = api.seed();
    let id = api.havip(&s, "h", json!({}));
    let cases = [
        (
            "DescribeHaVips",
            json!({"HaVipIds": [id], "Filters": [{"Name": "vip", "Values": ["x"]}]}),
            "InvalidParameter.Coexist",
        ),
        (
            "DescribeHaVips",
            json!({"Filters": [{"Name": "colour", "Values": ["x"]}]}),
            "InvalidParameter.FilterInvalidKey",
        ),
        (
            "DescribeHaVips",
            json!({"Filters": [{"Name": "vip", "Values": ["1", "2", "3", "4", "5", "6"]}]}),
            "InvalidParameterValue.LimitExceeded",
        ),
        (
            "DescribeHaVips",
            json!({"Limit": 101}),
            "InvalidParameterValue.Range",
        ),
        (
            "DescribeHaVips",
            json!({"Offset": -1}),
            "InvalidParameterValue.Range",
        ),
        (
            "DescribeHaVips",
            json!({"HaVipIds": ["havip-XX"]}),
            "InvalidParameterValue.Malformed",
        ),
        (
            "DescribeHaVips",
            json!({"HaVipIds": [id, id]}),
            "InvalidParameterValue.Duplicate",
        ),
        (
            "ModifyHaVipAttribute",
            json!({"HaVipId": "havip-zzzzzzzz", "HaVipName": "x"}),
            "ResourceNotFound",
        ),
        (
            "ModifyHaVipAttribute",
            json!({"HaVipId": id, "HaVipName": "n".repeat(61)}),
            "InvalidParameterValue.TooLong",
        ),
        (
            "ModifyHaVipAttribute",
            json!({"HaVipId": id}),
            "MissingParameter",
        ),
        (
            "DeleteHaVip",
            json!({"HaVipId": "havip-zzzzzzzz"}),
            "ResourceNotFound",
        ),
        (
            "HaVipAssociateAddressIp",
            json!({"HaVipId": id, "AddressIp": "198.51.100.77"}),
            "InvalidParameterValue.AddressNotFound",
        ),
        (
            "HaVipAssociateAddressIp",
            json!({"HaVipId": id, "AddressIp": "not-an-ip"}),
            "InvalidParameterValue.Malformed",
        ),
        (
            "HaVipDisassociateAddressIp",
            json!({"HaVipId": id}),
            "UnsupportedOperation.UnbindEIP",
        ),
        (
            "DescribeVpcTaskResult",
            json!({"TaskId": "nope"}),
            "ResourceNotFound",
        ),
        (
            "AssociateHaVipInstance",
            json!({"HaVipAssociationSet": []}),
            "InvalidParameterValue.LimitExceeded",
        ),
        (
            "DisassociateHaVipInstance",
            json!({"HaVipAssociationSet": [{"HaVipId": id, "InstanceId": s.enis[0], "InstanceType": "ENI"}]}),
            "ResourceNotFound",
        ),
        ("LaunchRocket", json!({}), "InvalidAction"),
    ];
    for (action, body, code) in cases {
        assert_eq!(api.err(action, body.clone()), code, "{action} {body}");
    }
    // EIP bound twice: to this HAVIP and to another.
    let ip = {
        let eip = api.ok("AllocateAddresses", json!({}))["AddressSet"][0].clone();
        api.ok("DescribeAddresses", json!({"AddressIds": [eip]}))["AddressSet"][0]["AddressIp"]
            .clone()
    };
    api.ok(
        "HaVipAssociateAddressIp",
        json!({"HaVipId": id, "AddressIp": ip}),
    );
    assert_eq!(
        api.err(
            "HaVipAssociateAddressIp",
            json!({"HaVipId": id, "AddressIp": ip})
        ),
        "UnsupportedOperation.BindEIP"
    );
    let other = api.ok(
        "CreateHaVip",
        json!({"VpcId": s.vpc, "SubnetId": s.subnet, "HaVipName": "o"}),
    )["HaVip"]["HaVipId"]
        .clone();
    assert_eq!(
        api.err(
            "HaVipAssociateAddressIp",
            json!({"HaVipId": other, "AddressIp": ip})
        ),
        "UnsupportedOperation.BindEIP"
    );
    // Associations: add, duplicate, remove.
    let assoc = json!({"HaVipAssociationSet": [{"HaVipId": id, "InstanceId": s.enis[0], "InstanceType": "ENI"}]});
    api.ok("AssociateHaVipInstance", assoc.clone());
    assert_eq!(
        api.err("AssociateHaVipInstance", assoc.clone()),
        "InvalidParameterValue.DuplicatedHaVipAssociations"
    );
    api.ok("DisassociateHaVipInstance", assoc);
}

#[test]
fn authentication_and_protocol_errors() {
    let api = Api::memory();
    let bad = |key: &str, offset: i64, version: &str| {
        api.raw("DescribeHaVips", &json!({}), key, offset, version)["Error"]["Code"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    assert_eq!(
        bad("wrong-key", 0, "2017-03-12"),
        "AuthFailure.SignatureFailure"
    );
    assert_eq!(bad(KEY, -600, "2017-03-12"), "AuthFailure.SignatureExpire");
    assert_eq!(bad(KEY, 0, "2020-01-01"), "NoSuchVersion");
    // Unknown SecretId, no signature, and a body that is not JSON.
    let send = |headers: Vec<(String, String)>, body: &str| post(&api, headers, body.as_bytes());
    assert_eq!(
        send(
            vec![("content-type".into(), "application/json".into())],
            "{}"
        ),
        "AuthFailure.SignatureFailure"
    );
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signed = vpc::auth::sign_request(&api.host, "DescribeHaVips", b"{}", "AKIDnobody", KEY, ts);
    assert_eq!(
        send(signed.into_iter().collect(), "{}"),
        "AuthFailure.SecretIdNotFound"
    );
    let signed =
        vpc::auth::sign_request(&api.host, "DescribeHaVips", b"{nope", common::ID, KEY, ts);
    assert_eq!(
        send(signed.into_iter().collect(), "{nope"),
        "InvalidParameter"
    );
}

/// Posts `body` with `headers` to the API; returns the error code (or `none`).
fn post(api: &Api, headers: impl IntoIterator<Item = (String, String)>, body: &[u8]) -> String {
    let mut req = ureq::post(&api.url);
    for (k, v) in headers {
        req = req.set(&k, &v);
    }
    let text = req
        .send_bytes(body)
        .expect("200")
        .into_string()
        .expect("body");
    serde_json::from_str::<serde_json::Value>(&text).expect("JSON")["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or("none")
        .to_string()
}

/// Sends `body` signed for `action`; returns the error code (or `none`).
fn send_signed(api: &Api, action: &str, body: &[u8]) -> String {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let headers = vpc::auth::sign_request(&api.host, action, body, common::ID, KEY, ts);
    post(api, headers, body)
}

#[test]
fn the_clouds_request_rate_is_enforced_per_action_and_key() {
    let api = Api::start(Box::new(vpc::store::Memory), vpc::cloud::Quotas::default());
    let started = std::time::Instant::now();
    let codes: Vec<String> = (0..60)
        .map(|_| send_signed(&api, "DescribeVpcs", b"{}"))
        .collect();
    let seconds = started.elapsed().as_secs() + 1;
    let admitted = codes.iter().filter(|c| *c == "none").count() as u64;
    assert!(
        codes.iter().any(|c| c == "RequestLimitExceeded"),
        "60 requests in {seconds} s, none refused: {codes:?}"
    );
    // At most 20 in each one-second window the burst touched.
    assert!(
        admitted <= 20 * (seconds + 1),
        "{admitted} admitted in {seconds} s"
    );
    assert!(
        codes
            .iter()
            .all(|c| c == "none" || c == "RequestLimitExceeded")
    );
    // Another action still has its own budget.
    assert_eq!(send_signed(&api, "DescribeSubnets", b"{}"), "none");
}

#[test]
fn bodies_up_to_10_mb_are_read_and_larger_ones_refused_with_the_clouds_code() {
    let api = Api::memory();
    let limit = vpc::limits::MAX_BODY_BYTES;
    // At the limit: read and parsed (padded with spaces, `Pad` is an unknown parameter).
    let pad = |n: usize| format!("{{\"Pad\":1{}}}", " ".repeat(n - 9)).into_bytes();
    let under = pad(limit);
    assert_eq!(under.len(), limit);
    assert_eq!(
        send_signed(&api, "DescribeVpcs", &under),
        "UnknownParameter"
    );
    let over = pad(limit + 1);
    assert_eq!(
        send_signed(&api, "DescribeVpcs", &over),
        "RequestSizeLimitExceeded"
    );
}

#[test]
fn addresses_are_unique_per_vpc_not_across_vpcs() {
    let api = Api::memory();
    let first = api.seed();
    // A second VPC with the same blocks: its ENI and HAVIP may reuse the first VPC's addresses.
    let (vpc, subnet) = api.vpc_and_subnet("other");
    let eni = |vpc: &str, subnet: &str, ip: &str, mac: &str| {
        api.call(
            "CreateNetworkInterface",
            json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": "e",
                   "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}],
                   "MacAddress": mac}),
        )
    };
    let reused = eni(&vpc, &subnet, "172.16.16.5", "02:00:00:00:01:05");
    assert!(reused.get("Error").is_none(), "{reused}");
    let havip = api.call(
        "CreateHaVip",
        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h", "Vip": "172.16.16.6"}),
    );
    assert!(havip.get("Error").is_none(), "{havip}");
    // Within one VPC an address is still taken once.
    let twice = eni(
        &first.vpc,
        &first.subnet,
        "172.16.16.5",
        "02:00:00:00:01:06",
    );
    assert_eq!(twice["Error"]["Code"], "ResourceInUse", "{twice}");
    assert_eq!(
        api.err(
            "CreateHaVip",
            json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h2", "Vip": "172.16.16.5"})
        ),
        "ResourceInUse"
    );
    // An automatic VIP in the second VPC skips only its own used addresses.
    let auto = api.ok(
        "CreateHaVip",
        json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h3"}),
    );
    assert_eq!(auto["HaVip"]["Vip"], "172.16.16.2", "{auto}");
}

#[test]
fn describe_subnets_pages_by_max_results_and_next_token() {
    let api = Api::memory();
    let (vpc, _) = api.vpc_and_subnet("paged");
    for k in 17..19 {
        api.ok(
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": format!("s{k}"),
                   "CidrBlock": format!("172.16.{k}.0/24"), "Zone": "z"}),
        );
    }
    let first = api.ok("DescribeSubnets", json!({"MaxResults": 2}));
    assert_eq!(first["SubnetSet"].as_array().map(Vec::len), Some(2));
    assert_eq!(first["TotalCount"], 3);
    let token = first["NextToken"]
        .as_str()
        .expect("a next page")
        .to_string();
    assert!(!token.is_empty());
    let second = api.ok(
        "DescribeSubnets",
        json!({"MaxResults": 2, "NextToken": token}),
    );
    assert_eq!(second["SubnetSet"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["NextToken"], "", "no more pages");
    let seen: std::collections::BTreeSet<String> = [&first, &second]
        .iter()
        .flat_map(|r| r["SubnetSet"].as_array().cloned().unwrap_or_default())
        .map(|s| s["SubnetId"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(seen.len(), 3, "every subnet once");
    // Offset/Limit stay as they were, without a NextToken.
    assert!(
        api.ok("DescribeSubnets", json!({"Limit": 1}))
            .get("NextToken")
            .is_none()
    );
    for (bad, code) in [
        (
            json!({"MaxResults": 2, "Offset": 1}),
            "InvalidParameter.Coexist",
        ),
        (json!({"MaxResults": 0}), "InvalidParameterValue.Range"),
        (
            json!({"NextToken": "elsewhere"}),
            "InvalidParameterValue.Malformed",
        ),
    ] {
        assert_eq!(api.err("DescribeSubnets", bad.clone()), code, "{bad}");
    }
}

#[test]
fn allocate_addresses_takes_the_sdks_parameters_a_name_and_a_client_token() {
    let api = Api::memory();
    let body = json!({"AddressName": "front", "ClientToken": "eip-once", "AddressCount": 2,
                      "InternetServiceProvider": "BGP", "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR",
                      "InternetMaxBandwidthOut": 10, "ApplicableForCLB": false,
                      "Tags": [{"Key": "k", "Value": "v"}]});
    let first = api.ok("AllocateAddresses", body.clone());
    let again = api.ok("AllocateAddresses", body);
    assert_eq!(
        first["AddressSet"], again["AddressSet"],
        "the same token, the same EIPs"
    );
    let named = api.ok(
        "DescribeAddresses",
        json!({"Filters": [{"Name": "address-name", "Values": ["front"]}]}),
    );
    assert_eq!(named["TotalCount"], 2, "{named}");
    assert_eq!(named["AddressSet"][0]["AddressName"], "front");
    for (bad, code) in [
        (json!({"AddressType": "AnycastEIP"}), "UnsupportedOperation"),
        (
            json!({"InternetMaxBandwidthOut": 0}),
            "InvalidParameterValue.Range",
        ),
        (json!({"ApplicableForCLB": "yes"}), "InvalidParameter"),
        (
            json!({"AddressName": "x".repeat(129)}),
            "InvalidParameterValue.TooLong",
        ),
    ] {
        assert_eq!(api.err("AllocateAddresses", bad.clone()), code, "{bad}");
    }
}

#[test]
fn the_pool_never_gives_out_the_gateway_ports_address() {
    let api = Api::memory();
    let mut given = Vec::new();
    for count in [100, 100, 52] {
        let r = api.ok("AllocateAddresses", json!({"AddressCount": count}));
        let ids = r["AddressSet"].clone();
        let d = api.ok(
            "DescribeAddresses",
            json!({"AddressIds": ids, "Limit": 100}),
        );
        for a in d["AddressSet"].as_array().expect("set") {
            given.push(a["AddressIp"].as_str().expect("ip").to_string());
        }
    }
    assert_eq!(given.len(), 252);
    assert!(
        !given
            .iter()
            .any(|a| a == vpc::actions::address::GATEWAY_PORT_IP)
    );
    assert_eq!(
        api.err("AllocateAddresses", json!({})),
        "AddressQuotaLimitExceeded",
        "the pool is empty once its 252 addresses are out"
    );
}
