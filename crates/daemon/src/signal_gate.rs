//! Signals that arrive before havipd listens for them wait instead of killing it: `main` holds
//! (blocks) them first thing, and releases them once the tokio listeners exist, which then
//! receive whatever came meanwhile. SIGRTMIN+2 is not held (nix names only the classic
//! signals); the window it leaves is the runtime's start.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use tracing::warn;

/// Signals held until released.
pub struct Held(SigSet);

/// Holds SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 for this thread and the threads it starts.
pub fn hold() -> Held {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        set.add(s);
    }
    if let Err(e) = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None) {
        warn!(error = %e, "could not hold signals during start-up");
    }
    Held(set)
}

impl Held {
    /// Delivers the held signals to the listeners now installed.
    pub fn release(self) {
        if let Err(e) = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&self.0), None) {
            warn!(error = %e, "could not release the signals held during start-up");
        }
    }
}
