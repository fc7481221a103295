//! Signals that arrive before havipd listens for them wait instead of killing it: `main` holds
//! (blocks) them first thing. The supervisor keeps them held and reads them from a signalfd;
//! its forked worker inherits the hold and releases it once its tokio listeners exist, which
//! then receive whatever came meanwhile.

use crate::sys::SignalSet;
use tracing::warn;

/// Signals held until released.
#[derive(Clone, Copy)]
pub struct Held(SignalSet);

/// The signals havipd acts on: stop (SIGTERM, SIGINT), reload (SIGHUP) and the dumps
/// (SIGUSR1, SIGUSR2, SIGRTMIN+2).
pub fn handled() -> [i32; 6] {
    [
        libc::SIGTERM,
        libc::SIGINT,
        libc::SIGHUP,
        libc::SIGUSR1,
        libc::SIGUSR2,
        crate::signum::json(),
    ]
}

/// Holds the [`handled`] signals for this thread and the threads and children it starts.
pub fn hold() -> Held {
    let set = SignalSet::of(&handled());
    if let Err(e) = set.block() {
        warn!(error = %e, "could not hold signals during start-up");
    }
    Held(set)
}

impl Held {
    /// Delivers the held signals to the listeners now installed.
    pub fn release(self) {
        if let Err(e) = self.0.unblock() {
            warn!(error = %e, "could not release the signals held during start-up");
        }
    }
}
