//! havipd's verdict on `auth_hmac` configs without root (`-t` and start-up): an instance that
//! keepalived would run unauthenticated (no usable active key) is refused, with the line.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

static SEQ: AtomicU32 = AtomicU32::new(0);

fn run(args: &[&str], config: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!(
        "havip-auth-config-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("keepalived.conf");
    std::fs::write(&file, config).expect("write");
    let state = dir.join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_havipd"))
        .args(args)
        .args(["-l", "-f"])
        .arg(&file)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .expect("havipd runs");
    let _ = std::fs::remove_dir_all(&dir);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

fn config(auth: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state BACKUP\n    interface lo\n    virtual_router_id 51\n    priority 100\n    \
         auth_hmac {{\n{auth}\n    }}\n    virtual_ipaddress {{\n        10.0.0.100\n    }}\n}}\n"
    )
}

const KEY: &str =
    "        key 1 hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

#[test]
fn no_usable_active_key_cannot_run() {
    // keepalived's -t code is its greatest level: 5 for the loopback this test runs on (a
    // warning), above 4 for the missing active key.
    let (code, text) = run(&["-t"], &config(KEY));
    assert_eq!(code, Some(5), "{text}");
    assert!(
        text.contains("keepalived.conf:6:5") && text.contains("has no active_key"),
        "{text}"
    );
    let (code, text) = run(&["-n"], &config(&format!("{KEY}\n        active_key 2")));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("active_key 2 is not defined"), "{text}");
    assert!(text.contains("nothing started"), "{text}");
}

#[test]
fn a_complete_block_passes_the_test() {
    // 5 for the loopback this test runs on, which keepalived refuses; nothing about auth_hmac.
    let (code, text) = run(&["-t"], &config(&format!("{KEY}\n        active_key 1")));
    assert_eq!(code, Some(5), "{text}");
    assert!(
        text.contains("loopback") && !text.contains("auth_hmac"),
        "{text}"
    );
}
