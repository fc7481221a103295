//! What a node is told (observations) and what it asks for (effects).

use crate::InstanceId;
use crate::tracking::processes::Crossing;
use std::net::IpAddr;
use vrrp::{Advert, DropReason, Micros, Notify, Reason, State};

/// Something a watcher saw about a tracked object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// A tracked interface is up or down.
    Link {
        /// Its name.
        name: String,
        /// Whether it is up.
        up: bool,
    },
    /// A `vrrp_script` ran.
    Script {
        /// The script's name.
        name: String,
        /// Whether it exited 0.
        success: bool,
    },
    /// A `track_file` holds a new value.
    File {
        /// The track_file's name.
        name: String,
        /// The number it holds.
        value: i64,
    },
    /// A `bfd_instance`'s session went Up (`up`) or left Up.
    Bfd {
        /// The bfd_instance's name.
        name: String,
        /// Whether the session is Up.
        up: bool,
    },
    /// A tracked process's count crossed its quorum's bounds.
    Process {
        /// The process watcher that saw it (one of an earlier configuration is ignored).
        source: u64,
        /// What crossed.
        crossing: Crossing,
    },
}

/// What the node asks its executor to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send this advert to the instance's destinations.
    Advert {
        /// Whose.
        id: InstanceId,
        /// The advert.
        advert: Advert,
    },
    /// The instance changed state: record it (state file, transition log, FIFO line, events).
    Transition {
        /// Which.
        id: InstanceId,
        /// The old state.
        from: State,
        /// The new state.
        to: State,
        /// Why.
        reason: Reason,
        /// Its effective priority after the change.
        priority: u8,
    },
    /// Install the instance's virtual addresses, routes and rules.
    AddVips(InstanceId),
    /// Remove them (and drop the instance's queued announcements: [`crate::Node::forget_announcements`]).
    RemoveVips(InstanceId),
    /// Queue `repeat` rounds of gratuitous ARP / unsolicited NA for the instance's addresses
    /// ([`crate::Node::pace`]).
    Announce {
        /// Whose.
        id: InstanceId,
        /// Rounds.
        repeat: u32,
    },
    /// Run the instance's notify scripts of this kind.
    Notify {
        /// Whose.
        id: InstanceId,
        /// Which notification.
        notify: Notify,
        /// The effective priority to pass to a generic `notify` script.
        priority: u8,
    },
    /// The instance's effective priority moved (`notify_priority_changes` FIFO lines).
    PriorityChanged {
        /// Whose.
        id: InstanceId,
        /// The new effective priority.
        priority: u8,
        /// Whether the instance is master.
        master: bool,
    },
    /// A received advert was ignored (logged).
    Dropped {
        /// By whom.
        id: InstanceId,
        /// Its source.
        from: IpAddr,
        /// Why.
        reason: DropReason,
    },
    /// Two routers claim to own the addresses; ours drops to 254 (logged).
    OwnerConflict {
        /// Ours.
        id: InstanceId,
        /// The other.
        from: IpAddr,
    },
    /// An instance's timer fired this late (a metric).
    TimerLate {
        /// Whose.
        id: InstanceId,
        /// How late.
        by: Micros,
    },
}
