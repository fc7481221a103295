//! The cloud's own clients against `havip vpc serve`: tencentcloud-sdk-python and tccli (from
//! PyPI; `.ci/run` installs them in `target/pyenv`, or set `HAVIP_PYTHON`) and
//! tencentcloud-sdk-nodejs (from npm, in `target/node`). They create,
//! describe, modify, bind an EIP to and delete HAVIPs; a wrong key gets AuthFailure.

mod common;
use common::{ID, KEY, KEYS_FILE, start};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// The Python with the cloud's SDK and tccli, or why there is none.
fn python() -> Result<PathBuf, String> {
    let p = std::env::var_os("HAVIP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python")
        });
    let ok = Command::new(&p)
        .args(["-c", "import tencentcloud.vpc.v20170312, tccli"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(p)
    } else {
        Err(format!(
            "{} lacks tencentcloud-sdk-python-vpc / tccli (.ci/run installs them)",
            p.display()
        ))
    }
}

/// Runs a client script from `tests/data` with `program` against a fresh server; returns the
/// JSON object it prints.
fn drive_life_cycle(program: Command, script: &str) -> Value {
    drive_life_cycle_with(program, script, false)
}

/// As [`drive_life_cycle`]; with `tls`, the server makes a self-signed certificate and the
/// script gets its file as a last argument.
fn drive_life_cycle_with(mut program: Command, script: &str, tls: bool) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("keys"), KEYS_FILE).expect("keys");
    let cert = dir.path().join("cert.pem");
    let cert_arg = cert.to_string_lossy().to_string();
    let server = if tls {
        common::start_with(dir.path(), &["--tls-self-signed", &cert_arg])
    } else {
        start(dir.path())
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(script);
    program.arg(&script).args([&server.host, ID, KEY]);
    if tls {
        program.arg(&cert);
    }
    let out = program.output().expect("the client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(text.trim()).expect("JSON from the script")
}

/// What every client script must have seen: a HAVIP created at `vip`, described, renamed,
/// bound to an EIP and unbound (tasks done), a reserved address refused, deleted, and a wrong
/// key refused.
fn assert_life_cycle(seen: &Value, vip: &str) {
    assert_eq!(seen["created"]["Vip"], vip);
    assert_eq!(seen["created"]["State"], "UNBIND");
    assert_eq!(seen["described"]["TotalCount"], 1);
    assert_eq!(seen["renamed"], 1);
    assert_eq!(seen["bind_task"], "SUCCESS");
    assert_eq!(seen["bound_eip"], true);
    assert_eq!(seen["reserved_error"], "InvalidParameterValue.Reserved");
    assert_eq!(seen["delete_task"], "SUCCESS");
    assert_eq!(seen["after_delete"], 0);
    assert_eq!(seen["wrong_key_error"], "AuthFailure.SignatureFailure");
}

#[test]
fn tencentcloud_sdk_python_drives_the_havip_life_cycle() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("sdk client", why);
            return;
        }
    };
    let seen = drive_life_cycle(Command::new(&py), "sdk_client.py");
    assert_life_cycle(&seen, "10.20.1.12");
}

#[test]
fn tencentcloud_sdk_python_drives_routes_with_a_role_key_from_the_metadata_service() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("sdk routes", why);
            return;
        }
    };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("keys"), KEYS_FILE).expect("keys");
    let metadata = format!("127.0.0.1:{}", common::free_port());
    let flags = ["--metadata-listen", &metadata, "--metadata-role", "mover"];
    let server = common::start_with(dir.path(), &flags);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sdk_routes.py");
    let out = Command::new(&py)
        .arg(&script)
        .args([&server.host, ID, KEY, &metadata, "mover"])
        .output()
        .expect("python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(text.trim()).expect("JSON");
    assert_eq!(seen["tables"], 1, "{seen}");
    assert_eq!(seen["main"], true);
    assert_eq!(seen["associated"], serde_json::json!([true]));
    assert_eq!(seen["route_id"], 1);
    assert_eq!(
        seen["inside_vpc_error"],
        "InvalidParameterValue.VpcCidrConflict"
    );
    assert_eq!(seen["instance"], serde_json::json!([200, "ins-00000001"]));
    assert_eq!(seen["mac"], serde_json::json!([200, "02:00:00:00:02:01"]));
    assert_eq!(seen["stranger"], 403);
    assert_eq!(seen["creds_code"], "Success");
    assert_eq!(
        (&seen["old_hop"], &seen["new_hop"]),
        (&"127.0.1.5".into(), &"127.0.1.6".into())
    );
    assert_eq!(seen["no_token_error"], "AuthFailure.TokenFailure");
    assert_eq!(seen["deleted"], 1);
}

#[test]
fn tencentcloud_sdk_python_over_its_default_https_trusts_a_self_signed_certificate() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("sdk client over https", why);
            return;
        }
    };
    let seen = drive_life_cycle_with(Command::new(&py), "sdk_client.py", true);
    assert_life_cycle(&seen, "10.20.1.12");
}

/// The cloud's Node.js SDK (`tencentcloud-sdk-nodejs`; `.ci/run` installs it in
/// `target/node`, or set `HAVIP_NODE_PATH`), or why there is none.
fn node_sdk() -> Result<PathBuf, String> {
    let path = std::env::var_os("HAVIP_NODE_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/node/node_modules")
        });
    let ok = Command::new("node")
        .args(["-e", "require('tencentcloud-sdk-nodejs')"])
        .env("NODE_PATH", &path)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(path)
    } else {
        Err(format!(
            "node or tencentcloud-sdk-nodejs in {} is missing (.ci/run installs them)",
            path.display()
        ))
    }
}

#[test]
fn tencentcloud_sdk_nodejs_at_host_port_drives_the_havip_life_cycle() {
    let modules = match node_sdk() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("node sdk client", why);
            return;
        }
    };
    let mut node = Command::new("node");
    node.env("NODE_PATH", &modules);
    let seen = drive_life_cycle(node, "sdk_client.js");
    assert_life_cycle(&seen, "10.40.1.12");
}

#[test]
fn tccli_creates_describes_modifies_binds_and_deletes() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("tccli", why);
            return;
        }
    };
    let tccli = py.with_file_name("tccli");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("keys"), KEYS_FILE).expect("keys");
    let server = start(dir.path());
    // tccli speaks plain HTTP when the endpoint carries the scheme.
    let endpoint = format!("http://{}", server.host);
    let run = |key: &str, args: &[&str]| -> Result<Value, String> {
        let out = Command::new(&tccli)
            .args([
                "--endpoint",
                &endpoint,
                "--region",
                "ap-guangzhou",
                "--secretId",
                ID,
                "--secretKey",
                key,
            ])
            .arg("vpc")
            .args(args)
            .env("HOME", dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || stdout.contains("TencentCloudSDKException") {
            return Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)));
        }
        serde_json::from_str(&stdout).map_err(|e| format!("{e}: {stdout}"))
    };
    let ok = |args: &[&str]| run(KEY, args).unwrap_or_else(|e| panic!("tccli vpc {args:?}: {e}"));
    let vpc = ok(&[
        "CreateVpc",
        "--VpcName",
        "cli",
        "--CidrBlock",
        "10.30.0.0/16",
    ])["Vpc"]["VpcId"]
        .as_str()
        .expect("vpc")
        .to_string();
    let subnet = ok(&[
        "CreateSubnet",
        "--VpcId",
        &vpc,
        "--SubnetName",
        "s",
        "--CidrBlock",
        "10.30.1.0/24",
        "--Zone",
        "z",
    ])["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet")
        .to_string();
    let h = ok(&[
        "CreateHaVip",
        "--VpcId",
        &vpc,
        "--SubnetId",
        &subnet,
        "--HaVipName",
        "cli",
        "--Vip",
        "10.30.1.12",
    ]);
    let id = h["HaVip"]["HaVipId"].as_str().expect("id").to_string();
    assert_eq!(
        ok(&["DescribeHaVips", "--HaVipIds", &format!("[\"{id}\"]")])["TotalCount"],
        1
    );
    ok(&[
        "ModifyHaVipAttribute",
        "--HaVipId",
        &id,
        "--HaVipName",
        "cli2",
    ]);
    let eip_id = ok(&["AllocateAddresses", "--AddressCount", "1"])["AddressSet"][0]
        .as_str()
        .expect("eip")
        .to_string();
    let eip = ok(&[
        "DescribeAddresses",
        "--AddressIds",
        &format!("[\"{eip_id}\"]"),
    ])["AddressSet"][0]["AddressIp"]
        .as_str()
        .expect("ip")
        .to_string();
    ok(&[
        "HaVipAssociateAddressIp",
        "--HaVipId",
        &id,
        "--AddressIp",
        &eip,
    ]);
    let d = ok(&[
        "DescribeHaVips",
        "--Filters",
        &format!("[{{\"Name\":\"address-ip\",\"Values\":[\"{eip}\"]}}]"),
    ]);
    assert_eq!(d["HaVipSet"][0]["HaVipName"], "cli2");
    ok(&["HaVipDisassociateAddressIp", "--HaVipId", &id]);
    ok(&["DeleteHaVip", "--HaVipId", &id]);
    assert_eq!(ok(&["DescribeHaVips"])["TotalCount"], 0);
    let denied = run("wrong-key", &["DescribeHaVips"]).expect_err("a wrong key is refused");
    assert!(denied.contains("AuthFailure.SignatureFailure"), "{denied}");
}

/// The error codes the cloud documents: the vpc product's own (from the SDK's
/// `errorcodes.py`) and the common ones every product may answer (the API's common error code
/// page; the SDK does not list them).
const COMMON_CODES: &[&str] = &[
    "ActionOffline",
    "AuthFailure.InvalidAuthorization",
    "AuthFailure.InvalidSecretId",
    "AuthFailure.MFAFailure",
    "AuthFailure.SecretIdNotFound",
    "AuthFailure.SignatureExpire",
    "AuthFailure.SignatureFailure",
    "AuthFailure.TokenFailure",
    "AuthFailure.UnauthorizedOperation",
    "DryRunOperation",
    "FailedOperation",
    "InternalError",
    "InvalidAction",
    "InvalidParameter",
    "InvalidParameterValue",
    "InvalidRequest",
    "LimitExceeded",
    "MissingParameter",
    "NoSuchProduct",
    "NoSuchVersion",
    "RequestLimitExceeded",
    "RequestSizeLimitExceeded",
    "ResourceInUse",
    "ResourceInsufficient",
    "ResourceNotFound",
    "ResourceUnavailable",
    "ServiceUnavailable",
    "UnauthorizedOperation",
    "UnknownParameter",
    "UnsupportedOperation",
    "UnsupportedProtocol",
    "UnsupportedRegion",
];

/// Every code the VPC's sources can answer with (`ApiError::new("Code", ...)` and the helpers'
/// `Self::new("Code", ...)`).
fn codes_in_sources() -> std::collections::BTreeSet<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vpc/src");
    let mut files = vec![root];
    let mut codes = std::collections::BTreeSet::new();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        for start in ["ApiError::new(", "Self::new("] {
            for piece in text.split(start).skip(1) {
                let piece = piece.trim_start();
                if let Some(rest) = piece.strip_prefix('"') {
                    codes.insert(rest.split('"').next().unwrap_or_default().to_string());
                }
            }
        }
    }
    codes
}

#[test]
fn every_error_code_the_vpc_answers_is_one_the_cloud_documents() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("error codes", why);
            return;
        }
    };
    let out = Command::new(&py)
        .args([
            "-c",
            "import tencentcloud.vpc.v20170312.errorcodes as e; print('\\n'.join(v for k, v in vars(e).items() if k.isupper()))",
        ])
        .output()
        .expect("python");
    let documented: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert!(
        documented.len() > 100,
        "the SDK lists {} codes",
        documented.len()
    );
    let ours = codes_in_sources();
    assert!(ours.len() > 20, "found only {ours:?}");
    let undocumented: Vec<&String> = ours
        .iter()
        .filter(|c| !documented.contains(c) && !COMMON_CODES.contains(&c.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "codes the cloud does not document: {undocumented:?}"
    );
}

/// Every parameter the SDK's model of each action declares is one the server knows: sent as
/// null (absent, as the SDKs mean it), none is an `UnknownParameter`.
#[test]
fn every_parameter_the_sdk_models_declare_is_known() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => {
            hostcheck::skip("SDK model parameters", why);
            return;
        }
    };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("keys"), KEYS_FILE).expect("keys");
    let server = start(dir.path());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sdk_models.py");
    let out = Command::new(&py)
        .arg(&script)
        .args([&server.host, ID, KEY])
        .args(vpc::actions::ACTIONS)
        .output()
        .expect("python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let unknown: Value = serde_json::from_str(text.trim()).expect("JSON");
    let wrong: Vec<String> = vpc::actions::ACTIONS
        .iter()
        .filter(|a| unknown[**a] != Value::Array(Vec::new()))
        .map(|a| format!("{a}: {}", unknown[*a]))
        .collect();
    assert!(
        wrong.is_empty(),
        "declared by the SDK, unknown here:\n{}",
        wrong.join("\n")
    );
}
