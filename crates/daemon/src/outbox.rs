//! Adverts of instances whose timers fire at one instant, sent together: one `sendmmsg` per
//! source address and interface instead of one `sendmsg` per copy.

use crate::adverts::{self, Copies};
use crate::run::Daemon;
use std::collections::BTreeMap;
use std::net::IpAddr;
use vrrp::Family;

/// An advert waiting for the batch to go: its instance, its priority and its copies.
pub type Queued = (usize, u8, Copies);

impl Daemon {
    /// Sends the adverts queued while timers fired, grouped by source and interface, and
    /// accounts each copy to its instance.
    pub fn flush_outbox(&mut self, queued: Vec<Queued>) {
        let mut groups: BTreeMap<(IpAddr, u32), Vec<Queued>> = BTreeMap::new();
        for q in queued {
            let inst = &self.instances[q.0];
            groups
                .entry((inst.primary, inst.xmit_index))
                .or_default()
                .push(q);
        }
        for ((src, ifindex), adverts) in groups {
            let sock = if Family::of(&src) == Family::Ipv4 {
                &self.sock4
            } else {
                &self.sock6
            };
            let Some(sock) = sock else { continue };
            let msgs: Copies = adverts
                .iter()
                .flat_map(|(_, _, c)| c.iter().cloned())
                .collect();
            let results = sock.send_batch(src, ifindex, &msgs);
            let mut at = 0;
            for (k, priority, copies) in &adverts {
                let end = at + copies.len();
                adverts::account(
                    &mut self.instances[*k],
                    *priority,
                    copies,
                    &results[at..end],
                );
                at = end;
            }
        }
    }
}
