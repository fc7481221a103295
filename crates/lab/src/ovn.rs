//! OVN as the lab's VPC fabric: a central node (NB and SB databases, ovn-northd) and chassis,
//! each an ovs-vswitchd with the userspace (`netdev`) datapath (no kernel module) and an
//! ovn-controller, in a namespace of its own, joined by Geneve tunnels over an underlay switch
//! (`br-phy` carries each chassis's tunnel address, OVS's userspace tunnelling). Servers plug
//! into a chassis's `br-int` as logical ports. The last [`Fabric::gateways`] chassis are
//! gateway chassis: each reaches the provider network (one Linux bridge in a namespace of its
//! own, the public host on it) through its `br-pub`, and OVN runs the EIP gateways on one of
//! them at a time. A chassis can lose its power ([`Fabric::power_cut`]) and come back
//! ([`Fabric::power_on`]). Everything runs from OVN's and Open vSwitch's
//! packages under one directory and one name prefix. The databases are single servers, or
//! Raft clusters of three members each (`dbs.rs`, [`Fabric::up_clustered`]); [`Fabric::down`] (also on drop) and
//! [`down_prefix`] (after a crash) remove it all.

mod dbs;

use crate::shell::run;
use anyhow::{Context, Result, bail};
use ovsdb::Endpoint;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The tools a fabric needs.
pub const TOOLS: [&str; 8] = [
    "ovsdb-server",
    "ovsdb-tool",
    "ovsdb-client",
    "ovs-appctl",
    "ovn-northd",
    "ovs-vswitchd",
    "ovs-vsctl",
    "ovn-controller",
];

/// A running fabric.
pub struct Fabric {
    /// Names of its namespaces start with it.
    pub prefix: String,
    /// Databases, sockets, logs and pid files.
    pub dir: PathBuf,
    /// Number of chassis.
    pub chassis: usize,
    /// How many of them, the last ones, are gateway chassis.
    pub gateways: usize,
    children: Vec<(String, Child)>,
    kept: bool,
    /// Whether the NB and SB databases are Raft clusters (`dbs.rs`).
    db_cluster: bool,
}

/// The prefix of lab `id`'s fabric (its namespaces are the lab's, with an `o`).
pub fn prefix_of_lab(id: &str) -> String {
    format!("{}{id}o", crate::topology::PREFIX)
}

fn dir_of(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-ovn"))
}

impl Fabric {
    /// Starts the central node and `chassis` chassis (at least one), none a gateway.
    pub fn up(prefix: &str, chassis: usize) -> Result<Fabric> {
        Self::up_with(prefix, chassis, 0)
    }

    /// Starts the central node, `compute` chassis for the servers and after them `gateways`
    /// gateway chassis.
    pub fn up_with(prefix: &str, compute: usize, gateways: usize) -> Result<Fabric> {
        Self::up_clustered(prefix, compute, gateways, false)
    }

    /// As [`Fabric::up_with`], the NB and SB databases each a Raft cluster of
    /// [`dbs::MEMBERS`] members if `db_cluster`.
    pub fn up_clustered(
        prefix: &str,
        compute: usize,
        gateways: usize,
        db_cluster: bool,
    ) -> Result<Fabric> {
        let chassis = compute + gateways;
        if compute == 0 || chassis > 200 {
            bail!(
                "a fabric has 1-200 chassis, at least one for servers, not {compute} + {gateways}"
            );
        }
        down_prefix(prefix);
        let dir = dir_of(prefix);
        crate::scratch::make_private(&dir)?;
        let mut f = Fabric {
            prefix: prefix.to_string(),
            dir,
            chassis,
            gateways,
            children: Vec::new(),
            kept: false,
            db_cluster,
        };
        let ul = f.underlay();
        run(&["ip", "netns", "add", &ul])?;
        run(&["ip", "-n", &ul, "link", "add", "br0", "type", "bridge"])?;
        run(&["ip", "-n", &ul, "link", "set", "br0", "up"])?;
        f.start_central()?;
        for k in 0..chassis {
            f.start_chassis(k)?;
        }
        f.wait_for_chassis()?;
        Ok(f)
    }

    /// The northbound database (its first member, if clustered: [`Fabric::remotes`] has all).
    pub fn nb(&self) -> Endpoint {
        self.remotes("nb").0.swap_remove(0)
    }

    /// The southbound database (its first member, if clustered).
    pub fn sb(&self) -> Endpoint {
        self.remotes("sb").0.swap_remove(0)
    }

    /// Chassis `k`'s namespace.
    pub fn chassis_ns(&self, k: usize) -> String {
        format!("{}ch{k}", self.prefix)
    }

    /// Chassis `k`'s name (its `system-id`).
    pub fn chassis_name(&self, k: usize) -> String {
        format!("{}-ch{k}", self.prefix)
    }

    /// The chassis for servers.
    pub fn compute(&self) -> usize {
        self.chassis - self.gateways
    }

    /// The gateway chassis, the preferred first.
    pub fn gateway_chassis(&self) -> std::ops::Range<usize> {
        self.compute()..self.chassis
    }

    /// The provider network's namespace (its bridge `br0`).
    pub fn public_ns(&self) -> String {
        format!("{}pn", self.prefix)
    }

    fn underlay(&self) -> String {
        format!("{}ul", self.prefix)
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// Runs `program args` as a child (in namespace `ns` if given), its pid in `name.pid`.
    fn spawn(
        &mut self,
        name: &str,
        ns: Option<&str>,
        program: &str,
        args: &[String],
    ) -> Result<()> {
        let mut cmd = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, program]);
                c
            }
            None => Command::new(program),
        };
        let child = cmd
            .args(args)
            .env("OVS_RUNDIR", self.rundir(name))
            .env("OVN_RUNDIR", self.rundir(name))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join(format!("{name}.err")))?)
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        std::fs::write(self.dir.join(format!("{name}.pid")), child.id().to_string())?;
        self.children.push((name.to_string(), child));
        Ok(())
    }

    /// The run directory of process `name` (each chassis has its own: ovs-vswitchd makes
    /// `br-int.mgmt` there, and its ovn-controller finds it there).
    fn rundir(&self, name: &str) -> PathBuf {
        match name.split_once('-') {
            Some((chassis, _)) if chassis.starts_with("ch") => self.dir.join(chassis),
            _ if name.starts_with("ch") => self.dir.join(name),
            _ => self.dir.clone(),
        }
    }

    fn db_server(&mut self, name: &str, ns: Option<&str>, schema: &str) -> Result<()> {
        let db = self.path(&format!("{name}.db"));
        if !Path::new(&db).exists() {
            run(&["ovsdb-tool", "create", &db, schema])?;
        }
        let args = vec![
            db,
            format!("--remote=punix:{}", self.path(&format!("{name}.sock"))),
            format!("--unixctl={}", self.path(&format!("{name}.ctl"))),
            format!("--log-file={}", self.path(&format!("{name}.log"))),
            "--no-chdir".into(),
        ];
        self.spawn(name, ns, "ovsdb-server", &args)?;
        wait_for_file(&self.dir.join(format!("{name}.sock")))
    }

    fn start_central(&mut self) -> Result<()> {
        self.start_dbs()?;
        self.start_northd()
    }

    /// Starts ovn-northd (again, after [`Fabric::kill`]).
    pub fn start_northd(&mut self) -> Result<()> {
        let args = vec![
            format!("--ovnnb-db={}", self.remotes("nb")),
            format!("--ovnsb-db={}", self.remotes("sb")),
            format!("--unixctl={}", self.path("northd.ctl")),
            format!("--log-file={}", self.path("northd.log")),
            "--no-chdir".into(),
        ];
        self.spawn("northd", None, "ovn-northd", &args)
    }

    /// A machine of the fabric: namespace `ns` (its loopback up) with a cable to the underlay
    /// bridge, a veth whose end `u` is `u0` inside (up) and whose end `v` is on the bridge.
    fn machine_on_underlay(&self, ns: &str, u: &str, v: &str) -> Result<()> {
        let ul = self.underlay();
        run(&["ip", "netns", "add", ns])?;
        run(&["ip", "-n", ns, "link", "set", "lo", "up"])?;
        run(&["ip", "link", "add", u, "type", "veth", "peer", "name", v])?;
        run(&["ip", "link", "set", u, "netns", ns, "name", "u0"])?;
        run(&["ip", "link", "set", v, "netns", &ul])?;
        run(&["ip", "-n", &ul, "link", "set", v, "master", "br0", "up"])?;
        run(&["ip", "-n", ns, "link", "set", "u0", "up"])?;
        Ok(())
    }

    fn start_chassis(&mut self, k: usize) -> Result<()> {
        let ns = self.chassis_ns(k);
        let ip = tunnel_ip(k);
        let (u, v) = (
            format!("{}u{k}", self.prefix),
            format!("{}v{k}", self.prefix),
        );
        self.machine_on_underlay(&ns, &u, &v)?;
        let name = format!("ch{k}");
        std::fs::create_dir_all(self.rundir(&name))?;
        self.start_switch(k)?;
        self.vsctl(
            k,
            &[
                "add-br",
                "br-phy",
                "--",
                "set",
                "bridge",
                "br-phy",
                "datapath_type=netdev",
                "--",
                "add-port",
                "br-phy",
                "u0",
            ],
        )?;
        self.tunnel_address(k)?;
        self.vsctl(
            k,
            &[
                "set",
                "open",
                ".",
                &format!("external_ids:system-id={}", self.chassis_name(k)),
                &format!("external_ids:ovn-remote=\"{}\"", self.remotes("sb")),
                "external_ids:ovn-encap-type=geneve",
                &format!("external_ids:ovn-encap-ip={ip}"),
                "external_ids:ovn-bridge-datapath-type=netdev",
            ],
        )?;
        self.start_controller(k)
    }

    /// Starts chassis `k`'s database and ovs-vswitchd (its configuration, kept in the
    /// database file, is the one it had).
    fn start_switch(&mut self, k: usize) -> Result<()> {
        let name = format!("ch{k}");
        let ns = self.chassis_ns(k);
        let _ = std::fs::remove_file(self.dir.join(format!("{name}.sock")));
        self.db_server(&name, Some(&ns), "/usr/share/openvswitch/vswitch.ovsschema")?;
        self.vsctl(k, &["--no-wait", "init"])?;
        let args = vec![
            format!("unix:{}", self.path(&format!("{name}.sock"))),
            format!("--unixctl={}", self.path(&format!("{name}-vswitchd.ctl"))),
            format!("--log-file={}", self.path(&format!("{name}-vswitchd.log"))),
            "--no-chdir".into(),
        ];
        self.spawn(
            &format!("{name}-vswitchd"),
            Some(&ns),
            "ovs-vswitchd",
            &args,
        )
    }

    /// Puts chassis `k`'s tunnel address on `br-phy` (a device ovs-vswitchd makes).
    fn tunnel_address(&self, k: usize) -> Result<()> {
        let ns = self.chassis_ns(k);
        let addr = format!("{}/16", tunnel_ip(k));
        let deadline = Instant::now() + Duration::from_secs(10);
        while run(&["ip", "-n", &ns, "link", "show", "br-phy"]).is_err() {
            if Instant::now() > deadline {
                bail!("chassis {k}: ovs-vswitchd never made br-phy");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        run(&["ip", "-n", &ns, "addr", "replace", &addr, "dev", "br-phy"])?;
        run(&["ip", "-n", &ns, "link", "set", "br-phy", "up"])?;
        Ok(())
    }

    /// A power cut of chassis `k`: its ovn-controller, ovs-vswitchd and database killed at
    /// once (SIGKILL); nothing is told to the other chassis or the central node.
    pub fn power_cut(&mut self, k: usize) {
        let names = [
            format!("ch{k}-controller"),
            format!("ch{k}-vswitchd"),
            format!("ch{k}"),
        ];
        for (n, c) in &mut self.children {
            if names.contains(n) {
                let _ = c.kill();
            }
        }
        for n in &names {
            self.kill(n);
        }
    }

    /// Chassis `k` back after [`Fabric::power_cut`]: its database, ovs-vswitchd (with the
    /// bridges it had), its tunnel address and ovn-controller.
    pub fn power_on(&mut self, k: usize) -> Result<()> {
        self.start_switch(k)?;
        self.tunnel_address(k)?;
        self.start_controller(k)
    }

    /// The chassis the southbound database has running the EIP gateway (the chassis of the
    /// first `chassisredirect` port binding), if any.
    pub fn active_gateway(&self) -> Result<Option<usize>> {
        let db = self.db_arg("sb");
        let sb = |args: &[&str]| {
            let mut argv = vec!["ovn-sbctl", "--timeout=5", &db, "--bare"];
            argv.extend_from_slice(args);
            run(&argv)
        };
        let bound = sb(&[
            "--columns=chassis",
            "find",
            "Port_Binding",
            "type=chassisredirect",
        ])?;
        let Some(uuid) = bound.split_whitespace().next() else {
            return Ok(None);
        };
        let name = sb(&["--columns=name", "list", "Chassis", uuid])?;
        Ok((0..self.chassis).find(|k| self.chassis_name(*k) == name.trim()))
    }

    /// The ENI port OVN has as the claimer of virtual port `port` (its southbound
    /// `virtual_parent`; empty if unclaimed).
    pub fn virtual_parent(&self, port: &str) -> Result<String> {
        virtual_parent_at(&self.db_arg("sb"), port)
    }

    /// Sets OVN's BFD timing on the tunnels between chassis (the `NB_Global` options an
    /// operator sets; OVN's default is `min_rx` 1000 ms, `min_tx` 100 ms): `ms` for both,
    /// `mult` 3, so a lost chassis is found in about 3 x `ms`.
    pub fn set_bfd(&self, ms: u32) -> Result<()> {
        let db = self.db_arg("nb");
        let (rx, tx) = (
            format!("options:bfd-min-rx={ms}"),
            format!("options:bfd-min-tx={ms}"),
        );
        let argv = [
            "ovn-nbctl",
            "--timeout=5",
            &db,
            "set",
            "NB_Global",
            ".",
            &rx,
            &tx,
            "options:bfd-mult=3",
        ];
        run(&argv)?;
        Ok(())
    }

    /// Starts chassis `k`'s ovn-controller (again, after [`Fabric::kill`]).
    pub fn start_controller(&mut self, k: usize) -> Result<()> {
        let name = format!("ch{k}");
        let args = vec![
            format!("unix:{}", self.path(&format!("{name}.sock"))),
            format!(
                "--log-file={}",
                self.path(&format!("{name}-controller.log"))
            ),
            "--no-chdir".into(),
        ];
        let ns = self.chassis_ns(k);
        self.spawn(
            &format!("{name}-controller"),
            Some(&ns),
            "ovn-controller",
            &args,
        )
    }

    /// Runs `ovs-vsctl` on chassis `k`'s database with `args`.
    fn vsctl(&self, k: usize, args: &[&str]) -> Result<String> {
        let db = format!("--db=unix:{}", self.path(&format!("ch{k}.sock")));
        let mut argv = vec!["ovs-vsctl", "--timeout=10", &db];
        argv.extend_from_slice(args);
        run(&argv)
    }

    /// Waits until every chassis has registered in the southbound database.
    fn wait_for_chassis(&self) -> Result<()> {
        let db = self.db_arg("sb");
        let list = [
            "ovn-sbctl",
            "--timeout=5",
            &db,
            "--bare",
            "--columns=name",
            "list",
            "Chassis",
        ];
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let listed = run(&list).unwrap_or_default();
            let missing = (0..self.chassis).find(|k| !listed.contains(&self.chassis_name(*k)));
            match missing {
                None => return Ok(()),
                Some(k) if Instant::now() > deadline => {
                    bail!("chassis {k} never registered (see {})", self.dir.display())
                }
                Some(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Plugs namespace `host_ns` into chassis `k`: its `eth0` (MAC `mac`) becomes logical port
    /// `port` (`iface-id`).
    pub fn plug(&self, k: usize, host_ns: &str, mac: &str, port: &str) -> Result<()> {
        let ns = self.chassis_ns(k);
        let skip = port.chars().count().saturating_sub(12);
        let tap = format!("t{}", port.chars().skip(skip).collect::<String>());
        let (h, c) = (format!("{}h", self.prefix), format!("{}c", self.prefix));
        run(&["ip", "link", "add", &h, "type", "veth", "peer", "name", &c])?;
        run(&["ip", "link", "set", &h, "netns", host_ns, "name", "eth0"])?;
        run(&["ip", "link", "set", &c, "netns", &ns, "name", &tap])?;
        run(&["ip", "-n", host_ns, "link", "set", "eth0", "address", mac])?;
        run(&["ip", "-n", host_ns, "link", "set", "eth0", "up"])?;
        run(&["ip", "-n", &ns, "link", "set", &tap, "up"])?;
        self.add_port(k, &tap, port)?;
        Ok(())
    }

    /// Moves interface `port` of namespace `from` (a host's cable end) into chassis `k` and
    /// makes it logical port `iface_id`.
    pub fn adopt(&self, k: usize, from: &str, port: &str, iface_id: &str) -> Result<()> {
        let ns = self.chassis_ns(k);
        run(&["ip", "-n", from, "link", "set", port, "netns", &ns])?;
        run(&["ip", "-n", &ns, "link", "set", port, "up"])?;
        self.add_port(k, port, iface_id)?;
        Ok(())
    }

    /// Interface `port` of chassis `k` deleted from the integration bridge and added again as
    /// logical port `iface_id`, as a re-plug does.
    pub fn recreate_port(&self, k: usize, port: &str, iface_id: &str) -> Result<()> {
        self.vsctl(k, &["del-port", "br-int", port])?;
        self.add_port(k, port, iface_id)
    }

    /// Adds interface `port` to chassis `k`'s integration bridge as logical port `iface_id`.
    fn add_port(&self, k: usize, port: &str, iface_id: &str) -> Result<()> {
        let id = format!("external_ids:iface-id={iface_id}");
        self.vsctl(
            k,
            &[
                "add-port",
                "br-int",
                port,
                "--",
                "set",
                "interface",
                port,
                &id,
            ],
        )?;
        Ok(())
    }

    /// The provider network `network`: a bridge in [`Fabric::public_ns`] holding interface
    /// `port` of namespace `from` (the public side's cable end) and a cable to each gateway
    /// chassis, whose bridge `br-pub` is mapped to `network` (`ovn-bridge-mappings`).
    pub fn public_network(&self, network: &str, from: &str, port: &str) -> Result<()> {
        let pn = self.public_ns();
        run(&["ip", "netns", "add", &pn])?;
        run(&["ip", "-n", &pn, "link", "add", "br0", "type", "bridge"])?;
        run(&["ip", "-n", &pn, "link", "set", "br0", "up"])?;
        run(&["ip", "-n", from, "link", "set", port, "netns", &pn])?;
        run(&["ip", "-n", &pn, "link", "set", port, "master", "br0", "up"])?;
        for k in self.gateway_chassis() {
            let ns = self.chassis_ns(k);
            let (g, q) = (
                format!("{}g{k}", self.prefix),
                format!("{}q{k}", self.prefix),
            );
            run(&["ip", "link", "add", &g, "type", "veth", "peer", "name", &q])?;
            run(&["ip", "link", "set", &g, "netns", &ns, "name", "pub0"])?;
            run(&["ip", "link", "set", &q, "netns", &pn])?;
            run(&["ip", "-n", &pn, "link", "set", &q, "master", "br0", "up"])?;
            run(&["ip", "-n", &ns, "link", "set", "pub0", "up"])?;
            let mapping = format!("external_ids:ovn-bridge-mappings={network}:br-pub");
            self.vsctl(
                k,
                &[
                    "add-br",
                    "br-pub",
                    "--",
                    "set",
                    "bridge",
                    "br-pub",
                    "datapath_type=netdev",
                    "--",
                    "add-port",
                    "br-pub",
                    "pub0",
                    "--",
                    "set",
                    "open",
                    ".",
                    &mapping,
                ],
            )?;
        }
        Ok(())
    }

    /// Kills `name` (`nb`, `sb`, `northd`, `ch{k}-controller`, ...) as a crash would.
    pub fn kill(&mut self, name: &str) {
        self.children.retain_mut(|(n, c)| {
            if n == name {
                let _ = c.kill();
                let _ = c.wait();
            }
            n != name
        });
    }

    /// Starts the `nb` or `sb` database again on its file.
    pub fn restart_db(&mut self, name: &str) -> Result<()> {
        self.kill(name);
        let _ = std::fs::remove_file(self.dir.join(format!("{name}.sock")));
        let schema = format!("/usr/share/ovn/ovn-{name}.ovsschema");
        self.db_server(name, None, &schema)
    }

    /// Stops everything and removes the namespaces and the directory.
    pub fn down(&mut self) {
        for (_, c) in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.children.clear();
        down_prefix(&self.prefix);
    }
}

impl Fabric {
    /// Leaves the fabric running after this value is gone (`havip lab up`); `lab down`
    /// removes it.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Fabric {
    fn drop(&mut self) {
        if !self.kept {
            self.down();
        }
    }
}

/// The ENI port the southbound database at `db` (`--db=...`, [`Fabric::db_arg`]) has as the
/// claimer of virtual port `port` (empty if unclaimed); any member answers.
pub fn virtual_parent_at(db: &str, port: &str) -> Result<String> {
    let find = format!("logical_port={port}");
    let argv = [
        "ovn-sbctl",
        "--timeout=5",
        "--no-leader-only",
        db,
        "--bare",
        "--columns=virtual_parent",
        "find",
        "Port_Binding",
        &find,
    ];
    Ok(run(&argv)?.trim().to_string())
}

/// Chassis `k`'s tunnel address on the underlay.
fn tunnel_ip(k: usize) -> String {
    format!("192.168.{}.{}", 100 + k / 250, 1 + k % 250)
}

fn wait_for_file(p: &Path) -> Result<()> {
    for _ in 0..200 {
        if p.exists() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    bail!("{} never appeared", p.display())
}

/// Removes what a fabric with `prefix` left, even after a crash: its processes (by their pid
/// files), its namespaces, its directory.
pub fn down_prefix(prefix: &str) {
    let dir = dir_of(prefix);
    crate::shell::kill_recorded(&dir);
    if let Ok(list) = run(&["ip", "netns", "list"]) {
        for ns in list
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(prefix))
        {
            let _ = run(&["ip", "netns", "del", ns]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
