//! The lab a drill runs in: the topology, the daemons, the services, the attacker; the steps
//! applied to it.

use super::Scenario;
use super::scenario::{Action, edited};
use crate::cluster::Cluster;
use crate::daemon::{self, Kind, Running};
use crate::faults;
use crate::tcp::{self, Worker};
use crate::topology::Topology;
use anyhow::{Context, Result, anyhow, bail};
use std::time::Duration;

/// The running pieces of a drill.
pub(super) struct Drill<'a> {
    pub(super) topo: Topology,
    /// The VPC's control and data planes, in a `--vpc` drill.
    pub(super) plane: Option<crate::vpc::Plane>,
    /// The OVN fabric under the VPC, in a `--vpc ovn` drill (stopped after the planes).
    pub(super) fabric: Option<crate::ovn::Fabric>,
    /// Its chassis a step cut the power of, to bring back at the reset.
    pub(super) powered_off: Vec<usize>,
    /// The database members a step cut the power of (`nb1`, ...), to bring back at the reset.
    pub(super) db_cut: Vec<String>,
    /// The chassis running the EIP gateway when the probes started (OVN).
    pub(super) gateway_at_start: String,
    pub(super) kinds: [Kind; 2],
    pub(super) scenario: &'a Scenario,
    /// What runs where.
    pub(super) cluster: Cluster,
    /// The servers playing the built-in scenarios' `a` and `b`, once elected.
    pub(super) roles: Vec<usize>,
    pub(super) daemons: Vec<Option<Running>>,
    pub(super) services: Vec<Option<Worker<()>>>,
    pub(super) attacker: crate::attack::Attacker,
    pub(super) x: Option<crate::topology::Node>,
    /// The services the configs track, one per server, in a scenario that kills them.
    pub(super) tracked: Vec<super::service::Service>,
    /// In a VPC without a HAVIP: the servers' movers (files, script, ways to the API).
    pub(super) movers: Option<crate::mover::Movers>,
    /// The cloud's bad days for each run.
    pub(super) api_faults: vpc::faults::Faults,
    /// The owner check's grace, if not the default.
    pub(super) owner_grace: Option<Duration>,
    /// Servers cut off now (cable out, link down): neither master for the owner check nor
    /// reaching the API.
    pub(super) offline: Vec<bool>,
}

impl Drill<'_> {
    fn attacker_node(&self, node: &str) -> Result<crate::topology::Node> {
        match &self.x {
            Some(x) if x.name == node => Ok(x.clone()),
            _ => Err(anyhow!(
                "`{node}` is not the attacker; forge and replay steps run on `x`"
            )),
        }
    }

    fn apply_attack(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::Forge {
                node,
                priority,
                key,
                clock_offset,
                spoof,
            } => {
                let x = self.attacker_node(node)?;
                let source = match spoof {
                    Some(server) => self.topo.servers[self.index(server)?].addr.parse()?,
                    None => x.addr.parse()?,
                };
                let seed = crate::sim::router_config(&self.config(0))?;
                let advert = vrrp::Advert {
                    version: seed.version,
                    vrid: seed.vrid,
                    priority: *priority,
                    interval: seed.advert_interval,
                    auth: seed.auth,
                    addresses: seed.virtual_addresses.clone(),
                };
                let signed = match key {
                    Some(k) => Some((
                        1,
                        conf::build::auth_hmac::decode(k).map_err(|e| anyhow!("forge key: {e}"))?,
                        *clock_offset,
                    )),
                    None => None,
                };
                let forgery = crate::attack::Forgery {
                    advert,
                    signed,
                    source,
                };
                let vip = self.cluster.vips[0].addr.to_string();
                self.attacker.forge(&self.topo, &x, forgery, &vip)
            }
            Action::Capture { node } => {
                let k = self.index(node)?;
                let server = self.topo.servers[k].clone();
                self.attacker.capture(&self.topo, &server)
            }
            Action::Replay { node } => {
                let x = self.attacker_node(node)?;
                self.attacker.replay(&x)
            }
            _ => Ok(()),
        }
    }

    /// havipd's authentication counters (auth_hmac's, AH's, and the auth type mismatches),
    /// after a SIGUSR2 asks it to write them.
    pub(super) fn auth_rejections(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let mut out = std::collections::BTreeMap::new();
        for (k, dmn) in self.daemons.iter().enumerate() {
            let Some(dmn) = dmn.as_ref().filter(|d| d.kind == Kind::Havipd) else {
                continue;
            };
            if dmn.signal("USR2").is_err() {
                continue;
            }
            std::thread::sleep(Duration::from_millis(300));
            let stats: serde_json::Value =
                std::fs::read_to_string(dmn.state_dir.join("stats.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
            let Some(instances) = stats["instances"].as_object() else {
                continue;
            };
            for (name, counters) in instances {
                let auth: serde_json::Map<String, serde_json::Value> = counters
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(c, _)| {
                        c.starts_with("auth_ext_")
                            || c.starts_with("auth_ah_")
                            || *c == "authtype_mismatch"
                    })
                    .map(|(c, v)| (c.clone(), v.clone()))
                    .collect();
                // Instances that authenticate (a mismatch count alone says nothing).
                if auth.len() > 1 {
                    let server = &self.topo.servers[k].label;
                    out.insert(format!("{server}/{name}"), serde_json::Value::Object(auth));
                }
            }
        }
        out
    }
    fn config(&self, k: usize) -> String {
        let node = &self.topo.servers[k].name;
        let keepalived = matches!(
            self.kinds[k.min(1)],
            daemon::Kind::Keepalived | daemon::Kind::Keepalived24
        );
        let mut edits = match (&self.scenario.keepalived_edits, keepalived) {
            (Some(e), true) => e.clone(),
            _ => self.scenario.edits.clone(),
        };
        if let Some(m) = self.movers.as_ref().filter(|_| keepalived) {
            edits.insert(
                0,
                super::Edit {
                    line: "notify_master".into(),
                    with: format!("    {}", m.notify[k]),
                },
            );
        }
        edited(
            &self.cluster.members[k].config,
            &edits,
            node,
            &self.topo.dir.display().to_string(),
        )
    }

    pub(super) fn start_daemon(&mut self, k: usize) -> Result<()> {
        let server = self.topo.servers[k].clone();
        let config = self.config(k);
        let mut args = self.scenario.havipd_args.clone();
        if let Some(m) = &self.movers {
            args.extend(m.havipd_args(k));
        }
        self.daemons[k] = Some(daemon::start_with(
            self.kinds[k.min(1)],
            &self.topo,
            &server,
            &config,
            &args,
        )?);
        Ok(())
    }

    /// Cuts or restores server `k`'s cable, or takes its link down or up; it reaches the API
    /// only while both are in.
    fn connect(&mut self, k: usize, action: &Action) -> Result<()> {
        let server = self.topo.servers[k].clone();
        let on = matches!(action, Action::Restore { .. } | Action::LinkUp { .. });
        self.set_offline(k, !on);
        match action {
            Action::Cut { .. } | Action::Restore { .. } => self.topo.cable(&server, on),
            _ => faults::link(&server.ns, &server.iface, on),
        }
    }

    /// Everything on server `k` dies at once, as in a power cut (no daemon resigns), and its
    /// namespace is built again with its service (and its way to the API).
    fn reboot(&mut self, k: usize) -> Result<()> {
        let server = self.topo.servers[k].clone();
        faults::kill_all_at_once(&server.ns, &[std::process::id()]);
        self.services[k] = None;
        self.daemons[k] = None;
        self.topo.rebuild(&server)?;
        self.services[k] = Some(tcp::serve(&server.ns, &server.label)?);
        if let Some(m) = self.movers.as_mut() {
            m.restart_relay(k)?;
        }
        Ok(())
    }

    /// Records whether server `k` is cut off, and cuts (or restores) its way to the API.
    fn set_offline(&mut self, k: usize, off: bool) {
        self.offline[k] = off;
        if let Some(m) = &self.movers {
            m.set_reachable(k, !off);
        }
    }

    /// havipd: maintenance on through its control socket; keepalived: stopped.
    fn maintenance(&mut self, k: usize) -> Result<()> {
        let Some(d) = self.daemons[k].as_mut() else {
            bail!("no daemon runs on {}", self.topo.servers[k].name);
        };
        if d.kind != Kind::Havipd {
            let node = self.topo.servers[k].name.clone();
            return self.apply(&Action::Stop { node });
        }
        let socket = d.state_dir.join(ctl::SOCKET_NAME);
        let request = ctl::Request::Maintenance {
            on: true,
            instance: None,
        };
        match ctl::Client::one(&socket, &request)? {
            ctl::Reply::Done { .. } => Ok(()),
            other => bail!("havipd refused maintenance: {other:?}"),
        }
    }

    /// A step's server: by label, else a built-in role (`a`, `b`) as elected.
    fn index(&self, node: &str) -> Result<usize> {
        let by_label = self.topo.servers.iter().position(|s| s.label == node);
        let by_role = match node {
            "a" => self.roles.first().copied(),
            "b" => self.roles.get(1).copied(),
            _ => None,
        };
        by_label.or(by_role).ok_or_else(|| {
            let labels: Vec<&str> = self.topo.servers.iter().map(|s| s.label.as_str()).collect();
            anyhow!("no server `{node}` (the servers are {})", labels.join(", "))
        })
    }

    /// Puts the lab back as it was before a run: daemons killed and their state gone, cables
    /// in, links up, VRRP let through, loss and delay removed, checks passing, services
    /// running, the VIP off every host. Best effort: each undo is harmless when there is nothing to undo.
    pub(super) fn reset(&mut self) {
        let _ = self.attacker.finish();
        for k in 0..self.daemons.len() {
            if let Some(mut d) = self.daemons[k].take() {
                let _ = d.signal("KILL");
                d.wait_exit(Duration::from_secs(5));
                let _ = std::fs::remove_dir_all(&d.state_dir);
            }
        }
        for server in self.topo.servers.clone() {
            let ns = server.ns.as_str();
            faults::kill_all_in(ns, &[std::process::id()]);
            let _ = self.topo.cable(&server, true);
            let _ = faults::link(ns, &server.iface, true);
            let _ = faults::drop_vrrp(ns, false);
            let _ = faults::clear(ns, &server.iface);
            let _ = std::fs::remove_file(self.topo.dir.join(format!("{}.fail", server.name)));
            // A killed daemon leaves its VMAC interfaces behind.
            let _ = crate::shell::sh_in(
                ns,
                "for l in $(ip -o link show type macvlan | cut -d: -f2 | cut -d@ -f1); do ip link del $l; done",
            );
        }
        for service in &mut self.tracked {
            let _ = service.start();
        }
        self.power_on();
        for host in self.topo.servers.iter().chain(self.x.as_ref()) {
            for vip in &self.cluster.vips {
                remove_address(&host.ns, &vip.addr.to_string());
            }
        }
        for k in 0..self.offline.len() {
            self.set_offline(k, false);
        }
    }

    /// Before a run in a VPC: the bad days off while the address goes back to the primary's
    /// ENI, then on for the run.
    pub(super) fn prepare_cloud(&self) -> Result<()> {
        let Some(plane) = &self.plane else {
            return Ok(());
        };
        plane.set_faults(&vpc::faults::Faults::default())?;
        if let Some(m) = &self.movers {
            m.reset(plane)?;
        }
        plane.set_faults(&self.api_faults)
    }

    pub(super) fn apply(&mut self, action: &Action) -> Result<()> {
        if action.is_attack() {
            return self.apply_attack(action);
        }
        if action.names_chassis() {
            // Names a chassis by its role, not a server.
            return self.ovn_step(action);
        }
        let k = self.index(action.node())?;
        self.apply_on(k, action)
    }

    /// Applies `action` to server `k`.
    fn apply_on(&mut self, k: usize, action: &Action) -> Result<()> {
        let server = self.topo.servers[k].clone();
        let ns = server.ns.as_str();
        let check_flag = self.topo.dir.join(format!("{}.fail", server.name));
        match action {
            Action::Cut { .. }
            | Action::Restore { .. }
            | Action::LinkDown { .. }
            | Action::LinkUp { .. } => self.connect(k, action),
            Action::Kill { .. } | Action::Stop { .. } => {
                let sig = if matches!(action, Action::Kill { .. }) {
                    "KILL"
                } else {
                    "TERM"
                };
                if let Some(d) = self.daemons[k].as_mut() {
                    d.signal(sig)?;
                    d.wait_exit(Duration::from_secs(10));
                }
                if sig == "KILL" {
                    // The main process is gone; its children (keepalived's VRRP child, havipd's
                    // worker) get SIGTERM from the kernel and resign. What has not ended within
                    // 2 s is killed, so the server is down either way.
                    faults::let_the_rest_end(ns, &[std::process::id()], Duration::from_secs(2));
                }
                Ok(())
            }
            Action::Start { .. } => self.start_daemon(k),
            Action::Maintenance { .. } => self.maintenance(k),
            Action::Reboot { .. } => self.reboot(k),
            Action::Partition { .. } => faults::drop_vrrp(ns, true),
            Action::Heal { .. } => faults::drop_vrrp(ns, false),
            Action::Loss {
                percent, spread, ..
            } => faults::loss(ns, *percent, *spread),
            Action::Delay { ms, .. } => faults::delay(ns, &server.iface, *ms),
            Action::Clear { .. } => faults::clear(ns, &server.iface),
            Action::FailCheck { .. } => std::fs::write(&check_flag, "")
                .with_context(|| format!("writing {}", check_flag.display())),
            Action::PassCheck { .. } => {
                let _ = std::fs::remove_file(&check_flag);
                Ok(())
            }
            Action::KillProcess { .. } | Action::StartProcess { .. } => {
                let Some(service) = self.tracked.get_mut(k) else {
                    bail!("no service runs on {}", server.name);
                };
                if matches!(action, Action::KillProcess { .. }) {
                    service.kill()
                } else {
                    service.start()
                }
            }
            Action::Claim { .. } => {
                for vip in &self.cluster.vips {
                    let (len, dad): (u8, &[&str]) = if vip.addr.is_ipv4() {
                        (32, &[])
                    } else {
                        (128, &["nodad"])
                    };
                    let a = format!("{}/{len}", vip.addr);
                    let mut argv = vec!["ip", "addr", "replace", &a, "dev", &server.iface];
                    argv.extend_from_slice(dad);
                    crate::shell::run_in(ns, &argv)?;
                }
                Ok(())
            }
            Action::Forge { .. } | Action::Capture { .. } | Action::Replay { .. } => {
                self.apply_attack(action)
            }
            Action::ChassisPowerCut { .. }
            | Action::ChassisPowerOn { .. }
            | Action::PortBurst { .. }
            | Action::DbPowerCut { .. } => self.ovn_step(action),
            Action::PortRecreate { .. } => self.recreate_port(k),
        }
    }
}

impl Drill<'_> {
    /// A step on the OVN fabric.
    fn ovn_step(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::ChassisPowerCut { .. } => self.cut_gateway(),
            Action::ChassisPowerOn { .. } => self.power_back(),
            Action::PortBurst { count, .. } => self.port_burst(*count),
            Action::DbPowerCut { node } => self.cut_db_leader(node),
            _ => bail!("`{}` is no step on the OVN fabric", action.label()),
        }
    }

    /// Server `k`'s port deleted from its chassis's integration bridge and added again as the
    /// same logical port (its ENI).
    fn recreate_port(&mut self, k: usize) -> Result<()> {
        let (Some(f), Some(plane)) = (self.fabric.as_ref(), self.plane.as_ref()) else {
            bail!("re-creating a port needs the OVN fabric (--vpc ovn)");
        };
        let server = &self.topo.servers[k];
        let eni = plane
            .enis
            .get(k)
            .ok_or_else(|| anyhow!("no ENI for {}", server.label))?;
        f.recreate_port(
            crate::vpc::chassis_of(k, f),
            &self.topo.port_of(server),
            eni,
        )
    }

    /// A burst of `count` southbound port changes through the northbound database; returns
    /// once northd has written them all, and prints what that took.
    fn port_burst(&mut self, count: u32) -> Result<()> {
        let Some(f) = self.fabric.as_ref() else {
            bail!("a port burst needs the OVN fabric (--vpc ovn)");
        };
        let b = f.port_burst(count)?;
        eprintln!(
            "port burst: {count} ports committed to the northbound database in {:.0} ms, all in \
             the southbound database {:.0} ms after the burst began",
            b.nb_ms, b.sb_ms
        );
        Ok(())
    }

    /// The chassis whose power was cut come back (without waiting for anything).
    fn power_back(&mut self) -> Result<()> {
        let Some(f) = self.fabric.as_mut() else {
            bail!("a chassis power cut needs the OVN fabric (--vpc ovn)");
        };
        if self.powered_off.is_empty() {
            bail!("no chassis was cut to come back");
        }
        for k in std::mem::take(&mut self.powered_off) {
            f.power_on(k)?;
        }
        Ok(())
    }

    /// A power cut of the chassis running the EIP gateway.
    fn cut_gateway(&mut self) -> Result<()> {
        let Some(f) = self.fabric.as_mut() else {
            bail!("a chassis power cut needs the OVN fabric (--vpc ovn)");
        };
        let k = f
            .active_gateway()?
            .ok_or_else(|| anyhow!("no chassis runs the EIP gateway"))?;
        f.power_cut(k);
        self.powered_off.push(k);
        Ok(())
    }

    /// The name of the chassis running the EIP gateway now (empty: none, or no OVN).
    pub(super) fn gateway_name(&self) -> String {
        let Some(f) = self.fabric.as_ref() else {
            return String::new();
        };
        match f.active_gateway() {
            Ok(Some(k)) => f.chassis_name(k),
            _ => String::new(),
        }
    }

    /// Brings back the chassis whose power was cut and waits (30 s at most) until the gateway
    /// runs on the preferred gateway chassis again (OVN moves it back there) and the public
    /// host reaches the EIP: the next run starts as this one did.
    fn power_on(&mut self) {
        let Some(f) = self.fabric.as_mut() else {
            return;
        };
        if !self.scenario.steps.iter().any(|s| s.action.needs_ovn()) {
            return;
        }
        for k in std::mem::take(&mut self.powered_off) {
            let _ = f.power_on(k);
        }
        let _ = f.clear_burst();
        self.db_power_on();
        let Some(f) = self.fabric.as_mut() else {
            return;
        };
        let preferred = f.gateway_chassis().next();
        let eip = self
            .plane
            .as_ref()
            .and_then(|p| Some((p.public.ns.clone(), p.eip.clone()?)));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let home = f.active_gateway().ok().flatten() == preferred;
            let answers = eip
                .as_ref()
                .is_none_or(|(ns, ip)| crate::vpc::VpcLab::ping(ns, ip, 1));
            if home && answers {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Removes `addr` from every interface of namespace `ns` that holds it.
fn remove_address(ns: &str, addr: &str) {
    let listed = crate::shell::run_in(ns, &["ip", "-o", "addr", "show", "to", addr]);
    for line in listed.unwrap_or_default().lines() {
        // `2: eth0    inet 172.16.16.12/32 scope global eth0 ...`
        let words: Vec<&str> = line.split_whitespace().collect();
        if let (Some(dev), Some(cidr)) = (words.get(1), words.get(3)) {
            let dev = dev.split('@').next().unwrap_or(dev);
            let _ = crate::shell::run_in(ns, &["ip", "addr", "del", cidr, "dev", dev]);
        }
    }
}
