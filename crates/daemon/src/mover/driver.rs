//! The movers' task: commands from the loop and the answers of the calls in; the calls each
//! mover asks for out (each on the blocking pool, bounded by its deadline); the board updated
//! after every change.

use super::api::Client;
use super::ledger::Ledger;
use super::{Board, Command, Target};
use crate::clock::Clock;
use node::mover::{Action, Holder, Mover, MoverCall, Outcome, Timing};
use std::sync::Arc;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// One instance's mover and the client that makes its calls.
struct Slot {
    name: String,
    mover: Mover,
    client: Arc<Client>,
    settings: conf::mover::Mover,
}

/// A call's answer: the slot, the call's sequence number, how it ended, the holder it saw.
type Done = (usize, u64, Outcome, Option<Holder>);

/// Starts the task; it ends when the loop drops the command sender.
pub(super) fn spawn(targets: Vec<Target>, rx: mpsc::UnboundedReceiver<Command>, board: Board) {
    let slots = targets
        .into_iter()
        .map(|t| {
            let method = match t.settings.method {
                conf::mover::Method::Assign => node::mover::Method::Assign,
                conf::mover::Method::Migrate => node::mover::Method::Migrate,
                conf::mover::Method::Route { .. } => node::mover::Method::Route,
            };
            Slot {
                mover: Mover::new(method, Timing::default(), seed(&t.name)),
                client: Arc::new(Client::new(&t.settings, t.vips)),
                name: t.name,
                settings: t.settings,
            }
        })
        .collect();
    tokio::spawn(run(slots, rx, board));
}

/// The jitter's seed: the instance's name and the process, so two servers never retry in step.
fn seed(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ u64::from(std::process::id())
}

async fn run(mut slots: Vec<Slot>, mut rx: mpsc::UnboundedReceiver<Command>, board: Board) {
    let clock = Clock::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let mut out = Vec::new();
    loop {
        publish(&slots, &board);
        let wake = slots.iter().filter_map(|s| s.mover.poll_at()).min();
        let sleep = async {
            match wake {
                Some(t) => tokio::time::sleep_until(clock.instant(t).into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                command(&mut slots, cmd, clock.now(), &mut out, &done_tx, &clock);
            }
            Some((k, seq, outcome, holder)) = done_rx.recv() => {
                let s = &mut slots[k];
                s.mover.finished(clock.now(), seq, outcome, holder, &mut out);
                start_calls(k, s, &mut out, &done_tx, &clock);
            }
            () = sleep => {
                for (k, s) in slots.iter_mut().enumerate() {
                    s.mover.poll(clock.now(), &mut out);
                    start_calls(k, s, &mut out, &done_tx, &clock);
                }
            }
        }
    }
}

fn command(
    slots: &mut [Slot],
    cmd: Command,
    now: vrrp::Timestamp,
    out: &mut Vec<MoverCall>,
    done: &mpsc::UnboundedSender<Done>,
    clock: &Clock,
) {
    let (name, master) = match &cmd {
        Command::Master(n, m) => (n, Some(*m)),
        Command::Elsewhere(n) => (n, None),
    };
    let Some(k) = slots.iter().position(|s| &s.name == name) else {
        return;
    };
    let s = &mut slots[k];
    match master {
        Some(m) => s.mover.set_master(now, m, out),
        None => {
            info!(instance = %s.name, "advert of lower priority: the VIPs may be elsewhere");
            s.mover.elsewhere(now, out);
        }
    }
    start_calls(k, s, out, done, clock);
}

/// Makes the calls in `out` (slot `k`'s) on the blocking pool; each reports to `done`.
fn start_calls(
    k: usize,
    s: &Slot,
    out: &mut Vec<MoverCall>,
    done: &mpsc::UnboundedSender<Done>,
    clock: &Clock,
) {
    for call in out.drain(..) {
        let client = s.client.clone();
        let done = done.clone();
        let name = s.name.clone();
        let deadline = clock.instant(call.deadline);
        tokio::task::spawn_blocking(move || {
            let (outcome, holder) = client.step(call.action, deadline);
            log_step(&name, call.action, outcome, holder, &client.ledger);
            let _ = done.send((k, call.seq, outcome, holder));
        });
    }
}

fn log_step(name: &str, action: Action, outcome: Outcome, holder: Option<Holder>, ledger: &Ledger) {
    let step = step_name(action);
    if outcome == Outcome::Ok {
        info!(instance = %name, step, outcome = outcome.name(), holder = ?holder, "mover step");
    } else {
        let error = ledger.lock().last_error.clone().unwrap_or_default();
        warn!(instance = %name, step, outcome = outcome.name(), %error, "mover step failed");
    }
}

fn step_name(a: Action) -> &'static str {
    match a {
        Action::Claim(_) => "claim",
        Action::Describe => "describe",
    }
}

fn method_name(m: &conf::mover::Method) -> &'static str {
    match m {
        conf::mover::Method::Migrate => "migrate",
        conf::mover::Method::Assign => "assign",
        conf::mover::Method::Route { .. } => "route",
    }
}

/// Writes every mover's status on the board.
fn publish(slots: &[Slot], board: &Board) {
    let mut b = board.lock().unwrap_or_else(|e| e.into_inner());
    for s in slots {
        let st = s.mover.status();
        let record = s.client.ledger.lock();
        let count = |(a, o): (&str, Outcome), n: u64| ctl::MoverCount {
            action: a.to_string(),
            outcome: o.name().to_string(),
            count: n,
        };
        b.insert(
            s.name.clone(),
            ctl::MoverStatus {
                provider: s.settings.provider.name().to_string(),
                method: method_name(&s.settings.method).to_string(),
                eni: s.settings.eni.clone(),
                phase: st.phase.name().to_string(),
                failures: st.failures,
                in_flight: st.in_flight.map(|a| step_name(a).to_string()),
                last: st
                    .last
                    .map(|(a, o)| format!("{} {}", step_name(a), o.name())),
                last_error: record.last_error.clone(),
                steps: st
                    .counts
                    .iter()
                    .map(|((a, o), n)| count((step_name(*a), *o), *n))
                    .collect(),
                calls: record
                    .calls
                    .iter()
                    .map(|((a, o), n)| count((a, *o), *n))
                    .collect(),
            },
        );
    }
}
