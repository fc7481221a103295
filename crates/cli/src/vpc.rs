//! `havip vpc serve`: the local VPC's API, console and GARP endpoint.

use clap::{Args as ClapArgs, Subcommand};
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// `havip vpc serve` arguments.
#[derive(ClapArgs)]
pub struct ServeArgs {
    /// Address to listen on. A non-loopback address needs --allow-remote and TLS.
    #[arg(long, default_value = "127.0.0.1:9180")]
    listen: String,
    /// Listen on a non-loopback address (then only over TLS: --tls-cert/--tls-key or
    /// --tls-self-signed).
    #[arg(long)]
    allow_remote: bool,
    /// TLS certificate chain (PEM), with --tls-key.
    #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), with --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a certificate made at start for the listen address, localhost and
    /// every --host-name; write it (PEM) to this file for clients to trust.
    #[arg(long, value_name = "CERT_OUT")]
    tls_self_signed: Option<PathBuf>,
    /// A DNS name clients reach the server by (repeat); IP literals and localhost are always
    /// answered, any other Host is refused (DNS rebinding).
    #[arg(long = "host-name", value_name = "NAME")]
    host_names: Vec<String>,
    /// The SQLite file (created if missing): the API's records, whichever the backend.
    #[arg(long, default_value = "havip-vpc.db")]
    db: PathBuf,
    /// Keep the records in a clustered OVSDB database several replicas share instead of
    /// --db: `ovsdb:ADDR,ADDR,...` (its members, e.g. `ovsdb:tcp:10.0.0.1:6645,tcp:...`; the
    /// database `Havip_Vpc`, made with `ovsdb-tool create-cluster DB
    /// crates/vpc/schema/havip-vpc.ovsschema ADDR`). One replica writes at a time (a lease);
    /// the others answer reads and refuse writes with `RequestLimitExceeded` naming the writer.
    #[arg(long, value_name = "ovsdb:ADDR,...", conflicts_with = "db")]
    store: Option<String>,
    /// This replica's name in the store's write lease (default: its --listen address).
    #[arg(long, value_name = "NAME", requires = "store")]
    replica: Option<String>,
    /// With --store: how long the write lease lasts unrenewed, in seconds (writes wait at
    /// most this long after the writing replica dies).
    #[arg(long, default_value_t = 3.0, requires = "store")]
    lease_ttl: f64,
    /// Where the network lives: `sqlite` (embedded; `havip vpc dataplane` forwards) or
    /// `ovn` (OVN's northbound database, --ovn-nb; bindings followed in its southbound one,
    /// --ovn-sb).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// OVN's northbound database (`tcp:IP:PORT`, `ssl:IP:PORT` or `unix:PATH`), with
    /// --backend ovn; a clustered one as OVN's clients name it, its members separated by commas
    /// (`tcp:A:6641,tcp:B:6641,tcp:C:6641`): one is used at a time, the next when it fails.
    #[arg(long, value_name = "ADDR[,ADDR...]")]
    ovn_nb: Option<ovsdb::Remotes>,
    /// OVN's southbound database (one address, or its cluster's members), with --backend ovn.
    #[arg(long, value_name = "ADDR[,ADDR...]")]
    ovn_sb: Option<ovsdb::Remotes>,
    /// `ssl:` databases (OVN's and the --store members): this client's private key (PEM), as
    /// OVN's --private-key.
    #[arg(long, value_name = "FILE", requires_all = ["certificate", "ca_cert"])]
    private_key: Option<PathBuf>,
    /// `ssl:` databases: this client's certificate (PEM), as OVN's --certificate.
    #[arg(long, value_name = "FILE", requires_all = ["private_key", "ca_cert"])]
    certificate: Option<PathBuf>,
    /// `ssl:` databases: the CA that signed their certificates (PEM), as OVN's --ca-cert; a
    /// server whose certificate it did not sign is refused.
    #[arg(long, value_name = "FILE", requires_all = ["private_key", "certificate"])]
    ca_cert: Option<PathBuf>,
    /// The chassis (their OVS `system-id`s) the VPCs' EIP gateways may run on, with --backend
    /// ovn, the preferred first (a comma list, or the flag repeated): an EIP bound to a HAVIP
    /// becomes a `dnat_and_snat` rule of its VPC's router, whose port on the provider network
    /// `public` is on an HA chassis group of these chassis. OVN runs the gateway on the first
    /// one its BFD sessions see alive, the next one taking over when it is lost; map `public`
    /// on each (`ovn-bridge-mappings=public:BRIDGE`), all on one layer-2 network. Without it,
    /// EIPs are the API's records only.
    #[arg(long, value_name = "NAME,...", value_parser = chassis_name, value_delimiter = ',')]
    ovn_gateway_chassis: Vec<String>,
    /// Keys file: one `SecretId SecretKey [AppId]` per line (a key without an AppId is the
    /// default account's, 1250000000).
    #[arg(long)]
    keys: PathBuf,
    /// The data plane's secret for /internal/* (created, mode 600, if missing).
    #[arg(long, default_value = "havip-vpc.secret")]
    internal_secret: PathBuf,
    /// HAVIPs per VPC.
    #[arg(long, default_value_t = 10)]
    havip_quota: usize,
    /// HAVIPs one ENI may hold (the seeds: 5).
    #[arg(long, default_value_t = 5)]
    havips_per_eni: usize,
    /// Requests a second one SecretId may make of one action, as the cloud allows (0: no
    /// limit); beyond it, `RequestLimitExceeded`.
    #[arg(long, default_value_t = vpc::limits::REQUESTS_PER_SECOND)]
    requests_per_second: u32,
    /// Delay before a GARP moves a binding, in seconds (the cloud's "may take 10 s").
    #[arg(long, default_value_t = 0.0)]
    garp_delay: f64,
    /// Fault: the percent of signed calls answered `RequestLimitExceeded` (0-100; switchable
    /// later by `POST /internal/faults`).
    #[arg(long, default_value_t = 0)]
    fault_throttle_percent: u8,
    /// Fault: the percent of signed calls answered `InternalError`, nothing done (0-100).
    #[arg(long, default_value_t = 0)]
    fault_fail_percent: u8,
    /// Fault: milliseconds added before each signed call runs (at most 60000).
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Fault: Describe shows the state from before a write for this many ms (at most 600000).
    #[arg(long, default_value_t = 0)]
    fault_stale_describe_ms: u64,
    /// Also serve the instance metadata service (the cloud's 169.254.0.23:80,
    /// metadata.tencentyun.com) on this address: plain HTTP, GET only, each instance known by
    /// its source address (an ENI's primary private address).
    #[arg(long, value_name = "ADDR")]
    metadata_listen: Option<std::net::SocketAddr>,
    /// Bind --metadata-listen inside this network namespace (`ip netns` name), e.g. the lab's.
    #[arg(long, value_name = "NS", requires = "metadata_listen")]
    metadata_netns: Option<String>,
    /// The region the metadata service names (`placement/region`).
    #[arg(long, default_value = "ap-guangzhou")]
    metadata_region: String,
    /// The CAM role every instance has: its temporary keys at
    /// `/latest/meta-data/cam/security-credentials/ROLE`, accepted by the API for the
    /// instance's account (with `X-TC-Token`). None: no role.
    #[arg(long, value_name = "ROLE", value_parser = role_name)]
    metadata_role: Option<String>,
    /// How long a role's temporary key is valid, in seconds (60-43200).
    #[arg(long, default_value_t = 7200, value_parser = clap::value_parser!(u64).range(60..=43200))]
    metadata_credential_ttl: u64,
}

/// A CAM role name: 1-128 letters, digits, `+=,.@_-`.
fn role_name(s: &str) -> Result<String, String> {
    let ok = (1..=128).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a role name: 1-128 letters, digits or `+=,.@_-`"
        ))
    }
}

/// Where `havip vpc serve` keeps the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Backend {
    /// SQLite and the userspace switch.
    Sqlite,
    /// OVN.
    Ovn,
}

/// `havip vpc` arguments.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: VpcCommand,
}

#[derive(Subcommand)]
enum VpcCommand {
    /// Serve the cloud-compatible API (POST /), the console (GET /) and /internal/*.
    Serve(Box<ServeArgs>),
    /// Forward frames between the servers' ports of a switch namespace with the VPC's rules.
    Dataplane(DataplaneArgs),
}

/// `havip vpc dataplane` arguments.
#[derive(ClapArgs)]
struct DataplaneArgs {
    /// The control plane (`havip vpc serve`).
    #[arg(long, default_value = "http://127.0.0.1:9180")]
    api: String,
    /// The control plane's secret for /internal/* (its --internal-secret file).
    #[arg(long, default_value = "havip-vpc.secret")]
    internal_secret: PathBuf,
    /// The switch's network namespace.
    #[arg(long)]
    netns: String,
    /// A server port: `IFNAME=ENI_ID` (repeat for each).
    #[arg(long = "port", required = true)]
    ports: Vec<String>,
    /// The interface towards the public network (EIPs).
    #[arg(long)]
    public: Option<String>,
    /// Write counters and GARP latencies here (JSON).
    #[arg(long)]
    stats: Option<PathBuf>,
    /// Run the forwarding thread at this SCHED_FIFO priority (1-99), so that a busy host
    /// does not delay frames; needs CAP_SYS_NICE.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=99))]
    realtime_priority: Option<u8>,
}

fn dataplane(a: &DataplaneArgs) -> anyhow::Result<()> {
    let ports = a
        .ports
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(i, e)| !i.is_empty() && e.starts_with("eni-"))
                .map(|(i, e)| (i.to_string(), e.to_string()))
                .ok_or_else(|| anyhow::anyhow!("--port {p}: expected IFNAME=eni-xxxxxxxx"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let secret = vpc::internal_secret::read(&a.internal_secret)
        .map_err(|e| anyhow::anyhow!("--internal-secret: {e:#}"))?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    vpc::dataplane::run::run(
        vpc::dataplane::run::Config {
            api: a.api.trim_end_matches('/').to_string(),
            secret,
            netns: a.netns.clone(),
            ports,
            public: a.public.clone(),
            stats: a.stats.clone(),
            realtime_priority: a.realtime_priority,
            gateway_mac: [0x02, 0x68, 0x76, 0x70, 0x63, 0x01],
        },
        stop,
    )
}

/// Runs `havip vpc`.
pub fn run(args: &Args) -> ExitCode {
    match &args.command {
        VpcCommand::Dataplane(a) => match dataplane(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("havip vpc dataplane: {e:#}");
                ExitCode::from(2)
            }
        },
        VpcCommand::Serve(a) => match serve(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("havip vpc serve: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

/// What the listen flags resolve to: the socket, and TLS if any (with the certificate file
/// written for a self-signed one).
fn listen_plan(
    a: &ServeArgs,
) -> anyhow::Result<(std::net::SocketAddr, Option<Arc<vpc::tls::ServerConfig>>)> {
    let addr: std::net::SocketAddr = a
        .listen
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("--listen {}: {e}", a.listen))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("--listen {}: no address", a.listen))?;
    let tls = if let (Some(cert), Some(key)) = (&a.tls_cert, &a.tls_key) {
        Some(vpc::tls::from_pem_files(cert, key)?)
    } else if let Some(out) = &a.tls_self_signed {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
        if !addr.ip().is_unspecified() {
            names.push(addr.ip().to_string());
        }
        names.extend(a.host_names.iter().cloned());
        let (config, pem) = vpc::tls::self_signed(&names)?;
        std::fs::write(out, pem)
            .map_err(|e| anyhow::anyhow!("--tls-self-signed {}: {e}", out.display()))?;
        eprintln!(
            "havip vpc: self-signed certificate for {} written to {}",
            names.join(", "),
            out.display()
        );
        Some(config)
    } else {
        None
    };
    if !addr.ip().is_loopback() {
        if !a.allow_remote {
            anyhow::bail!(
                "--listen {addr} is not a loopback address: the API and console would be \
                 reachable from the network; pass --allow-remote (with TLS) to mean it"
            );
        }
        if tls.is_none() {
            anyhow::bail!(
                "--listen {addr} with --allow-remote needs TLS: --tls-cert and --tls-key, \
                 or --tls-self-signed CERT_OUT"
            );
        }
    }
    Ok((addr, tls))
}

/// The faults `--fault-*` switch on, checked.
fn faults_of(a: &ServeArgs) -> anyhow::Result<vpc::faults::Faults> {
    let faults = vpc::faults::Faults {
        throttle_percent: a.fault_throttle_percent,
        fail_percent: a.fault_fail_percent,
        latency_ms: a.fault_latency_ms,
        stale_describe_ms: a.fault_stale_describe_ms,
    };
    faults
        .check()
        .map_err(|e| anyhow::anyhow!("--fault-*: {e}"))?;
    Ok(faults)
}

fn serve(a: &ServeArgs) -> anyhow::Result<()> {
    if !(0.0..=600.0).contains(&a.garp_delay) {
        anyhow::bail!("--garp-delay must be 0-600 seconds, not {}", a.garp_delay);
    }
    let faults = faults_of(a)?;
    let (addr, tls) = listen_plan(a)?;
    let ovn = ovn_endpoints(a)?;
    let (keys, accounts) = vpc::front::read_key_file(&a.keys)?;
    let store = open_store(a)?;
    let internal_secret = vpc::internal_secret::read_or_create(&a.internal_secret)
        .map_err(|e| anyhow::anyhow!("--internal-secret: {e:#}"))?;
    let quotas = vpc::cloud::Quotas {
        havips_per_vpc: a.havip_quota,
        havips_per_eni: a.havips_per_eni,
        requests_per_second: a.requests_per_second,
    };
    let (backend, southbound): (Box<dyn vpc::backend::Backend>, _) = match ovn {
        None => (Box::new(vpc::backend::UserspaceSwitch), None),
        Some((nb, sb, layout)) => {
            let engine = vpc::ovn::engine::Engine::start_in(nb, layout)?;
            (
                Box::new(vpc::ovn::backend::OvnBackend::new(engine)),
                Some(sb),
            )
        }
    };
    let options = vpc::service::Options {
        quotas,
        garp_delay: std::time::Duration::from_secs_f64(a.garp_delay),
        access: vpc::front::Access {
            hosts: vpc::guard::HostPolicy::new(&a.host_names),
            tls: tls.is_some(),
            internal_secret,
            ..vpc::front::Access::default()
        },
        accounts,
        faults,
        metadata: vpc::front::MetadataSettings {
            region: a.metadata_region.clone(),
            role: a.metadata_role.clone(),
            credential_ttl: std::time::Duration::from_secs(a.metadata_credential_ttl),
        },
        ..vpc::service::Options::default()
    };
    let service = vpc::service::Service::with_backend(store, backend, keys, options)?;
    let listener =
        std::net::TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("--listen {addr}: {e}"))?;
    let local = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "havip vpc: API on {scheme}://{local}/ (store {}); console: {scheme}://{local}/console#token={}",
        a.store
            .clone()
            .unwrap_or_else(|| a.db.display().to_string()),
        service.console_token()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if let Some(sb) = southbound {
        rt.spawn(vpc::ovn::follow::follow_bindings(service.clone(), sb));
    }
    if let Some(maddr) = a.metadata_listen {
        spawn_metadata(&rt, maddr, a.metadata_netns.as_deref(), service.clone())?;
    }
    rt.block_on(async {
        match tls {
            Some(config) => vpc::server::serve_tls(listener, service, config).await,
            None => {
                listener.set_nonblocking(true)?;
                let listener = tokio::net::TcpListener::from_std(listener)?;
                vpc::server::serve(listener, service).await
            }
        }
    })
}

/// The SQLite file, or the clustered store --store names.
fn open_store(a: &ServeArgs) -> anyhow::Result<Box<dyn vpc::store::Store>> {
    let Some(spec) = &a.store else {
        return Ok(Box::new(vpc::store::Sqlite::open(&a.db)?));
    };
    let files = ssl_files(a)?;
    let members = vpc::store_ovsdb::parse_members(spec)
        .map_err(|e| anyhow::anyhow!("--store {e:#}"))?
        .into_iter()
        .map(|m| with_ssl_files(&files, m))
        .collect();
    if !(0.4..=60.0).contains(&a.lease_ttl) {
        anyhow::bail!("--lease-ttl must be 0.4-60 seconds, not {}", a.lease_ttl);
    }
    let options = vpc::store_ovsdb::Options {
        members,
        replica: a.replica.clone().unwrap_or_else(|| a.listen.clone()),
        ttl: std::time::Duration::from_secs_f64(a.lease_ttl),
    };
    Ok(Box::new(vpc::store_ovsdb::Clustered::start(options)?))
}

/// Binds the instance metadata service on `addr` (inside `netns`, if named) and serves it on
/// `rt`.
fn spawn_metadata(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    netns: Option<&str>,
    service: Arc<vpc::service::Service>,
) -> anyhow::Result<()> {
    let listener = vpc::metadata::bind(addr, netns)
        .map_err(|e| anyhow::anyhow!("--metadata-listen {addr}: {e:#}"))?;
    let shown = netns.unwrap_or("this namespace");
    eprintln!("havip vpc: instance metadata on http://{addr}/ ({shown})");
    rt.spawn(async move {
        if let Err(e) = vpc::metadata::serve(listener, service).await {
            eprintln!("havip vpc: the metadata service stopped: {e:#}");
        }
    });
    Ok(())
}

/// The OVN databases `--backend ovn` uses and where its gateways run (none for `sqlite`),
/// checked before anything is opened.
fn ovn_endpoints(a: &ServeArgs) -> anyhow::Result<Option<OvnPlace>> {
    let layout = vpc::ovn::desired::Layout {
        gateway_chassis: a.ovn_gateway_chassis.clone(),
    };
    let named = &layout.gateway_chassis;
    if let Some((k, c)) = named
        .iter()
        .enumerate()
        .find(|(k, c)| named[..*k].contains(c))
    {
        anyhow::bail!(
            "--ovn-gateway-chassis: `{c}` is named twice (again as chassis {})",
            k + 1
        );
    }
    match (a.backend, &a.ovn_nb, &a.ovn_sb) {
        (Backend::Sqlite, None, None) if layout.gateway_chassis.is_empty() => Ok(None),
        (Backend::Sqlite, _, _) => {
            anyhow::bail!("--ovn-nb, --ovn-sb and --ovn-gateway-chassis go with --backend ovn")
        }
        (Backend::Ovn, Some(nb), Some(sb)) => {
            let files = ssl_files(a)?;
            let (nb, sb) = (
                remotes_with_ssl_files(&files, nb),
                remotes_with_ssl_files(&files, sb),
            );
            Ok(Some((nb, sb, layout)))
        }
        (Backend::Ovn, _, _) => anyhow::bail!("--backend ovn needs --ovn-nb and --ovn-sb"),
    }
}

/// The --private-key, --certificate and --ca-cert files (read now, so a bad file stops the
/// start), checked against every database this run uses (OVN's and the --store members): an
/// `ssl:` one needs them, and they need one.
fn ssl_files(a: &ServeArgs) -> anyhow::Result<Option<ovsdb::SslFiles>> {
    let members = match &a.store {
        Some(spec) => {
            vpc::store_ovsdb::parse_members(spec).map_err(|e| anyhow::anyhow!("--store {e:#}"))?
        }
        None => Vec::new(),
    };
    let any_ssl = a
        .ovn_nb
        .iter()
        .chain(&a.ovn_sb)
        .flat_map(|r| &r.0)
        .chain(&members)
        .any(ovsdb::Endpoint::is_ssl);
    let files = match (&a.private_key, &a.certificate, &a.ca_cert) {
        (Some(k), Some(c), Some(ca)) => Some(ovsdb::SslFiles {
            private_key: k.clone(),
            certificate: c.clone(),
            ca_cert: ca.clone(),
        }),
        _ => None,
    };
    match files {
        None if any_ssl => {
            anyhow::bail!("an ssl: database needs --private-key, --certificate and --ca-cert")
        }
        Some(_) if !any_ssl => {
            anyhow::bail!("--private-key, --certificate and --ca-cert go with ssl: databases")
        }
        Some(f) => {
            f.client_config().map_err(|e| anyhow::anyhow!(e))?;
            Ok(Some(f))
        }
        None => Ok(None),
    }
}

/// Gives an `ssl:` database the files.
fn with_ssl_files(files: &Option<ovsdb::SslFiles>, e: ovsdb::Endpoint) -> ovsdb::Endpoint {
    match files {
        Some(f) if e.is_ssl() => e.with_ssl(f.clone()),
        _ => e,
    }
}

/// Gives every `ssl:` member of a database the files.
fn remotes_with_ssl_files(files: &Option<ovsdb::SslFiles>, r: &ovsdb::Remotes) -> ovsdb::Remotes {
    ovsdb::Remotes(
        r.0.iter()
            .map(|e| with_ssl_files(files, e.clone()))
            .collect(),
    )
}

/// The northbound and southbound databases, and the layout of the VPCs in OVN.
type OvnPlace = (ovsdb::Remotes, ovsdb::Remotes, vpc::ovn::desired::Layout);

/// A chassis name as OVS's `system-id` spells it: 1-64 letters, digits, `.`, `_`, `-`.
fn chassis_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a chassis name: 1-64 letters, digits, `.`, `_` or `-`"
        ))
    }
}
