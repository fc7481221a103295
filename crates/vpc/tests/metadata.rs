//! The instance metadata service over real HTTP, bound in a namespace of the test's as the
//! cloud's 169.254.0.23: each instance is known by its source address (an ENI's primary
//! address) and gets its own answers; anything but a GET of a short path is refused; a role's
//! temporary key signs API calls of the instance's account (with `X-TC-Token`) until it
//! expires, and is refused after, or without its token.

mod common;
use common::netns::{Namespaces, add_namespaces, ip};
use common::{Api, ID, KEY};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use vpc::cloud::Quotas;
use vpc::front::MetadataSettings;
use vpc::service::Options;

const METADATA: &str = "169.254.0.23";

/// Sends `request` from `source` (an address of namespace `ns`) to the metadata service;
/// returns the status and body.
fn http_from(ns: &str, source: &str, request: String) -> (u16, String) {
    let (ns, source) = (ns.to_string(), source.to_string());
    std::thread::spawn(move || {
        rawlink::netns::enter(&ns).expect("enter the namespace");
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        let from: SocketAddr = format!("{source}:0").parse().expect("source");
        socket.bind(&from.into()).expect("bind the source");
        let to: SocketAddr = format!("{METADATA}:80").parse().expect("to");
        socket
            .connect_timeout(&to.into(), Duration::from_secs(5))
            .expect("connect");
        let mut stream: TcpStream = socket.into();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        (status, body.to_string())
    })
    .join()
    .expect("client thread")
}

fn get(ns: &str, source: &str, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {METADATA}\r\nConnection: close\r\n\r\n");
    http_from(ns, source, request)
}

/// Calls the API signed with a temporary key (and `token` as X-TC-Token, if any).
fn call_with(
    api: &Api,
    action: &str,
    body: &Value,
    id: &str,
    key: &str,
    token: Option<&str>,
) -> Value {
    let text = body.to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let headers = vpc::auth::sign_request(&api.host, action, text.as_bytes(), id, key, now);
    let mut req = ureq::post(&api.url);
    for (k, v) in &headers {
        req = req.set(k, v);
    }
    if let Some(t) = token {
        req = req.set("X-TC-Token", t);
    }
    let text = match req.send_string(&text) {
        Ok(r) => r.into_string().expect("body"),
        Err(ureq::Error::Status(_, r)) => r.into_string().expect("body"),
        Err(e) => panic!("{e}"),
    };
    serde_json::from_str::<Value>(&text).expect("JSON")["Response"].clone()
}

#[test]
fn instances_get_their_own_metadata_and_role_keys_that_sign_api_calls() {
    if hostcheck::skip_reason("the metadata service in a namespace", &[]).is_some() {
        return;
    }
    const OTHER_ID: &str = "AKIDother000000000000000000000000000";
    let options = Options {
        quotas: Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        },
        accounts: BTreeMap::from([(OTHER_ID.to_string(), "1300000002".to_string())]),
        metadata: MetadataSettings {
            region: "ap-shanghai".to_string(),
            role: Some("havip-mover".to_string()),
            credential_ttl: Duration::from_secs(3),
        },
        ..Options::default()
    };
    let keys = BTreeMap::from([
        (ID.to_string(), KEY.to_string()),
        (OTHER_ID.to_string(), "other-key".to_string()),
    ]);
    let api = Api::start_with_keys(Box::new(vpc::store::Memory), options, keys);
    let seed = api.seed();
    let ns = format!("hmd{}", std::process::id());
    let _cleanup = Namespaces(vec![ns.clone()]);
    add_namespaces(std::slice::from_ref(&ns));
    ip(&["-n", &ns, "link", "set", "lo", "up"]);
    // The servers' addresses and the service's, all on lo: the source address is the server's.
    for a in ["172.16.16.5", "172.16.16.6", "172.16.16.77", METADATA] {
        ip(&["-n", &ns, "addr", "add", &format!("{a}/32"), "dev", "lo"]);
    }
    let addr: SocketAddr = format!("{METADATA}:80").parse().expect("addr");
    let listener = vpc::metadata::bind(addr, Some(&ns)).expect("bind in the namespace");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.spawn(vpc::metadata::serve(listener, api.service.clone()));

    let a = |path: &str| get(&ns, "172.16.16.5", path);
    assert_eq!(
        a("/latest/meta-data/instance-id"),
        (200, "ins-00000000".into())
    );
    assert_eq!(
        get(&ns, "172.16.16.6", "/latest/meta-data/instance-id"),
        (200, "ins-00000001".into())
    );
    assert_eq!(
        a("/latest/meta-data/placement/region"),
        (200, "ap-shanghai".into())
    );
    assert_eq!(
        a("/latest/meta-data/placement/zone"),
        (200, "ap-guangzhou-3".into())
    );
    assert_eq!(
        a("/latest/meta-data/local-ipv4"),
        (200, "172.16.16.5".into())
    );
    assert_eq!(
        a("/latest/meta-data/mac"),
        (200, "02:00:00:00:00:00".into())
    );
    assert_eq!(
        a("/latest/meta-data/network/interfaces/macs/"),
        (200, "02:00:00:00:00:00/\n".into())
    );
    let eni = "/latest/meta-data/network/interfaces/macs/02:00:00:00:00:00";
    assert_eq!(a(&format!("{eni}/vpc-id")), (200, seed.vpc.clone()));
    assert_eq!(a(&format!("{eni}/subnet-id")), (200, seed.subnet.clone()));
    assert_eq!(
        a(&format!("{eni}/primary-local-ipv4")),
        (200, "172.16.16.5".into())
    );
    assert_eq!(
        a(&format!("{eni}/local-ipv4s/172.16.16.5/gateway")),
        (200, "172.16.16.1".into())
    );
    assert_eq!(
        a(&format!("{eni}/local-ipv4s/172.16.16.5/subnet-mask")),
        (200, "255.255.255.0".into())
    );
    assert_eq!(
        a("/latest/meta-data/network/interfaces/macs/02:00:00:00:00:01/vpc-id").0,
        404,
        "another instance's ENI"
    );
    assert_eq!(a("/latest/meta-data/nothing").0, 404);
    assert_eq!(
        a("/latest/meta-data/cam/security-credentials/"),
        (200, "havip-mover\n".into())
    );
    assert_eq!(a("/latest/meta-data/cam/security-credentials/admin").0, 404);
    // An address that is no instance's, other methods, bodies, queries and long paths.
    assert_eq!(
        get(&ns, "172.16.16.77", "/latest/meta-data/instance-id").0,
        403
    );
    let post = format!(
        "POST /latest/meta-data/instance-id HTTP/1.1\r\nHost: {METADATA}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    assert_eq!(http_from(&ns, "172.16.16.5", post).0, 405);
    let body = format!(
        "GET /latest/meta-data/mac HTTP/1.1\r\nHost: {METADATA}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxx"
    );
    assert_eq!(http_from(&ns, "172.16.16.5", body).0, 400);
    assert_eq!(a("/latest/meta-data/mac?x=1").0, 400);
    assert_eq!(a(&format!("/latest/meta-data/{}", "a".repeat(600))).0, 400);

    // The role's key signs calls for the instance's account (the default one, whose key made
    // the seed); the same key comes back while it is fresh.
    let (status, body) = a("/latest/meta-data/cam/security-credentials/havip-mover");
    assert_eq!(status, 200, "{body}");
    let creds: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(creds["Code"], "Success");
    let (id, key, token) = (
        creds["TmpSecretId"].as_str().expect("id").to_string(),
        creds["TmpSecretKey"].as_str().expect("key").to_string(),
        creds["Token"].as_str().expect("token").to_string(),
    );
    let expires = creds["ExpiredTime"].as_i64().expect("ExpiredTime");
    assert!(
        creds["Expiration"]
            .as_str()
            .is_some_and(|e| e.ends_with('Z')),
        "{creds}"
    );
    let again: Value =
        serde_json::from_str(&a("/latest/meta-data/cam/security-credentials/havip-mover").1)
            .expect("JSON");
    assert_eq!(again["TmpSecretId"], id.as_str());
    let describe = json!({"NetworkInterfaceIds": [seed.enis[0]]});
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &describe,
        &id,
        &key,
        Some(&token),
    );
    assert_eq!(r["TotalCount"], 1, "{r}");
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &describe,
        &id,
        &key,
        None,
    );
    assert_eq!(r["Error"]["Code"], "AuthFailure.TokenFailure", "{r}");
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &describe,
        &id,
        &key,
        Some("wrong"),
    );
    assert_eq!(r["Error"]["Code"], "AuthFailure.TokenFailure", "{r}");
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &describe,
        &id,
        "not-the-key",
        Some(&token),
    );
    assert_eq!(r["Error"]["Code"], "AuthFailure.SignatureFailure", "{r}");
    // A write too: the instance moves a secondary address with its role key.
    let assign = json!({"NetworkInterfaceId": seed.enis[0], "PrivateIpAddresses": [{"PrivateIpAddress": "172.16.16.20"}]});
    let r = call_with(
        &api,
        "AssignPrivateIpAddresses",
        &assign,
        &id,
        &key,
        Some(&token),
    );
    assert!(r.get("Error").is_none(), "{r}");
    // Expired: refused.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
    };
    while now() <= expires {
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &describe,
        &id,
        &key,
        Some(&token),
    );
    assert_eq!(r["Error"]["Code"], "AuthFailure.TokenFailure", "{r}");
    assert!(
        r["Error"]["Message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{r}"
    );
    // A new key is issued once the old one has gone stale.
    let fresh: Value =
        serde_json::from_str(&a("/latest/meta-data/cam/security-credentials/havip-mover").1)
            .expect("JSON");
    assert_ne!(fresh["TmpSecretId"], id.as_str());
}

#[test]
fn a_role_key_acts_for_its_instances_account_only() {
    // Keys are issued for the account owning the instance's ENI: another account's key sees
    // none of it, and the role key sees none of the other account's.
    const OTHER_ID: &str = "AKIDother000000000000000000000000000";
    let options = Options {
        quotas: Quotas {
            requests_per_second: 0,
            ..Quotas::default()
        },
        accounts: BTreeMap::from([(OTHER_ID.to_string(), "1300000002".to_string())]),
        ..Options::default()
    };
    let keys = BTreeMap::from([
        (ID.to_string(), KEY.to_string()),
        (OTHER_ID.to_string(), "other-key".to_string()),
    ]);
    let api = Api::start_with_keys(Box::new(vpc::store::Memory), options, keys);
    let seed = api.seed();
    let vpc2 = call_with(
        &api,
        "CreateVpc",
        &json!({"VpcName": "o", "CidrBlock": "10.0.0.0/16"}),
        OTHER_ID,
        "other-key",
        None,
    );
    assert!(vpc2.get("Error").is_none(), "{vpc2}");
    let k = api
        .service
        .issue_temporary_key("ins-00000000", "r", "1300000002", 60)
        .expect("key");
    let r = call_with(
        &api,
        "DescribeVpcs",
        &json!({}),
        &k.secret_id,
        &k.secret_key,
        Some(&k.token),
    );
    assert_eq!(r["TotalCount"], 1, "{r}");
    assert_eq!(r["VpcSet"][0]["VpcName"], "o");
    let r = call_with(
        &api,
        "DescribeNetworkInterfaces",
        &json!({"NetworkInterfaceIds": [seed.enis[0]]}),
        &k.secret_id,
        &k.secret_key,
        Some(&k.token),
    );
    assert_eq!(r["TotalCount"], 0, "{r}");
}
