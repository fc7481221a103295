//! Adverts of instances whose timers fire at one instant, sent together: one `sendmmsg` per
//! source address, interface and socket (AH instances' go by the AH socket) instead of one
//! `sendmsg` per copy.

use crate::adverts::{self, Queued};
use crate::instance::Instance;
use crate::run::Daemon;
use crate::sockets::{Channel, VrrpSocket};
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

    /// Sends the adverts queued while timers fired, grouped by source and interface (in the
    /// order they were queued within a group), and accounts each copy to its instance.
    pub fn flush_outbox(&mut self, mut queued: Vec<Queued>) {
        let group = |d: &Daemon, q: &Queued| {
            let inst = &d.instances[q.0];
            (inst.primary, inst.xmit_index, inst.ah.is_some())
        };
        if queued.len() > 1 {
            queued.sort_by_key(|q| group(self, q));
        }
        let mut rest = &queued[..];
        while let Some(first) = rest.first() {
            let key = group(self, first);
            let n = rest.iter().take_while(|q| group(self, q) == key).count();
            let (adverts, after) = rest.split_at(n);
            rest = after;
            self.send_group(key, adverts);
        }
    }

    /// Sends the copies of `adverts`, all from source `src` out of `ifindex` (`ah`: by the AH
    /// socket), in one batch.
    fn send_group(&mut self, (src, ifindex, ah): (IpAddr, u32, bool), adverts: &[Queued]) {
        let sock = Channel::of(Family::of(&src), ah).socket(self.sockets());
        let Some(sock) = sock else { return };
        let msgs: Vec<(&[u8], IpAddr)> = adverts
            .iter()
            .flat_map(|(_, _, c)| c.iter().map(|(b, d)| (b.as_slice(), *d)))
            .collect();
        let results = sock.send_batch(src, ifindex, &msgs);
        let mut at = 0;
        for (k, priority, copies) in adverts {
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
