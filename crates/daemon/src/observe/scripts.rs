//! `vrrp_script`: run every `interval` seconds as its user, in its own process group; a run that
//! outlives its `timeout` (default: the interval) is killed with its children and counts as a
//! failure. Runs never overlap and never block the event loop.

use super::{Observation, Reports};
use crate::script_user::RunAs;
use std::time::Duration;
use tokio::process::Command;
use tracing::{debug, warn};

/// A script as the runner needs it.
#[derive(Clone, Debug)]
pub struct ScriptJob {
    /// `vrrp_script` name.
    pub name: String,
    /// Command line, split on white space as keepalived does (no shell).
    pub argv: Vec<String>,
    /// Time between the starts of two runs.
    pub interval: Duration,
    /// Time a run may take.
    pub timeout: Duration,
    /// Who runs it.
    pub run_as: RunAs,
}

/// Runs a script once: `true` if it exited 0 within the time-out.
pub async fn run_once(job: &ScriptJob) -> bool {
    let Some((program, args)) = job.argv.split_first() else {
        return false;
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    job.run_as.apply(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            warn!(script = %job.name, error = %e, "script could not start");
            return false;
        }
    };
    let pgid = child.id();
    match tokio::time::timeout(job.timeout, child.wait()).await {
        Ok(Ok(status)) => {
            debug!(script = %job.name, %status, "script ran");
            status.success()
        }
        Ok(Err(e)) => {
            warn!(script = %job.name, error = %e, "script wait failed");
            false
        }
        Err(_) => {
            crate::script_user::kill_group(pgid);
            let _ = child.wait().await;
            warn!(script = %job.name, timeout_s = job.timeout.as_secs_f64(), "script timed out and was killed");
            false
        }
    }
}

/// Runs `job` forever on its interval, reporting each result.
pub fn spawn(job: ScriptJob, reports: Reports) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(job.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let success = run_once(&job).await;
            if reports
                .send(Observation::Tracked(node::Observation::Script {
                    name: job.name.clone(),
                    success,
                }))
                .is_err()
            {
                return;
            }
        }
    })
}
