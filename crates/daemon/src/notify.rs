//! Notify scripts: run one instance's scripts one after another, in the order of its
//! transitions, never blocking the protocol loop. They run under keepalived's privilege model
//! as `vrrp_script`s do: as the script's own user and group, else `script_user`, else
//! `keepalived_script` or root; with `enable_script_security`, a script a non-root user could
//! change is not run. Each runs in its own process group, killed whole at its time-out.

use crate::script_user::{self, RunAs};
use conf::model::{Global, NotifyKind, ScriptCmd};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;
use tracing::{error, info, warn};

/// How long a notify script may run.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A notify script as it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyScript {
    /// `notify_master`, ..., `notify`.
    pub kind: NotifyKind,
    /// The command line (run by /bin/sh).
    pub command: String,
    /// Who runs it.
    pub run_as: RunAs,
}

/// The scripts of an instance that may run, each as its user. A script whose user does not
/// exist, or that `enable_script_security` finds unsafe, is left out with an error logged (as
/// keepalived disables it); the instance runs without it.
pub fn resolve(
    instance: &str,
    scripts: &[(NotifyKind, ScriptCmd)],
    global: &Global,
) -> Vec<NotifyScript> {
    let runnable = |(kind, cmd): &(NotifyKind, ScriptCmd)| {
        Some(NotifyScript {
            kind: *kind,
            command: cmd.command.clone(),
            run_as: run_as(instance, kind.keyword(), cmd, global)?,
        })
    };
    scripts.iter().filter_map(runnable).collect()
}

/// Who runs `cmd` (given under keyword `kind`): its own user, else the default script user;
/// `None`, with an error logged, when that user does not exist or `enable_script_security`
/// finds the script unsafe.
pub fn run_as(instance: &str, kind: &str, cmd: &ScriptCmd, global: &Global) -> Option<RunAs> {
    let run_as = match cmd.run_user() {
        Some(who) => RunAs::named(&who),
        None => RunAs::default_for(global),
    };
    let run_as = match run_as {
        Ok(r) => r,
        Err(why) => {
            error!(instance, script = %cmd.command, "{kind} not run: {why}");
            return None;
        }
    };
    let program = cmd.command.split_whitespace().next().unwrap_or_default();
    if global.script_security()
        && let Some(why) = script_user::insecure(Path::new(program), &run_as)
    {
        error!(instance, script = %cmd.command, "{kind} not run: enable_script_security is set and {why}");
        return None;
    }
    Some(run_as)
}

/// Scripts waiting to run, at most: past it the oldest waiting one is dropped (the newest
/// says most about the instance's state).
const QUEUE_MAX: usize = 64;

/// What the worker has to run, and what the queue refused.
#[derive(Default)]
struct Queue {
    waiting: VecDeque<(NotifyScript, Vec<String>)>,
    coalesced: u64,
    dropped: u64,
}

/// A queue of commands for one instance, run in order by its own task. A command equal to
/// one already waiting is not queued again (a storm of lower-priority adverts runs
/// `notify_master_rx_lower_pri` once per run, not once per advert); at most [`QUEUE_MAX`] wait.
#[derive(Clone)]
pub struct Notifier {
    queue: Arc<Mutex<Queue>>,
    wake: Arc<tokio::sync::Notify>,
}

impl Notifier {
    /// The notifier of an instance without notify scripts: no task runs (200 instances
    /// without scripts kept 200 idle tasks, about 120 KiB); nothing is ever queued to it.
    pub fn idle() -> Self {
        Notifier {
            queue: Arc::new(Mutex::new(Queue::default())),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Starts the worker task for instance `name`; it ends when every `Notifier` is dropped
    /// and the queue is empty.
    pub fn spawn(name: String) -> (Self, tokio::task::JoinHandle<()>) {
        let n = Notifier {
            queue: Arc::new(Mutex::new(Queue::default())),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        let (queue, wake) = (n.queue.clone(), n.wake.clone());
        let task = tokio::spawn(async move {
            loop {
                let next = {
                    let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                    match q.waiting.pop_front() {
                        Some(job) => Some(job),
                        // Every Notifier is gone and nothing waits: done.
                        None if Arc::strong_count(&queue) == 1 => return,
                        None => None,
                    }
                };
                match next {
                    // Boxed: the idle worker of each instance keeps only its small loop,
                    // not the room a running script's future needs.
                    Some((script, args)) => {
                        Box::pin(run(&name, &script, &args, SCRIPT_TIMEOUT)).await
                    }
                    None => wake.notified().await,
                }
            }
        });
        (n, task)
    }

    /// Queues `script` with extra arguments, unless the same is already waiting.
    pub fn queue(&self, script: &NotifyScript, args: Vec<String>) {
        let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if q.waiting.iter().any(|(s, a)| s == script && *a == args) {
            q.coalesced += 1;
            return;
        }
        if q.waiting.len() >= QUEUE_MAX {
            q.waiting.pop_front();
            q.dropped += 1;
            warn!(script = %script.command, dropped = q.dropped, "notify queue full: the oldest waiting script is dropped");
        }
        q.waiting.push_back((script.clone(), args));
        drop(q);
        self.wake.notify_one();
    }

    /// Commands not queued because an equal one was waiting, and commands dropped.
    pub fn counts(&self) -> (u64, u64) {
        let q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        (q.coalesced, q.dropped)
    }
}

impl Drop for Notifier {
    /// Wakes the worker, which ends once the last Notifier is gone and nothing waits.
    fn drop(&mut self) {
        self.wake.notify_one();
    }
}

/// Runs one script to its end or its time-out.
async fn run(instance: &str, script: &NotifyScript, args: &[String], timeout: Duration) {
    let mut line = script.command.clone();
    for a in args {
        line.push(' ');
        line.push_str(&shell_quote(a));
    }
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(&line)
        .stdin(std::process::Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    script.run_as.apply(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            warn!(instance, script = %line, error = %e, "notify script could not start");
            return;
        }
    };
    let group = child.id();
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => {
            info!(instance, script = %line, user = %script.run_as.name, "notify script done")
        }
        Ok(Ok(status)) => warn!(instance, script = %line, %status, "notify script failed"),
        Ok(Err(e)) => warn!(instance, script = %line, error = %e, "notify script wait failed"),
        Err(_) => {
            script_user::kill_group(group);
            let _ = child.wait().await;
            warn!(instance, script = %line, timeout_s = timeout.as_secs_f64(), "notify script timed out and was killed with its process group");
        }
    }
}

/// `s` as one shell word.
pub fn shell_quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> RunAs {
        RunAs {
            name: "me".into(),
            uid: nix::unistd::Uid::current().as_raw(),
            gid: nix::unistd::Gid::current().as_raw(),
        }
    }

    #[tokio::test]
    async fn a_storm_of_equal_scripts_runs_them_once_per_run_not_once_each() {
        let dir = std::env::temp_dir().join(format!("havip-storm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let log = dir.join("runs");
        let script = NotifyScript {
            kind: NotifyKind::MasterRxLowerPri,
            command: format!("echo run >> {}; sleep 0.2", log.display()),
            run_as: me(),
        };
        let master = NotifyScript {
            kind: NotifyKind::Master,
            command: format!("echo master >> {}", log.display()),
            run_as: me(),
        };
        let (notifier, task) = Notifier::spawn("VI_1".into());
        // A thousand lower-priority adverts while the first run is still going; then a
        // transition, which keeps its place after them.
        for _ in 0..1000 {
            notifier.queue(&script, Vec::new());
            tokio::task::yield_now().await;
        }
        notifier.queue(&master, Vec::new());
        let (coalesced, dropped) = notifier.counts();
        drop(notifier);
        task.await.expect("the worker ends once its queue is empty");
        let runs = std::fs::read_to_string(&log).expect("runs");
        let _ = std::fs::remove_dir_all(&dir);
        let lines: Vec<&str> = runs.lines().collect();
        assert!(lines.len() <= 3 && lines.len() >= 2, "{lines:?}");
        assert_eq!(lines.last(), Some(&"master"));
        assert!(coalesced >= 997, "{coalesced}");
        assert_eq!(dropped, 0);
    }

    #[tokio::test]
    async fn a_full_queue_drops_its_oldest_script() {
        let (notifier, task) = Notifier::spawn("VI_1".into());
        let slow = NotifyScript {
            kind: NotifyKind::Any,
            command: "sleep 0.3".into(),
            run_as: me(),
        };
        notifier.queue(&slow, Vec::new());
        tokio::time::sleep(Duration::from_millis(50)).await;
        for k in 0..QUEUE_MAX + 10 {
            let distinct = NotifyScript {
                command: format!("true {k}"),
                ..slow.clone()
            };
            notifier.queue(&distinct, Vec::new());
        }
        assert_eq!(notifier.counts(), (0, 10));
        drop(notifier);
        task.await.expect("worker ends");
    }

    #[tokio::test]
    async fn a_timed_out_script_dies_with_its_process_group() {
        let dir = std::env::temp_dir().join(format!("havip-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let pid_file = dir.join("child.pid");
        let script = NotifyScript {
            kind: NotifyKind::Master,
            command: format!("sleep 30 & echo $! > {}; wait", pid_file.display()),
            run_as: me(),
        };
        // Long enough for a loaded machine to start the child; far short of its 30 s.
        run("VI_1", &script, &[], Duration::from_secs(2)).await;
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .expect("the script started its child")
            .trim()
            .parse()
            .expect("pid");
        let _ = std::fs::remove_dir_all(&dir);
        // Killed and reaped by nobody but init: gone from /proc or a zombie (the kill is
        // delivered at once; a loaded machine may take a moment to carry it out).
        let alive = || {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let alive = state
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'));
            alive.then_some(state)
        };
        let mut state = alive();
        for _ in 0..50 {
            if state.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            state = alive();
        }
        assert!(
            state.is_none(),
            "the script's child outlived the time-out: {state:?}"
        );
    }

    #[test]
    fn unknown_users_and_unsafe_scripts_are_left_out() {
        use std::os::unix::fs::PermissionsExt;
        let unsafe_script =
            std::env::temp_dir().join(format!("havip-unsafe-{}.sh", std::process::id()));
        std::fs::write(&unsafe_script, "#!/bin/sh\n").expect("script");
        std::fs::set_permissions(&unsafe_script, std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let text = format!(
            "global_defs {{\n enable_script_security\n script_user root\n}}\n\
             vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n priority 100\n\
             virtual_ipaddress {{\n 10.0.0.1/24\n }}\n\
             notify_master /bin/true\n\
             notify_backup \"/bin/true backup\" no-such-user-xyz\n\
             notify_fault {}\n}}\n",
            unsafe_script.display()
        );
        let files = conf::reader::MemoryFiles(
            [(std::path::PathBuf::from("/k.conf"), text.into_bytes())]
                .into_iter()
                .collect(),
        );
        let report = conf::check(
            &files,
            Path::new("/k.conf"),
            None,
            &conf::Options::default(),
        );
        let _ = std::fs::remove_file(&unsafe_script);
        let cfg = report.config;
        let e = conf::effective::resolve(&cfg, &cfg.instances[0], None).expect("resolves");
        assert_eq!(e.notify.len(), 3, "{:?}", e.notify);
        let scripts = resolve("VI_1", &e.notify, &cfg.global);
        assert_eq!(
            scripts,
            [NotifyScript {
                kind: NotifyKind::Master,
                command: "/bin/true".into(),
                run_as: RunAs::root(),
            }]
        );
    }
}
