//! `havip lab bench`: CPU and memory of havipd and keepalived side by side.

use super::{fail, progress};
use crate::output::FormatArgs;
use lab::bench::{self, BenchSpec};
use lab::daemon::Kind;
use std::process::ExitCode;

/// `havip lab bench`.
pub fn run(
    instances: u16,
    advert_int: f64,
    window: f64,
    auth_hmac: bool,
    vs: Option<Kind>,
    out: &FormatArgs,
) -> ExitCode {
    let spec = BenchSpec {
        instances,
        advert_int,
        window,
        auth_hmac,
    };
    let other = vs.unwrap_or(if auth_hmac {
        Kind::Keepalived24
    } else {
        Kind::Keepalived
    });
    if auth_hmac && other == Kind::Keepalived {
        return fail(anyhow::anyhow!(
            "--auth-hmac needs keepalived 2.4 to compare with: Debian's keepalived 2.2.7 has no auth_hmac (use --vs keepalived-2.4)"
        ));
    }
    let mut results = Vec::new();
    for kind in [Kind::Havipd, other] {
        match bench::run(&spec, kind, &progress) {
            Ok(r) => results.push(r),
            Err(e) => return fail(e),
        }
    }
    if out.is_json() {
        println!(
            "{}",
            serde_json::to_string_pretty(&results).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    println!(
        "{} instances, advert_int {} s, {} s window{}",
        spec.instances,
        spec.advert_int,
        spec.window,
        if spec.auth_hmac { ", auth_hmac" } else { "" }
    );
    println!(
        "{:<11} {:>12} {:>12} {:>14} {:>14}",
        "daemon", "master CPU%", "backup CPU%", "master RSS KiB", "backup RSS KiB"
    );
    for r in &results {
        println!(
            "{:<11} {:>12.2} {:>12.2} {:>14} {:>14}",
            r.daemon.to_string(),
            r.master_cpu_pct,
            r.backup_cpu_pct,
            r.master_rss_kib,
            r.backup_rss_kib
        );
    }
    if let [h, k] = results.as_slice() {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "havipd/keepalived: master CPU {:.2}, backup CPU {:.2}, master RSS {:.2}, backup RSS {:.2}",
            ratio(h.master_cpu_pct, k.master_cpu_pct),
            ratio(h.backup_cpu_pct, k.backup_cpu_pct),
            ratio(h.master_rss_kib as f64, k.master_rss_kib as f64),
            ratio(h.backup_rss_kib as f64, k.backup_rss_kib as f64)
        );
    }
    ExitCode::SUCCESS
}
