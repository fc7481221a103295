//! Two sessions wired back to back on a virtual clock: bring-up, timer negotiation with its
//! Poll Sequence, detection time when the wire is cut, AdminDown, passive roles.

use bfd::{Action, ControlPacket, Diag, Event, Micros, Session, SessionConfig, State, Timestamp};

/// Two sessions and a wire with a fixed one-way delay that can be cut.
struct Pair {
    now: Timestamp,
    s: [Session; 2],
    /// Packets in flight: (arrival, destination index, packet).
    wire: Vec<(Timestamp, usize, ControlPacket)>,
    cut: bool,
    delay: Micros,
    /// Every state change: (when, session index, from, to, diag).
    changes: Vec<(Timestamp, usize, State, State, Diag)>,
    /// Every packet sent: (when, sender index, packet).
    sent: Vec<(Timestamp, usize, ControlPacket)>,
}

impl Pair {
    fn new(a: SessionConfig, b: SessionConfig) -> Pair {
        Pair {
            now: Timestamp(0),
            s: [Session::new(a, Timestamp(0)), Session::new(b, Timestamp(0))],
            wire: Vec::new(),
            cut: false,
            delay: Micros(200),
            changes: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn apply(&mut self, k: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send(p) => {
                    self.sent.push((self.now, k, p));
                    if !self.cut {
                        self.wire.push((self.now + self.delay, 1 - k, p));
                    }
                }
                Action::StateChange { from, to, diag } => {
                    self.changes.push((self.now, k, from, to, diag))
                }
            }
        }
    }

    /// Runs every event up to `until`, in time order.
    fn run_until(&mut self, until: Timestamp) {
        loop {
            let wire_next = self.wire.iter().map(|w| w.0).min();
            let timers = self.s.iter().filter_map(Session::next_deadline);
            let Some(next) = timers.chain(wire_next).min() else {
                break;
            };
            if next > until {
                break;
            }
            self.now = next;
            if let Some(i) = self.wire.iter().position(|w| w.0 == next) {
                let (_, k, p) = self.wire.remove(i);
                let out = self.s[k].handle(next, Event::Packet(p));
                self.apply(k, out);
                continue;
            }
            for k in 0..2 {
                if self.s[k].next_deadline() == Some(next) {
                    let out = self.s[k].handle(next, Event::Timer);
                    self.apply(k, out);
                }
            }
        }
        self.now = until;
    }

    fn at(&mut self, ms: u64) {
        self.run_until(Timestamp(ms * 1000));
    }

    fn states(&self) -> [State; 2] {
        [self.s[0].state(), self.s[1].state()]
    }
}

fn cfg(discr: u32, min_rx_ms: u32, min_tx_ms: u32, mult: u8) -> SessionConfig {
    SessionConfig {
        min_rx_us: min_rx_ms * 1000,
        min_tx_us: min_tx_ms * 1000,
        multiplier: mult,
        ..SessionConfig::new(discr)
    }
}

#[test]
fn two_active_sessions_come_up_through_init_and_finish_the_poll() {
    let mut p = Pair::new(cfg(0x1111, 50, 50, 3), cfg(0x2222, 50, 50, 3));
    p.at(3_000);
    assert_eq!(p.states(), [State::Up, State::Up]);
    // Each went Down -> Init -> Up or Down -> Up, never skipping straight from Down to Up on a
    // Down packet.
    for (_, _, from, to, _) in &p.changes {
        assert!(matches!(
            (from, to),
            (State::Down, State::Init) | (State::Init, State::Up) | (State::Down, State::Up)
        ));
    }
    // Coming Up, each polled with its new Desired Min TX and the other answered with Final.
    for k in 0..2 {
        assert!(
            p.sent
                .iter()
                .any(|(_, s, pk)| *s == k && pk.poll && pk.desired_min_tx == 50_000)
        );
        assert!(
            p.sent
                .iter()
                .any(|(_, s, pk)| *s == 1 - k && pk.final_ && !pk.poll)
        );
        assert!(!p.s[k].polling(), "the poll sequence ended");
        assert_eq!(p.s[k].tx_interval(), Micros(50_000));
        assert_eq!(p.s[k].detection_time(), Micros(150_000));
    }
    // Up, packets flow at 50 ms less at most 25 % jitter.
    let from = Timestamp(2_000_000);
    let mine: Vec<Timestamp> = p
        .sent
        .iter()
        .filter(|(t, s, pk)| *t >= from && *s == 0 && !pk.final_)
        .map(|x| x.0)
        .collect();
    for w in mine.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= Micros(37_500) && gap <= Micros(50_000), "gap {gap}");
    }
}

#[test]
fn negotiation_takes_the_slower_side_and_the_remote_multiplier() {
    // A wants to send every 20 ms but B accepts one every 80 ms; B sends every 30 ms but A
    // accepts one every 100 ms.
    let mut p = Pair::new(cfg(1, 100, 20, 4), cfg(2, 80, 30, 7));
    p.at(3_000);
    assert_eq!(p.states(), [State::Up, State::Up]);
    assert_eq!(p.s[0].tx_interval(), Micros(80_000));
    assert_eq!(p.s[1].tx_interval(), Micros(100_000));
    // A detects B's silence after B's multiplier (7) x B's agreed interval (100 ms), and B
    // after 4 x 80 ms.
    assert_eq!(p.s[0].detection_time(), Micros(700_000));
    assert_eq!(p.s[1].detection_time(), Micros(320_000));
}

#[test]
fn cutting_the_wire_takes_both_down_within_the_detection_time() {
    let mut p = Pair::new(cfg(1, 50, 50, 3), cfg(2, 50, 50, 3));
    p.at(3_000);
    assert_eq!(p.states(), [State::Up, State::Up]);
    p.cut = true;
    p.wire.clear();
    let cut_at = p.now;
    p.at(3_400);
    for k in 0..2 {
        let down = p
            .changes
            .iter()
            .find(|c| c.1 == k && c.3 == State::Down && c.0 > cut_at)
            .expect("went down");
        assert_eq!(down.4, Diag::ControlDetectionExpired);
        let after = down.0 - cut_at;
        assert!(after <= Micros(150_000), "down {after} after the cut");
        assert!(after >= Micros(100_000), "down only {after} after the cut");
        assert_eq!(p.s[k].remote_discr(), 0);
        // Down, it falls back to the idle interval.
        assert_eq!(p.s[k].tx_interval(), Micros(1_000_000));
    }
    // Heal: both come back Up, the first sender's Down packet carries the diagnostic.
    p.cut = false;
    p.at(6_000);
    assert_eq!(p.states(), [State::Up, State::Up]);
    assert!(p.sent.iter().any(|(t, _, pk)| *t > cut_at
        && pk.state == State::Down
        && pk.diag == Diag::ControlDetectionExpired));
}

#[test]
fn admin_down_takes_the_neighbour_down_with_its_diagnostic() {
    let mut p = Pair::new(cfg(1, 50, 50, 3), cfg(2, 50, 50, 3));
    p.at(3_000);
    let out = p.s[0].handle(p.now, Event::AdminDown);
    assert!(matches!(
        out[0],
        Action::StateChange {
            to: State::AdminDown,
            diag: Diag::AdminDown,
            ..
        }
    ));
    p.apply(0, out);
    p.at(3_010);
    assert_eq!(p.states(), [State::AdminDown, State::Down]);
    assert_eq!(p.s[1].diag(), Diag::NeighborSignaledDown);
    assert_eq!(p.s[1].remote_state(), State::AdminDown);
    assert_eq!(p.s[0].next_deadline(), None, "AdminDown is silent");
    // And it stays so: the neighbour's packets are discarded.
    p.at(6_000);
    assert_eq!(p.states(), [State::AdminDown, State::Down]);
}

#[test]
fn a_passive_session_waits_for_the_active_one() {
    let passive = |d| SessionConfig {
        passive: true,
        ..cfg(d, 50, 50, 3)
    };
    let mut both = Pair::new(passive(1), passive(2));
    both.at(5_000);
    assert!(both.sent.is_empty(), "two passive sessions never speak");
    assert_eq!(both.states(), [State::Down, State::Down]);

    let mut p = Pair::new(cfg(1, 50, 50, 3), passive(2));
    p.at(3_000);
    assert_eq!(p.states(), [State::Up, State::Up]);
    let first_passive = p.sent.iter().find(|s| s.1 == 1).expect("passive spoke");
    let first_active = p.sent.iter().find(|s| s.1 == 0).expect("active spoke");
    assert!(first_passive.0 > first_active.0);
}

#[test]
fn packets_for_another_discriminator_are_ignored() {
    let mut s = Session::new(cfg(7, 50, 50, 3), Timestamp(0));
    let stray = ControlPacket {
        diag: Diag::None,
        state: State::Init,
        poll: true,
        final_: false,
        cpi: false,
        demand: false,
        detect_mult: 3,
        my_discr: 9,
        your_discr: 8,
        desired_min_tx: 1_000_000,
        required_min_rx: 50_000,
        required_min_echo_rx: 0,
    };
    assert!(s.handle(Timestamp(1), Event::Packet(stray)).is_empty());
    assert_eq!(s.remote_discr(), 0);
    // Addressed to us, the same packet takes us Up and is answered with Final.
    let ours = ControlPacket {
        your_discr: 7,
        ..stray
    };
    let out = s.handle(Timestamp(2), Event::Packet(ours));
    assert!(out.contains(&Action::StateChange {
        from: State::Down,
        to: State::Up,
        diag: Diag::None
    }));
    assert!(
        out.iter()
            .any(|a| matches!(a, Action::Send(p) if p.final_ && !p.poll))
    );
}

#[test]
fn a_neighbour_asking_for_no_packets_gets_none_until_forgotten() {
    let mut s = Session::new(cfg(7, 50, 50, 3), Timestamp(0));
    let quiet = ControlPacket {
        diag: Diag::None,
        state: State::Down,
        poll: false,
        final_: false,
        cpi: false,
        demand: false,
        detect_mult: 3,
        my_discr: 9,
        your_discr: 0,
        desired_min_tx: 1_000_000,
        required_min_rx: 0,
        required_min_echo_rx: 0,
    };
    s.handle(Timestamp(0), Event::Timer);
    s.handle(Timestamp(1), Event::Packet(quiet));
    let mut sent = Vec::new();
    let mut now = Timestamp(1);
    while let Some(t) = s.next_deadline() {
        if t > Timestamp(10_000_000) {
            break;
        }
        now = t.max(now);
        for a in s.handle(now, Event::Timer) {
            if matches!(a, Action::Send(_)) {
                sent.push(now);
            }
        }
    }
    // Silent for the detection time (3 x 1 s), then the neighbour is forgotten and the
    // session sends at its idle interval again.
    assert_eq!(sent.first(), Some(&Timestamp(3_000_001)));
    assert!(sent.len() >= 7, "{sent:?}");
}
