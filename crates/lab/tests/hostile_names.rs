//! Values from a drilled config or the command line never reach a shell, names are checked
//! where they enter, and a lab's scratch directory is made fresh and private: a hostile
//! `interface` (`a;touch FILE`) runs nothing as root, a pre-created or planted `/tmp/hvl<id>`
//! is refused rather than reused, and `lab down` takes only a lab id.

use lab::topology::{HostSpec, Topology};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A lab id of this test process and `n` (lowercase hex, as the lab's own).
fn test_id(n: u32) -> String {
    format!("{:06x}", (std::process::id() & 0xfffff) * 16 + n)
}

/// A file whose existence would show that a hostile name ran as a command.
fn marker(what: &str) -> PathBuf {
    let m = std::env::temp_dir().join(format!("hvlpwn-{what}-{}", std::process::id()));
    let _ = std::fs::remove_file(&m);
    m
}

/// `examples/three-node` with lb1's `interface`s replaced by `iface`, in a fresh dir.
fn configs_with_interface(iface: &str, tag: &str) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/three-node");
    let dir = std::env::temp_dir().join(format!("havip-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for name in ["lb1.conf", "lb2.conf", "lb3.conf"] {
        let text = std::fs::read_to_string(example.join(name)).expect("example");
        let text = if name == "lb1.conf" {
            text.replace("interface eth0", &format!("interface {iface}"))
        } else {
            text
        };
        std::fs::write(dir.join(name), text).expect("write");
    }
    dir
}

#[test]
fn a_hostile_interface_name_is_refused_at_its_place_in_the_config() {
    // The example: within Linux's 15 bytes, so only the character check stops it.
    let dir = configs_with_interface("a;id>/tmp/p", "placed");
    let e = lab::drill::Setup::from_dir(&dir).expect_err("a hostile interface is placed");
    let msg = format!("{e:#}");
    assert!(
        msg.contains("lb1.conf:25:5: interface `a;id>/tmp/p` has `;`"),
        "not refused at its place: {msg}"
    );
    for ok in ["eth0", "bond0.100", "veth_a-1"] {
        assert!(lab::placement::lab_interface_name(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "-n",
        "..",
        "a b",
        "a/b",
        "a:b",
        "a$(id)",
        "sixteen_chars_xx",
    ] {
        assert!(lab::placement::lab_interface_name(bad).is_err(), "{bad:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hostile_names_given_to_the_lab_run_nothing() {
    if hostcheck::skip_reason("hostile interface names in a lab", &["ip"]).is_some() {
        return;
    }
    // Past placement (as a caller of the library could): the name reaches `ip` as one
    // argument, which refuses it; on a shell it would have run `touch`.
    let m = marker("topology");
    let spec = |name: &str, iface: &str, last: u8| HostSpec {
        name: name.into(),
        label: name.into(),
        iface: iface.into(),
        v4: Some(std::net::Ipv4Addr::new(172, 16, 16, last)),
        v6: None,
    };
    let hostile = format!("a;touch {};true", m.display());
    let made = Topology::up_hosts(
        &test_id(1),
        &[spec("a", &hostile, 5)],
        &spec("c", "eth0", 100),
        true,
    );
    assert!(made.is_err(), "a lab was built with interface {hostile:?}");
    assert!(!m.exists(), "the interface name ran as a command");
    // A built lab's faults take the server's interface the same way.
    let topo = Topology::up_with(&test_id(2), &["172.16.16.5".parse().expect("ip")]).expect("lab");
    let ns = topo.servers[0].ns.clone();
    let hostile = format!("eth0;touch {}", m.display());
    assert!(lab::faults::link(&ns, &hostile, false).is_err());
    assert!(lab::faults::delay(&ns, &hostile, 5).is_err());
    let _ = lab::faults::clear(&ns, &hostile);
    assert!(!m.exists(), "a fault's interface ran as a command");
    drop(topo);
}

#[test]
fn a_pre_created_scratch_directory_is_refused_not_reused() {
    let id = test_id(3);
    let dir = Topology::dir_for(&id);
    let _ = std::fs::remove_dir_all(&dir);
    // A local user's directory, open to all, with a config of theirs in it.
    std::fs::create_dir(&dir).expect("pre-create");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let planted = dir.join("a.conf");
    std::fs::write(&planted, "planted").expect("plant");
    let e = Topology::up_with(&id, &["172.16.16.5".parse().expect("ip")])
        .expect_err("a lab was built in a pre-created directory");
    assert!(format!("{e:#}").contains("already exists"), "{e:#}");
    assert_eq!(
        std::fs::read_to_string(&planted).expect("planted"),
        "planted"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // A symbolic link in its place (to a directory the lab would write into) likewise.
    let elsewhere =
        std::env::temp_dir().join(format!("havip-hostile-target-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).expect("target");
    std::os::unix::fs::symlink(&elsewhere, &dir).expect("symlink");
    assert!(Topology::up_with(&id, &["172.16.16.5".parse().expect("ip")]).is_err());
    assert_eq!(
        std::fs::read_dir(&elsewhere).expect("target").count(),
        0,
        "written through the link"
    );
    let _ = std::fs::remove_file(&dir);
    let _ = std::fs::remove_dir_all(&elsewhere);
}

#[test]
fn scratch_directories_are_private_and_checked() {
    let dir = std::env::temp_dir().join(format!("havip-scratch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    lab::scratch::make_private(&dir).expect("made");
    let mode = std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert!(lab::scratch::make_private(&dir).is_err(), "made twice");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let e = lab::scratch::check_private(&dir).expect_err("0755 passes");
    assert!(format!("{e:#}").contains("755"), "{e:#}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lab_down_takes_only_a_lab_id() {
    for bad in ["../../etc", "a b", "x;reboot", "", "ABC", "123456789"] {
        let e = lab::topology::down_one(bad).expect_err(bad);
        assert!(format!("{e:#}").contains("not a lab id"), "{e:#}");
    }
    assert!(
        lab::topology::down_one(&test_id(4))
            .expect("an id")
            .is_empty()
    );
}
