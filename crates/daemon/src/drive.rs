//! Driving the node: each input goes to [`node::Node`] with the time, and the effects it writes
//! are carried out (`apply.rs`) before the next input.

use crate::observe::Observation;
use crate::run::Daemon;
use anyhow::{Context, Result};
use node::{InstanceId, Node};
use tracing::{info, warn};
use vrrp::{Event, Timestamp};

impl Daemon {
    /// Runs `step` on the node at the current time and carries out the effects it writes.
    pub async fn drive(&mut self, step: impl FnOnce(&mut Node, Timestamp, &mut Vec<node::Effect>)) {
        let now = self.clock.now();
        let mut fx = std::mem::take(&mut self.effects);
        step(&mut self.node, now, &mut fx);
        self.execute(&mut fx).await;
        self.effects = fx;
    }

    /// Runs one event through instance `id`'s router, carries out its effects and those of
    /// its sync group's follow-ups.
    pub async fn handle(&mut self, id: InstanceId, event: Event) {
        self.drive(|n, now, fx| n.handle(now, id, event, fx)).await;
    }

    /// Joins the multicast group (on the VMAC too), then starts the instance in the node
    /// (which tells its router what tracking says first).
    pub async fn start_instance(&mut self, id: InstanceId) -> Result<()> {
        let i = &self.instances[id];
        if let Some(s) = self.socket_of(i) {
            // Adverts sent from a VMAC with our own VMAC's MAC are handed by the kernel to our
            // VMAC, not to its base: listen on both.
            for group in i.destinations.iter().filter(|a| a.is_multicast()) {
                for index in std::iter::once(i.ifindex).chain(i.vmac.as_ref().map(|v| v.index)) {
                    s.join(*group, index)
                        .with_context(|| format!("({}) joining the VRRP group {group}", i.name))?;
                }
            }
        }
        info!(instance = %i.name, interface = %i.ifname, source = %i.primary, vrid = i.vrid, "starting");
        self.drive(|n, now, fx| n.start(now, id, fx)).await;
        Ok(())
    }

    /// Stops instance `id`: a master resigns, VIPs go, notify_stop runs, its VMAC is deleted.
    pub async fn stop_instance(&mut self, id: InstanceId) {
        self.drive(|n, now, fx| n.stop(now, id, fx)).await;
        if let Some(v) = &self.instances[id].vmac
            && let Err(e) = self.netlink.del_link(v.index).await
        {
            warn!(instance = %self.instances[id].name, vmac = %v.name, error = %e, "VMAC interface not removed");
        }
    }

    /// Takes a watcher's report into account: an interface re-created (or awaited) brings its
    /// instances back; what tracked objects say goes to the node.
    pub(crate) async fn observe(&mut self, obs: Observation) {
        let observed = match obs {
            Observation::Link { name, up, index } => {
                if let Some(index) = index {
                    self.relink_if_recreated(&name, index).await;
                }
                node::Observation::Link { name, up }
            }
            Observation::Address { name, index } => {
                self.relink_if_recreated(&name, index).await;
                return;
            }
            Observation::Tracked(tracked) => tracked,
        };
        self.drive(|n, now, fx| n.observe(now, &observed, fx)).await;
    }

    /// Resolves the instances on interface `name` again if it is awaited or was re-created
    /// under a new `index`.
    async fn relink_if_recreated(&mut self, name: &str, index: u32) {
        let recreated = self
            .instances
            .iter()
            .any(|i| i.uses_other_index(name, index));
        if recreated || self.awaited.iter().any(|a| a == name) {
            self.relink(name, index).await;
        }
    }

    /// Feeds instance `id` the differences between what tracking says now and what it last
    /// said.
    pub async fn retrack(&mut self, id: InstanceId) {
        self.drive(|n, now, fx| n.retrack(now, id, fx)).await;
    }
}
