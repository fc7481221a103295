//! `auth_hmac` blocks: keys in every form, keepalived 2.4's range and cross-checks, each problem
//! reported at its line and column, and the resolved settings the daemon runs.

use conf::{Options, Report, check_text};
use vrrp::auth_hmac::{AntiReplay, Mode};

const KEY1: &str = "hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn config(extra_global: &str, instance_extra: &str, block: &str) -> String {
    format!(
        "global_defs {{\n{extra_global}\n}}\nvrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 1\n{instance_extra}\n    auth_hmac {{\n{block}\n    }}\n    virtual_ipaddress {{\n        10.0.0.100\n    }}\n}}\n"
    )
}

fn check(text: &str) -> Report {
    check_text(text, &Options::default())
}

/// (code, "line:col") of each diagnostic.
fn findings(r: &Report) -> Vec<(String, String)> {
    r.diagnostics
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                format!("{}:{}", d.location.line, d.location.col),
            )
        })
        .collect()
}

#[test]
fn a_complete_block_resolves_to_typed_settings() {
    let r = check(&config(
        "",
        "",
        &format!(
            "        key 1 {KEY1}\n        key 2 this-is-an-ascii-key-of-32-bytes!\n        active_key 2\n        anti_replay monotonic\n        time_window 9\n        mode permissive"
        ),
    ));
    assert_eq!(findings(&r), vec![], "{:#?}", r.diagnostics);
    let e = r.effective().remove(0).expect("resolves");
    let h = e.auth_hmac.expect("auth_hmac");
    assert_eq!(h.keys.len(), 2);
    assert_eq!(h.keys[0].bytes, (0u8..32).collect::<Vec<_>>());
    assert_eq!(
        h.keys[1].bytes,
        b"this-is-an-ascii-key-of-32-bytes!".to_vec()
    );
    assert_eq!(
        (h.active_key, h.mode, h.anti_replay, h.time_window),
        (2, Mode::Permissive, AntiReplay::Monotonic, 9)
    );
}

#[test]
fn defaults_are_keepalived_s() {
    let r = check(&config(
        "",
        "",
        &format!("        key 1 {KEY1}\n        active_key 1"),
    ));
    let h = r
        .effective()
        .remove(0)
        .expect("resolves")
        .auth_hmac
        .expect("auth_hmac");
    assert_eq!(
        (h.mode, h.anti_replay, h.time_window),
        (Mode::Enforce, AntiReplay::Time, 5)
    );
}

#[test]
fn bad_keys_are_errors_at_their_value() {
    let r = check(&config(
        "",
        "",
        "        key 1 short\n        key 0 hex:00\n        key 2 hex:0g\n        key 3\n        key 4 hex:000\n        active_key 1",
    ));
    // Lines: the block starts at line 11, its first statement is line 12.
    let f = findings(&r);
    assert!(
        f.contains(&("auth-hmac-key".into(), "12:15".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("auth-hmac-key".into(), "13:13".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("auth-hmac-key".into(), "14:15".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("auth-hmac-key".into(), "15:9".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("auth-hmac-key".into(), "16:15".into())),
        "{f:?}"
    );
    let short = r
        .diagnostics
        .iter()
        .find(|d| d.location.line == 12)
        .expect("short key");
    assert!(
        short.message.contains("5 bytes; keys are 32 to 64"),
        "{}",
        short.message
    );
    // Key 1 was refused, so active_key 1 names no key: the instance would run unauthenticated.
    assert!(
        f.contains(&("auth-hmac-active-key".into(), "11:5".into())),
        "{f:?}"
    );
    assert_eq!(r.exit_code(), 2);
}

#[test]
fn a_65_byte_key_and_a_duplicate_id_are_refused() {
    let long = "k".repeat(65);
    let r = check(&config(
        "",
        "",
        &format!(
            "        key 1 {long}\n        key 2 {KEY1}\n        key 2 {KEY1}\n        active_key 2"
        ),
    ));
    let f = findings(&r);
    assert!(
        f.contains(&("auth-hmac-key".into(), "12:15".into())),
        "{f:?}"
    );
    assert!(f.contains(&("auth-hmac".into(), "14:13".into())), "{f:?}");
}

#[test]
fn missing_or_undefined_active_key_is_an_error() {
    for (block, needle) in [
        (format!("        key 1 {KEY1}"), "has no active_key"),
        (
            format!("        key 1 {KEY1}\n        active_key 7"),
            "active_key 7 is not defined",
        ),
    ] {
        let r = check(&config("", "", &block));
        let d = r
            .diagnostics
            .iter()
            .find(|d| d.code == "auth-hmac-active-key")
            .unwrap_or_else(|| panic!("no finding for {block}"));
        assert!(d.message.contains(needle), "{}", d.message);
        assert_eq!(r.exit_code(), 2);
    }
}

#[test]
fn bad_words_and_ranges_are_errors() {
    let r = check(&config(
        "",
        "",
        &format!(
            "        key 1 {KEY1}\n        active_key 1\n        mode strict\n        anti_replay clock\n        time_window 301\n        windw 3"
        ),
    ));
    let f = findings(&r);
    for at in ["14:14", "15:21", "16:21"] {
        assert!(
            f.contains(&("auth-hmac".into(), at.into())),
            "{at} in {f:?}"
        );
    }
    let unknown = r
        .diagnostics
        .iter()
        .find(|d| d.code == "unknown-keyword")
        .expect("unknown");
    assert_eq!(unknown.location.line, 17);
}

#[test]
fn the_legacy_block_is_dropped_with_a_warning() {
    let r = check(&config(
        "",
        "    authentication {\n        auth_type PASS\n        auth_pass 1111\n    }",
        &format!("        key 1 {KEY1}\n        active_key 1"),
    ));
    assert!(
        findings(&r).contains(&("auth-hmac-legacy-dropped".into(), "10:5".into())),
        "{:?}",
        findings(&r)
    );
    let e = r.effective().remove(0).expect("resolves");
    assert_eq!(e.router.auth, vrrp::Auth::None);
}

#[test]
fn strict_mode_requires_enforce() {
    let block = format!("        key 1 {KEY1}\n        active_key 1\n        mode permissive");
    for (global, inst) in [("    vrrp_strict", ""), ("", "    strict_mode on")] {
        let r = check(&config(global, inst, &block));
        assert!(
            r.diagnostics.iter().any(|d| d.code == "auth-hmac-strict"),
            "{global}{inst}: {:?}",
            findings(&r)
        );
    }
    let enforce = format!("        key 1 {KEY1}\n        active_key 1");
    let r = check(&config("", "    strict_mode on", &enforce));
    assert!(!r.diagnostics.iter().any(|d| d.code == "auth-hmac-strict"));
}

#[test]
fn key_files_are_read_and_their_mode_checked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("havip-conf-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let private = dir.join("private");
    std::fs::write(&private, format!("{KEY1}\n")).expect("write");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let open = dir.join("open");
    std::fs::write(&open, "an-ascii-key-that-is-32-bytes-ok").expect("write");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let block = format!(
        "        key 1 file:{}\n        key 2 file:{}\n        key 3 file:{}/absent\n        active_key 1",
        private.display(),
        open.display(),
        dir.display()
    );
    let r = check(&config("", "", &block));
    let _ = std::fs::remove_dir_all(&dir);
    let f = findings(&r);
    assert!(
        f.contains(&("auth-hmac-key-file-mode".into(), "13:15".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&("auth-hmac-key".into(), "14:15".into())),
        "{f:?}"
    );
    let h = conf::effective::resolve(&r.config, &r.config.instances[0], None)
        .expect("resolves")
        .auth_hmac
        .expect("auth_hmac");
    assert_eq!(h.keys[0].bytes, (0u8..32).collect::<Vec<_>>());
    assert_eq!(
        h.keys[1].bytes,
        b"an-ascii-key-that-is-32-bytes-ok".to_vec()
    );
}

#[test]
fn keys_never_reach_the_explain_output() {
    let r = check(&config(
        "",
        "",
        &format!("        key 1 {KEY1}\n        active_key 1"),
    ));
    let e = r.effective().remove(0).expect("resolves");
    let json = serde_json::to_string(&e).expect("json");
    assert!(json.contains("\"active_key\":1"), "{json}");
    assert!(
        !json.contains("1a1b1c") && !json.contains("[0,1,2,3"),
        "{json}"
    );
}

#[test]
fn a_rejected_key_is_never_shown_in_a_diagnostic() {
    // 20 bytes (too short), bad hex digits, an ASCII key too short: each refused, and no
    // diagnostic (its line, message or hint: what logs and reload replies carry) holds it.
    let secrets = [
        "hex:5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7",
        "hex:5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ezz",
        "s3cret-but-short",
    ];
    for secret in secrets {
        let r = check(&config(
            "",
            "",
            &format!("        key 1 {secret}\n        active_key 1"),
        ));
        let key_diags: Vec<_> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "auth-hmac-key")
            .collect();
        assert!(!key_diags.is_empty(), "{secret}: {:?}", r.diagnostics);
        let body = secret.trim_start_matches("hex:");
        for d in &r.diagnostics {
            let shown = format!("{} {} {:?}", d.text, d.message, d.hint);
            assert!(
                !shown.contains(body) && !shown.contains("5ec7e7") && !shown.contains("ezz"),
                "{secret} shown: {shown}"
            );
        }
        assert!(
            key_diags[0].text.starts_with("key 1 <secret>"),
            "{}",
            key_diags[0].text
        );
    }
    // A misspelt `key` line: an unknown keyword, shown without its secret.
    let r = check(&config(
        "",
        "",
        &format!("        kye 1 {KEY1}\n        active_key 1"),
    ));
    let typo = r
        .diagnostics
        .iter()
        .find(|d| d.code == "unknown-keyword")
        .expect("the typo is reported");
    assert_eq!(typo.text, "kye 1 <secret>");
}
