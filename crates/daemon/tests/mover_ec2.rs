//! The mover's EC2 dialect against a third-party EC2 emulator: moto's server (PyPI
//! `moto[server]`, in `target/pyenv` as `.ci/run` installs it, or `HAVIP_PYTHON`'s venv) on
//! the test's veth. boto3 (moto's dependency) seeds a VPC, a subnet, two ENIs with the VIP on
//! A and a route table whose VIP route points at A; havipd in a namespace, MASTER with ENI B,
//! moves the VIP through its own SigV4-signed calls, and boto3 checks the emulator's state:
//! B holds the VIP and A no longer does; the route points at B. With `credentials metadata`,
//! the keys come from an IMDSv2 server the test runs (moto's STS issues them, and moto checks
//! every signature). Real AWS is not contacted.

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

/// Seeds and reads the emulator with boto3: `seed`, `holders VIP`, `route RTB VIP`, `iam`
/// (an admin user and the instance profile's role; their keys sign when `HAVIP_AWS_ID` and
/// `HAVIP_AWS_KEY` are set).
const BOTO: &str = r#"
import boto3, json, os, sys
creds = dict(aws_access_key_id=os.environ.get("HAVIP_AWS_ID", "AKIAMOVERTEST0000000"),
             aws_secret_access_key=os.environ.get("HAVIP_AWS_KEY", "x"))
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1", **creds)
cmd = sys.argv[2]
if cmd == "iam":
    iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", **creds)
    allow = lambda action: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})
    user = iam.create_user(UserName="admin")["User"]["Arn"]
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=allow("*"))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    # EC2 assumes an instance profile's role; here the test's IMDS does, as the admin.
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}]})
    role = iam.create_role(RoleName="havip-mover", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="havip-mover", PolicyName="ec2", PolicyDocument=allow("ec2:*"))
    print(json.dumps({"id": key["AccessKeyId"], "key": key["SecretAccessKey"], "role": role}))
elif cmd == "seed":
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

/// An instance metadata service speaking IMDSv2 as EC2's does, on `ADDR` (port chosen, printed
/// first; the test runs it on the loopback of havipd's namespace): `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` gives a session
/// token; a GET without a live token is 401; `/latest/meta-data/iam/security-credentials/`
/// names the role and `.../havip-mover` gives keys fresh from moto's STS (`AssumeRole`, signed
/// with the admin's key) that expire, says `Expiration`, `TTL` seconds later. Each set handed
/// out is appended to `ISSUED` (JSON lines: `id`, `key`, `token`, `at`, `expires`).
/// Arguments: MOTO_URL ADMIN_ID ADMIN_KEY ROLE_ARN TTL ADDR ISSUED.
const IMDS: &str = r#"
import boto3, datetime, http.server, json, secrets, sys, threading, time
moto, admin_id, admin_key, role, ttl, addr, issued = sys.argv[1:8]
sts = boto3.client("sts", endpoint_url=moto, region_name="us-east-1",
                   aws_access_key_id=admin_id, aws_secret_access_key=admin_key)
tokens, lock = {}, threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body=""):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_PUT(self):
        t = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if self.path != "/latest/api/token":
            return self.answer(404)
        if not t.isdigit() or not 1 <= int(t) <= 21600:
            return self.answer(400)
        token = secrets.token_urlsafe(32)
        with lock:
            tokens[token] = time.time() + int(t)
        self.answer(200, token)
    def do_GET(self):
        with lock:
            live = tokens.get(self.headers.get("X-aws-ec2-metadata-token", ""), 0) > time.time()
        if not live:
            return self.answer(401)
        if self.path == "/latest/meta-data/iam/security-credentials/":
            return self.answer(200, "havip-mover")
        if self.path != "/latest/meta-data/iam/security-credentials/havip-mover":
            return self.answer(404)
        c = sts.assume_role(RoleArn=role, RoleSessionName="imds")["Credentials"]
        now = time.time()
        expires = now + int(ttl)
        stamp = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
        doc = {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
               "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
               "Expiration": stamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
        with lock, open(issued, "a") as f:
            f.write(json.dumps({"id": c["AccessKeyId"], "key": c["SecretAccessKey"],
                "token": c["SessionToken"], "at": now, "expires": int(expires)}) + "\n")
        self.answer(200, json.dumps(doc))
    def log_message(self, *a):
        pass
server = http.server.ThreadingHTTPServer((addr, 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
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
    /// moto's server with `env` added to its environment.
    fn start(python: &Path, lab: &Lab) -> Moto {
        Moto::start_with(python, lab, &[])
    }

    fn start_with(python: &Path, lab: &Lab, env: &[(&str, String)]) -> Moto {
        let port = TcpListener::bind((API_ADDR, 0))
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let log = std::fs::File::create(lab.dir.join("moto.log")).expect("log");
        let child = Command::new(python)
            .args(["-m", "moto.server", "-H", API_ADDR, "-p", &port.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
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
        self.boto_as(None, args)
    }

    /// boto3 signing with `keys` (id, secret) when given.
    fn boto_as(&self, keys: Option<(&str, &str)>, args: &[&str]) -> Value {
        let mut cmd = Command::new(&self.python);
        if let Some((id, key)) = keys {
            cmd.env("HAVIP_AWS_ID", id).env("HAVIP_AWS_KEY", key);
        }
        let out = cmd
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
    try_mover_of(state).expect("a status with a mover")
}

/// The mover's status, or `None` while havipd does not answer yet.
fn try_mover_of(state: &Path) -> Option<ctl::MoverStatus> {
    match Client::one(&state.join(ctl::SOCKET_NAME), &Request::Status).ok()? {
        Reply::Status(s) => s.instances.first()?.mover.clone(),
        _ => None,
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
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
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

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The sets of keys the test's IMDS handed out, in order.
fn issued(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The EC2 calls moto recorded: (the key id that signed it, its `X-Amz-Security-Token`).
fn ec2_calls(recording: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(recording).unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(headers) = v["headers"].as_object() else {
            continue;
        };
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string)
        };
        let Some(auth) = header("Authorization").filter(|a| a.contains("/ec2/aws4_request")) else {
            continue;
        };
        let id = auth
            .split_once("Credential=")
            .and_then(|(_, c)| c.split_once('/'))
            .map(|(id, _)| id.to_string())
            .unwrap_or_default();
        out.push((id, header("X-Amz-Security-Token")));
    }
    out
}

/// `credentials metadata URL` with `provider ec2`: the instance profile's keys through IMDSv2
/// (the test's server above: a session token first, else 401), keys that moto's STS issued and
/// moto checks (IAM authentication on: the key, the session token in `X-Amz-Security-Token`,
/// the SigV4 signature and the role's permission, for every call). The master moves the VIP
/// with them; keys expiring 62 s after they are handed out are fetched again before they
/// expire, and the new ones sign the calls after that; no key or token shows in the log, the
/// status, the metrics or the dumps.
#[test]
fn ec2_signs_with_the_instance_profile_keys_from_imdsv2_and_refreshes_them() {
    let Some(python) = python() else {
        return;
    };
    let Some(mut lab) = Lab::new("mi2", &[]) else {
        return;
    };
    lab.host("a", &["172.16.16.6/24"]);
    lab.root_host("api", &format!("{API_ADDR}/24"));
    let recording = lab.dir.join("moto-recording.jsonl");
    let env = [
        ("MOTO_ENABLE_RECORDING", "1".to_string()),
        ("MOTO_RECORDER_FILEPATH", recording.display().to_string()),
    ];
    let moto = Moto::start_with(&python, &lab, &env);
    let seed = moto.boto(&["seed", VIP]);
    let iam = moto.boto(&["iam"]);
    let admin = (
        iam["id"].as_str().expect("admin id"),
        iam["key"].as_str().expect("admin key"),
    );
    // From here on moto authenticates and authorizes every request.
    ureq::post(&format!("{}/moto-api/reset-auth", moto.url))
        .send_string("0")
        .expect("moto's IAM authentication on");
    let issued_at = lab.dir.join("imds-issued.jsonl");
    let role = iam["role"].as_str().expect("role");
    let issued_arg = issued_at.display().to_string();
    // On the loopback of a's namespace, as EC2's is on the instance's own link.
    let ns = lab.ns("a");
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(&python)
        .args([
            "-c",
            IMDS,
            &moto.url,
            admin.0,
            admin.1,
            role,
            "62",
            "127.0.0.1",
        ])
        .arg(&issued_arg)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(lab.dir.join("imds.log")).expect("log"))
        .spawn()
        .expect("the test's IMDS");
    let mut port = String::new();
    let stdout = child.stdout.take().expect("stdout");
    let imds = Killed(child);
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut port).expect("port");
    let port = port.trim();
    assert!(!port.is_empty(), "no IMDS port: {}", lab.log("imds"));
    let mover = lab.write(
        "mover.conf",
        &format!(
            "mover {{\n    provider ec2\n    region us-east-1\n    endpoint {}\n    \
             credentials metadata http://127.0.0.1:{port}\n    eni {}\n    method assign\n}}\n",
            moto.url,
            seed["b"].as_str().expect("b"),
        ),
    );
    let config = common::instance("VI_1", 72, 150, VIP, "");
    let a = lab.havipd_dumping("a", "a", &config, &["--mover", &mover]);
    let held = wait_until(Duration::from_secs(40), || {
        try_mover_of(&a).is_some_and(|m| m.phase == "held")
    });
    assert!(
        held.is_some(),
        "never held: {:?}\n{}\n{}",
        try_mover_of(&a),
        lab.log("a"),
        lab.log("moto")
    );
    let holders = moto.boto_as(Some(admin), &["holders", VIP]);
    assert_eq!(
        holders,
        serde_json::json!([seed["b"]]),
        "B alone holds the VIP"
    );
    // Refreshed before they expire: a second set, then calls signed with it.
    let refreshed = wait_until(Duration::from_secs(30), || {
        let sets = issued(&issued_at);
        sets.len() >= 2 && {
            let second = sets[1]["id"].as_str().unwrap_or("-");
            ec2_calls(&recording).iter().any(|(id, _)| id == second)
        }
    });
    assert!(
        refreshed.is_some(),
        "no call signed with refreshed keys: {:?}\n{}",
        mover_of(&a),
        lab.log("a")
    );
    let sets = issued(&issued_at);
    let (fetched, first_expires) = (sets[1]["at"].as_f64(), sets[0]["expires"].as_f64());
    assert!(
        fetched
            .zip(first_expires)
            .is_some_and(|(at, exp)| at < exp - 30.0),
        "the keys were not fetched again well before they expired: {sets:?}"
    );
    // Every call havipd made was signed with a key the IMDS handed out and carried its token.
    let ours: Vec<_> = ec2_calls(&recording)
        .into_iter()
        .filter(|(id, _)| id != admin.0 && id != ID)
        .collect();
    assert!(ours.len() >= 3, "{ours:?}");
    for (id, token) in &ours {
        let set = sets.iter().find(|s| s["id"].as_str() == Some(id));
        let set = set.unwrap_or_else(|| panic!("{id} was not handed out by the IMDS"));
        assert_eq!(token.as_deref(), set["token"].as_str(), "{id}'s token");
    }
    // The status catches up once the call that fetched them has ended.
    let counted = wait_until(Duration::from_secs(10), || {
        calls(&mover_of(&a), "metadata") >= 6
    });
    let m = mover_of(&a);
    assert!(counted.is_some(), "{m:?}");
    let failed: Vec<_> = m.calls.iter().filter(|c| c.outcome != "ok").collect();
    assert!(failed.is_empty(), "{failed:?}");
    let secrets: Vec<&str> = sets
        .iter()
        .flat_map(|s| [s["key"].as_str(), s["token"].as_str()])
        .flatten()
        .collect();
    common::assert_secrets_nowhere(
        &lab,
        ("a", "a"),
        &["a"],
        "AssignPrivateIpAddresses",
        &secrets,
    );
    drop(imds);
}
