//! A burst of southbound port changes on a lab's OVN fabric: `count` logical switch ports
//! created through the northbound database in one transaction, on a logical switch of their
//! own (another tenant's scale-out), so that ovn-northd writes `count` southbound
//! `Port_Binding` rows (and their logical flows) at once. Through the northbound database, as a
//! cloud's orchestrator makes ports: only northd writes `Port_Binding` rows in OVN, so direct
//! southbound churn is not a load any deployment sees. On a switch of their own, as havip's
//! switches are its own (its planner keeps their port lists to the API's records).

use crate::ovn::Fabric;
use crate::shell::run;
use anyhow::{Result, bail};
use std::time::{Duration, Instant};

/// How long the burst's ports may take to appear in, or leave, the southbound database.
const SETTLE: Duration = Duration::from_secs(60);

/// What a burst cost: milliseconds from its start.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    /// The northbound transaction committed.
    pub nb_ms: f64,
    /// Every port's `Port_Binding` in the southbound database (northd done).
    pub sb_ms: f64,
}

impl Fabric {
    /// The burst's logical switch.
    fn burst_switch(&self) -> String {
        format!("{}-burst", self.prefix)
    }

    fn ctl(&self, program: &str, db: &str, args: &[&str]) -> Result<String> {
        let db = format!("--db=unix:{}", self.dir.join(db).display());
        let mut argv = vec![program, "--timeout=30", db.as_str()];
        argv.extend_from_slice(args);
        run(&argv)
    }

    /// Creates `count` (1-10,000) ports, each with a MAC and an IPv4 address, on the burst's
    /// switch in one northbound transaction, and waits until ovn-northd has written all their
    /// southbound bindings.
    pub fn port_burst(&self, count: u32) -> Result<Burst> {
        if !(1..=10_000).contains(&count) {
            bail!("a port burst is 1 to 10000 ports, not {count}");
        }
        let sw = self.burst_switch();
        let ports: Vec<(String, String)> = (0..count)
            .map(|i| {
                let (hi, lo) = (i >> 8, i & 0xff);
                (
                    format!("{sw}-{i}"),
                    format!("0a:b0:00:00:{hi:02x}:{lo:02x} 10.250.{hi}.{lo}"),
                )
            })
            .collect();
        let mut args = vec!["--", "--may-exist", "ls-add", sw.as_str()];
        for (name, addresses) in &ports {
            args.extend(["--", "lsp-add", sw.as_str(), name.as_str()]);
            args.extend(["--", "lsp-set-addresses", name.as_str(), addresses.as_str()]);
        }
        let t0 = Instant::now();
        self.ctl("ovn-nbctl", "nb.sock", &args)?;
        let nb_ms = t0.elapsed().as_secs_f64() * 1000.0;
        self.until_bindings(|n| n >= count as usize)?;
        let sb_ms = t0.elapsed().as_secs_f64() * 1000.0;
        Ok(Burst { nb_ms, sb_ms })
    }

    /// Deletes the burst's switch and its ports, if any, and waits until their southbound
    /// bindings are gone.
    pub fn clear_burst(&self) -> Result<()> {
        let sw = self.burst_switch();
        self.ctl("ovn-nbctl", "nb.sock", &["--if-exists", "ls-del", &sw])?;
        self.until_bindings(|n| n == 0)
    }

    /// Waits until the number of the burst's southbound bindings satisfies `done`.
    fn until_bindings(&self, done: impl Fn(usize) -> bool) -> Result<()> {
        let mark = format!("{}-", self.burst_switch());
        let deadline = Instant::now() + SETTLE;
        loop {
            let listed = self.ctl(
                "ovn-sbctl",
                "sb.sock",
                &["--bare", "--columns=logical_port", "list", "Port_Binding"],
            )?;
            let n = listed.lines().filter(|l| l.starts_with(&mark)).count();
            if done(n) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the southbound database still has {n} of the burst's ports after 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
