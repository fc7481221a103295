//! The cloud's own clients against `havip vpc serve`: tencentcloud-sdk-python and tccli (from
//! PyPI; `.ci/run` installs them in `target/pyenv`, or set `HAVIP_PYTHON`). They create,
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

#[test]
fn tencentcloud_sdk_python_drives_the_havip_life_cycle() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => return eprintln!("SKIPPED sdk client: {why}"),
    };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("keys"), KEYS_FILE).expect("keys");
    let server = start(dir.path());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sdk_client.py");
    let out = Command::new(&py)
        .arg(&script)
        .args([&server.host, ID, KEY])
        .output()
        .expect("python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(text.trim()).expect("JSON from the script");
    assert_eq!(seen["created"]["Vip"], "10.20.1.12");
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
fn tccli_creates_describes_modifies_binds_and_deletes() {
    let py = match python() {
        Ok(p) => p,
        Err(why) => return eprintln!("SKIPPED tccli: {why}"),
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
