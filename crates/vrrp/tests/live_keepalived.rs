//! Tier 5: runs Debian's keepalived in network namespaces (scripts/capture-keepalived-vectors.sh),
//! captures its adverts afresh, and checks that they decode, re-encode byte-exactly, and match
//! the committed vectors. Needs root, keepalived, tcpdump and python3; skips with the reason
//! otherwise (CI installs them and runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;
use vrrp::{Advert, ip};

fn payload(path: &Path) -> (ip::IpHeader, Vec<u8>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let packet = hex::decode(text.trim()).expect("hex");
    let (header, payload) = ip::parse(&packet).expect("IP header");
    (header, payload.to_vec())
}

#[test]
fn fresh_keepalived_adverts_match_the_committed_vectors() {
    let tools = ["keepalived", "tcpdump", "python3"];
    if hostcheck::skip_reason("live keepalived capture", &tools).is_some() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("havip-vectors-{}", std::process::id()));
    let status = Command::new("bash")
        .arg(root.join("../../scripts/capture-keepalived-vectors.sh"))
        .arg(&out)
        .status()
        .expect("capture script runs");
    assert!(status.success(), "capture script failed: {status}");
    let committed = root.join("tests/data/keepalived");
    let mut checked = 0;
    for entry in std::fs::read_dir(&committed)
        .expect("vectors dir")
        .flatten()
    {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("v2-ah-") {
            ah_matches(&name.to_string_lossy(), &entry.path(), &out.join(&name));
            checked += 1;
            continue;
        }
        let (h_old, p_old) = payload(&entry.path());
        let (h_new, p_new) = payload(&out.join(&name));
        let decoded = Advert::decode(&p_new, &h_new.addrs).expect("fresh advert decodes");
        let again = decoded
            .advert
            .encode(&h_new.addrs, decoded.checksum)
            .expect("re-encodes");
        assert_eq!(again, p_new, "{name:?}: byte-exact re-encoding");
        assert_eq!(
            (h_new.addrs, h_new.ttl),
            (h_old.addrs, h_old.ttl),
            "{name:?}: same envelope"
        );
        assert_eq!(
            p_new, p_old,
            "{name:?}: keepalived sends the same bytes as when the vectors were made"
        );
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(checked, 14);
    let leftovers = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns");
    assert!(
        !String::from_utf8_lossy(&leftovers.stdout).contains("hvcap"),
        "namespaces left behind"
    );
}

/// An AH advert captured afresh verifies with its `auth_pass` and carries the committed VRRP
/// message; the first advert of a run (IP id 1, sequence number 1) is the same packet, byte for
/// byte (the last one's numbers depend on how many adverts the run sent).
fn ah_matches(name: &str, committed: &Path, fresh: &Path) {
    let load =
        |p: &Path| hex::decode(std::fs::read_to_string(p).expect("vector").trim()).expect("hex");
    let (old, new) = (load(committed), load(fresh));
    let (o, n) = (
        vrrp::ah::open(&old).expect("committed opens"),
        vrrp::ah::open(&new).expect("fresh opens"),
    );
    let unicast = name.contains("unicast");
    let pass = if unicast { "longersecret" } else { "secret" };
    vrrp::ah::AhSession::new(vrrp::ah::Key::from_pass(pass), unicast)
        .verify(&new, &n, true)
        .unwrap_or_else(|r| panic!("{name}: {r}"));
    assert_eq!(n.vrrp, o.vrrp, "{name}: the same VRRP message");
    if !name.contains("prio0") {
        assert_eq!(new, old, "{name}: the same packet");
    }
}
