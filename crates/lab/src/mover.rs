//! The seed pair in a VPC without a HAVIP (`havip lab drill --vpc --mover tencent`): the VIP is
//! a secondary private IP of the primary's ENI, and only the cloud's API moves it. Each server
//! gets what an operator would give it: havipd a mover file (`--mover`, crate `conf`'s syntax)
//! naming the lab's `vpc serve` as endpoint, its own ENI and a credentials file (mode 0600,
//! the API key the lab made for its account); keepalived the documented `notify_master` script
//! (`scripts/notify-master-migrate.sh`: one `MigratePrivateIpAddress` through tccli). The
//! servers reach the API through [`crate::api_relay`], which a cut cable cuts too.
//!
//! [`owner_check`] says where the address ended: on the VRRP master's ENI and nowhere else
//! (DescribeNetworkInterfaces), and whether the data plane forwards the VIP to it.

use crate::api_relay::Relay;
use crate::topology::Topology;
use crate::vpc::{Plane, call_retrying};
use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The region the lab's movers name (the emulator answers any).
pub const REGION: &str = "ap-guangzhou";

/// The `notify_master` script of the documented pattern, as the lab installs it.
pub const NOTIFY_MASTER_SCRIPT: &str = include_str!("../scripts/notify-master-migrate.sh");

/// Where tccli is: `$HAVIP_TCCLI`, else `target/pyenv/bin/tccli` above the running program
/// (`.ci/run` installs it there).
pub fn tccli_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("HAVIP_TCCLI") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    for dir in exe.ancestors().skip(1).take(4) {
        let candidate = dir.join("pyenv/bin/tccli");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "tccli not found (target/pyenv/bin/tccli, which .ci/run installs): keepalived's notify_master script needs it; set HAVIP_TCCLI"
    )
}

/// The movers of a lab's servers: their files and their ways to the API.
pub struct Movers {
    /// havipd's mover file per server.
    pub files: Vec<PathBuf>,
    /// keepalived's `notify_master` line per server (it replaces the config's).
    pub notify: Vec<String>,
    /// The VIP (a secondary private IP).
    pub vip: String,
    /// The servers' ENIs.
    pub enis: Vec<String>,
    relays: Vec<Relay>,
    port: u16,
    namespaces: Vec<String>,
}

/// Writes `text` to `path` with `mode`, created fresh.
fn write_mode(path: &Path, text: &str, mode: u32) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

impl Movers {
    /// Writes each server's mover file, credentials and script environment, installs the
    /// script, and starts the servers' relays to the API.
    pub fn set_up(topo: &Topology, plane: &Plane, vip: &str) -> Result<Movers> {
        let port: u16 = plane
            .api
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow!("no port in {}", plane.api))?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let (id, key) = &plane.mover_key;
        let script = topo.dir.join("notify-master-migrate.sh");
        write_mode(&script, NOTIFY_MASTER_SCRIPT, 0o700)?;
        let tccli = tccli_path().ok();
        let servers = topo.servers.len();
        let enis: Vec<String> = plane.enis[..servers].to_vec();
        let mut m = Movers {
            files: Vec::new(),
            notify: Vec::new(),
            vip: vip.to_string(),
            enis: enis.clone(),
            relays: Vec::new(),
            port,
            namespaces: topo.servers.iter().map(|s| s.ns.clone()).collect(),
        };
        for (k, server) in topo.servers.iter().enumerate() {
            let n = &server.name;
            let creds = topo.dir.join(format!("{n}-cloud-credentials"));
            write_mode(
                &creds,
                &format!("secret_id = {id}\nsecret_key = {key}\n"),
                0o600,
            )?;
            let file = topo.dir.join(format!("{n}-mover.conf"));
            let text = format!(
                "mover {{\n    provider tencent\n    region {REGION}\n    endpoint {endpoint}\n    credentials file {}\n    eni {}\n    method migrate\n}}\n",
                creds.display(),
                enis[k]
            );
            write_mode(&file, &text, 0o644)?;
            m.files.push(file);
            let env = topo.dir.join(format!("{n}-tccli.env"));
            let tccli_text = tccli
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string());
            write_mode(
                &env,
                &format!(
                    "TENCENTCLOUD_SECRET_ID={id}\nTENCENTCLOUD_SECRET_KEY={key}\nTCCLI={tccli_text}\nENDPOINT={endpoint}\nREGION={REGION}\nHOME={}\n",
                    topo.dir.display()
                ),
                0o600,
            )?;
            let peer = &enis[(k + 1) % servers];
            m.notify.push(format!(
                "notify_master \"{} {peer} {} {vip} {}\"",
                script.display(),
                enis[k],
                env.display()
            ));
            m.relays.push(Relay::start(&server.ns, port)?);
        }
        Ok(m)
    }

    /// havipd's flags on server `k`.
    pub fn havipd_args(&self, k: usize) -> Vec<String> {
        vec!["--mover".into(), self.files[k].display().to_string()]
    }

    /// Whether server `k` reaches the API (its cable and link).
    pub fn set_reachable(&self, k: usize, on: bool) {
        if let Some(r) = self.relays.get(k) {
            r.set_reachable(on);
        }
    }

    /// A fresh relay for server `k`, whose namespace was rebuilt.
    pub fn restart_relay(&mut self, k: usize) -> Result<()> {
        self.relays[k] = Relay::start(&self.namespaces[k], self.port)?;
        Ok(())
    }

    /// Every server reaches the API (calls held while it was cut off dropped), and the
    /// address is back on the primary's ENI (moved by the lab's own key if it is elsewhere),
    /// as the lab starts. Tried three times: a call of the last run may land meanwhile.
    pub fn reset(&self, plane: &Plane) -> Result<()> {
        for r in &self.relays {
            r.reset();
        }
        let mut last = Ok(());
        for _ in 0..3 {
            last = self.home(plane);
            if last.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        last
    }

    fn home(&self, plane: &Plane) -> Result<()> {
        let owners = eni_owners(plane, &self.enis, &self.vip)?;
        for from in owners.iter().filter(|e| **e != self.enis[0]) {
            call_retrying(
                &plane.api,
                "MigratePrivateIpAddress",
                &json!({"SourceNetworkInterfaceId": from,
                        "DestinationNetworkInterfaceId": self.enis[0],
                        "PrivateIpAddress": self.vip}),
                Duration::from_secs(10),
            )?;
        }
        Ok(())
    }
}

/// The ENIs among `enis` that DescribeNetworkInterfaces shows with `vip`.
pub fn eni_owners(plane: &Plane, enis: &[String], vip: &str) -> Result<Vec<String>> {
    let r = call_retrying(
        &plane.api,
        "DescribeNetworkInterfaces",
        &json!({"NetworkInterfaceIds": enis}),
        Duration::from_secs(10),
    )?;
    let mut out = Vec::new();
    for e in r["NetworkInterfaceSet"].as_array().into_iter().flatten() {
        let has = e["PrivateIpAddressSet"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["PrivateIpAddress"] == vip);
        if has && let Some(id) = e["NetworkInterfaceId"].as_str() {
            out.push(id.to_string());
        }
    }
    Ok(out)
}

/// Where the address ended, checked after the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OwnerCheck {
    /// The VRRP master: the one server that holds the VIP and reaches the network (a cut
    /// server's claims are not heard); none if no server or several do.
    pub master: Option<String>,
    /// The servers whose ENI the cloud shows with the address (a HAVIP: bound to).
    pub cloud_owners: Vec<String>,
    /// The server that answered the client's TCP request to the VIP.
    pub forwarded_to: Option<String>,
    /// All three name the same one server.
    pub correct: bool,
    /// Seconds after the run's end the check saw it correct (or gave up).
    pub settled_s: f64,
}

/// What [`owner_check`] needs of a drill's lab.
pub struct Owners<'a> {
    /// Server labels, in order.
    pub labels: Vec<String>,
    /// Which servers hold the VIP now (and reach the network).
    pub master: &'a dyn Fn() -> Vec<usize>,
    /// Which servers the cloud shows as the address's owners.
    pub cloud: &'a dyn Fn() -> Result<Vec<usize>>,
    /// Which server answers the client at the VIP.
    pub forwarded: &'a dyn Fn() -> Option<String>,
}

/// Checks, for up to `grace`, that the address is on the VRRP master's ENI and nowhere else
/// and that the data plane forwards the VIP to it; the last look if it never is. `lag`: how
/// far behind the writes Describe may be (the check waits that long first, so what it reads
/// is no older than the run's end).
pub fn owner_check(o: &Owners, grace: Duration, lag: Duration) -> Result<OwnerCheck> {
    let start = Instant::now();
    std::thread::sleep(lag);
    let deadline = start + lag + grace;
    loop {
        let masters = (o.master)();
        let cloud = (o.cloud)()?;
        let forwarded_to = (o.forwarded)();
        let master = match masters.as_slice() {
            [one] => Some(o.labels[*one].clone()),
            _ => None,
        };
        let correct = matches!(masters.as_slice(), [m] if cloud == [*m])
            && forwarded_to.is_some()
            && forwarded_to == master;
        let check = OwnerCheck {
            master,
            cloud_owners: cloud.iter().map(|k| o.labels[*k].clone()).collect(),
            forwarded_to,
            correct,
            settled_s: start.elapsed().as_secs_f64(),
        };
        if correct || Instant::now() >= deadline {
            return Ok(check);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
