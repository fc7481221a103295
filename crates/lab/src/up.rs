//! `havip lab up`: a lab that stays up, with daemons on the servers: the seed pair, or the
//! keepalived.conf files of a directory placed on their subnet (see [`crate::placement`]).

use crate::daemon::{self, Kind, Running};
use crate::drill::Setup;
use crate::topology::{Topology, new_id};
use anyhow::{Context, Result, bail};
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

/// A lab that `havip lab up` leaves running.
pub struct Up {
    /// The namespaces.
    pub topo: Topology,
    /// The daemons, server by server.
    pub daemons: Vec<Running>,
    /// The placement's notes.
    pub notes: Vec<String>,
    /// The VPC's planes (with `--vpc`).
    pub plane: Option<crate::vpc::Plane>,
    /// The OVN fabric (with `--vpc ovn`).
    pub fabric: Option<crate::ovn::Fabric>,
}

impl Up {
    /// Leaves everything running; `havip lab down` removes it.
    pub fn keep(self) {
        for d in self.daemons {
            d.detach();
        }
        if let Some(p) = self.plane {
            p.keep();
        }
        if let Some(f) = self.fabric {
            f.keep();
        }
        self.topo.keep();
    }
}

/// Builds the lab and starts `kinds[k]` on server k (no daemons if `kinds` is empty): the
/// configs of `config_dir` placed on their subnet, else the seed pair (2 nodes), else `nodes`
/// servers with no config; inside the VPC on `vpc`'s backend if given (configs needed).
pub fn up(
    nodes: usize,
    config_dir: Option<&Path>,
    kinds: &[Kind],
    vpc: Option<crate::vpc::Backend>,
) -> Result<Up> {
    let setup = match config_dir {
        Some(dir) => Some(Setup::from_dir(dir)?),
        None if nodes == 2 => Some(Setup::seed()),
        None => None,
    };
    let Some(mut setup) = setup else {
        if !kinds.is_empty() {
            bail!("no configs for {nodes} servers: give --config-dir, or --daemon none");
        }
        if vpc.is_some() {
            bail!("--vpc needs configs: the seed pair (--nodes 2) or --config-dir");
        }
        return Ok(Up {
            topo: Topology::up(&new_id(), nodes)?,
            daemons: Vec::new(),
            notes: Vec::new(),
            plane: None,
            fabric: None,
        });
    };
    setup.vpc = vpc;
    let cluster = &setup.cluster;
    let hosts: Vec<_> = cluster.members.iter().map(|m| m.host.clone()).collect();
    let (topo, plane, fabric) = crate::drill::build(&setup, &hosts)?;
    let mut daemons = Vec::new();
    for (k, (server, member)) in topo.servers.iter().zip(&cluster.members).enumerate() {
        let Some(kind) = kinds.get(k).or(kinds.last()).copied() else {
            break;
        };
        daemons.push(daemon::start(kind, &topo, server, &member.config)?);
    }
    Ok(Up {
        topo,
        daemons,
        notes: cluster.notes.clone(),
        plane,
        fabric,
    })
}
