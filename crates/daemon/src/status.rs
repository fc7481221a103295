//! Answers to control requests, computed by the event loop from the running daemon's own
//! state (never from files a script wrote): status, events, reload, GARP, maintenance.

use crate::control::Answer;
use crate::instance::Instance;
use crate::run::Daemon;
use ctl::{InstanceStatus, PeerSeen, Reply, Request, Status, VipStatus};
use node::InstanceId;
use std::collections::BTreeMap;
use std::net::IpAddr;
use tracing::info;
use vrrp::{Event, Family, Micros, State};

fn ms(m: Micros) -> f64 {
    m.0 as f64 / 1000.0
}

/// A serializable value's numeric fields, by name.
pub fn counters(value: &impl serde::Serialize) -> BTreeMap<String, u64> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_u64()?)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

impl Daemon {
    /// Carries out a control request.
    pub async fn answer(&mut self, request: Request) -> Answer {
        let reply = match request {
            Request::Status => Reply::Status(self.status().await),
            Request::Events { follow } => {
                let history = self
                    .events
                    .history()
                    .into_iter()
                    .map(Reply::Event)
                    .collect();
                return if follow {
                    Answer::Follow(history, self.events.follow())
                } else {
                    Answer::Replies(history)
                };
            }
            Request::Reload => Reply::Reload(self.reload().await),
            Request::SendGarp { instance } => self.send_garp(&instance).await,
            Request::Maintenance { on, instance } => self.maintenance(on, instance).await,
        };
        Answer::Replies(vec![reply])
    }

    fn find(&self, name: &str) -> Result<InstanceId, Reply> {
        self.node.find(name).ok_or_else(|| Reply::Error {
            message: format!(
                "no instance `{name}`; the instances are: {}",
                self.instances
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    async fn send_garp(&mut self, name: &str) -> Reply {
        let k = match self.find(name) {
            Ok(k) => k,
            Err(e) => return e,
        };
        let router = self.node.router(k);
        if router.state() != State::Master {
            return Reply::Error {
                message: format!(
                    "{name} is {}, not MASTER: it has no address to announce",
                    router.state()
                ),
            };
        }
        let repeat = router.config().garp.master_repeat.max(1);
        info!(instance = %name, repeat, "announcing on request");
        self.announce(k, repeat);
        Reply::Done {
            message: format!(
                "{name}: {repeat} round(s) of announcements for {} address(es)",
                self.instances[k].vips.len() + self.instances[k].excluded.len()
            ),
        }
    }

    async fn maintenance(&mut self, on: bool, name: Option<String>) -> Reply {
        let targets: Vec<InstanceId> = match &name {
            Some(n) => match self.find(n) {
                Ok(k) => vec![k],
                Err(e) => return e,
            },
            None => self.node.ids().collect(),
        };
        let mut lines = Vec::new();
        for k in targets {
            let before = self.node.router(k).state();
            let was = self.node.router(k).in_maintenance();
            info!(instance = %self.instances[k].name, on, "maintenance requested");
            self.handle(k, Event::Maintenance(on)).await;
            let (i, r) = (&self.instances[k], self.node.router(k));
            let what = match (was == on, on, before) {
                (true, _, _) => "unchanged",
                (false, true, State::Master) => {
                    "handing over to a peer; addresses kept until it advertises"
                }
                (false, true, _) => "stays out of mastership (priority 1)",
                (false, false, _) => "priority restored",
            };
            lines.push(format!(
                "{}: maintenance {}, {} ({}, priority {})",
                i.name,
                if on { "on" } else { "off" },
                what,
                r.state(),
                r.effective_priority()
            ));
        }
        Reply::Done {
            message: lines.join("\n"),
        }
    }

    /// The Prometheus exposition, now.
    pub async fn metrics_text(&mut self) -> String {
        let status = self.status().await;
        self.recorder.tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        self.recorder.mail = self.mail.counts();
        crate::metrics::render(&status, &self.recorder, &self.node.tracker().scripts())
    }

    /// The whole status, now.
    pub async fn status(&self) -> Status {
        let mut instances = Vec::new();
        for (id, inst) in self.instances.enumerate() {
            instances.push(self.instance_status(id, inst).await);
        }
        Status {
            pid: std::process::id(),
            config: self.setup.file.display().to_string(),
            started: self.started,
            dropped: counters(&self.dropped_total()),
            instances,
        }
    }

    async fn instance_status(&self, id: InstanceId, inst: &Instance) -> InstanceStatus {
        let r = self.node.router(id);
        let cfg = r.config();
        let mi = r.master_interval();
        let p = r.effective_priority();
        let master = if r.state() == State::Master {
            Some(PeerSeen {
                address: inst.primary.to_string(),
                priority: p,
            })
        } else {
            r.master_seen().map(|(a, prio)| PeerSeen {
                address: a.to_string(),
                priority: prio,
            })
        };
        let mut counters = counters(r.stats());
        counters.extend(crate::status::counters(&inst.send_errors));
        if let Some(a) = &inst.auth {
            counters.extend(crate::status::counters(a.stats()));
        }
        if let Some(a) = &inst.ah {
            counters.extend(crate::status::counters(a.stats()));
        }
        InstanceStatus {
            name: inst.name.clone(),
            interface: inst.ifname.clone(),
            vrid: cfg.vrid,
            version: if cfg.version == vrrp::Version::V2 {
                2
            } else {
                3
            },
            family: if inst.family == Family::Ipv4 {
                "inet"
            } else {
                "inet6"
            }
            .into(),
            state: r.state().to_string(),
            wanted_state: if r.in_maintenance() || !cfg.start_as_master {
                "BACKUP"
            } else {
                "MASTER"
            }
            .into(),
            maintenance: r.in_maintenance(),
            handing_over: r.handing_over(),
            base_priority: cfg.priority,
            effective_priority: p,
            master,
            advert_int_ms: ms(Micros(cfg.advert_interval.micros())),
            master_adver_int_ms: ms(mi),
            skew_ms: ms(vrrp::timing::skew(cfg.version, p, mi)),
            master_down_interval_ms: ms(vrrp::timing::master_down_interval(
                cfg.version,
                cfg.down_timer_adverts,
                p,
                mi,
            )),
            since_last_advert_ms: inst.last_advert.map(|t| t.elapsed().as_secs_f64() * 1000.0),
            last_transition: inst.last_transition.clone(),
            vips: self.vip_status(inst, r).await,
            trackers: self.node.tracker().objects(id.index()),
            counters,
            mover: self.movers.status(&inst.name),
        }
    }

    /// Each virtual address and whether the kernel has it on its interface now.
    async fn vip_status(&self, inst: &Instance, r: &vrrp::Router) -> Vec<VipStatus> {
        let expected = r.state() == State::Master || r.handing_over();
        let mut on: BTreeMap<u32, Vec<(IpAddr, u8)>> = BTreeMap::new();
        let mut out = Vec::new();
        for (v, index) in inst.vips.iter().chain(&inst.excluded) {
            if !on.contains_key(index) {
                let addrs = self.netlink.addresses(*index).await.unwrap_or_default();
                on.insert(*index, addrs);
            }
            let present = on[index].iter().any(|(a, _)| *a == v.addr);
            let interface = match (&v.dev, &inst.vmac) {
                (Some(dev), _) => dev.clone(),
                (None, Some(vmac)) => vmac.name.clone(),
                (None, None) => inst.ifname.clone(),
            };
            out.push(VipStatus {
                address: format!("{}/{}", v.addr, v.prefix),
                interface,
                present,
                expected,
            });
        }
        out
    }
}
