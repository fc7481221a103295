//! The calling thread's scheduling class and nice value: `sched_setscheduler(2)` and
//! `setpriority(2)`, which nix does not wrap.
#![allow(unsafe_code)]

use std::io;

/// A scheduling policy of `sched(7)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// SCHED_OTHER: an ordinary task (priority 0).
    Other,
    /// SCHED_FIFO at a real-time priority (1-99).
    Fifo,
    /// SCHED_RR at a real-time priority (1-99).
    RoundRobin,
}

/// Puts the calling thread in `policy` at `priority` (CAP_SYS_NICE for the real-time ones).
/// With `reset_on_fork`, threads and processes it starts later run as ordinary tasks
/// (SCHED_RESET_ON_FORK).
pub fn set_calling_thread(policy: Policy, priority: u8, reset_on_fork: bool) -> io::Result<()> {
    let class = match policy {
        Policy::Other => libc::SCHED_OTHER,
        Policy::Fifo => libc::SCHED_FIFO,
        Policy::RoundRobin => libc::SCHED_RR,
    };
    let flags = if reset_on_fork {
        libc::SCHED_RESET_ON_FORK
    } else {
        0
    };
    let param = libc::sched_param {
        sched_priority: libc::c_int::from(priority),
    };
    // SAFETY: `param` is a valid, initialised sched_param that outlives the call; pid 0 is the
    // calling thread; the call only reads `param`.
    if unsafe { libc::sched_setscheduler(0, class | flags, &param) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets the calling thread's nice value (-20 to 19; lowering it needs CAP_SYS_NICE).
pub fn set_nice(nice: i8) -> io::Result<()> {
    // SAFETY: setpriority(2) takes integers; `who` 0 is the calling thread on Linux.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, libc::c_int::from(nice)) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_task_may_stay_one_and_an_out_of_range_priority_is_refused() {
        set_calling_thread(Policy::Other, 0, false).expect("SCHED_OTHER at 0 needs no privilege");
        let e = set_calling_thread(Policy::Fifo, 100, false).expect_err("100 is above 99");
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
    }
}
