//! A server's service, the process its config tracks (`vrrp_track_process`): a copy of `sleep`
//! at `<dir>/<server>.service`, matched by its full command line. Net namespaces do not hide
//! processes, so it runs beside the lab rather than in the server's namespace, where the
//! namespace's faults (a daemon killed with everything around it) would take it too.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The service's argument: long enough to outlive any drill.
const FOREVER: &str = "1000000";

/// One server's service.
pub(super) struct Service {
    path: PathBuf,
    child: Option<Child>,
}

impl Service {
    /// The service of `server` in the lab directory `dir` (not started).
    pub(super) fn new(dir: &std::path::Path, server: &str) -> Result<Service> {
        let path = dir.join(format!("{server}.service"));
        std::fs::copy("/bin/sleep", &path)
            .with_context(|| format!("copying sleep to {}", path.display()))?;
        Ok(Service { path, child: None })
    }

    /// Starts it unless it runs.
    pub(super) fn start(&mut self) -> Result<()> {
        if let Some(c) = &mut self.child
            && c.try_wait().ok().flatten().is_none()
        {
            return Ok(());
        }
        let child = Command::new(&self.path)
            .arg(FOREVER)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", self.path.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Kills it (SIGKILL), if it runs.
    pub(super) fn kill(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            c.kill().context("killing the service")?;
            let _ = c.wait();
        }
        Ok(())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
