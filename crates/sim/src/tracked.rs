//! Faults a server's node observes or suffers: links, cables, partitions, simulated scripts
//! and processes, maintenance, reloads, and the planted sync-group bug.

use crate::host::{self, Setup};
use crate::network::{Kind, Network};
use crate::record::NodeId;
use node::reload::Plan;
use node::tracking::processes::{Cause, Crossing};
use node::{InstanceId, Observation};
use vrrp::Event;

impl Network {
    /// Every interface of the server goes down (its node observes it) or up.
    pub fn set_link(&mut self, node: NodeId, up: bool) {
        let names: Vec<String> = self.servers[node.0]
            .interfaces
            .iter()
            .map(|i| i.name.clone())
            .collect();
        for name in names {
            self.set_interface(node, &name, up);
        }
    }

    /// One interface of the server goes down or up (a link flap): nothing is sent or received
    /// on it while down, and the node observes it.
    pub fn set_interface(&mut self, node: NodeId, interface: &str, up: bool) {
        let s = node.0;
        let Some(i) = self.servers[s]
            .interfaces
            .iter()
            .position(|x| x.name == interface)
        else {
            return;
        };
        self.servers[s].links_up[i] = up;
        for k in 0..self.servers[s].slots.len() {
            self.update_serving(s, k);
        }
        let obs = Observation::Link {
            name: interface.to_string(),
            up,
        };
        self.observe(s, &obs);
    }

    /// Cuts the server off the LAN (or reconnects it) without telling its node: a cable
    /// pulled at the switch. Its addresses stay configured, but nobody can reach them.
    pub fn set_cut(&mut self, node: NodeId, cut: bool) {
        self.servers[node.0].cut = cut;
        for k in 0..self.servers[node.0].slots.len() {
            self.update_serving(node.0, k);
        }
    }

    /// Drops all adverts between the two groups, both ways, until [`Network::heal`].
    pub fn partition(&mut self, a: &[NodeId], b: &[NodeId]) {
        for x in a {
            for y in b {
                self.blocked.insert((x.0, y.0));
                self.blocked.insert((y.0, x.0));
            }
        }
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Every instance of the server is told a tracked object failed (`true`) or recovered,
    /// bypassing tracking (for bare routers; configs use [`Network::set_checks`]).
    pub fn set_track_fault(&mut self, node: NodeId, failed: bool) {
        self.feed_all(node.0, Event::TrackFault(failed));
    }

    /// Maintenance on (a master hands over make-before-break) or off, on every instance.
    pub fn set_maintenance(&mut self, node: NodeId, on: bool) {
        self.feed_all(node.0, Event::Maintenance(on));
    }

    /// Every instance's effective priority is set, bypassing tracking.
    pub fn set_priority(&mut self, node: NodeId, priority: u8) {
        self.feed_all(node.0, Event::PriorityChange(priority));
    }

    /// The simulated `vrrp_script` `name` of the server passes or fails from now on (its
    /// node sees the result at the script's next run, every interval). Returns whether the
    /// server's config has that script.
    pub fn set_script(&mut self, node: NodeId, name: &str, ok: bool) -> bool {
        self.set_probe(node, |p| p.interval.0 > 0 && p.name == name, ok) > 0
    }

    /// Every simulated script of the server passes or fails from now on; how many it has.
    pub fn set_checks(&mut self, node: NodeId, ok: bool) -> usize {
        self.set_probe(node, |p| p.interval.0 > 0, ok)
    }

    /// Every tracked process of the server runs (in quorum) or dies; how many it tracks.
    /// The node observes the change at once (its terminate or fork delay applies).
    pub fn set_processes(&mut self, node: NodeId, running: bool) -> usize {
        let s = node.0;
        let n = self.set_probe(node, |p| p.interval.0 == 0, running);
        let names: Vec<String> = self.servers[s]
            .probes
            .iter()
            .filter(|p| p.interval.0 == 0)
            .map(|p| p.name.clone())
            .collect();
        for name in names {
            self.observe(s, &process_obs(name, running, Cause::Exit));
        }
        n
    }

    fn set_probe(&mut self, node: NodeId, pick: impl Fn(&host::Probe) -> bool, ok: bool) -> usize {
        let mut n = 0;
        for p in &mut self.servers[node.0].probes {
            if pick(p) {
                p.ok = ok;
                n += 1;
            }
        }
        n
    }

    /// Plants the sync-group bug in the server's node (now and at every restart): a member's
    /// transition no longer takes its group along. For chaos campaigns that must catch it.
    pub fn plant_unsynced_groups(&mut self, node: NodeId, on: bool) {
        let server = &mut self.servers[node.0];
        server.unsynced_groups = on;
        server.node.plant_unsynced_groups(on);
    }

    /// Reloads the server's daemon with a new keepalived.conf `text`, as havipd does: the
    /// instances it changes or removes stop, unchanged ones keep running (and are told what
    /// tracking says now), new ones start. A config havipd would refuse is an error and
    /// changes nothing.
    pub fn reload(&mut self, node: NodeId, text: &str) -> Result<(), String> {
        let s = node.0;
        let setup = Setup::Config(Box::new(host::read_config(text)?));
        let (new, ifaces) = host::build(&setup, &self.servers[s].interfaces, self.now)?;
        self.servers[s].setup = setup;
        let keep_probes = std::mem::take(&mut self.servers[s].probes);
        let mut probes = host::probes(&self.servers[s].setup);
        for p in &mut probes {
            if let Some(old) = keep_probes.iter().find(|o| o.name == p.name) {
                p.ok = old.ok;
            }
        }
        self.servers[s].probes = probes;
        if !self.servers[s].running {
            return self.install_slots(s, &ifaces);
        }
        let (members, tracker, pacer) = new.into_parts();
        let plan = {
            let running = &self.servers[s].node;
            Plan::new(running.len(), members.len(), |old, n| {
                running.name(old) == members[n].name
                    && running.router(old).config() == members[n].router.config()
            })
        };
        for &id in plan.stopped() {
            self.with_node(s, |node, now, out| node.stop(now, id, out));
            let k = id.index();
            self.set_holds(s, k, false);
        }
        let old_holds = std::mem::take(&mut self.servers[s].holds);
        self.servers[s].node.reload(&plan, members, tracker, pacer);
        self.servers[s].serving.clear();
        self.install_slots(s, &ifaces)?;
        // Kept instances keep holding what they held.
        let holds = plan.arrange(
            old_holds,
            vec![false; self.servers[s].slots.len()],
            |old, _| old,
            |new, _| new,
        );
        self.servers[s].holds = holds;
        for k in 0..self.servers[s].slots.len() {
            self.update_serving(s, k);
        }
        self.servers[s].life += 1;
        for id in self.servers[s].node.ids() {
            if plan.keeps(id) {
                self.with_node(s, |node, now, out| node.retrack(now, id, out));
            }
        }
        for id in plan.started().collect::<Vec<InstanceId>>() {
            self.with_node(s, |node, now, out| node.start(now, id, out));
        }
        self.schedule_scripts(s);
        self.rearm(s);
        Ok(())
    }

    fn with_node(
        &mut self,
        s: usize,
        f: impl FnOnce(&mut node::Node, vrrp::Timestamp, &mut Vec<node::Effect>),
    ) {
        let now = self.now;
        let mut out = std::mem::take(&mut self.effects);
        f(&mut self.servers[s].node, now, &mut out);
        self.carry_out(s, out);
    }

    /// Tells a freshly built node what its host looks like: links down, processes dead.
    pub(crate) fn observe_host(&mut self, s: usize) {
        let server = &self.servers[s];
        let mut obs: Vec<Observation> = server
            .interfaces
            .iter()
            .zip(&server.links_up)
            .filter(|(_, up)| !**up)
            .map(|(i, _)| Observation::Link {
                name: i.name.clone(),
                up: false,
            })
            .collect();
        obs.extend(
            server
                .probes
                .iter()
                .filter(|p| p.interval.0 == 0 && !p.ok)
                .map(|p| process_obs(p.name.clone(), false, Cause::Start)),
        );
        for o in &obs {
            self.observe(s, o);
        }
    }

    /// The node observes `obs` now.
    pub(crate) fn observe(&mut self, s: usize, obs: &Observation) {
        if !self.servers[s].running {
            return;
        }
        self.with_node(s, |node, now, out| node.observe(now, obs, out));
        self.rearm(s);
    }

    /// Schedules each script's first run of this life (its interval from now).
    pub(crate) fn schedule_scripts(&mut self, s: usize) {
        let server = &self.servers[s];
        let life = server.life;
        let runs: Vec<(usize, vrrp::Micros)> = server
            .probes
            .iter()
            .enumerate()
            .filter(|(_, p)| p.interval.0 > 0)
            .map(|(k, p)| (k, p.interval))
            .collect();
        for (probe, interval) in runs {
            self.push(
                self.now + interval,
                Kind::Script {
                    node: s,
                    probe,
                    life,
                },
            );
        }
    }

    /// A script run: its node observes the simulated result; the next run is scheduled.
    pub(crate) fn run_script(&mut self, s: usize, probe: usize, life: u64) {
        let server = &self.servers[s];
        if !server.running || server.life != life {
            return;
        }
        let p = &server.probes[probe];
        let obs = Observation::Script {
            name: p.name.clone(),
            success: p.ok,
        };
        let next = self.now + p.interval;
        self.observe(s, &obs);
        self.push(
            next,
            Kind::Script {
                node: s,
                probe,
                life,
            },
        );
    }
}

fn process_obs(name: String, in_quorum: bool, cause: Cause) -> Observation {
    Observation::Process {
        source: 0,
        crossing: Crossing {
            name,
            in_quorum,
            grew: in_quorum,
            cause,
        },
    }
}
