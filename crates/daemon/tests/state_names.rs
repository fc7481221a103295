//! Instance names that are not file names: keepalived runs `vrrp_instance ../../x` (2.2.7,
//! `keepalived -t` exits 0), and havipd runs it too, but its state file stays in the state
//! directory, with the unsafe characters written `%XX`; `havipd -t` agrees with keepalived's
//! verdict and warns (`instance-file-name`).

mod common;
use common::{Lab, instance, wait_until};
use std::time::Duration;

#[test]
fn an_instance_named_like_a_path_keeps_its_state_file_in_the_state_directory() {
    let Some(mut lab) = Lab::new("snm", &[]) else {
        return;
    };
    lab.host("a", &["10.6.0.1/24"]);
    let name = "../../escaped";
    let config = instance(name, 61, 100, "10.6.0.100", "");
    let conf = lab.write("check.conf", &config);
    let check = lab.exec(
        "a",
        &[env!("CARGO_BIN_EXE_havipd"), "-t", "-l", "-f", &conf],
    );
    let said = String::from_utf8_lossy(&check.stderr).into_owned()
        + &String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{said}");
    assert!(said.contains("instance-file-name"), "{said}");
    // The state directory is <lab>/deep/a: `../../escaped.state` would be <lab>/escaped.state.
    std::fs::create_dir_all(lab.dir.join("deep")).expect("dir");
    let state = lab.havipd_in("a", "a", &config, "deep/a");
    let inside = state.join("%2E.%2F..%2Fescaped.state");
    assert!(
        wait_until(Duration::from_secs(6), || inside.exists()).is_some(),
        "no {}:\n{}",
        inside.display(),
        lab.log("a")
    );
    assert!(
        !lab.dir.join("escaped.state").exists(),
        "the state file left its directory"
    );
    assert!(!lab.dir.join("deep/escaped.state").exists());
}
