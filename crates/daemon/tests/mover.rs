//! The VIP mover for real: two havipd in namespaces with a mover file pointing at the VPC
//! emulator's API (`vpc::server`, on a veth of the test's namespace on the same switch). The
//! MASTER moves the secondary address to its ENI through MigratePrivateIpAddress; the BACKUP
//! never claims; with every call throttled the claim is retried until it holds once the
//! throttling stops; an address moved away behind havipd's back is claimed back; a reload
//! takes a changed mover file and refuses a broken one. The secret key never shows in the
//! logs, the dumps, `havip status` or the metrics.

mod common;
use common::{Lab, wait_until};
use ctl::{Client, Reply, Request, Status};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const ID: &str = "AKIDmover0000000000000000000000000000";
const KEY: &str = "mover-secret-key-never-shown-7f3a9";
/// A second key of the same account (a rotation).
const ID2: &str = "AKIDmover1111111111111111111111111111";
const KEY2: &str = "mover-second-key-never-shown-2b8e1";
const VIP: &str = "172.16.16.20";
const API_ADDR: &str = "172.16.16.9";

/// The emulator, serving on `API_ADDR` from a runtime of its own.
struct Cloud {
    service: Arc<vpc::service::Service>,
    host: String,
    _rt: tokio::runtime::Runtime,
}

impl Cloud {
    fn start() -> Cloud {
        let keys = BTreeMap::from([
            (ID.to_string(), KEY.to_string()),
            (ID2.to_string(), KEY2.to_string()),
        ]);
        let options = vpc::service::Options {
            quotas: vpc::cloud::Quotas {
                requests_per_second: 0,
                ..Default::default()
            },
            metadata: vpc::front::MetadataSettings {
                role: Some("havip-mover".to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        let service =
            vpc::service::Service::with_options(Box::new(vpc::store::Memory), keys, options)
                .expect("service");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind((API_ADDR, 0)))
            .expect("bind on the lab's veth");
        let host = listener.local_addr().expect("addr").to_string();
        rt.spawn(vpc::server::serve(listener, service.clone()));
        Cloud {
            service,
            host,
            _rt: rt,
        }
    }

    fn call(&self, action: &str, body: Value) -> Value {
        let text = body.to_string();
        let ts = hostsys::clock::unix_secs() as i64;
        let headers = vpc::auth::sign_request(&self.host, action, text.as_bytes(), ID, KEY, ts);
        let mut req = ureq::post(&format!("http://{}/", self.host));
        for (k, v) in headers.iter().filter(|(k, _)| k.as_str() != "host") {
            req = req.set(k, v);
        }
        let resp = req.send_string(&text).expect("HTTP 200");
        let v: Value = serde_json::from_str(&resp.into_string().expect("body")).expect("JSON");
        v["Response"].clone()
    }

    fn ok(&self, action: &str, body: Value) -> Value {
        let r = self.call(action, body);
        assert!(r.get("Error").is_none(), "{action}: {r}");
        r
    }

    /// A VPC with two ENIs (.5 for host a, .6 for host b); the VIP starts on b's.
    fn seed(&self) -> [String; 2] {
        let vpc = self.ok(
            "CreateVpc",
            json!({"VpcName": "mover", "CidrBlock": "172.16.0.0/16"}),
        )["Vpc"]["VpcId"]
            .as_str()
            .expect("vpc")
            .to_string();
        let subnet = self.ok(
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "172.16.16.0/24", "Zone": "ap-guangzhou-3"}),
        )["Subnet"]["SubnetId"]
            .as_str()
            .expect("subnet")
            .to_string();
        let eni = |k: usize, ip: &str| {
            self.ok(
                "CreateNetworkInterface",
                json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": format!("eth0-{k}"),
                       "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}]}),
            )["NetworkInterface"]["NetworkInterfaceId"]
                .as_str()
                .expect("eni")
                .to_string()
        };
        let enis = [eni(0, "172.16.16.5"), eni(1, "172.16.16.6")];
        for (k, e) in enis.iter().enumerate() {
            self.ok(
                "AttachNetworkInterface",
                json!({"NetworkInterfaceId": e, "InstanceId": format!("ins-0000000{k}")}),
            );
        }
        self.ok(
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": enis[1], "PrivateIpAddresses": [{"PrivateIpAddress": VIP}]}),
        );
        enis
    }

    /// One more ENI in the VPC and subnet of `like`, with primary address `ip`, attached to
    /// `instance`.
    fn another_eni(&self, like: &str, ip: &str, instance: &str) -> String {
        let r = self.ok(
            "DescribeNetworkInterfaces",
            json!({"NetworkInterfaceIds": [like]}),
        );
        let of = &r["NetworkInterfaceSet"][0];
        let eni = self.ok(
            "CreateNetworkInterface",
            json!({"VpcId": of["VpcId"], "SubnetId": of["SubnetId"], "NetworkInterfaceName": "eth1",
                   "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": true}]}),
        )["NetworkInterface"]["NetworkInterfaceId"]
            .as_str()
            .expect("eni")
            .to_string();
        self.ok(
            "AttachNetworkInterface",
            json!({"NetworkInterfaceId": eni, "InstanceId": instance}),
        );
        eni
    }

    /// The ENI holding the VIP, as the cloud's state has it (not through the API, which the
    /// faults switched on would refuse).
    fn holder(&self) -> Option<String> {
        let cloud = self.service.snapshot();
        cloud
            .enis
            .values()
            .find(|e| {
                e.private_ip_address_set
                    .iter()
                    .any(|a| a.private_ip_address == VIP)
            })
            .map(|e| e.network_interface_id.clone())
    }

    fn throttle(&self, percent: u8) {
        let faults = vpc::faults::Faults {
            throttle_percent: percent,
            ..Default::default()
        };
        self.service.set_faults(faults).expect("faults");
    }
}

fn status(state: &Path) -> Status {
    match Client::one(&state.join(ctl::SOCKET_NAME), &Request::Status).expect("status") {
        Reply::Status(s) => s,
        other => panic!("not a status: {other:?}"),
    }
}

fn mover_of(state: &Path) -> ctl::MoverStatus {
    status(state).instances[0]
        .mover
        .clone()
        .expect("the instance has a mover")
}

/// The mover's status, or `None` while havipd does not answer yet.
fn try_mover_of(state: &Path) -> Option<ctl::MoverStatus> {
    match Client::one(&state.join(ctl::SOCKET_NAME), &Request::Status).ok()? {
        Reply::Status(s) => s.instances.first()?.mover.clone(),
        _ => None,
    }
}

/// API calls of `action` with `outcome` in a mover's status.
fn calls(m: &ctl::MoverStatus, action: &str, outcome: &str) -> u64 {
    m.calls
        .iter()
        .filter(|c| c.action == action && c.outcome == outcome)
        .map(|c| c.count)
        .sum()
}

fn config(priority: u8) -> String {
    common::instance("VI_1", 71, priority, VIP, "")
}

/// A credentials file (mode 0600) named `name` with this key.
fn keys_file(lab: &Lab, name: &str, id: &str, key: &str) -> String {
    let keys = lab.write(name, &format!("secret_id {id}\nsecret_key {key}\n"));
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    keys
}

/// A mover file; `credentials` is `file PATH` or `metadata URL`.
fn mover_file(lab: &Lab, host: &str, eni: &str, credentials: &str, api: &str) -> String {
    lab.write(
        &format!("{host}-mover.conf"),
        &format!(
            "mover {{\n    provider tencent\n    region ap-guangzhou\n    endpoint http://{api}\n    \
             credentials {credentials}\n    eni {eni}\n    method migrate\n}}\n"
        ),
    )
}

#[test]
fn the_master_moves_the_address_retries_when_throttled_and_claims_it_back() {
    let Some(mut lab) = Lab::new("mov", &["python3"]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    assert_eq!(cloud.holder().as_deref(), Some(enis[1].as_str()));
    let keys = lab.write("keys", &format!("secret_id {ID}\nsecret_key {KEY}\n"));
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    // Every call throttled at first: the master's claim must wait and retry.
    cloud.throttle(100);
    let keys = format!("file {keys}");
    let ma = mover_file(&lab, "a", &enis[0], &keys, &cloud.host);
    let mb = mover_file(&lab, "b", &enis[1], &keys, &cloud.host);
    // a starts alone (and becomes MASTER), in a TMPDIR of its own for its dumps; b follows.
    let a = lab.havipd_dumping("a", "a", &config(150), &["--mover", &ma]);
    let master = wait_until(Duration::from_secs(20), || {
        common::last_state(&a).as_deref() == Some("MASTER")
    });
    assert!(master.is_some(), "a never became MASTER:\n{}", lab.log("a"));
    let b = lab.havipd_with("b", "b", &config(100), "b", &["--mover", &mb]);
    let throttled = wait_until(Duration::from_secs(20), || {
        std::fs::exists(a.join(ctl::SOCKET_NAME)).unwrap_or(false)
            && calls(&mover_of(&a), "DescribeNetworkInterfaces", "throttled") >= 2
    });
    assert!(
        throttled.is_some(),
        "no throttled retries:\n{}",
        lab.log("a")
    );
    assert_eq!(
        cloud.holder().as_deref(),
        Some(enis[1].as_str()),
        "moved while throttled"
    );
    let m = mover_of(&a);
    assert_eq!(m.phase, "claiming", "{m:?}");
    assert!(
        m.last_error
            .as_deref()
            .is_some_and(|e| e.contains("RequestLimitExceeded")),
        "{m:?}"
    );
    // Throttling off: the retried claim holds.
    cloud.throttle(0);
    let held = wait_until(Duration::from_secs(40), || mover_of(&a).phase == "held");
    assert!(
        held.is_some(),
        "never held: {:?}\n{}",
        mover_of(&a),
        lab.log("a")
    );
    assert_eq!(cloud.holder().as_deref(), Some(enis[0].as_str()));
    let m = mover_of(&a);
    assert!(calls(&m, "MigratePrivateIpAddress", "ok") >= 1, "{m:?}");
    // The backup never claimed.
    let mb_status = mover_of(&b);
    assert_eq!(status(&b).instances[0].state, "BACKUP");
    assert_eq!(mb_status.phase, "idle");
    assert!(
        mb_status.calls.is_empty(),
        "the backup called the API: {mb_status:?}"
    );
    // Moved away behind havipd's back: the master's recheck sees it and claims it back.
    cloud.ok(
        "MigratePrivateIpAddress",
        json!({"SourceNetworkInterfaceId": enis[0], "DestinationNetworkInterfaceId": enis[1], "PrivateIpAddress": VIP}),
    );
    assert_eq!(cloud.holder().as_deref(), Some(enis[1].as_str()));
    let back = wait_until(Duration::from_secs(30), || {
        cloud.holder().as_deref() == Some(enis[0].as_str())
    });
    assert!(
        back.is_some(),
        "not claimed back: {:?}\n{}",
        mover_of(&a),
        lab.log("a")
    );
    assert!(calls(&mover_of(&a), "MigratePrivateIpAddress", "ok") >= 2);
    common::assert_secrets_nowhere(
        &lab,
        ("a", "a"),
        &["a", "b"],
        "MigratePrivateIpAddress",
        &[KEY],
    );
}

/// With `credentials metadata URL`, the master signs with the role's temporary key from the
/// instance metadata service (the emulator's, which knows the instance by its source
/// address) and sends its token: the claim holds.
#[test]
fn the_master_claims_with_the_metadata_service_s_role_key() {
    let Some(mut lab) = Lab::new("mvm", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    let listener = std::net::TcpListener::bind((API_ADDR, 0)).expect("metadata port");
    let metadata = listener.local_addr().expect("addr").to_string();
    cloud
        ._rt
        .spawn(vpc::metadata::serve(listener, cloud.service.clone()));
    let credentials = format!("metadata http://{metadata}");
    let ma = mover_file(&lab, "a", &enis[0], &credentials, &cloud.host);
    let a = lab.havipd_with("a", "a", &config(150), "a", &["--mover", &ma]);
    let held = wait_until(Duration::from_secs(30), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(held.is_some(), "never held: {}", lab.log("a"));
    assert_eq!(cloud.holder().as_deref(), Some(enis[0].as_str()));
    let m = mover_of(&a);
    assert!(calls(&m, "metadata", "ok") >= 2, "{m:?}");
    assert!(calls(&m, "MigratePrivateIpAddress", "ok") >= 1, "{m:?}");
}

/// Method route: the master points the VIP's route at itself, replacing the route to the other
/// server (`ReplaceRoutes` by its `RouteId`), and holds it.
#[test]
fn the_master_points_the_vip_route_at_itself() {
    let Some(mut lab) = Lab::new("mvr", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    let tables = cloud.ok("DescribeRouteTables", json!({}));
    let rtb = tables["RouteTableSet"][0]["RouteTableId"]
        .as_str()
        .expect("the VPC's main table")
        .to_string();
    let vip = "10.8.0.1";
    let route = json!({"DestinationCidrBlock": format!("{vip}/32"), "GatewayType": "NORMAL_CVM", "GatewayId": "172.16.16.6"});
    cloud.ok(
        "CreateRoutes",
        json!({"RouteTableId": rtb, "Routes": [route]}),
    );
    let keys = lab.write("keys", &format!("secret_id {ID}\nsecret_key {KEY}\n"));
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    let ma = mover_file(&lab, "a", &enis[0], &format!("file {keys}"), &cloud.host);
    let ma = std::fs::read_to_string(ma).expect("mover file").replace(
        "method migrate",
        &format!("method route\n    route_table {rtb}\n    next_hop NORMAL_CVM 172.16.16.5"),
    );
    let ma = lab.write("a-route.conf", &ma);
    let config = common::instance("VI_1", 72, 150, vip, "");
    let a = lab.havipd_with("a", "a", &config, "a", &["--mover", &ma]);
    let gateway = || {
        let t = cloud.ok("DescribeRouteTables", json!({"RouteTableIds": [rtb]}));
        t["RouteTableSet"][0]["RouteSet"][0]["GatewayId"]
            .as_str()
            .map(str::to_string)
    };
    let held = wait_until(Duration::from_secs(30), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(held.is_some(), "never held: {}", lab.log("a"));
    assert_eq!(gateway().as_deref(), Some("172.16.16.5"));
    let m = mover_of(&a);
    assert_eq!(m.method, "route");
    assert_eq!(calls(&m, "ReplaceRoutes", "ok"), 1, "{m:?}");
    assert_eq!(calls(&m, "CreateRoutes", "ok"), 0, "{m:?}");
}

/// Method assign: the address is unassigned from the other server's ENI, then assigned to ours.
#[test]
fn method_assign_unassigns_from_the_holder_then_assigns_to_us() {
    let Some(mut lab) = Lab::new("mva", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    let keys = lab.write("keys", &format!("secret_id {ID}\nsecret_key {KEY}\n"));
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    let ma = mover_file(&lab, "a", &enis[0], &format!("file {keys}"), &cloud.host);
    let ma_text = std::fs::read_to_string(&ma).expect("mover file");
    std::fs::write(&ma, ma_text.replace("method migrate", "method assign")).expect("write");
    let a = lab.havipd_with("a", "a", &config(150), "a", &["--mover", &ma]);
    let held = wait_until(Duration::from_secs(30), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(held.is_some(), "never held: {}", lab.log("a"));
    assert_eq!(cloud.holder().as_deref(), Some(enis[0].as_str()));
    let m = mover_of(&a);
    assert_eq!(calls(&m, "UnassignPrivateIpAddresses", "ok"), 1, "{m:?}");
    assert_eq!(calls(&m, "AssignPrivateIpAddresses", "ok"), 1, "{m:?}");
    assert_eq!(calls(&m, "MigratePrivateIpAddress", "ok"), 0, "{m:?}");
}

/// A partition: the backup, cut off from the master's adverts, becomes MASTER and takes the
/// address; when the partition heals, the master receives its advert of lower priority and
/// claims the address back at once (not only at its next recheck), and the other steps down.
#[test]
fn after_a_partition_the_master_claims_back_on_the_lower_priority_advert() {
    let Some(mut lab) = Lab::new("mvp", &["nft"]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.host("b", &["172.16.16.6/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    let keys = lab.write("keys", &format!("secret_id {ID}\nsecret_key {KEY}\n"));
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    let keys = format!("file {keys}");
    let ma = mover_file(&lab, "a", &enis[0], &keys, &cloud.host);
    let mb = mover_file(&lab, "b", &enis[1], &keys, &cloud.host);
    let a = lab.havipd_with("a", "a", &config(150), "a", &["--mover", &ma]);
    let held = wait_until(Duration::from_secs(30), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(held.is_some(), "a never held: {}", lab.log("a"));
    let b = lab.havipd_with("b", "b", &config(100), "b", &["--mover", &mb]);
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::exists(
            b.join(ctl::SOCKET_NAME)
        )
        .unwrap_or(false))
        .is_some()
    );
    // Cut a off from VRRP (its link stays up): b becomes MASTER and moves the address.
    lab.sh_in(
        "a",
        "nft add table inet partin && nft add table inet partout && \
         nft add chain inet partin in '{ type filter hook input priority 0; }' && \
         nft add chain inet partout out '{ type filter hook output priority 0; }' && \
         nft add rule inet partin in ip protocol vrrp drop && \
         nft add rule inet partout out ip protocol vrrp drop",
    );
    let taken = wait_until(Duration::from_secs(20), || {
        cloud.holder().as_deref() == Some(enis[1].as_str())
    });
    assert!(
        taken.is_some(),
        "b never took the address: {}",
        lab.log("b")
    );
    assert_eq!(status(&a).instances[0].state, "MASTER", "a left MASTER");
    // a hears b's adverts again first (b does not hear a's yet): a lower priority.
    lab.sh_in("a", "nft delete table inet partin");
    let heard = wait_until(Duration::from_secs(10), || {
        lab.log("a").contains("advert of lower priority")
    });
    assert!(
        heard.is_some(),
        "a did not act on b's advert: {}",
        lab.log("a")
    );
    lab.sh_in("a", "nft delete table inet partout");
    let back = wait_until(Duration::from_secs(20), || {
        cloud.holder().as_deref() == Some(enis[0].as_str())
    });
    assert!(
        back.is_some(),
        "a never claimed back: {:?}\n{}",
        mover_of(&a),
        lab.log("a")
    );
    assert!(
        wait_until(Duration::from_secs(10), || status(&b).instances[0].state
            == "BACKUP")
        .is_some(),
        "b did not step down:\n{}\n{}",
        lab.log("b"),
        lab.log("a")
    );
    // The address stays with the master.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(cloud.holder().as_deref(), Some(enis[0].as_str()));
    assert_eq!(mover_of(&b).phase, "idle");
}

/// A reload reads the mover file again. Another ENI and another credentials file (the old one
/// removed, so only the new key can sign): after SIGHUP the master claims the address to the
/// new ENI with the new key, without a VRRP transition. A file with an error: `havip reload`
/// answers it refused with the file:line:col diagnostic `havip check --mover` gives, the log
/// has it, and the old mover runs on (it claims back an address moved behind its back).
#[test]
fn a_reload_takes_a_changed_mover_file_and_refuses_a_broken_one() {
    let Some(mut lab) = Lab::new("mvh", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.5/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let cloud = Cloud::start();
    let enis = cloud.seed();
    let eni_c = cloud.another_eni(&enis[0], "172.16.16.7", "ins-00000000");
    let keys1 = keys_file(&lab, "keys1", ID, KEY);
    let keys2 = keys_file(&lab, "keys2", ID2, KEY2);
    let ma = mover_file(&lab, "a", &enis[0], &format!("file {keys1}"), &cloud.host);
    let a = lab.havipd_with("a", "a", &config(150), "a", &["--mover", &ma]);
    let held = wait_until(Duration::from_secs(30), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(held.is_some(), "never held: {}", lab.log("a"));
    assert_eq!(cloud.holder().as_deref(), Some(enis[0].as_str()));
    let transitions = common::transitions(&a);
    // The new ENI and key; the old key file goes away.
    mover_file(&lab, "a", &eni_c, &format!("file {keys2}"), &cloud.host);
    std::fs::remove_file(&keys1).expect("remove the old key");
    lab.reload("a");
    let moved = wait_until(Duration::from_secs(30), || {
        let m = mover_of(&a);
        m.eni == eni_c && m.phase == "held" && cloud.holder().as_deref() == Some(eni_c.as_str())
    });
    assert!(
        moved.is_some(),
        "not moved to the new ENI: {:?} holder {:?}\n{}",
        mover_of(&a),
        cloud.holder(),
        lab.log("a")
    );
    let m = mover_of(&a);
    assert_eq!(calls(&m, "credentials", "error"), 0, "{m:?}");
    assert!(calls(&m, "MigratePrivateIpAddress", "ok") >= 2, "{m:?}");
    assert_eq!(
        common::transitions(&a),
        transitions,
        "the reload flapped VRRP"
    );
    assert_eq!(status(&a).instances[0].state, "MASTER");
    // A broken file: refused and reported, the running mover kept.
    let text = std::fs::read_to_string(&ma).expect("mover file");
    std::fs::write(&ma, text.replace("method migrate", "method teleport")).expect("write");
    let outcome = match Client::one(&a.join(ctl::SOCKET_NAME), &Request::Reload).expect("reload") {
        Reply::Reload(o) => o,
        other => panic!("not a reload outcome: {other:?}"),
    };
    let at = format!("{ma}:7:5: error [mover-bad-value]");
    assert!(!outcome.applied, "{outcome:?}");
    assert!(
        outcome.diagnostics.iter().any(|d| d.starts_with(&at)),
        "{outcome:?}"
    );
    assert!(outcome.message.contains("reload rejected"), "{outcome:?}");
    assert!(lab.log("a").contains(&at), "{}", lab.log("a"));
    let m = mover_of(&a);
    assert_eq!(
        (m.eni.as_str(), m.method.as_str()),
        (eni_c.as_str(), "migrate")
    );
    cloud.ok(
        "MigratePrivateIpAddress",
        json!({"SourceNetworkInterfaceId": eni_c, "DestinationNetworkInterfaceId": enis[1], "PrivateIpAddress": VIP}),
    );
    let back = wait_until(Duration::from_secs(30), || {
        cloud.holder().as_deref() == Some(eni_c.as_str())
    });
    assert!(
        back.is_some(),
        "the old mover did not claim back: {:?}\n{}",
        mover_of(&a),
        lab.log("a")
    );
    assert_eq!(
        common::transitions(&a),
        transitions,
        "the refused reload flapped VRRP"
    );
    let log = lab.log("a");
    assert!(
        !log.contains(KEY) && !log.contains(KEY2),
        "a secret key is in the log"
    );
}
