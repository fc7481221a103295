//! Prometheus metrics (`--metrics-listen`): the names and labels of the widely used keepalived
//! exporter (`keepalived_vrrp_state{iname,intf,vrid,ip_address}`, `keepalived_*_total`), so its
//! dashboards work unchanged, plus havip's own (`havip_*`). Rendered per scrape from the same
//! status the control socket gives, plus what the loop records here.

mod guard;
mod histogram;
mod probes;
pub mod reference;
mod render;
mod requests;
mod server;

pub use histogram::Histogram;
pub use render::render;
pub use requests::Scrape;
pub use server::serve;

use std::collections::BTreeMap;

/// What the event loop records for the metrics beyond the instances' own counters.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Transitions by (instance, from, to, reason kind).
    pub transitions: BTreeMap<(String, String, String, &'static str), u64>,
    /// How late timers fired, in seconds.
    pub timer_lateness: Histogram,
    /// Time between accepted adverts, per instance.
    pub advert_gaps: BTreeMap<String, Histogram>,
    /// Tasks alive in the daemon's runtime when last scraped.
    pub tasks: usize,
    /// E-mail alerts (sent, failed, dropped) when last scraped.
    pub mail: (u64, u64, u64),
}
