//! Notify scripts: run one instance's scripts one after another, in the order of its
//! transitions, never blocking the protocol loop; a script that outlives its time-out is killed.

use std::time::Duration;
use tokio::process::Command;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// How long a notify script may run.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A queue of commands for one instance, run in order by its own task.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<(String, Vec<String>)>,
}

impl Notifier {
    /// Starts the worker task for instance `name`.
    pub fn spawn(name: String) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(String, Vec<String>)>();
        let task = tokio::spawn(async move {
            while let Some((command, args)) = rx.recv().await {
                run(&name, &command, &args).await;
            }
        });
        (Notifier { tx }, task)
    }

    /// Queues `command` (a shell command line) with extra arguments.
    pub fn queue(&self, command: &str, args: Vec<String>) {
        // The worker lives as long as the daemon; a send error means it is shutting down.
        let _ = self.tx.send((command.to_string(), args));
    }
}

async fn run(instance: &str, command: &str, args: &[String]) {
    let mut line = command.to_string();
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(&line)
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            warn!(instance, script = %line, error = %e, "notify script could not start");
            return;
        }
    };
    match tokio::time::timeout(SCRIPT_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) if status.success() => info!(instance, script = %line, "notify script done"),
        Ok(Ok(status)) => warn!(instance, script = %line, %status, "notify script failed"),
        Ok(Err(e)) => warn!(instance, script = %line, error = %e, "notify script wait failed"),
        Err(_) => {
            let _ = child.kill().await;
            warn!(instance, script = %line, timeout_s = SCRIPT_TIMEOUT.as_secs(), "notify script timed out and was killed");
        }
    }
}

fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
