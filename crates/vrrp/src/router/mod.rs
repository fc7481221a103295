//! `Router`: the sans-IO state machine of one virtual router (RFC 5798 §6.4, with keepalived's
//! behaviour where it differs or where the RFC is silent).
//!
//! The driver feeds [`Event`]s with the current [`Timestamp`] and carries out the returned
//! [`Action`]s; it calls [`Router::handle`] with [`Event::Timer`] at [`Router::next_deadline`].
//! Nothing here reads a clock, touches a socket or allocates a timer.

mod maintenance;
mod receive;
mod stats;
mod transitions;

pub use stats::Stats;

use crate::config::{ConfigError, PRIORITY_OWNER, RouterConfig};
use crate::packet::Advert;
use crate::time::{Micros, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// VRRP state (RFC 5798 §6.4), plus FAULT and STOP as keepalived reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    /// Not started yet.
    Init,
    /// Listening for a master; takes over when Master_Down_Timer fires.
    Backup,
    /// Holding the virtual addresses and advertising.
    Master,
    /// An interface or tracked object is down: neither advertising nor taking over.
    Fault,
    /// Shut down.
    Stopped,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stopped => "STOP",
        })
    }
}

/// An input to the state machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Start the instance (RFC 5798 §6.4.1).
    Startup,
    /// A decoded advert for this VRID arrived.
    Advert {
        /// IP source address.
        src: IpAddr,
        /// IPv4 TTL or IPv6 hop limit.
        ttl: u8,
        /// Whether the IP destination was a multicast group.
        multicast: bool,
        /// The advert.
        advert: Advert,
    },
    /// The time given with this event is at or after [`Router::next_deadline`].
    Timer,
    /// The instance's interface came up.
    InterfaceUp,
    /// The instance's interface went down.
    InterfaceDown,
    /// A tracked object without weight failed (`true`) or recovered (`false`).
    TrackFault(bool),
    /// Weighted tracking changed the effective priority to this value (clamped to 1-254).
    PriorityChange(u8),
    /// Another member of this router's sync group entered `MASTER` or `BACKUP`: follow it
    /// (a backup becomes master, a master becomes backup; other states ignore it).
    SyncGroup(State),
    /// Stop: a master resigns with a priority-0 advert.
    Shutdown,
    /// Maintenance on (`true`): the priority drops to 1 and a master hands over
    /// make-before-break (see [`Router::handing_over`]); off (`false`): the tracked priority
    /// comes back and the usual preemption rules apply.
    Maintenance(bool),
}

/// Why a state changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Instance started.
    Startup,
    /// Priority 255: the address owner takes over at once.
    Owner,
    /// No advert within Master_Down_Interval.
    MasterDown {
        /// How long the backup waited since its last valid advert (or start).
        waited: Micros,
    },
    /// The master resigned (priority-0 advert) and Skew_Time passed.
    MasterResigned,
    /// An advert with a higher priority arrived.
    HigherPriority {
        /// The other router.
        from: IpAddr,
        /// Its priority.
        priority: u8,
    },
    /// An advert with our priority from a higher primary address arrived.
    EqualPriorityHigherAddress {
        /// The other router.
        from: IpAddr,
    },
    /// The interface went down.
    InterfaceDown,
    /// The interface came back.
    InterfaceUp,
    /// A tracked object failed.
    TrackFault,
    /// Tracked objects recovered.
    TrackRecovered,
    /// Another member of the sync group changed state.
    SyncGroup,
    /// Shutdown requested.
    Shutdown,
    /// Maintenance: the master handed over (priority 0 sent, addresses kept until a successor
    /// advertises).
    Maintenance,
}

impl Reason {
    /// A short name for the kind of reason (no addresses or times), for metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Startup => "startup",
            Reason::Owner => "owner",
            Reason::MasterDown { .. } => "master_down",
            Reason::MasterResigned => "master_resigned",
            Reason::HigherPriority { .. } => "higher_priority",
            Reason::EqualPriorityHigherAddress { .. } => "equal_priority_higher_address",
            Reason::InterfaceDown => "interface_down",
            Reason::InterfaceUp => "interface_up",
            Reason::TrackFault => "track_fault",
            Reason::TrackRecovered => "track_recovered",
            Reason::SyncGroup => "sync_group",
            Reason::Shutdown => "shutdown",
            Reason::Maintenance => "maintenance",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Startup => write!(f, "instance started"),
            Reason::Owner => write!(f, "address owner (priority 255)"),
            Reason::MasterDown { waited } => write!(f, "no advert for {waited}"),
            Reason::MasterResigned => write!(f, "master resigned (priority 0)"),
            Reason::HigherPriority { from, priority } => {
                write!(f, "higher priority {priority} from {from}")
            }
            Reason::EqualPriorityHigherAddress { from } => {
                write!(f, "equal priority from higher address {from}")
            }
            Reason::InterfaceDown => write!(f, "interface down"),
            Reason::InterfaceUp => write!(f, "interface up"),
            Reason::TrackFault => write!(f, "tracked object failed"),
            Reason::TrackRecovered => write!(f, "tracked objects recovered"),
            Reason::SyncGroup => write!(f, "sync group member changed state"),
            Reason::Shutdown => write!(f, "shutdown"),
            Reason::Maintenance => write!(f, "maintenance: handing over to a peer"),
        }
    }
}

/// Notifications, as keepalived's `notify_*` scripts and FIFO receive them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notify {
    /// Entered MASTER.
    Master,
    /// Entered BACKUP.
    Backup,
    /// Entered FAULT.
    Fault,
    /// Stopped.
    Stop,
    /// As master, received a lower-priority advert (`notify_master_rx_lower_pri`).
    MasterRxLowerPri,
}

/// Why a received advert was not acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DropReason {
    /// Multicast advert whose TTL/hop limit is not 255, or unicast outside the peer's window.
    Ttl(u8),
    /// Other VRRP version than ours.
    Version,
    /// Another VRID (the driver should not have dispatched it here).
    Vrid(u8),
    /// Authentication type differs.
    AuthType,
    /// Password differs.
    AuthFailure,
    /// v2 interval differs from ours (centiseconds received).
    Interval(u16),
    /// Address list differs from ours.
    AddressList,
    /// Multicast expected but unicast received, or the reverse.
    Delivery,
    /// Unicast source is not a configured peer.
    UnknownPeer,
    /// Lower priority from the master while we preempt: Master_Down_Timer keeps running.
    LowerPriority(u8),
    /// An equal-priority advert from our own address (misconfiguration).
    OwnAddress,
    /// Not listening in this state (INIT, FAULT, STOP).
    NotListening,
}

/// An output the driver must carry out, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Send this advert (to the multicast group or every unicast peer).
    SendAdvert(Advert),
    /// The state changed.
    Transition {
        /// Old state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// Install the virtual addresses.
    AddVips,
    /// Remove the virtual addresses.
    RemoveVips,
    /// Send `repeat` rounds of gratuitous ARP / unsolicited NA for every virtual address.
    Announce {
        /// Rounds.
        repeat: u32,
    },
    /// Run notifications.
    Notify(Notify),
    /// A received advert was ignored, and why.
    Dropped {
        /// Its source.
        from: IpAddr,
        /// Why.
        reason: DropReason,
    },
    /// Both this router and `from` claim to be the address owner: ours drops to 254.
    OwnerConflict {
        /// The other owner.
        from: IpAddr,
    },
}

/// How long a master handing over keeps its addresses after the successor's first advert:
/// the successor adds them and sends its gratuitous ARPs right after that advert, and the
/// neighbours keep sending to the old master until those arrive.
pub const HANDOVER_LINGER: Micros = Micros(50_000);

/// A handover under way: the old master, now a backup, still holds the addresses.
#[derive(Clone, Copy, Debug)]
struct Handover {
    /// When they go (set by the successor's first advert).
    release_at: Option<Timestamp>,
}

/// The state machine of one virtual router.
#[derive(Clone, Debug)]
pub struct Router {
    cfg: RouterConfig,
    state: State,
    effective_priority: u8,
    master_interval: Micros,
    advert_timer: Option<Timestamp>,
    down_timer: Option<Timestamp>,
    down_timer_started: Timestamp,
    garp_timer: Option<Timestamp>,
    lower_prio_garp_timer: Option<Timestamp>,
    garp_refresh_due: Option<Timestamp>,
    preempt_until: Option<Timestamp>,
    last_master: Option<IpAddr>,
    last_master_priority: u8,
    resign_seen: bool,
    maintenance: bool,
    tracked_priority: u8,
    handover: Option<Handover>,
    link_down: bool,
    track_fault: bool,
    stats: Stats,
    /// Set by [`Router::delay_start`], taken by [`Event::Startup`].
    start_delay: Micros,
    /// Adverts received before this instant are ignored (the start-up delay).
    hold_until: Option<Timestamp>,
}

impl Router {
    /// A router in INIT; send [`Event::Startup`] to start it.
    pub fn new(cfg: RouterConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Router {
            tracked_priority: cfg.priority,
            effective_priority: cfg.priority,
            master_interval: Micros(cfg.advert_interval.micros()),
            cfg,
            state: State::Init,
            advert_timer: None,
            down_timer: None,
            down_timer_started: Timestamp(0),
            garp_timer: None,
            lower_prio_garp_timer: None,
            garp_refresh_due: None,
            preempt_until: None,
            last_master: None,
            last_master_priority: 0,
            resign_seen: false,
            maintenance: false,
            handover: None,
            link_down: false,
            track_fault: false,
            stats: Stats::default(),
            start_delay: Micros::ZERO,
            hold_until: None,
        })
    }

    /// Delays the coming [`Event::Startup`] by `by` as keepalived 2.2.7's `vrrp_startup_delay`
    /// does: the router enters BACKUP at once, ignores adverts for `by`, and its
    /// Master_Down_Interval starts only then, whatever its initial state or priority.
    pub fn delay_start(&mut self, by: Micros) {
        self.start_delay = by;
    }

    /// Processes one event at time `now`, returning what the driver must do.
    pub fn handle(&mut self, now: Timestamp, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Startup => self.on_startup(now, &mut out),
            // keepalived reads and discards every advert during its start-up delay.
            Event::Advert { .. } if self.hold_until.is_some_and(|t| now < t) => {}
            Event::Advert {
                src,
                ttl,
                multicast,
                advert,
            } => self.on_advert(now, src, ttl, multicast, &advert, &mut out),
            Event::Timer => self.on_timer(now, &mut out),
            Event::InterfaceDown => {
                self.set_fault(now, true, self.track_fault, Reason::InterfaceDown, &mut out)
            }
            Event::InterfaceUp => {
                self.set_fault(now, false, self.track_fault, Reason::InterfaceUp, &mut out)
            }
            Event::TrackFault(true) => {
                self.set_fault(now, self.link_down, true, Reason::TrackFault, &mut out)
            }
            Event::TrackFault(false) => {
                self.set_fault(now, self.link_down, false, Reason::TrackRecovered, &mut out)
            }
            Event::PriorityChange(p) => {
                if self.cfg.priority != PRIORITY_OWNER {
                    self.tracked_priority = p.clamp(1, PRIORITY_OWNER - 1);
                }
                if !self.maintenance {
                    self.effective_priority = self.tracked_priority;
                }
            }
            Event::SyncGroup(State::Master) if self.state == State::Backup => {
                self.become_master(now, Reason::SyncGroup, &mut out)
            }
            Event::SyncGroup(State::Backup) if self.state == State::Master => {
                self.yield_to(now, Reason::SyncGroup, &mut out)
            }
            Event::SyncGroup(_) => {}
            Event::Shutdown => self.on_shutdown(&mut out),
            Event::Maintenance(on) => self.set_maintenance(now, on, &mut out),
        }
        out
    }

    /// When the driver must next send [`Event::Timer`], if ever.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        [
            self.advert_timer,
            self.down_timer,
            self.garp_timer,
            self.lower_prio_garp_timer,
            self.handover.and_then(|h| h.release_at),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Effective priority (base priority adjusted by tracking).
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }

    /// Master_Adver_Interval: ours as master, the master's (v3) as backup.
    pub fn master_interval(&self) -> Micros {
        self.master_interval
    }

    /// Address of the master whose adverts we last accepted.
    pub fn last_master(&self) -> Option<IpAddr> {
        self.last_master
    }

    /// That master's address and the priority its last accepted advert carried.
    pub fn master_seen(&self) -> Option<(IpAddr, u8)> {
        self.last_master.map(|a| (a, self.last_master_priority))
    }

    /// The configuration.
    pub fn config(&self) -> &RouterConfig {
        &self.cfg
    }

    /// Whether maintenance is on.
    pub fn in_maintenance(&self) -> bool {
        self.maintenance
    }

    /// Whether this backup still holds the addresses after handing over, waiting for a
    /// successor's advert (plus [`HANDOVER_LINGER`]) before it releases them.
    pub fn handing_over(&self) -> bool {
        self.handover.is_some()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn on_timer(&mut self, now: Timestamp, out: &mut Vec<Action>) {
        if self
            .handover
            .and_then(|h| h.release_at)
            .is_some_and(|t| t <= now)
        {
            self.handover = None;
            out.push(Action::RemoveVips);
        }
        if self.state == State::Backup && self.down_timer.is_some_and(|t| t <= now) {
            let reason = if self.resign_seen {
                Reason::MasterResigned
            } else {
                Reason::MasterDown {
                    waited: now - self.down_timer_started,
                }
            };
            self.become_master(now, reason, out);
            return;
        }
        if self.state != State::Master {
            return;
        }
        if self.advert_timer.is_some_and(|t| t <= now) {
            self.send_advert(self.effective_priority, out);
            if self.garp_refresh_due.is_some_and(|t| t <= now) {
                out.push(Action::Announce {
                    repeat: self.cfg.garp.master_refresh_repeat,
                });
                self.garp_refresh_due = Some(now + self.cfg.garp.master_refresh);
            }
            self.advert_timer = Some(now + Micros(self.cfg.advert_interval.micros()));
        }
        if self.garp_timer.is_some_and(|t| t <= now) {
            self.garp_timer = None;
            self.announce(self.cfg.garp.master_repeat, out);
        }
        if self.lower_prio_garp_timer.is_some_and(|t| t <= now) {
            self.lower_prio_garp_timer = None;
            self.announce(self.cfg.garp.lower_prio_repeat, out);
        }
    }

    /// The advert of `priority` last asked for could not be sent: it does not count as sent.
    pub fn advert_not_sent(&mut self, priority: u8) {
        self.stats.advert_sent = self.stats.advert_sent.saturating_sub(1);
        if priority == 0 {
            self.stats.pri_zero_sent = self.stats.pri_zero_sent.saturating_sub(1);
        }
    }

    /// An advert failed authentication the driver checks itself (AH): keepalived counts it
    /// as an authentication failure.
    pub fn auth_failed(&mut self) {
        self.stats.auth_failure += 1;
    }

    fn send_advert(&mut self, priority: u8, out: &mut Vec<Action>) {
        self.stats.advert_sent += 1;
        if priority == 0 {
            self.stats.pri_zero_sent += 1;
        }
        out.push(Action::SendAdvert(Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            interval: self.cfg.advert_interval,
            auth: self.cfg.auth,
            addresses: self.cfg.virtual_addresses.clone(),
        }));
    }

    fn announce(&self, repeat: u32, out: &mut Vec<Action>) {
        if repeat > 0 {
            out.push(Action::Announce { repeat });
        }
    }
}
