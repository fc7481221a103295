//! The mover's EC2 dialect against a third-party EC2 emulator: moto's server (PyPI
//! `moto[server]`, in `target/pyenv` as `.ci/run` installs it, or `HAVIP_PYTHON`'s venv) on
//! the test's veth. boto3 (moto's dependency) seeds a VPC, a subnet, two ENIs with the VIP on
//! A and a route table whose VIP route points at A; havipd in a namespace, MASTER with ENI B,
//! moves the VIP through its own SigV4-signed calls, and boto3 checks the emulator's state:
//! B holds the VIP and A no longer does; the route points at B. Real AWS is not contacted.

mod common;
use common::{Lab, wait_until};
use ctl::{Client, Reply, Request};
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ID: &str = "AKIAMOVERTEST0000000";
const KEY: &str = "ec2-mover-secret-never-shown-5c1d";
const VIP: &str = "172.16.16.20";
const API_ADDR: &str = "172.16.16.9";

/// Seeds and reads the emulator with boto3: `seed`, `holders VIP`, `route RTB VIP`.
const BOTO: &str = r#"
import boto3, json, sys
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIAMOVERTEST0000000", aws_secret_access_key="x")
cmd = sys.argv[2]
if cmd == "seed":
    vip = sys.argv[3]
    vpc = ec2.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="172.16.16.0/24")["Subnet"]["SubnetId"]
    a = ec2.create_network_interface(SubnetId=sub, PrivateIpAddress="172.16.16.5")["NetworkInterface"]["NetworkInterfaceId"]
    b = ec2.create_network_interface(SubnetId=sub, PrivateIpAddress="172.16.16.6")["NetworkInterface"]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a, PrivateIpAddresses=[vip])
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=vip + "/32", NetworkInterfaceId=a)
    print(json.dumps({"a": a, "b": b, "rtb": rtb}))
elif cmd == "holders":
    enis = ec2.describe_network_interfaces()["NetworkInterfaces"]
    print(json.dumps(sorted(e["NetworkInterfaceId"] for e in enis
        if any(p["PrivateIpAddress"] == sys.argv[3] for p in e["PrivateIpAddresses"]))))
elif cmd == "route":
    rt = ec2.describe_route_tables(RouteTableIds=[sys.argv[3]])["RouteTables"][0]
    print(json.dumps([r.get("NetworkInterfaceId") for r in rt["Routes"]
        if r.get("DestinationCidrBlock") == sys.argv[4] + "/32"]))
"#;

/// The venv's python with moto's server, or `None` (skipped; a failure under
/// `HAVIP_REQUIRE_ALL=1`).
fn python() -> Option<PathBuf> {
    let p = std::env::var_os("HAVIP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python")
        });
    let ok = Command::new(&p)
        .args(["-c", "import moto.server, boto3, flask"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(p);
    }
    hostcheck::skip(
        "mover_ec2",
        "moto[server] is missing from target/pyenv (.ci/run installs it)",
    );
    None
}

/// moto's server on `API_ADDR`, stopped on drop.
struct Moto {
    child: Child,
    url: String,
    python: PathBuf,
}

impl Moto {
    fn start(python: &Path, lab: &Lab) -> Moto {
        let port = TcpListener::bind((API_ADDR, 0))
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let log = std::fs::File::create(lab.dir.join("moto.log")).expect("log");
        let child = Command::new(python)
            .args(["-m", "moto.server", "-H", API_ADDR, "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("moto_server");
        let url = format!("http://{API_ADDR}:{port}");
        let moto = Moto {
            child,
            url,
            python: python.to_path_buf(),
        };
        let up = wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect((API_ADDR, port)).is_ok()
        });
        assert!(up.is_some(), "moto never listened: {}", lab.log("moto"));
        moto
    }

    fn boto(&self, args: &[&str]) -> Value {
        let out = Command::new(&self.python)
            .args(["-c", BOTO, &self.url])
            .args(args)
            .output()
            .expect("boto3");
        assert!(
            out.status.success(),
            "boto3 {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mover_of(state: &Path) -> ctl::MoverStatus {
    match Client::one(&state.join(ctl::SOCKET_NAME), &Request::Status).expect("status") {
        Reply::Status(s) => s.instances[0].mover.clone().expect("a mover"),
        other => panic!("not a status: {other:?}"),
    }
}

fn calls(m: &ctl::MoverStatus, action: &str) -> u64 {
    m.calls
        .iter()
        .filter(|c| c.action == action && c.outcome == "ok")
        .map(|c| c.count)
        .sum()
}

/// One havipd, MASTER alone, with ENI B and `method`; returns its state dir once it holds.
fn run(tag: &str, method: impl Fn(&Value) -> String) -> Option<(Lab, Moto, Value, PathBuf)> {
    let python = python()?;
    let mut lab = Lab::new(tag, &[])?;
    lab.host("a", &["172.16.16.6/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let moto = Moto::start(&python, &lab);
    let seed = moto.boto(&["seed", VIP]);
    let keys = lab.write(
        "keys",
        &format!("aws_access_key_id {ID}\naws_secret_access_key {KEY}\n"),
    );
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod 0600");
    let mover = lab.write(
        "mover.conf",
        &format!(
            "mover {{\n    provider ec2\n    region us-east-1\n    endpoint {}\n    \
             credentials file {keys}\n    eni {}\n{}}}\n",
            moto.url,
            seed["b"].as_str().expect("b"),
            method(&seed)
        ),
    );
    let config = common::instance("VI_1", 72, 150, VIP, "");
    let a = lab.havipd_with("a", "a", &config, "a", &["--mover", &mover]);
    let held = wait_until(Duration::from_secs(40), || {
        std::fs::exists(a.join(ctl::SOCKET_NAME)).unwrap_or(false) && mover_of(&a).phase == "held"
    });
    assert!(
        held.is_some(),
        "never held: {}\n{}",
        lab.log("a"),
        lab.log("moto")
    );
    let log = lab.log("a");
    assert!(!log.contains(KEY), "the secret key is in the log");
    Some((lab, moto, seed, a))
}

#[test]
fn ec2_assign_moves_the_vip_from_eni_a_to_eni_b() {
    let Some((_lab, moto, seed, a)) = run("me2", |_| "    method assign\n".into()) else {
        return;
    };
    let holders = moto.boto(&["holders", VIP]);
    assert_eq!(
        holders,
        serde_json::json!([seed["b"]]),
        "B alone holds the VIP"
    );
    let m = mover_of(&a);
    assert!(calls(&m, "AssignPrivateIpAddresses") >= 1, "{m:?}");
    assert!(calls(&m, "DescribeNetworkInterfaces") >= 1, "{m:?}");
}

#[test]
fn ec2_route_points_the_vip_route_at_eni_b() {
    let method = |s: &Value| {
        format!(
            "    method route\n    route_table {}\n",
            s["rtb"].as_str().expect("rtb")
        )
    };
    let Some((_lab, moto, seed, a)) = run("mr2", method) else {
        return;
    };
    let rtb = seed["rtb"].as_str().expect("rtb");
    let route = moto.boto(&["route", rtb, VIP]);
    assert_eq!(
        route,
        serde_json::json!([seed["b"]]),
        "the VIP route points at B"
    );
    let m = mover_of(&a);
    assert_eq!(calls(&m, "ReplaceRoute"), 1, "{m:?}");
}
