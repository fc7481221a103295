//! `havip vpc serve`: the local VPC's API, console and GARP endpoint.

use clap::{Args as ClapArgs, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `havip vpc` arguments.
#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: VpcCommand,
}

#[derive(Subcommand)]
enum VpcCommand {
    /// Serve the cloud-compatible API (POST /), the console (GET /) and /internal/garp.
    Serve {
        /// Address to listen on (the console has no keys: keep it on the loopback).
        #[arg(long, default_value = "127.0.0.1:9180")]
        listen: String,
        /// The SQLite file (created if missing).
        #[arg(long, default_value = "havip-vpc.db")]
        db: PathBuf,
        /// Keys file: one `SecretId SecretKey` per line.
        #[arg(long)]
        keys: PathBuf,
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
    },
    /// Forward frames between the servers' ports of a switch namespace with the VPC's rules.
    Dataplane {
        /// The control plane (`havip vpc serve`).
        #[arg(long, default_value = "http://127.0.0.1:9180")]
        api: String,
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
    },
}

fn dataplane(
    api: &str,
    netns: &str,
    ports: &[String],
    public: &Option<String>,
    stats: &Option<PathBuf>,
) -> anyhow::Result<()> {
    let ports = ports
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(i, e)| !i.is_empty() && e.starts_with("eni-"))
                .map(|(i, e)| (i.to_string(), e.to_string()))
                .ok_or_else(|| anyhow::anyhow!("--port {p}: expected IFNAME=eni-xxxxxxxx"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
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
            api: api.trim_end_matches('/').to_string(),
            netns: netns.to_string(),
            ports,
            public: public.clone(),
            stats: stats.clone(),
            gateway_mac: [0x02, 0x68, 0x76, 0x70, 0x63, 0x01],
        },
        stop,
    )
}

/// Runs `havip vpc`.
pub fn run(args: &Args) -> ExitCode {
    match &args.command {
        VpcCommand::Dataplane {
            api,
            netns,
            ports,
            public,
            stats,
        } => match dataplane(api, netns, ports, public, stats) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("havip vpc dataplane: {e:#}");
                ExitCode::from(2)
            }
        },
        VpcCommand::Serve {
            listen,
            db,
            keys,
            havip_quota,
            havips_per_eni,
            requests_per_second,
            garp_delay,
        } => {
            let result = (|| -> anyhow::Result<()> {
                if !(0.0..=600.0).contains(garp_delay) {
                    anyhow::bail!("--garp-delay must be 0-600 seconds, not {garp_delay}");
                }
                let keys = vpc::server::read_keys(keys)?;
                let store = vpc::store::Sqlite::open(db)?;
                let quotas = vpc::cloud::Quotas {
                    havips_per_vpc: *havip_quota,
                    havips_per_eni: *havips_per_eni,
                    requests_per_second: *requests_per_second,
                };
                let mut service = vpc::server::Service::new(Box::new(store), keys, quotas)?;
                if let Some(s) = std::sync::Arc::get_mut(&mut service) {
                    s.garp_delay = std::time::Duration::from_secs_f64(*garp_delay);
                }
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    let listener = tokio::net::TcpListener::bind(listen)
                        .await
                        .map_err(|e| anyhow::anyhow!("--listen {listen}: {e}"))?;
                    eprintln!(
                        "havip vpc: API and console on http://{}/ (store {})",
                        listener.local_addr()?,
                        db.display()
                    );
                    vpc::server::serve(listener, service).await
                })
            })();
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("havip vpc: {e:#}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
