//! One BFD session (RFC 5880 §6.8): state, timer negotiation, Poll Sequence, detection time.
//!
//! Timers follow keepalived 2.2.7: while the session is not Up the advertised Desired Min TX is
//! `idle_tx` (RFC 5880 §6.8.3 asks for at least one second); coming Up advertises `min_tx` and
//! starts a Poll Sequence. A larger Desired Min TX takes effect when the Poll Sequence ends, a
//! smaller one at once (§6.8.3). Packets leave every `max(DesiredMinTx, RemoteMinRx)` less
//! 0-25 % jitter (0-10 % jitter floor when the multiplier is 1, §6.8.7); the session goes Down
//! when no packet arrives for `remote Detect Mult × max(RequiredMinRx, remote DesiredMinTx)`.

use crate::packet::{ControlPacket, Diag, State};
use vrrp::{Micros, Timestamp};

/// A session's settings, in microseconds like keepalived's `bfd_instance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// My Discriminator: non-zero, unique among the driver's sessions.
    pub local_discr: u32,
    /// `min_rx`: Required Min RX Interval.
    pub min_rx_us: u32,
    /// `min_tx`: Desired Min TX Interval while Up.
    pub min_tx_us: u32,
    /// `idle_tx`: Desired Min TX Interval while not Up.
    pub idle_tx_us: u32,
    /// `multiplier`: Detect Mult.
    pub multiplier: u8,
    /// `passive`: send nothing until the neighbour has been heard (RFC 5880 §6.1).
    pub passive: bool,
    /// Seed of the transmit jitter (any value; tests use it for reproducible runs).
    pub jitter_seed: u64,
}

impl SessionConfig {
    /// keepalived's defaults: `min_rx 10`, `min_tx 10`, `idle_tx 1000` (ms), `multiplier 5`.
    pub fn new(local_discr: u32) -> Self {
        SessionConfig {
            local_discr,
            min_rx_us: 10_000,
            min_tx_us: 10_000,
            idle_tx_us: 1_000_000,
            multiplier: 5,
            passive: false,
            jitter_seed: u64::from(local_discr),
        }
    }
}

/// An input to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A control packet that passed [`ControlPacket::decode`] and the driver's TTL and
    /// address checks.
    Packet(ControlPacket),
    /// [`Session::next_deadline`] was reached.
    Timer,
    /// The session is taken down administratively (the daemon stops): one AdminDown packet
    /// tells the neighbour, then the session is silent.
    AdminDown,
}

/// What the driver must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this control packet to the neighbour.
    Send(ControlPacket),
    /// The session's state changed.
    StateChange {
        /// Old state.
        from: State,
        /// New state.
        to: State,
        /// The local diagnostic now.
        diag: Diag,
    },
}

/// The state of one session.
#[derive(Clone, Debug)]
pub struct Session {
    cfg: SessionConfig,
    state: State,
    diag: Diag,
    remote_discr: u32,
    remote_state: State,
    remote_min_rx_us: u32,
    remote_desired_tx_us: u32,
    remote_mult: u8,
    /// Desired Min TX as advertised.
    desired_tx_us: u32,
    /// Desired Min TX the transmit interval uses (lags an increase until the poll ends).
    desired_tx_in_effect_us: u32,
    poll: bool,
    next_tx: Option<Timestamp>,
    detect_at: Option<Timestamp>,
    rng: u64,
}

impl Session {
    /// A session in state Down; an active one sends its first packet at `now`.
    pub fn new(cfg: SessionConfig, now: Timestamp) -> Self {
        Session {
            cfg,
            state: State::Down,
            diag: Diag::None,
            remote_discr: 0,
            remote_state: State::Down,
            // RFC 5880 §6.8.1: bfd.RemoteMinRxInterval starts at 1 µs.
            remote_min_rx_us: 1,
            remote_desired_tx_us: 0,
            remote_mult: 0,
            desired_tx_us: cfg.idle_tx_us,
            desired_tx_in_effect_us: cfg.idle_tx_us,
            poll: false,
            next_tx: (!cfg.passive).then_some(now),
            detect_at: None,
            rng: cfg.jitter_seed | 1,
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Current local diagnostic.
    pub fn diag(&self) -> Diag {
        self.diag
    }

    /// My Discriminator.
    pub fn local_discr(&self) -> u32 {
        self.cfg.local_discr
    }

    /// The neighbour's discriminator (0 until heard, and after a detection time of silence).
    pub fn remote_discr(&self) -> u32 {
        self.remote_discr
    }

    /// The state the neighbour last said it is in (Down until heard).
    pub fn remote_state(&self) -> State {
        self.remote_state
    }

    /// Whether a Poll Sequence is in progress.
    pub fn polling(&self) -> bool {
        self.poll
    }

    /// The agreed transmit interval, before jitter (RFC 5880 §6.8.7).
    pub fn tx_interval(&self) -> Micros {
        Micros(u64::from(
            self.desired_tx_in_effect_us.max(self.remote_min_rx_us),
        ))
    }

    /// The detection time in asynchronous mode (RFC 5880 §6.8.4): the neighbour's Detect Mult
    /// times the agreed interval it sends at.
    pub fn detection_time(&self) -> Micros {
        let interval = self.cfg.min_rx_us.max(self.remote_desired_tx_us);
        Micros(u64::from(self.remote_mult) * u64::from(interval))
    }

    /// When [`Event::Timer`] is due.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        match (self.next_tx, self.detect_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes `event` into account at `now`.
    pub fn handle(&mut self, now: Timestamp, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Packet(p) => self.receive(now, &p, &mut out),
            Event::Timer => self.timer(now, &mut out),
            Event::AdminDown => {
                if self.state != State::AdminDown {
                    self.transition(State::AdminDown, Diag::AdminDown, &mut out);
                    out.push(Action::Send(self.packet(false)));
                }
                self.next_tx = None;
                self.detect_at = None;
            }
        }
        out
    }

    fn timer(&mut self, now: Timestamp, out: &mut Vec<Action>) {
        if self.detect_at.is_some_and(|t| t <= now) {
            // RFC 5880 §6.8.1/§6.8.4: silence for a detection time forgets the neighbour.
            self.detect_at = None;
            self.remote_discr = 0;
            self.remote_state = State::Down;
            self.remote_min_rx_us = 1;
            if matches!(self.state, State::Init | State::Up) {
                self.go_down(Diag::ControlDetectionExpired, out);
            }
            // An active session that was told to be quiet speaks again.
            self.next_tx = if self.may_send() {
                self.next_tx.or(Some(now))
            } else {
                None
            };
        }
        if self.next_tx.is_some_and(|t| t <= now) {
            if self.may_send() {
                out.push(Action::Send(self.packet(false)));
                self.next_tx = Some(now + self.jittered());
            } else {
                self.next_tx = None;
            }
        }
    }

    /// RFC 5880 §6.8.6 from "if bfd.SessionState is AdminDown" on (the codec did the rest).
    fn receive(&mut self, now: Timestamp, p: &ControlPacket, out: &mut Vec<Action>) {
        if p.your_discr != 0 && p.your_discr != self.cfg.local_discr {
            return;
        }
        if self.state == State::AdminDown {
            return;
        }
        let old_interval = self.tx_interval();
        self.remote_discr = p.my_discr;
        self.remote_state = p.state;
        self.remote_min_rx_us = p.required_min_rx;
        self.remote_desired_tx_us = p.desired_min_tx;
        self.remote_mult = p.detect_mult;
        if p.final_ && self.poll {
            self.poll = false;
            self.desired_tx_in_effect_us = self.desired_tx_us;
        }
        match (self.state, p.state) {
            (State::Init | State::Up, State::AdminDown) => {
                self.go_down(Diag::NeighborSignaledDown, out)
            }
            (State::Down, State::Down) => self.transition(State::Init, Diag::None, out),
            (State::Down, State::Init) | (State::Init, State::Init | State::Up) => self.go_up(out),
            (State::Up, State::Down) => self.go_down(Diag::NeighborSignaledDown, out),
            _ => {}
        }
        self.detect_at = Some(now + self.detection_time());
        if p.poll {
            // §6.8.7: answer a Poll at once, whatever the transmit timer says.
            out.push(Action::Send(self.packet(true)));
        }
        self.reschedule(now, old_interval);
    }

    /// Starts or re-times the periodic transmission after a packet changed what is allowed.
    fn reschedule(&mut self, now: Timestamp, old_interval: Micros) {
        if !self.may_send() {
            self.next_tx = None;
            return;
        }
        let soonest = now + self.jittered();
        self.next_tx = match self.next_tx {
            None if self.cfg.passive => Some(now),
            None => Some(soonest),
            Some(t) if self.tx_interval() < old_interval && t > soonest => Some(soonest),
            Some(t) => Some(t),
        };
    }

    fn may_send(&self) -> bool {
        // §6.8.7: a passive system waits for the neighbour; RemoteMinRx 0 asks for silence.
        self.state != State::AdminDown
            && !(self.cfg.passive && self.remote_discr == 0)
            && self.remote_min_rx_us != 0
    }

    fn go_up(&mut self, out: &mut Vec<Action>) {
        self.transition(State::Up, Diag::None, out);
        if self.cfg.min_tx_us != self.desired_tx_us {
            self.desired_tx_us = self.cfg.min_tx_us;
            if self.desired_tx_us < self.desired_tx_in_effect_us {
                self.desired_tx_in_effect_us = self.desired_tx_us;
            }
            self.poll = true;
        }
    }

    fn go_down(&mut self, diag: Diag, out: &mut Vec<Action>) {
        self.transition(State::Down, diag, out);
        // §6.8.3: not Up, Desired Min TX goes back to the idle interval, without a poll.
        self.desired_tx_us = self.cfg.idle_tx_us;
        self.desired_tx_in_effect_us = self.cfg.idle_tx_us;
        self.poll = false;
    }

    fn transition(&mut self, to: State, diag: Diag, out: &mut Vec<Action>) {
        let from = self.state;
        self.state = to;
        self.diag = diag;
        out.push(Action::StateChange { from, to, diag });
    }

    /// A control packet as the session stands; `final_` answers a Poll (and never polls).
    fn packet(&self, final_: bool) -> ControlPacket {
        ControlPacket {
            diag: self.diag,
            state: self.state,
            poll: self.poll && !final_,
            final_,
            cpi: false,
            demand: false,
            detect_mult: self.cfg.multiplier,
            my_discr: self.cfg.local_discr,
            your_discr: self.remote_discr,
            desired_min_tx: self.desired_tx_us,
            required_min_rx: self.cfg.min_rx_us,
            required_min_echo_rx: 0,
        }
    }

    /// The transmit interval less a random 0-25 % (0-10 % to 25 % when Detect Mult is 1).
    fn jittered(&mut self) -> Micros {
        let interval = self.tx_interval().0;
        // xorshift64: reproducible from the seed, no dependency.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let floor = if self.cfg.multiplier == 1 {
            interval / 10
        } else {
            0
        };
        let span = interval / 4 - floor;
        let jitter = floor + if span == 0 { 0 } else { self.rng % (span + 1) };
        Micros(interval - jitter)
    }
}
