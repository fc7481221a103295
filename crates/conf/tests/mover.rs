//! The mover file: resolution per instance, every diagnostic with its place, the credentials
//! file's owner and mode.

use conf::diag::{Diagnostic, Severity};
use conf::mover::*;
use conf::reader::MemoryFiles;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const PATH: &str = "/etc/keepalived/havip-mover.conf";

fn read_text(text: &str) -> (MoverSettings, Vec<Diagnostic>) {
    let files = MemoryFiles(HashMap::from([(
        PathBuf::from(PATH),
        text.as_bytes().to_vec(),
    )]));
    read(&files, Path::new(PATH), &["VI_1", "VI_2"], false)
}

fn codes_at(diags: &[Diagnostic]) -> Vec<(&'static str, u32, u32)> {
    diags
        .iter()
        .map(|d| (d.code, d.location.line, d.location.col))
        .collect()
}

const COMMON: &str = "mover {
    provider tencent
    region ap-guangzhou
    credentials metadata
    eni eni-11112222
    method migrate
}
";

#[test]
fn the_common_block_covers_every_instance_with_the_default_endpoint() {
    let (s, diags) = read_text(COMMON);
    assert!(diags.is_empty(), "{diags:?}");
    let m = s.for_instance("VI_1").expect("covered");
    assert_eq!(m.region, "ap-guangzhou");
    assert_eq!(m.eni, "eni-11112222");
    assert_eq!(m.method, Method::Migrate);
    assert_eq!(
        m.credentials,
        Credentials::Metadata(parse_endpoint(DEFAULT_METADATA).expect("default"))
    );
    assert_eq!(
        m.endpoint,
        Endpoint {
            tls: true,
            authority: "vpc.tencentcloudapi.com".into()
        }
    );
    assert_eq!(s.for_instance("VI_2"), Some(m));
}

#[test]
fn an_instance_block_overrides_the_common_one_setting_by_setting() {
    let text = format!(
        "{COMMON}mover VI_2 {{
    endpoint http://127.0.0.1:8080
    method route
    route_table rtb-0001
    next_hop HAVIP havip-0002
}}
"
    );
    let (s, diags) = read_text(&text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        s.for_instance("VI_1").map(|m| &m.method),
        Some(&Method::Migrate)
    );
    let m = s.for_instance("VI_2").expect("covered");
    assert_eq!(
        m.method,
        Method::Route {
            table: "rtb-0001".into(),
            hop_type: NextHopType::Havip,
            hop: "havip-0002".into()
        }
    );
    assert_eq!(m.endpoint.authority, "127.0.0.1:8080");
    assert!(!m.endpoint.tls);
    assert_eq!(m.eni, "eni-11112222", "from the common block");
}

#[test]
fn an_instance_alone_needs_every_setting() {
    let (s, diags) = read_text("mover VI_1 {\n    provider tencent\n}\n");
    assert_eq!(s.for_instance("VI_1"), None);
    let missing: Vec<_> = diags.iter().filter(|d| d.code == "mover-missing").collect();
    assert_eq!(missing.len(), 4, "{diags:?}"); // region, eni, method, credentials
    assert!(
        missing
            .iter()
            .all(|d| d.location.line == 1 && d.location.col == 1)
    );
    assert!(missing.iter().any(|d| d.message.contains("`credentials`")));
}

#[test]
fn bad_values_are_named_where_they_are_written() {
    let text = "mover {
    provider aws
    region ap-guangzhou
    credentials file relative/path
    eni vpc-1
    method teleport
    endpoint ftp://x
}
";
    let (s, diags) = read_text(text);
    assert_eq!(s.all, None);
    assert_eq!(
        codes_at(&diags),
        [
            ("mover-bad-value", 2, 5),
            ("mover-bad-value", 4, 5),
            ("mover-bad-value", 5, 5),
            ("mover-bad-value", 6, 5),
            ("mover-bad-value", 7, 5),
        ]
    );
    let shown = diags[0].to_string();
    assert!(
        shown.starts_with(&format!("{PATH}:2:5: error [mover-bad-value]")),
        "{shown}"
    );
    assert!(diags[3].message.contains("teleport"));
}

#[test]
fn route_needs_a_table_and_a_valid_next_hop() {
    let text = COMMON.replace(
        "method migrate",
        "method route\n    next_hop NORMAL_CVM not-an-ip",
    );
    let (_, diags) = read_text(&text);
    let got = codes_at(&diags);
    assert!(got.contains(&("mover-missing", 1, 1)), "{got:?}");
    assert!(got.contains(&("mover-bad-value", 7, 5)), "{got:?}");
    let ok = COMMON.replace(
        "method migrate",
        "method route\n    route_table rtb-9\n    next_hop NORMAL_CVM 10.0.0.5",
    );
    let (s, diags) = read_text(&ok);
    assert!(diags.is_empty(), "{diags:?}");
    assert!(matches!(
        s.all.map(|m| m.method),
        Some(Method::Route {
            hop_type: NextHopType::NormalCvm,
            ..
        })
    ));
}

#[test]
fn unknown_instances_words_and_duplicates_are_errors() {
    let text = format!(
        "{COMMON}mover VI_9 {{\n}}\nvrrp_instance VI_1 {{\n}}\nmover {{\n    eni eni-1\n    eni eni-2\n    colour red\n}}\n"
    );
    let (_, diags) = read_text(&text);
    assert_eq!(
        codes_at(&diags),
        [
            ("mover-unknown-instance", 8, 1),
            ("mover-unknown-keyword", 10, 1),
            ("mover-duplicate", 14, 5),
            ("mover-unknown-keyword", 15, 5),
            ("mover-duplicate", 12, 1),
        ]
    );
}

#[test]
fn an_unreadable_file_is_reported() {
    let files = MemoryFiles::default();
    let (s, diags) = read(&files, Path::new(PATH), &["VI_1"], false);
    assert_eq!(s, MoverSettings::default());
    assert!(
        diags.iter().any(|d| d.severity == Severity::Error),
        "{diags:?}"
    );
}

#[test]
fn the_credentials_file_must_be_roots_and_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("cloud-credentials");
    std::fs::write(&key, "secret_id = AKIDEXAMPLE\nsecret_key = s3cr3t\n").expect("write");
    let text = COMMON.replace(
        "credentials metadata",
        &format!("credentials file {}", key.display()),
    );
    let files = MemoryFiles(HashMap::from([(PathBuf::from(PATH), text.into_bytes())]));
    let run = || read(&files, Path::new(PATH), &["VI_1"], true);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (s, diags) = run();
    assert_eq!(codes_at(&diags), [("mover-credentials-unsafe", 4, 5)]);
    assert!(diags[0].message.contains("0644"), "{}", diags[0].message);
    assert_eq!(s.all, None);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (s, diags) = run();
    if nix_is_root() {
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            s.all.map(|m| m.credentials),
            Some(Credentials::File(key.clone()))
        );
    } else {
        assert!(diags[0].message.contains("not root"), "{diags:?}");
    }
    std::fs::remove_file(&key).expect("rm");
    let (_, diags) = run();
    assert_eq!(codes_at(&diags), [("mover-credentials-unsafe", 4, 5)]);
}

fn nix_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

#[test]
fn endpoints_parse_with_scheme_and_authority_only() {
    assert_eq!(
        parse_endpoint("http://[::1]:8080/"),
        Some(Endpoint {
            tls: false,
            authority: "[::1]:8080".into()
        })
    );
    for bad in [
        "vpc.tencentcloudapi.com",
        "https://",
        "https://h/path",
        "https://u@h",
    ] {
        assert_eq!(parse_endpoint(bad), None, "{bad}");
    }
}

#[test]
fn credentials_files_parse_and_their_errors_name_lines_not_values() {
    let k = parse_keys("# keys\nsecret_id AKIDEXAMPLE\nsecret_key = s3cr3t\ntoken t0k3n\n")
        .expect("parses");
    assert_eq!(k.secret_id, "AKIDEXAMPLE");
    assert_eq!(k.secret_key.as_str(), "s3cr3t");
    assert_eq!(k.token.as_deref().map(String::as_str), Some("t0k3n"));
    let shown = format!("{k:?}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("t0k3n") && !shown.contains("AKIDEXAMPLE"),
        "{shown}"
    );
    for (text, want) in [
        ("secret_id A\n", "no `secret_key` line"),
        (
            "secret_id A\nsecret_key s3cr3t extra\n",
            "line 2: `secret_key` needs one value",
        ),
        (
            "secret_id A\npassword s3cr3t\n",
            "line 2: unknown name `password`",
        ),
        (
            "secret_id A\nsecret_id B\nsecret_key k\n",
            "line 2: `secret_id` is given twice",
        ),
    ] {
        let e = parse_keys(text).expect_err(text);
        assert!(e.contains(want), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
    }
}

#[test]
fn metadata_credentials_take_an_optional_endpoint() {
    let (s, diags) = read_text(&COMMON.replace(
        "credentials metadata",
        "credentials metadata http://169.254.0.23:8080",
    ));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        s.all.map(|m| m.credentials),
        Some(Credentials::Metadata(Endpoint {
            tls: false,
            authority: "169.254.0.23:8080".into()
        }))
    );
    let (_, diags) =
        read_text(&COMMON.replace("credentials metadata", "credentials metadata ftp://x"));
    assert_eq!(codes_at(&diags), [("mover-bad-value", 4, 5)]);
}

const EC2: &str = "mover {
    provider ec2
    region eu-west-1
    credentials file /etc/havip/aws-credentials
    eni eni-0a1b2c3d
    method assign
}
";

#[test]
fn ec2_defaults_to_the_region_s_endpoint_and_assigns() {
    let (s, diags) = read_text(EC2);
    assert!(diags.is_empty(), "{diags:?}");
    let m = s.all.expect("resolved");
    assert_eq!(m.provider, Provider::Ec2);
    assert_eq!(m.method, Method::Assign);
    assert_eq!(
        m.endpoint,
        Endpoint {
            tls: true,
            authority: "ec2.eu-west-1.amazonaws.com".into()
        }
    );
}

#[test]
fn ec2_refuses_migrate_and_next_hop_with_their_places() {
    let (s, diags) = read_text(&EC2.replace("method assign", "method migrate"));
    assert_eq!(s.all, None);
    assert_eq!(codes_at(&diags), [("mover-bad-value", 6, 5)]);
    let shown = diags[0].to_string();
    assert!(shown.starts_with(&format!("{PATH}:6:5: error")), "{shown}");
    assert!(
        diags[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("method assign"),
        "{:?}",
        diags[0]
    );
    let hop = EC2.replace(
        "method assign",
        "method route\n    route_table rtb-1\n    next_hop NORMAL_CVM 10.0.0.5",
    );
    let (_, diags) = read_text(&hop);
    assert_eq!(codes_at(&diags), [("mover-bad-value", 8, 5)]);
    let (_, diags) = read_text(&EC2.replace("method assign", "method route"));
    assert_eq!(codes_at(&diags), [("mover-missing", 1, 1)]);
}

/// `credentials metadata` with `provider ec2` is the instance profile through IMDSv2, at
/// 169.254.169.254 unless a URL is given (a test's server); a bad URL is named at its line.
#[test]
fn ec2_metadata_credentials_default_to_imds() {
    let (s, diags) = read_text(&EC2.replace("file /etc/havip/aws-credentials", "metadata"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        s.all.map(|m| m.credentials),
        Some(Credentials::Metadata(Endpoint {
            tls: false,
            authority: "169.254.169.254".into()
        }))
    );
    let (s, diags) = read_text(&EC2.replace(
        "file /etc/havip/aws-credentials",
        "metadata http://127.0.0.1:8111",
    ));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        s.all.map(|m| m.credentials),
        Some(Credentials::Metadata(Endpoint {
            tls: false,
            authority: "127.0.0.1:8111".into()
        }))
    );
    let (_, diags) = read_text(&EC2.replace(
        "file /etc/havip/aws-credentials",
        "metadata 169.254.169.254",
    ));
    assert_eq!(codes_at(&diags), [("mover-bad-value", 4, 5)]);
}

#[test]
fn ec2_routes_point_at_our_eni() {
    let text = EC2.replace("method assign", "method route\n    route_table rtb-77");
    let (s, diags) = read_text(&text);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        s.all.map(|m| m.method),
        Some(Method::Route {
            table: "rtb-77".into(),
            hop_type: NextHopType::NetworkInterface,
            hop: "eni-0a1b2c3d".into(),
        })
    );
}

#[test]
fn ec2_credentials_files_use_aws_names() {
    let k =
        parse_keys("aws_access_key_id = AKIAEXAMPLE\nsecret_access_key s3cr3t\nsession_token t\n")
            .expect("parses");
    assert_eq!(k.secret_id, "AKIAEXAMPLE");
    assert_eq!(k.secret_key.as_str(), "s3cr3t");
    assert_eq!(k.token.as_deref().map(String::as_str), Some("t"));
}
