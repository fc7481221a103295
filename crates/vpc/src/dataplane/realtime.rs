//! Putting the forwarding thread in the SCHED_FIFO class (the call itself is `hostsys::sched`'s).

use anyhow::{Result, anyhow};
use hostsys::sched::{Policy, set_calling_thread};

/// Puts the calling thread in the SCHED_FIFO class at `priority` (1-99; needs CAP_SYS_NICE).
pub fn set_fifo(priority: u8) -> Result<()> {
    set_calling_thread(Policy::Fifo, priority, false)
        .map_err(|e| anyhow!("realtime priority {priority} (SCHED_FIFO): {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_out_of_range_priority_is_refused_by_the_kernel_with_a_clear_error() {
        let e = super::set_fifo(100).expect_err("100 is above SCHED_FIFO's range");
        assert!(e.to_string().contains("realtime priority 100"), "{e}");
    }
}
