//! Receiving adverts: keepalived's packet checks, then RFC 5798 §6.4.2 (backup) and §6.4.3
//! (master) with keepalived's additions (preempt_delay, replies to lower priorities).

use super::{Action, DropReason, Notify, Reason, Router, State};
use crate::config::PRIORITY_OWNER;
use crate::packet::{Advert, Auth, VRRP_TTL, Version};
use crate::time::{Micros, Timestamp};
use crate::timing;
use std::net::IpAddr;

impl Router {
    pub(super) fn on_advert(
        &mut self,
        now: Timestamp,
        src: IpAddr,
        ttl: u8,
        multicast: bool,
        advert: &Advert,
        out: &mut Vec<Action>,
    ) {
        let check_addresses = match self.state {
            State::Master => true,
            State::Backup => !self.cfg.skip_check_adv_addr || self.last_master != Some(src),
            State::Init | State::Fault | State::Stopped => {
                out.push(Action::Dropped {
                    from: src,
                    reason: DropReason::NotListening,
                });
                return;
            }
        };
        if let Err(reason) = self.check(src, ttl, multicast, advert, check_addresses) {
            out.push(Action::Dropped { from: src, reason });
            return;
        }
        match self.state {
            State::Backup => self.backup_rx(now, src, advert, out),
            State::Master => self.master_rx(now, src, advert, out),
            _ => {}
        }
    }

    /// The checks keepalived makes before authenticating an advert (TTL, version): a driver
    /// that authenticates adverts skips those the router will drop anyway, as keepalived does.
    pub fn envelope_ok(&self, ttl: u8, multicast: bool, version: Version) -> bool {
        self.envelope_error(ttl, multicast, version).is_none()
    }

    fn envelope_error(&self, ttl: u8, multicast: bool, version: Version) -> Option<DropReason> {
        // RFC 5798 §7.1: TTL must be 255; keepalived skips this for unicast (routed peers).
        if multicast && ttl != VRRP_TTL {
            Some(DropReason::Ttl(ttl))
        } else if version != self.cfg.version {
            Some(DropReason::Version)
        } else {
            None
        }
    }

    /// keepalived's `vrrp_check_packet`, on an already decoded advert. Counts what it rejects.
    fn check(
        &mut self,
        src: IpAddr,
        ttl: u8,
        multicast: bool,
        advert: &Advert,
        check_addresses: bool,
    ) -> Result<(), DropReason> {
        let envelope = self.envelope_error(ttl, multicast, advert.version);
        let s = &mut self.stats;
        match envelope {
            Some(r @ DropReason::Ttl(_)) => {
                s.ip_ttl_err += 1;
                return Err(r);
            }
            Some(r) => {
                s.version_err += 1;
                return Err(r);
            }
            None => {}
        }
        if advert.vrid != self.cfg.vrid {
            return Err(DropReason::Vrid(advert.vrid));
        }
        if advert.version == Version::V2 {
            match (&self.cfg.auth, &advert.auth) {
                (Auth::Pass(ours), Auth::Pass(theirs)) if ours != theirs => {
                    s.auth_failure += 1;
                    return Err(DropReason::AuthFailure);
                }
                (ours, theirs)
                    if std::mem::discriminant(ours) != std::mem::discriminant(theirs) =>
                {
                    s.authtype_mismatch += 1;
                    return Err(DropReason::AuthType);
                }
                _ => {}
            }
            // RFC 3768 §7.1: a v2 interval mismatch is dropped, to keep two masters apart.
            if advert.interval != self.cfg.advert_interval {
                s.interval_err += 1;
                return Err(DropReason::Interval(advert.interval.centis()));
            }
        }
        if check_addresses && advert.addresses.len() != self.cfg.virtual_addresses.len() {
            s.addr_list_err += 1;
            return Err(DropReason::AddressList);
        }
        if multicast == self.cfg.is_unicast() {
            s.addr_list_err += 1;
            return Err(DropReason::Delivery);
        }
        s.advert_rcvd += 1;
        if check_addresses
            && !self
                .cfg
                .virtual_addresses
                .iter()
                .all(|v| advert.addresses.contains(v))
        {
            s.addr_list_err += 1;
            return Err(DropReason::AddressList);
        }
        if self.cfg.is_unicast() {
            match self.cfg.unicast_peers.iter().find(|p| p.addr == src) {
                Some(peer) if ttl < peer.min_ttl || ttl > peer.max_ttl => {
                    s.ip_ttl_err += 1;
                    return Err(DropReason::Ttl(ttl));
                }
                None if self.cfg.check_unicast_src => {
                    s.unknown_peer += 1;
                    return Err(DropReason::UnknownPeer);
                }
                _ => {}
            }
        }
        if advert.priority == 0 {
            s.pri_zero_rcvd += 1;
        }
        Ok(())
    }

    fn backup_rx(&mut self, now: Timestamp, src: IpAddr, advert: &Advert, out: &mut Vec<Action>) {
        self.successor_seen(now, src, advert.priority);
        let ours = self.effective_priority;
        let delay = self.cfg.preempt_delay;
        let in_preempt_delay =
            !delay.is_zero() && self.preempt_until.is_none_or(|until| until > now);
        if advert.priority == 0 {
            // RFC 5798 §6.4.2: the master resigned; take over after Skew_Time.
            let skew = timing::skew(self.cfg.version, ours, self.master_interval);
            self.start_down_timer(now, skew);
            self.resign_seen = true;
        } else if !self.cfg.preempt || advert.priority >= ours || in_preempt_delay {
            if self.cfg.version == Version::V3 {
                // RFC 5798 §6.4.2: adopt the master's interval.
                self.master_interval = Micros(advert.interval.micros());
            }
            let mdi = self.master_down_interval();
            self.start_down_timer(now, mdi);
            self.resign_seen = false;
            self.last_master = Some(src);
            self.last_master_priority = advert.priority;
            if !delay.is_zero() {
                if advert.priority >= ours {
                    self.preempt_until = None;
                } else if self.preempt_until.is_none() {
                    self.preempt_until = Some(now + delay);
                }
            }
        } else {
            // Lower priority and we preempt: let Master_Down_Timer run out.
            self.last_master = Some(src);
            self.last_master_priority = advert.priority;
            out.push(Action::Dropped {
                from: src,
                reason: DropReason::LowerPriority(advert.priority),
            });
        }
    }

    fn master_rx(&mut self, now: Timestamp, src: IpAddr, advert: &Advert, out: &mut Vec<Action>) {
        let ours = self.effective_priority;
        let theirs = advert.priority;
        let primary = self.cfg.primary_address;
        let higher = theirs > ours || (theirs == ours && src > primary);
        if theirs == 0 || (self.cfg.higher_prio_send_advert && higher) {
            self.send_advert(ours, out);
            if theirs == 0 {
                return;
            }
        }
        if theirs == ours {
            if src == primary {
                out.push(Action::Dropped {
                    from: src,
                    reason: DropReason::OwnAddress,
                });
                return;
            }
            if ours == PRIORITY_OWNER {
                // Two owners: keepalived reports it and steps down to 254 to break the tie.
                out.push(Action::OwnerConflict { from: src });
                self.effective_priority = PRIORITY_OWNER - 1;
                self.cfg.priority = PRIORITY_OWNER - 1;
            }
        }
        let ours = self.effective_priority;
        if theirs < ours || (theirs == ours && src < primary) {
            // keepalived: answer at once so the other side yields, and re-announce our
            // addresses, since neighbours may have learned the other master's MAC.
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(ours, out);
            }
            let garp = self.cfg.garp;
            if garp.lower_prio_repeat > 0 {
                out.push(Action::Announce {
                    repeat: garp.lower_prio_repeat,
                });
                if !garp.lower_prio_delay.is_zero() {
                    self.lower_prio_garp_timer = Some(now + garp.lower_prio_delay);
                }
            }
            out.push(Action::Notify(Notify::MasterRxLowerPri));
            return;
        }
        if self.cfg.version == Version::V3 {
            self.master_interval = Micros(advert.interval.micros());
        }
        self.last_master = Some(src);
        self.last_master_priority = theirs;
        let reason = if theirs > ours {
            Reason::HigherPriority {
                from: src,
                priority: theirs,
            }
        } else {
            Reason::EqualPriorityHigherAddress { from: src }
        };
        self.yield_to(now, reason, out);
    }
}
