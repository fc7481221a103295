//! The receive path: adverts read from the VRRP sockets in batches, matched to their instance
//! (VRID, family, interface, group), authenticated, and handed to the node.

use crate::run::Daemon;
use crate::sockets::{Channel, Received, RecvBuffer, RecvError};
use node::InstanceId;
use tracing::{debug, warn};
use vrrp::{Advert, Event, Family};

impl Daemon {
    /// Reads up to a batch of packets from channel `ch` and hands each on.
    pub(crate) async fn drain(&mut self, ch: Channel, batch: &mut RecvBuffer) {
        *self.backlog.of(ch) = true;
        let Some(sock) = ch.socket(self.sockets()) else {
            return;
        };
        let packets = match sock.recv_some(batch) {
            Ok(p) => p,
            Err(RecvError::Empty) => {
                *self.backlog.of(ch) = false;
                return;
            }
            Err(RecvError::Io(e)) => {
                warn!(error = %e, "receive error");
                *self.backlog.of(ch) = false;
                return;
            }
            Err(RecvError::Malformed(why)) => {
                debug!(%why, "dropped a batch");
                return;
            }
        };
        // A batch shorter than the budget emptied the queue.
        if packets.len() < crate::sockets::BATCH {
            *self.backlog.of(ch) = false;
        }
        for pkt in packets {
            self.receive(ch.family(), pkt).await;
        }
    }

    /// Hands one received packet to its instance, or counts why it was dropped.
    async fn receive(&mut self, family: Family, pkt: Result<Received, RecvError>) {
        let pkt = match pkt {
            Ok(p) => p,
            Err(RecvError::Malformed(why)) => {
                self.dropped.malformed += 1;
                debug!(%why, "dropped malformed packet");
                return;
            }
            Err(RecvError::Io(e)) => {
                warn!(error = %e, "receive error");
                return;
            }
            Err(RecvError::Empty) => return,
        };
        let (mut advert, trailer) = match Advert::decode_with_trailer(&pkt.payload, &pkt.addrs) {
            Ok((d, t)) => (d.advert, t.copied()),
            Err(e) => {
                self.dropped.invalid += 1;
                debug!(src = %pkt.addrs.src, error = %e, "dropped invalid VRRP packet");
                return;
            }
        };
        let multicast = pkt.addrs.dst.is_multicast();
        let Some(id) = self.target(family, &pkt, multicast, advert.vrid) else {
            self.dropped.no_instance += 1;
            debug!(src = %pkt.addrs.src, vrid = advert.vrid, "advert for no instance of ours");
            return;
        };
        let (inst, router) = (&mut self.instances[id], self.node.router_mut(id));
        let Some(ah_seq) = crate::adverts::sort_ah(inst, router, &pkt, multicast, &mut advert)
        else {
            return;
        };
        let message = &pkt.payload[..pkt.payload.len() - trailer.map_or(0, |t| t.len())];
        let wire = crate::adverts::Wire {
            src: pkt.addrs.src,
            ttl: pkt.ttl,
            multicast,
        };
        if !crate::adverts::admit(inst, router, wire, &advert, message, trailer.as_ref()) {
            if inst.auth.is_none() {
                self.dropped.invalid += 1;
                debug!(src = %pkt.addrs.src, "dropped an advert with a trailer: no auth_hmac here");
            }
            return;
        }
        self.note_arrival(id);
        let event = Event::Advert {
            src: pkt.addrs.src,
            ttl: pkt.ttl,
            multicast,
            advert,
        };
        match ah_seq {
            Some(seq) => self.handle_ah_advert(id, event, seq).await,
            None => self.handle(id, event).await,
        }
    }

    /// The instance an advert is for: by VRID, family and arrival interface (as keepalived's
    /// sockets bound to their interface, SO_BINDTODEVICE, an advert that came in elsewhere is
    /// not ours); one in AH only for an AH instance (keepalived has no AH socket for the
    /// others); multicast only for an instance of its group, as its socket bound to that group.
    fn target(
        &self,
        family: Family,
        pkt: &Received,
        multicast: bool,
        vrid: u8,
    ) -> Option<InstanceId> {
        let matches = |i: &crate::instance::Instance| {
            Family::of(&i.primary) == family
                && (pkt.ah_packet.is_none() || i.ah.is_some())
                && (i.ifindex == pkt.ifindex
                    || i.vmac.as_ref().is_some_and(|v| v.index == pkt.ifindex))
                && (!multicast || i.destinations.contains(&pkt.addrs.dst))
        };
        self.by_vrid
            .of(vrid)
            .iter()
            .copied()
            .find(|id| matches(&self.instances[*id]))
    }

    /// Records the gap since the instance's previous advert (a metric).
    fn note_arrival(&mut self, id: InstanceId) {
        let arrived = tokio::time::Instant::now();
        if let Some(prev) = self.instances[id].last_advert {
            let gap = (arrived - prev).as_secs_f64();
            let name = &self.instances[id].name;
            match self.recorder.advert_gaps.get_mut(name) {
                Some(h) => h.observe(gap),
                None => {
                    let mut h = crate::metrics::Histogram::default();
                    h.observe(gap);
                    self.recorder.advert_gaps.insert(name.clone(), h);
                }
            }
        }
        self.instances[id].last_advert = Some(arrived);
    }
}

impl Daemon {
    /// As [`Daemon::handle`], for an advert authenticated in AH with sequence
    /// number `seq`: keepalived's counter rules apply between the router's decision and its
    /// answer being sealed.
    pub async fn handle_ah_advert(&mut self, id: node::InstanceId, event: vrrp::Event, seq: u32) {
        let vrrp::Event::Advert {
            src, ref advert, ..
        } = event
        else {
            return;
        };
        let priority = advert.priority;
        let r = self.node.router(id);
        let was = (r.state(), r.effective_priority());
        let now = self.clock.now();
        let mut fx = std::mem::take(&mut self.effects);
        self.node.handle(now, id, event, &mut fx);
        let dropped = fx
            .iter()
            .any(|e| matches!(e, node::Effect::Dropped { id: i, .. } if *i == id));
        crate::adverts::after_ah(&mut self.instances[id], was, (src, priority, seq), dropped);
        self.execute(&mut fx).await;
        self.effects = fx;
    }
}
