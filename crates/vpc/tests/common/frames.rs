//! Frames for the switch's tests, and bringing a switch up to date from a service.

use super::Api;
use std::net::Ipv4Addr;
use vpc::dataplane::frame::{self, Arp, BROADCAST};
use vpc::dataplane::switch::{Out, Switch};
use vpc::service::Update;

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("ip")
}

pub fn arp(op: u16, sha: [u8; 6], spa: &str, tha: [u8; 6], tpa: &str) -> Vec<u8> {
    let a = Arp {
        op,
        sha,
        spa: ip(spa),
        tha,
        tpa: ip(tpa),
    };
    frame::arp_frame(BROADCAST, sha, &a)
}

pub fn udp(src_mac: [u8; 6], dst_mac: [u8; 6], src: &str, dst: &str) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&frame::ETH_IPV4.to_be_bytes());
    f.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&ip(src).octets());
    f.extend_from_slice(&ip(dst).octets());
    f.extend_from_slice(&[0x30, 0x39, 0x30, 0x39, 0, 8, 0, 0]);
    f
}

/// A switch with gateway MAC `gw`, `enis` attached to ports 1, 2, ... in order and the public
/// port on 9, brought up to date with the API's state.
pub fn attached(api: &Api, gw: [u8; 6], enis: &[String]) -> Switch {
    let mut sw = Switch::new(gw);
    let ports: Vec<(u32, String)> = enis
        .iter()
        .enumerate()
        .map(|(k, e)| (k as u32 + 1, e.clone()))
        .collect();
    sw.attach(&ports, Some(9));
    follow(api, &mut sw);
    sw
}

/// Brings the switch up to date as the data plane's long poll does.
pub fn follow(api: &Api, sw: &mut Switch) {
    let epoch = if sw.version() == 0 {
        ""
    } else {
        api.service.epoch()
    };
    match api.service.catch_up(epoch, sw.version()).expect("catch up") {
        (v, Update::Changes(c)) => sw.apply(&c, v),
        (v, Update::State(cloud)) => sw.load(*cloud, v),
    }
}

pub fn sent(outs: &[Out]) -> Vec<(u32, Vec<u8>)> {
    outs.iter()
        .filter_map(|o| match o {
            Out::Send { ifindex, frame } => Some((*ifindex, frame.clone())),
            Out::Report { .. } => None,
        })
        .collect()
}
