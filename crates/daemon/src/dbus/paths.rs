//! keepalived's object paths and state values for its D-Bus service (`vrrp_dbus.c`):
//! `/org/keepalived/Vrrp1[/<net_namespace>][/<instance>]/Vrrp` for the daemon and
//! `.../Instance/<interface>/<vrid>/<IPv4|IPv6>` for each VRRP instance, every character of a
//! component that is not an ASCII letter or digit written `_`.

/// The root of every path.
pub const ROOT: &str = "/org/keepalived/Vrrp1";

/// A path component as keepalived writes it: non-alphanumerics become `_`.
pub fn component(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // An empty component is not a valid object path; keepalived never makes one either.
    if s.is_empty() { "_".into() } else { s }
}

fn prefix(prefix: &[String]) -> String {
    let mut p = ROOT.to_string();
    for c in prefix {
        p.push('/');
        p.push_str(&component(c));
    }
    p
}

/// The daemon's object: `.../Vrrp`.
pub fn vrrp(path_prefix: &[String]) -> String {
    format!("{}/Vrrp", prefix(path_prefix))
}

/// An instance's object; `family` as the control protocol writes it (`inet`, `inet6`).
pub fn instance(path_prefix: &[String], interface: &str, vrid: u8, family: &str) -> String {
    let family = match family {
        "inet" => "IPv4",
        "inet6" => "IPv6",
        _ => "None",
    };
    format!(
        "{}/Instance/{}/{vrid}/{family}",
        prefix(path_prefix),
        component(interface)
    )
}

/// keepalived's `State` property: its state number and name (`Init`, `Backup`, `Master`,
/// `Fault`, `Stop`), from the control protocol's state (`MASTER`, ...).
pub fn state(state: &str) -> (u32, String) {
    let name = match state {
        "BACKUP" => "Backup",
        "MASTER" => "Master",
        "FAULT" => "Fault",
        "STOP" => "Stop",
        _ => "Init",
    };
    (u32::from(crate::dumps::state_code(state)), name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_keepalived_writes_them() {
        assert_eq!(vrrp(&[]), "/org/keepalived/Vrrp1/Vrrp");
        assert_eq!(
            instance(&[], "eth0.10", 51, "inet"),
            "/org/keepalived/Vrrp1/Instance/eth0_10/51/IPv4"
        );
        let p = ["blue".to_string(), "k-1".to_string()];
        assert_eq!(
            instance(&p, "eth0", 7, "inet6"),
            "/org/keepalived/Vrrp1/blue/k_1/Instance/eth0/7/IPv6"
        );
        assert_eq!(state("MASTER"), (2, "Master".into()));
        assert_eq!(state("FAULT"), (3, "Fault".into()));
    }
}
