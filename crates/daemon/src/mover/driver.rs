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
    /// Names the slot in its calls' answers (indices change with a reload).
    id: u64,
    target: Target,
    mover: Mover,
    client: Arc<Client>,
}

/// A call's answer: the slot's id, the call's sequence number, how it ended, the holder it saw.
type Done = (u64, u64, Outcome, Option<Holder>);

/// What the task works with: its slots, the clock, and where calls report.
struct Task {
    slots: Vec<Slot>,
    next_id: u64,
    clock: Clock,
    done: mpsc::UnboundedSender<Done>,
}

/// Starts the task; it ends when the loop drops the command sender.
pub(super) fn spawn(rx: mpsc::UnboundedReceiver<Command>, board: Board) {
    tokio::spawn(run(rx, board));
}

fn method_of(m: &conf::mover::Method) -> node::mover::Method {
    match m {
        conf::mover::Method::Assign => node::mover::Method::Assign,
        conf::mover::Method::Migrate => node::mover::Method::Migrate,
        conf::mover::Method::Route { .. } => node::mover::Method::Route,
    }
}

/// The jitter's seed: the instance's name and the process, so two servers never retry in step.
fn seed(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ u64::from(std::process::id())
}

async fn run(mut rx: mpsc::UnboundedReceiver<Command>, board: Board) {
    let (done, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let mut task = Task {
        slots: Vec::new(),
        next_id: 0,
        clock: Clock::new(),
        done,
    };
    let mut out = Vec::new();
    loop {
        publish(&task.slots, &board);
        let wake = task.slots.iter().filter_map(|s| s.mover.poll_at()).min();
        let wake = wake.map(|t| task.clock.instant(t));
        let sleep = async {
            match wake {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                task.command(cmd, &mut out);
            }
            Some((id, seq, outcome, holder)) = done_rx.recv() => {
                let now = task.clock.now();
                if let Some(k) = task.slots.iter().position(|s| s.id == id) {
                    task.slots[k].mover.finished(now, seq, outcome, holder, &mut out);
                    task.start_calls(k, &mut out);
                }
            }
            () = sleep => {
                for k in 0..task.slots.len() {
                    let now = task.clock.now();
                    task.slots[k].mover.poll(now, &mut out);
                    task.start_calls(k, &mut out);
                }
            }
        }
    }
}

impl Task {
    fn command(&mut self, cmd: Command, out: &mut Vec<MoverCall>) {
        let now = self.clock.now();
        let (name, master) = match cmd {
            Command::Reconfigure(targets) => return self.reconfigure(targets, out),
            Command::Master(n, m) => (n, Some(m)),
            Command::Elsewhere(n) => (n, None),
        };
        let Some(k) = self.slots.iter().position(|s| s.target.name == name) else {
            return;
        };
        let s = &mut self.slots[k];
        match master {
            Some(m) => s.mover.set_master(now, m, out),
            None => {
                info!(instance = %name, "advert of lower priority: the VIPs may be elsewhere");
                s.mover.elsewhere(now, out);
            }
        }
        self.start_calls(k, out);
    }

    /// The movers of a start or a reload: unchanged ones kept as they run, changed ones
    /// started over with a new client (the ledger's counts go on), new ones made, the rest
    /// dropped (a call of theirs still in flight finishes unheard).
    fn reconfigure(&mut self, targets: Vec<(Target, bool)>, out: &mut Vec<MoverCall>) {
        let now = self.clock.now();
        let mut old = std::mem::take(&mut self.slots);
        for (target, master) in targets {
            let method = method_of(&target.settings.method);
            let kept = old.iter().position(|s| s.target.name == target.name);
            let slot = match kept.map(|k| old.swap_remove(k)) {
                Some(s) if s.target.same_as(&target) => s,
                Some(mut s) => {
                    info!(instance = %target.name, "mover settings changed by the reload: starting over");
                    let ledger = s.client.ledger.clone();
                    s.client = Arc::new(Client::new(&target.settings, target.vips.clone(), ledger));
                    s.mover.reconfigure(now, method, master, out);
                    s.target = target;
                    s
                }
                None => {
                    let mut mover = Mover::new(method, Timing::default(), seed(&target.name));
                    mover.set_master(now, master, out);
                    let client = Client::new(&target.settings, target.vips.clone(), Arc::default());
                    self.next_id += 1;
                    Slot {
                        id: self.next_id,
                        target,
                        mover,
                        client: Arc::new(client),
                    }
                }
            };
            self.slots.push(slot);
            let k = self.slots.len() - 1;
            self.start_calls(k, out);
        }
        for s in old {
            info!(instance = %s.target.name, "no mover after the reload");
        }
    }

    /// Makes the calls in `out` (slot `k`'s) on the blocking pool; each reports to `done`.
    fn start_calls(&self, k: usize, out: &mut Vec<MoverCall>) {
        let s = &self.slots[k];
        for call in out.drain(..) {
            let client = s.client.clone();
            let done = self.done.clone();
            let (id, name) = (s.id, s.target.name.clone());
            let deadline = self.clock.instant(call.deadline);
            tokio::task::spawn_blocking(move || {
                let (outcome, holder) = client.step(call.action, deadline);
                log_step(&name, call.action, outcome, holder, &client.ledger);
                let _ = done.send((id, call.seq, outcome, holder));
            });
        }
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
    b.clear();
    for s in slots {
        let st = s.mover.status();
        let record = s.client.ledger.lock();
        let count = |(a, o): (&str, Outcome), n: u64| ctl::MoverCount {
            action: a.to_string(),
            outcome: o.name().to_string(),
            count: n,
        };
        b.insert(
            s.target.name.clone(),
            ctl::MoverStatus {
                provider: s.target.settings.provider.name().to_string(),
                method: method_name(&s.target.settings.method).to_string(),
                eni: s.target.settings.eni.clone(),
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
