//! The event loop's timer, to the microsecond: a timerfd armed for the next deadline. tokio's
//! timers fire on a 1 ms tick, so an advert due just after a tick would leave up to a
//! millisecond late; the loop's own deadlines (adverts, Master_Down_Interval, announcements)
//! wait on this instead. A far deadline is first waited for on tokio's timer (no system call)
//! up to [`APPROACH`] before it, then on the timerfd: a backup, whose Master_Down deadline
//! moves with every advert it hears, arms nothing; the timerfd is set again only when the
//! deadline changed.

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use std::io;
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;

/// How long before a deadline the timerfd takes over from tokio's timer (twice its tick).
pub const APPROACH: Duration = Duration::from_millis(2);

/// The loop's one timer.
pub struct Deadline {
    fd: AsyncFd<crate::sys::OwnedTimer>,
    /// The deadline the timerfd is set for, until it fires.
    armed: std::cell::Cell<Option<Instant>>,
}

impl Deadline {
    /// A disarmed timer on the monotonic clock (the clock of `Instant`).
    pub fn new() -> io::Result<Deadline> {
        let t = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        Ok(Deadline {
            fd: crate::sys::async_timer(t)?,
            armed: std::cell::Cell::new(None),
        })
    }

    /// Returns at `at` (at once if it has passed); the timerfd is set again only when `at` is
    /// not the deadline it is already set for.
    pub async fn until(&self, at: Instant) -> io::Result<()> {
        if self.armed.get() != Some(at) {
            if let Some(approach) = at.checked_sub(APPROACH)
                && approach > Instant::now() + APPROACH
            {
                tokio::time::sleep_until(approach.into()).await;
            }
            // A zero value would disarm the timer: a passed deadline fires in a nanosecond.
            let left = at
                .saturating_duration_since(Instant::now())
                .max(Duration::from_nanos(1));
            self.fd.get_ref().0.set(
                Expiration::OneShot(TimeSpec::from_duration(left)),
                TimerSetTimeFlags::empty(),
            )?;
            self.armed.set(Some(at));
        }
        // The expiry count is not read: arming the timer again clears it, and tokio's
        // edge-triggered registration reports every expiry. A readiness left from an earlier
        // arming (whose wait was given up) is told apart by the clock.
        loop {
            let mut ready = self.fd.readable().await?;
            if Instant::now() >= at {
                ready.clear_ready();
                self.armed.set(None);
                return Ok(());
            }
            ready.clear_ready();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_at_its_deadline_and_again_when_rearmed() {
        let d = Deadline::new().expect("timerfd");
        for wait in [Duration::from_micros(1500), Duration::ZERO] {
            let at = Instant::now() + wait;
            d.until(at).await.expect("fires");
            assert!(Instant::now() >= at);
        }
        // Waited for, then re-armed sooner: the sooner one counts.
        let later = Instant::now() + Duration::from_millis(10);
        let _ = tokio::time::timeout(Duration::from_millis(9), d.until(later)).await;
        let soon = Instant::now() + Duration::from_micros(500);
        tokio::time::timeout(Duration::from_secs(5), d.until(soon))
            .await
            .expect("the re-armed deadline fired")
            .expect("no error");
        // The same deadline again after the wait was given up: it still fires.
        let at = Instant::now() + Duration::from_millis(3);
        let _ = tokio::time::timeout(Duration::from_micros(2500), d.until(at)).await;
        d.until(at).await.expect("fires");
        assert!(Instant::now() >= at);
    }
}
