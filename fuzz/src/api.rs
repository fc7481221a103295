//! The VPC API's input: a request's signature (the Authorization header and the headers and
//! body it covers) and an action's parameters, run against a small VPC. The first byte picks
//! the part: signatures, or the action (by its index) with the rest as its JSON body.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use vpc::actions::{ACTIONS, dispatch};
use vpc::auth::{SignedRequest, sign_request, verify};
use vpc::cloud::Cloud;

const NOW: i64 = 1_700_000_000;
const SECRET_ID: &str = "AKIDfuzz";
const SECRET_KEY: &str = "fuzz-secret-key-0123456789abcdef";

/// Runs `data` through signature checking or an action.
pub fn run(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    if sel == 0xff {
        signature(rest);
        return;
    }
    let action = ACTIONS[usize::from(sel) % ACTIONS.len()];
    let Ok(body) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let mut cloud = base().clone();
    if let Ok(outcome) = dispatch(&cloud, action, &body, "fuzz") {
        cloud.apply(&outcome.changes);
    }
}

/// Header lines (`name: value`), an empty line, the body: verified as the server verifies; a
/// request signed for the same body must verify, and must not once its body changes.
fn signature(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let headers: BTreeMap<String, String> = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let key_of = |id: &str| (id == SECRET_ID).then(|| SECRET_KEY.to_string());
    let req = SignedRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let _ = verify(&req, NOW, key_of);
    let signed = sign_request(
        "vpc.example",
        "DescribeVpcs",
        body.as_bytes(),
        SECRET_ID,
        SECRET_KEY,
        NOW,
    );
    let req = SignedRequest {
        headers: &signed,
        ..req
    };
    verify(&req, NOW, key_of).expect("a signed request verifies");
    let mut other = body.as_bytes().to_vec();
    other.push(b' ');
    let req = SignedRequest {
        body: &other,
        ..req
    };
    assert!(
        verify(&req, NOW, key_of).is_err(),
        "a changed body is refused"
    );
}

/// A VPC with a subnet, two ENIs, a HAVIP and an EIP, made through the actions.
pub fn base() -> &'static Cloud {
    static BASE: OnceLock<Cloud> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut cloud = Cloud::default();
        let mut act = |action: &str, body: Value| -> Value {
            let out = dispatch(&cloud, action, &body, "setup").expect(action);
            cloud.apply(&out.changes);
            Value::Object(out.response)
        };
        let vpc = act(
            "CreateVpc",
            json!({"VpcName": "v", "CidrBlock": "172.16.0.0/16"}),
        )["Vpc"]["VpcId"]
            .clone();
        let subnet = act(
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "172.16.16.0/24", "Zone": "z"}),
        )["Subnet"]["SubnetId"]
            .clone();
        for (ip, mac) in [
            ("172.16.16.5", "02:00:00:00:00:05"),
            ("172.16.16.6", "02:00:00:00:00:06"),
        ] {
            act(
                "CreateNetworkInterface",
                json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": ip,
                "PrivateIpAddresses": [{"PrivateIpAddress": ip}], "MacAddress": mac}),
            );
        }
        act(
            "CreateHaVip",
            json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": "h", "Vip": "172.16.16.12"}),
        );
        act("AllocateAddresses", json!({}));
        cloud
    })
}
