//! Adverts of instances whose timers fire at one instant, sent together: one `sendmmsg` per
//! source address, interface and socket (AH instances' go by the AH socket) instead of one
//! `sendmsg` per copy.

use crate::adverts::{self, Copies, Queued};
use crate::instance::Instance;
use crate::run::Daemon;
use crate::sockets::{Channel, VrrpSocket};
use std::collections::BTreeMap;
use std::net::IpAddr;
use vrrp::Family;

impl Daemon {
    /// The loop's IPv4, IPv6 and AH sockets, for [`Channel::socket`].
    pub fn sockets(&self) -> [&Option<VrrpSocket>; 3] {
        [&self.sock4, &self.sock6, &self.sock_ah]
    }

    /// The socket `inst`'s adverts go by (and its multicast group is joined on).
    pub fn socket_of(&self, inst: &Instance) -> &Option<VrrpSocket> {
        inst.channel().socket(self.sockets())
    }

    /// Sends the adverts queued while timers fired, grouped by source and interface, and
    /// accounts each copy to its instance.
    pub fn flush_outbox(&mut self, queued: Vec<Queued>) {
        let mut groups: BTreeMap<(IpAddr, u32, bool), Vec<Queued>> = BTreeMap::new();
        for q in queued {
            let inst = &self.instances[q.0];
            groups
                .entry((inst.primary, inst.xmit_index, inst.ah.is_some()))
                .or_default()
                .push(q);
        }
        for ((src, ifindex, ah), adverts) in groups {
            let sock = Channel::of(Family::of(&src), ah).socket(self.sockets());
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
                    self.node.router_mut(*k),
                    *priority,
                    copies,
                    &results[at..end],
                );
                at = end;
            }
        }
    }
}
