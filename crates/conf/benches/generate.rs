//! A large, valid keepalived.conf: `n` unicast instances spread over eth0..eth3 (250 VRIDs per
//! interface), each with a VIP, GARP settings and a tracked script.

/// The config text.
pub fn config(n: usize) -> String {
    let mut s = String::from(
        "global_defs {\n    router_id bench\n    enable_script_security\n    script_user root\n}\n\n",
    );
    s.push_str("vrrp_script chk {\n    script \"/bin/true\"\n    interval 5\n    timeout 3\n}\n\n");
    for k in 0..n {
        let (iface, vrid) = (k / 250, k % 250 + 1);
        let (a, b) = (k / 250, k % 250);
        s.push_str(&format!(
            "vrrp_instance VI_{k} {{\n    state BACKUP\n    interface eth{iface}\n    virtual_router_id {vrid}\n    priority 100\n    nopreempt\n    advert_int 1\n    authentication {{\n        auth_type PASS\n        auth_pass 1111\n    }}\n    unicast_src_ip 10.{a}.{b}.5\n    unicast_peer {{\n        10.{a}.{b}.6\n    }}\n    virtual_ipaddress {{\n        10.{a}.{b}.100/24 dev eth{iface}\n    }}\n    garp_master_delay 1\n    garp_master_refresh 5\n    track_script {{\n        chk\n    }}\n}}\n\n"
        ));
    }
    s
}
