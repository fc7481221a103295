//! The data plane's only `unsafe`: putting the forwarding thread in the SCHED_FIFO class, for
//! which nix has no wrapper.
#![allow(unsafe_code)]

use anyhow::{Result, anyhow};

/// Puts the calling thread in the SCHED_FIFO class at `priority` (1-99; needs CAP_SYS_NICE).
pub fn set_fifo(priority: u8) -> Result<()> {
    let param = libc::sched_param {
        sched_priority: i32::from(priority),
    };
    // SAFETY: `param` is a valid, initialised `sched_param` that outlives the call; pid 0 is
    // the calling thread; the call only reads `param`.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(anyhow!("realtime priority {priority} (SCHED_FIFO): {e}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_out_of_range_priority_is_refused_by_the_kernel_with_a_clear_error() {
        let e = super::set_fifo(100).expect_err("100 is above SCHED_FIFO's range");
        assert!(e.to_string().contains("realtime priority 100"), "{e}");
    }
}
