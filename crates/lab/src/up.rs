//! `havip lab up`: a lab that stays up, with daemons on the servers: the seed pair, or the
//! keepalived.conf files of a directory (one server each, addressed from `unicast_src_ip` /
//! `mcast_src_ip` when they set one).

use crate::daemon::{self, Kind, Running};
use crate::seeds;
use crate::topology::{Topology, new_id};
use anyhow::{Context, Result, bail};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// The configs of a directory (`*.conf`, sorted by name) with their text.
pub fn configs_in(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no *.conf file", dir.display());
    }
    files
        .into_iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            Ok((p, text))
        })
        .collect()
}

/// The address a config's first instance advertises from, if it says.
pub fn source_address(text: &str) -> Option<Ipv4Addr> {
    let report = conf::check_text(text, &conf::Options::default());
    let s = &report.config.instances.first()?.settings;
    match s.ip("unicast_src_ip").or_else(|| s.ip("mcast_src_ip"))? {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

/// Builds the lab and starts `kinds[k]` on server k (no daemons if `kinds` is empty).
pub fn up(
    nodes: usize,
    config_dir: Option<&Path>,
    kinds: &[Kind],
) -> Result<(Topology, Vec<Running>)> {
    let configs: Vec<String> = match config_dir {
        Some(dir) => configs_in(dir)?.into_iter().map(|(_, t)| t).collect(),
        None if nodes == 2 => vec![seeds::PRIMARY.to_string(), seeds::SECONDARY.to_string()],
        None => Vec::new(),
    };
    let count = if configs.is_empty() {
        nodes
    } else {
        configs.len()
    };
    let addrs: Vec<Ipv4Addr> = (0..count)
        .map(|k| {
            configs
                .get(k)
                .and_then(|c| source_address(c))
                .unwrap_or(Ipv4Addr::new(172, 16, 16, 5 + k as u8))
        })
        .collect();
    let topo = Topology::up_with(&new_id(), &addrs)?;
    let mut running = Vec::new();
    if !kinds.is_empty() {
        if configs.is_empty() {
            bail!("no configs for {count} servers: give --config-dir, or --daemon none");
        }
        for (k, (server, config)) in topo.servers.iter().zip(&configs).enumerate() {
            let kind = kinds
                .get(k)
                .or(kinds.last())
                .copied()
                .unwrap_or(Kind::Havipd);
            running.push(daemon::start(kind, &topo, server, config)?);
        }
    }
    Ok((topo, running))
}
