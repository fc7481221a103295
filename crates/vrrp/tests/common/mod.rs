//! Helpers shared by the router tests.
#![allow(dead_code)]

use std::net::IpAddr;
use vrrp::{Action, Advert, Event, Micros, Router, RouterConfig, State, Timestamp, Version};

/// An advert captured from keepalived (`tests/data/keepalived/NAME.hex`), as bytes.
pub fn load_vector(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/keepalived/{name}.hex",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    hex::decode(text.trim()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses a test address.
pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// keepalived defaults: v2, 1 s, VIP 10.0.0.100, primary 10.0.0.<host>.
pub fn cfg(host: u8, priority: u8) -> RouterConfig {
    let mut c = RouterConfig::new(51, ip(&format!("10.0.0.{host}")), vec![ip("10.0.0.100")]);
    c.priority = priority;
    c
}

/// Seconds as a timestamp.
pub fn at(secs: f64) -> Timestamp {
    Timestamp((secs * 1e6).round() as u64)
}

/// Microseconds.
pub fn us(n: u64) -> Micros {
    Micros(n)
}

/// The advert `cfg` would send at `priority`.
pub fn advert_of(c: &RouterConfig, priority: u8) -> Advert {
    Advert {
        version: c.version,
        vrid: c.vrid,
        priority,
        interval: c.advert_interval,
        auth: c.auth,
        addresses: c.virtual_addresses.clone(),
    }
}

/// A multicast advert event from `src` matching `c` except for `priority`.
pub fn rx(c: &RouterConfig, src: &str, priority: u8) -> Event {
    Event::Advert {
        src: ip(src),
        ttl: 255,
        multicast: !c.is_unicast(),
        advert: advert_of(c, priority),
    }
}

/// A started router.
pub fn started(c: RouterConfig, now: Timestamp) -> Router {
    let mut r = Router::new(c).expect("valid config");
    r.handle(now, Event::Startup);
    r
}

/// A router that became master at `now` (after start-up as backup and a down-timer expiry).
pub fn master(c: RouterConfig) -> (Router, Timestamp) {
    let mut r = started(c, Timestamp(0));
    let t = r.next_deadline().expect("down timer");
    r.handle(t, Event::Timer);
    assert_eq!(r.state(), State::Master);
    (r, t)
}

/// True if the actions contain an advert at `priority`.
pub fn sent(actions: &[Action], priority: u8) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::SendAdvert(ad) if ad.priority == priority))
}

/// v3 config.
pub fn v3(mut c: RouterConfig, centis: u16) -> RouterConfig {
    c.version = Version::V3;
    c.advert_interval = vrrp::AdvertInterval::from_centis(centis).expect("non-zero");
    c
}
