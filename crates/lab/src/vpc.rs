//! The seed pair inside a VPC: the servers' ports are switched by `havip vpc dataplane`
//! instead of a bridge, `havip vpc serve` holds the VPC, subnet, ENIs and the HAVIP (with an
//! EIP, reached from a public namespace), and the VIP moves only when the VPC accepts a GARP.
//! With `Vip::PlainIp` the VIP is instead a second private IP of the primary's ENI, as in the
//! seeds' FAQ: the takeover's GARP is refused.

use crate::daemon::{self, Kind, Running};
use crate::seeds;
use crate::topology::{Node, Topology, new_id};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SECRET_ID: &str = "AKIDlabvpc";
const SECRET_KEY: &str = "lab-vpc-key";

/// The key pair that logs in to the lab's console (the lab's own API key).
pub fn console_login() -> (&'static str, &'static str) {
    (SECRET_ID, SECRET_KEY)
}

/// What the VIP is to the VPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vip {
    /// A HAVIP (CheckAssociate on, both servers associated), with an EIP.
    HaVip,
    /// A plain secondary private IP of the primary's ENI.
    PlainIp,
}

/// A running VPC lab.
pub struct VpcLab {
    /// The namespaces.
    pub topo: Topology,
    /// The daemons (primary, secondary).
    pub daemons: Vec<Running>,
    /// The control and data planes.
    pub plane: Plane,
    /// The OVN fabric, with [`Backend::Ovn`] (stopped after the control plane).
    pub fabric: Option<crate::ovn::Fabric>,
}

/// Which network carries the VPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `havip vpc dataplane`, the userspace switch in the switch namespace.
    Userspace,
    /// OVN: the servers on two chassis (the seeds' advice: different hosts), the client on
    /// the first, the EIP gateway on two more; `havip vpc serve --backend ovn`.
    Ovn,
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "userspace" => Ok(Backend::Userspace),
            "ovn" => Ok(Backend::Ovn),
            _ => Err(format!(
                "`{s}` is not a VPC backend: give `userspace` (havip's own switch) or `ovn`"
            )),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Userspace => "userspace",
            Backend::Ovn => "ovn",
        })
    }
}

/// Chassis for the servers in a VPC lab on OVN.
pub const COMPUTE_CHASSIS: usize = 2;
/// Gateway chassis in a VPC lab on OVN (the EIP gateway's HA chassis group).
pub const GATEWAY_CHASSIS: usize = 2;

/// The fabric of a lab on `backend` (none for the userspace switch): two chassis for the
/// servers and two gateway chassis, its names under the lab's, so `lab down` finds it after a
/// crash.
pub fn fabric_for(
    lab_id: &str,
    backend: Backend,
    db_cluster: bool,
) -> Result<Option<crate::ovn::Fabric>> {
    match backend {
        Backend::Userspace => Ok(None),
        Backend::Ovn => Ok(Some(crate::ovn::Fabric::up_clustered(
            &crate::ovn::prefix_of_lab(lab_id),
            COMPUTE_CHASSIS,
            GATEWAY_CHASSIS,
            db_cluster,
        )?)),
    }
}

/// `havip` itself: `$HAVIP`, the running program, or next to it.
pub fn havip_path() -> Result<PathBuf> {
    daemon::binary_path("havip", "HAVIP")
}

/// A signed call to the lab's control plane.
pub fn call(api: &str, action: &str, body: &Value) -> Result<Value> {
    let host = api.trim_start_matches("http://").trim_end_matches('/');
    let text = body.to_string();
    let ts = hostsys::clock::since_epoch().as_secs() as i64;
    let mut req = ureq::post(&format!("http://{host}/")).timeout(Duration::from_secs(10));
    for (k, v) in vpc::auth::sign_request(host, action, text.as_bytes(), SECRET_ID, SECRET_KEY, ts)
    {
        req = req.set(&k, &v);
    }
    let v: Value = serde_json::from_str(&req.send_string(&text)?.into_string()?)?;
    if let Some(e) = v["Response"].get("Error") {
        bail!("{action}: {} {}", e["Code"], e["Message"]);
    }
    Ok(v["Response"].clone())
}

/// As [`call`], tried again (every 100 ms, for `within`) while the cloud answers that it is
/// throttled or failed (`RequestLimitExceeded`, `InternalError`: the faults a run may switch
/// on), so the lab's own reads see through the bad days it makes.
pub fn call_retrying(api: &str, action: &str, body: &Value, within: Duration) -> Result<Value> {
    let deadline = Instant::now() + within;
    loop {
        match call(api, action, body) {
            Err(e)
                if Instant::now() < deadline
                    && ["RequestLimitExceeded", "InternalError"]
                        .iter()
                        .any(|c| e.to_string().contains(c)) =>
            {
                std::thread::sleep(Duration::from_millis(100))
            }
            other => return other,
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn id_of(v: &Value, path: &[&str]) -> Result<String> {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {} in {v}", path.join(".")))
}

/// The VPC around a lab's hosts: `havip vpc serve` holding the VPC, the subnet, an ENI per
/// host (servers, then the client) and a HAVIP per VIP (the first with an EIP), and `havip vpc
/// dataplane` switching the hosts' ports and the public host's. Both are stopped on drop.
pub struct Plane {
    /// The public host (198.51.100.1).
    pub public: Node,
    /// Control plane URL.
    pub api: String,
    /// ENI ids of the servers, then the client.
    pub enis: Vec<String>,
    /// The HAVIPs' ids, one per VIP (HaVip mode).
    pub havips: Vec<String>,
    /// The EIP of the first HAVIP (HaVip mode).
    pub eip: Option<String>,
    /// The data plane's stats file.
    pub stats: PathBuf,
    /// The file holding the control plane's secret for `/internal/*`.
    pub secret_file: PathBuf,
    /// The API key the lab made for the servers' movers (the lab's account, its own key so
    /// the lab's calls and theirs are limited apart): SecretId, SecretKey.
    pub mover_key: (String, String),
    secret: String,
    children: Vec<Child>,
}

impl Drop for Plane {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The seed pair in a VPC, `mode` saying what the VIP is, `kinds[k]` started on server k (no
/// daemons for an empty list).
pub fn up(mode: Vip, kinds: &[Kind], garp_delay: f64) -> Result<VpcLab> {
    up_on(mode, kinds, garp_delay, Backend::Userspace)
}

/// As [`up`], on `backend`.
pub fn up_on(mode: Vip, kinds: &[Kind], garp_delay: f64, backend: Backend) -> Result<VpcLab> {
    let id = new_id();
    let addrs = [
        std::net::Ipv4Addr::new(172, 16, 16, 5),
        std::net::Ipv4Addr::new(172, 16, 16, 6),
    ];
    let mut topo = Topology::up_unswitched(&id, &addrs)?;
    let vip: std::net::Ipv4Addr = seeds::VIP.parse()?;
    let fabric = fabric_for(&topo.id, backend, false)?;
    let plane = Plane::start_on(&mut topo, &[vip], mode, garp_delay, fabric.as_ref())?;
    let mut lab = VpcLab {
        topo,
        daemons: Vec::new(),
        plane,
        fabric,
    };
    for (k, kind) in kinds.iter().enumerate() {
        let server = lab.topo.servers[k].clone();
        let config = if k == 0 {
            seeds::PRIMARY
        } else {
            seeds::SECONDARY
        };
        lab.daemons
            .push(daemon::start(*kind, &lab.topo, &server, config)?);
        if k == 0 {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    Ok(lab)
}

/// `vpc serve`'s GARP delay and, with more VIPs than the cloud's 5 HAVIPs an ENI may hold,
/// that many allowed an ENI and the VPC and the API's rate limit lifted for the lab's own calls
/// (one create a VIP, back to back).
fn tuning_args(vips: usize, garp_delay: f64) -> Vec<String> {
    let mut args = vec!["--garp-delay".to_string(), garp_delay.to_string()];
    if vips > 5 {
        let n = vips.to_string();
        let many = ["--havips-per-eni", &n, "--havip-quota", &n];
        args.extend(
            many.into_iter()
                .chain(["--requests-per-second", "0"])
                .map(str::to_string),
        );
    }
    args
}

impl Plane {
    /// Starts the control plane and the data plane for `topo` (built unswitched) with `vips`
    /// (all in the servers' /24), adds the public host, and creates everything through the API.
    pub fn start(
        topo: &mut Topology,
        vips: &[std::net::Ipv4Addr],
        mode: Vip,
        garp_delay: f64,
    ) -> Result<Plane> {
        Self::start_on(topo, vips, mode, garp_delay, None)
    }

    /// As [`Plane::start`]; with a fabric, the control plane keeps the network in OVN and the
    /// hosts' ports are plugged into its chassis (servers on chassis 0, 1, ..., the client on
    /// chassis 0) instead of a data plane.
    pub fn start_on(
        topo: &mut Topology,
        vips: &[std::net::Ipv4Addr],
        mode: Vip,
        garp_delay: f64,
        fabric: Option<&crate::ovn::Fabric>,
    ) -> Result<Plane> {
        let public = topo.add_outside("p", "198.51.100.1")?;
        let havip = havip_path()?;
        let mover_key = (
            format!("AKIDlabmover{:08x}", rand::random::<u32>()),
            format!("{:032x}", rand::random::<u128>()),
        );
        std::fs::write(
            topo.dir.join("keys"),
            format!(
                "{SECRET_ID} {SECRET_KEY}\n{} {}\n",
                mover_key.0, mover_key.1
            ),
        )?;
        let port = free_port()?;
        let api = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(topo.dir.join("vpc-serve.log"))?;
        let secret_file = topo.dir.join("internal.secret");
        let secret = vpc::internal_secret::read_or_create(&secret_file)?;
        let mut plane = Plane {
            public,
            api,
            enis: Vec::new(),
            havips: Vec::new(),
            eip: None,
            stats: topo.dir.join("dataplane.json"),
            secret_file,
            mover_key,
            secret,
            children: Vec::new(),
        };
        let mut serve = Command::new(&havip);
        serve.args(["vpc", "serve", "--listen", &format!("127.0.0.1:{port}")]);
        if let Some(f) = fabric {
            let gateways: Vec<String> = f.gateway_chassis().map(|k| f.chassis_name(k)).collect();
            serve.args(["--backend", "ovn"]);
            serve.args([
                "--ovn-nb",
                &f.remotes("nb").to_string(),
                "--ovn-sb",
                &f.remotes("sb").to_string(),
                "--ovn-gateway-chassis",
                &gateways.join(","),
            ]);
        }
        let serve = serve
            .arg("--db")
            .arg(topo.dir.join("vpc.db"))
            .arg("--keys")
            .arg(topo.dir.join("keys"))
            .arg("--internal-secret")
            .arg(&plane.secret_file)
            .args(tuning_args(vips.len(), garp_delay))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting havip vpc serve")?;
        // Recorded for `lab down` (its command line names the lab's directory).
        std::fs::write(topo.dir.join("vpc-serve.pid"), serve.id().to_string())?;
        plane.children.push(serve);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("havip vpc serve never listened");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        plane.create(topo, vips, mode)?;
        match fabric {
            None => plane.start_dataplane(topo, &havip)?,
            Some(f) => plane.plug_into(topo, f)?,
        }
        Ok(plane)
    }

    /// The VPC (the /16 of the servers' subnet), the subnet (their /24), the ENIs, the HAVIPs
    /// and the EIP.
    fn create(&mut self, topo: &Topology, vips: &[std::net::Ipv4Addr], mode: Vip) -> Result<()> {
        let first: std::net::Ipv4Addr = topo.servers[0]
            .addr
            .parse()
            .context("the VPC lab needs IPv4 servers")?;
        let [o1, o2, o3, _] = first.octets();
        let api = &self.api;
        let vpc = id_of(
            &call(
                api,
                "CreateVpc",
                &json!({"VpcName": "lab", "CidrBlock": format!("{o1}.{o2}.0.0/16")}),
            )?,
            &["Vpc", "VpcId"],
        )?;
        let subnet = id_of(
            &call(
                api,
                "CreateSubnet",
                &json!({"VpcId": vpc, "SubnetName": "lab",
                        "CidrBlock": format!("{o1}.{o2}.{o3}.0/24"), "Zone": "lab"}),
            )?,
            &["Subnet", "SubnetId"],
        )?;
        let hosts: Vec<Node> = topo.servers.iter().chain([&topo.client]).cloned().collect();
        for (k, h) in hosts.iter().enumerate() {
            let mut ips = vec![json!({"PrivateIpAddress": h.addr, "Primary": true})];
            if mode == Vip::PlainIp && k == 0 {
                for v in vips {
                    ips.push(json!({"PrivateIpAddress": v.to_string(), "Primary": false}));
                }
            }
            let eni = id_of(
                &call(
                    api,
                    "CreateNetworkInterface",
                    &json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": h.label,
                            "PrivateIpAddresses": ips, "MacAddress": h.mac}),
                )?,
                &["NetworkInterface", "NetworkInterfaceId"],
            )?;
            call(
                api,
                "AttachNetworkInterface",
                &json!({"NetworkInterfaceId": eni, "InstanceId": format!("ins-lab0000{}", h.name)}),
            )?;
            self.enis.push(eni);
        }
        if mode == Vip::PlainIp {
            return Ok(());
        }
        let servers = topo.servers.len();
        let associations: Vec<Value> = self.enis[..servers]
            .iter()
            .map(|e| json!({"InstanceId": e, "InstanceType": "ENI"}))
            .collect();
        for (k, v) in vips.iter().enumerate() {
            let h = id_of(
                &call(
                    api,
                    "CreateHaVip",
                    &json!({"VpcId": vpc, "SubnetId": subnet, "HaVipName": format!("lab{k}"),
                            "Vip": v.to_string(), "CheckAssociate": true,
                            "HaVipAssociationSet": associations}),
                )?,
                &["HaVip", "HaVipId"],
            )?;
            self.havips.push(h);
        }
        let eip_id = call(api, "AllocateAddresses", &json!({}))?["AddressSet"][0].clone();
        let ip = call(api, "DescribeAddresses", &json!({"AddressIds": [eip_id]}))?["AddressSet"][0]
            ["AddressIp"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no EIP address"))?;
        call(
            api,
            "HaVipAssociateAddressIp",
            &json!({"HaVipId": self.havips[0], "AddressIp": ip}),
        )?;
        self.eip = Some(ip);
        Ok(())
    }

    /// Moves each host's port from the switch namespace to a chassis, as its ENI's port, and
    /// the public host's to the provider network of the gateway chassis; waits (30 s at most)
    /// until the client reaches every server through OVN: the chassis have bound the ports and
    /// installed their flows.
    fn plug_into(&self, topo: &mut Topology, f: &crate::ovn::Fabric) -> Result<()> {
        let servers = topo.servers.len();
        let hosts: Vec<Node> = topo.servers.iter().chain([&topo.client]).cloned().collect();
        for (k, (h, eni)) in hosts.iter().zip(&self.enis).enumerate() {
            let chassis = if k < servers { chassis_of(k, f) } else { 0 };
            f.adopt(chassis, &topo.switch, &topo.port_of(h), eni)?;
            topo.port_moved(h, &f.chassis_ns(chassis));
        }
        let public = vpc::ovn::desired::PUBLIC_NETWORK;
        f.public_network(public, &topo.switch, &topo.port_of(&self.public))?;
        topo.port_moved(&self.public, &f.public_ns());
        for server in &topo.servers {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !VpcLab::ping(&topo.client.ns, &server.addr, 1) {
                if Instant::now() > deadline {
                    bail!("the client never reached {} through OVN", server.addr);
                }
            }
        }
        Ok(())
    }

    /// Leaves the control and data planes running after this value is gone (`havip lab up`);
    /// `lab down` stops them.
    pub fn keep(mut self) {
        self.children.clear();
    }

    fn start_dataplane(&mut self, topo: &Topology, havip: &std::path::Path) -> Result<()> {
        let hosts: Vec<&Node> = topo.servers.iter().chain([&topo.client]).collect();
        let mut dp = Command::new(havip);
        dp.args([
            "vpc",
            "dataplane",
            "--api",
            &self.api,
            "--netns",
            &topo.switch,
        ])
        .arg("--internal-secret")
        .arg(&self.secret_file);
        for (h, eni) in hosts.iter().zip(&self.enis) {
            dp.args(["--port", &format!("{}={eni}", topo.port_of(h))]);
        }
        // The lab's switch stands for the cloud's: it runs ahead of the servers it carries.
        dp.args(["--public", &topo.port_of(&self.public)])
            .args(["--realtime-priority", "10"])
            .arg("--stats")
            .arg(&self.stats)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(topo.dir.join("dataplane.log"))?);
        self.children
            .push(dp.spawn().context("starting havip vpc dataplane")?);
        // It writes its stats file once it forwards.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.stats.exists() {
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(topo.dir.join("dataplane.log")).unwrap_or_default();
                bail!("havip vpc dataplane never started forwarding:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Switches the cloud's bad days for what follows (`POST /internal/faults`).
    pub fn set_faults(&self, faults: &vpc::faults::Faults) -> Result<()> {
        ureq::post(&format!("{}/internal/faults", self.api))
            .set("Authorization", &format!("Bearer {}", self.secret))
            .timeout(Duration::from_secs(10))
            .send_string(&serde_json::to_string(faults)?)
            .context("POST /internal/faults")?;
        Ok(())
    }

    /// The ENI the API reports the `k`-th HAVIP bound to ("" if unbound); read through the
    /// bad days a run may switch on (throttled or failed calls are tried again for 10 s).
    pub fn bound_eni(&self, k: usize) -> Result<String> {
        let id = self
            .havips
            .get(k)
            .ok_or_else(|| anyhow!("no HAVIP {k} in this lab"))?;
        let r = call_retrying(
            &self.api,
            "DescribeHaVips",
            &json!({"HaVipIds": [id]}),
            Duration::from_secs(10),
        )?;
        Ok(r["HaVipSet"][0]["NetworkInterfaceId"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The control plane's binding history (each move with its Unix time).
    pub fn history(&self) -> Result<Vec<vpc::model::BindingEvent>> {
        let url = format!("{}/internal/state", self.api);
        let state: Value = serde_json::from_str(
            &ureq::get(&url)
                .set("Authorization", &format!("Bearer {}", self.secret))
                .timeout(Duration::from_secs(10))
                .call()?
                .into_string()?,
        )?;
        Ok(serde_json::from_value(state["History"].clone())?)
    }
}

/// The chassis server `k`'s port is plugged into (servers take the compute chassis in turn).
pub fn chassis_of(k: usize, f: &crate::ovn::Fabric) -> usize {
    k % f.compute()
}

/// Sends a gratuitous ARP for `vip` (request form) from `node`'s eth0, with `mac`; returns
/// the Unix time (seconds) taken just before the frame went to the kernel.
pub fn send_garp(node: &Node, mac: [u8; 6], vip: std::net::Ipv4Addr) -> Result<f64> {
    send_garp_form(node, mac, vip, GarpForm::Request)
}

/// The two forms of a gratuitous ARP: an ARP request for the sender's own address (what
/// keepalived and havipd send) or an ARP reply, both broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GarpForm {
    /// Operation 1, target address the VIP.
    Request,
    /// Operation 2.
    Reply,
}

/// [`send_garp`] in either form.
pub fn send_garp_form(
    node: &Node,
    mac: [u8; 6],
    vip: std::net::Ipv4Addr,
    form: GarpForm,
) -> Result<f64> {
    let arp = vpc::dataplane::frame::Arp {
        op: match form {
            GarpForm::Request => 1,
            GarpForm::Reply => 2,
        },
        sha: mac,
        spa: vip,
        tha: vpc::dataplane::frame::BROADCAST,
        tpa: vip,
    };
    let frame = vpc::dataplane::frame::arp_frame(vpc::dataplane::frame::BROADCAST, mac, &arp);
    crate::netns::spawn_in(&node.ns, move || -> Result<f64> {
        let index = nix::net::if_::if_nametoindex("eth0")?;
        let sender = rawlink::Sender::new()?;
        let sent = hostsys::clock::unix_secs();
        sender.send(index, &frame)?;
        Ok(sent)
    })?
    .join()
    .map_err(|_| anyhow!("GARP thread panicked"))??
}

/// Milliseconds from GARP frames to the VPC acting on them.
#[derive(Clone, Debug, Default)]
pub struct GarpLatency {
    /// From the frame leaving the server to the switch reading it (the kernel and the
    /// scheduler's share).
    pub to_switch_read_ms: Vec<f64>,
    /// From the frame leaving the server to the data plane forwarding to its sender.
    pub to_forwarding_ms: Vec<f64>,
    /// From the frame leaving the server to the control plane's answer that it stored the move.
    pub to_control_plane_ms: Vec<f64>,
}

/// GARP-to-forwarding and GARP-to-control-plane latency: `count` GARPs for the HAVIP,
/// alternately from the two servers (no daemons running), each waited for. Times are taken by
/// the sender and by the data plane on one clock.
pub fn garp_bench(count: usize) -> Result<GarpLatency> {
    let lab = up(Vip::HaVip, &[], 0.0)?;
    let vip: std::net::Ipv4Addr = seeds::VIP.parse()?;
    let mut out = GarpLatency::default();
    for k in 0..count {
        let server = &lab.topo.servers[k % 2];
        let mac = vpc::dataplane::switch::parse_mac(&server.mac).ok_or_else(|| anyhow!("mac"))?;
        let sent = send_garp(server, mac, vip)?;
        let want = &lab.plane.enis[k % 2];
        let timing = lab.garp_timing(k, Duration::from_secs(5))?;
        if timing["eni"] != want.as_str() {
            bail!("GARP {k} from {want} was recorded as {}", timing["eni"]);
        }
        let (Some(read), Some(switched), Some(acked)) = (
            timing["received"].as_f64(),
            timing["switched"].as_f64(),
            timing["acknowledged"].as_f64(),
        ) else {
            bail!("GARP {k} did not move the HAVIP: {timing}");
        };
        if lab.bound_eni()? != *want {
            bail!("GARP {k}: the control plane does not show the HAVIP on {want}");
        }
        out.to_switch_read_ms.push((read - sent) * 1000.0);
        out.to_forwarding_ms.push((switched - sent) * 1000.0);
        out.to_control_plane_ms.push((acked - sent) * 1000.0);
        // Stay under the per-ENI rate limit.
        std::thread::sleep(Duration::from_millis(60));
    }
    Ok(out)
}

impl VpcLab {
    /// Where the control plane says the HAVIP is bound (ENI id, "" if unbound).
    pub fn bound_eni(&self) -> Result<String> {
        self.plane.bound_eni(0)
    }

    /// The data plane's record of the `k`-th GARP (from 0), waited for up to `wait`.
    pub fn garp_timing(&self, k: usize, wait: Duration) -> Result<Value> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(t) = self.dataplane_stats()["garps"].get(k) {
                return Ok(t.clone());
            }
            if Instant::now() > deadline {
                bail!("the data plane never settled GARP {k}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The data plane's stats (counters, GARP timings and refusals).
    pub fn dataplane_stats(&self) -> Value {
        std::fs::read_to_string(&self.plane.stats)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    }

    /// Whether one echo request from `ns` to `addr` is answered within `wait_s` seconds (the
    /// lab's own ICMP socket, [`crate::echo`]).
    pub fn ping(ns: &str, addr: &str, wait_s: u32) -> bool {
        addr.parse()
            .is_ok_and(|a| crate::echo::answered(ns, a, Duration::from_secs(wait_s.into())))
    }
}

/// GARP to claim on OVN: for `count` GARPs, alternately from each server of a VPC lab on
/// [`Backend::Ovn`], the milliseconds from the frame leaving the server to OVN's own record of
/// the claim (the HAVIP's southbound binding naming the sender's ENI, seen by a monitor).
pub fn ovn_garp_bench(count: usize) -> Result<Vec<f64>> {
    let lab = up_on(Vip::HaVip, &[], 0.0, Backend::Ovn)?;
    let fabric = lab
        .fabric
        .as_ref()
        .ok_or_else(|| anyhow!("no OVN fabric"))?;
    let vip: std::net::Ipv4Addr = seeds::VIP.parse()?;
    let port = lab
        .plane
        .havips
        .first()
        .ok_or_else(|| anyhow!("no HAVIP"))?
        .clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let sb = ovsdb::Client::connect(&fabric.sb()).await?;
        let req = ovsdb::MonitorRequest::columns("Port_Binding", &vpc::ovn::binding::COLUMNS);
        let mut m = sb.monitor("OVN_Southbound", &[req]).await?;
        let mut out = Vec::new();
        for k in 0..count {
            let server = &lab.topo.servers[k % 2];
            let mac =
                vpc::dataplane::switch::parse_mac(&server.mac).ok_or_else(|| anyhow!("mac"))?;
            let sent = send_garp(server, mac, vip)?;
            let want = &lab.plane.enis[k % 2];
            let seen = claim_seen(&mut m, &port, want).await?;
            out.push((seen - sent) * 1000.0);
        }
        Ok(out)
    })
}

/// Waits (5 s at most) for the southbound binding of `port` to name `parent`; the Unix time.
pub(crate) async fn claim_seen(m: &mut ovsdb::Monitor, port: &str, parent: &str) -> Result<f64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let update = tokio::time::timeout_at(deadline, m.updates.recv())
            .await
            .map_err(|_| anyhow!("no claim of {port} by {parent} within 5 s"))?
            .ok_or_else(|| anyhow!("the southbound connection closed"))?;
        let seen = hostsys::clock::unix_secs();
        let text = |r: &ovsdb::Row, c: &str| {
            r.get(c)
                .and_then(ovsdb::Datum::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let claimed = update
            .values()
            .flat_map(|rows| rows.values().filter_map(|u| u.new.as_ref()))
            .any(|r| text(r, "logical_port") == port && text(r, "virtual_parent") == parent);
        if claimed {
            return Ok(seen);
        }
    }
}
