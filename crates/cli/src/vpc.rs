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
        /// Delay before a GARP moves a binding, in seconds (the cloud's "may take 10 s").
        #[arg(long, default_value_t = 0.0)]
        garp_delay: f64,
    },
}

/// Runs `havip vpc`.
pub fn run(args: &Args) -> ExitCode {
    match &args.command {
        VpcCommand::Serve {
            listen,
            db,
            keys,
            havip_quota,
            havips_per_eni,
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
