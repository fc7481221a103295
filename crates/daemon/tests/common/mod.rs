//! A throwaway subnet in network namespaces: a bridge (the switch) and hosts on it, daemons
//! started inside them, everything removed on drop — also when a test fails.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A subnet of namespaces.
pub struct Lab {
    prefix: String,
    hosts: Vec<String>,
    children: Vec<(String, Child)>,
    /// Interfaces made in the initial network namespace, deleted on drop.
    root_links: Vec<String>,
    /// Scratch directory for configs, logs and state.
    pub dir: PathBuf,
}

impl Lab {
    /// A new lab, or `None` (with the reason printed) where namespaces cannot be made or
    /// `ping` ([`Lab::ping`]) or one of `tools` is missing.
    pub fn new(tag: &str, tools: &[&str]) -> Option<Lab> {
        let tools: Vec<&str> = std::iter::once("ping")
            .chain(tools.iter().copied())
            .collect();
        if hostcheck::skip_reason(tag, &tools).is_some() {
            return None;
        }
        let prefix = format!(
            "hv{}{}{}",
            std::process::id() % 100_000,
            tag.chars().take(3).collect::<String>(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let dir = std::env::temp_dir().join(&prefix);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let lab = Lab {
            prefix,
            hosts: Vec::new(),
            children: Vec::new(),
            root_links: Vec::new(),
            dir,
        };
        lab.sh(&format!("ip netns add {p}sw && ip -n {p}sw link add br0 type bridge && ip -n {p}sw link set br0 up", p = lab.prefix));
        Some(lab)
    }

    /// Namespace name of a host.
    pub fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    fn sh(&self, cmd: &str) -> Output {
        let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh");
        assert!(
            out.status.success(),
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Adds a host with `eth0` on the switch and the given addresses (`172.16.16.5/24`, `fd00::5/64`).
    pub fn host(&mut self, host: &str, addrs: &[&str]) {
        let ns = self.ns(host);
        let (p, h) = (&self.prefix, host);
        self.sh(&format!(
            "ip netns add {ns} && ip link add {p}{h}x type veth peer name {p}{h}y && ip link set {p}{h}x netns {ns} name eth0 && \
             ip link set {p}{h}y netns {p}sw && ip -n {p}sw link set {p}{h}y master br0 up && \
             ip -n {ns} link set lo up && ip -n {ns} link set eth0 up"
        ));
        for a in addrs {
            let nodad = if a.contains(':') { " nodad" } else { "" };
            self.sh(&format!("ip -n {ns} addr add {a} dev eth0{nodad}"));
        }
        self.hosts.push(host.to_string());
    }

    /// Adds a host in the initial network namespace (for a daemon that only works there, as
    /// keepalived's process tracking): a veth on the switch with `addr`; returns its name.
    pub fn root_host(&mut self, host: &str, addr: &str) -> String {
        let p = &self.prefix;
        let link = format!("{p}{host}x");
        self.sh(&format!(
            "ip link add {link} type veth peer name {p}{host}y && ip link set {p}{host}y netns {p}sw && \
             ip -n {p}sw link set {p}{host}y master br0 up && ip addr add {addr} dev {link} && ip link set {link} up"
        ));
        self.root_links.push(link.clone());
        link
    }

    /// Deletes the host's `eth0` and creates it again (a new index, as a re-created VLAN or a
    /// hot-plugged card gets), on the switch, with `addrs`, after `gap`.
    pub fn replug(&self, host: &str, addrs: &[&str], gap: Duration) {
        let ns = self.ns(host);
        let (p, h) = (&self.prefix, host);
        self.sh(&format!("ip -n {ns} link del eth0"));
        std::thread::sleep(gap);
        self.sh(&format!(
            "ip link add {p}{h}x type veth peer name {p}{h}y && ip link set {p}{h}x netns {ns} name eth0 && \
             ip link set {p}{h}y netns {p}sw && ip -n {p}sw link set {p}{h}y master br0 up"
        ));
        for a in addrs {
            let nodad = if a.contains(':') { " nodad" } else { "" };
            self.sh(&format!("ip -n {ns} addr add {a} dev eth0{nodad}"));
        }
        self.sh(&format!("ip -n {ns} link set eth0 up"));
    }

    /// Cuts (or restores) the host's cable at the switch: the host is not told by its daemon's
    /// protocol, only by carrier loss.
    pub fn cable(&self, host: &str, connected: bool) {
        let state = if connected { "up" } else { "down" };
        self.sh(&format!(
            "ip -n {p}sw link set {p}{host}y {state}",
            p = self.prefix
        ));
    }

    /// Starts a daemon in a host's namespace; stdout and stderr go to `<dir>/<name>.log`.
    pub fn spawn(&mut self, host: &str, name: &str, argv: &[&str]) {
        let ns = self.ns(host);
        let mut full = vec!["ip", "netns", "exec", &ns];
        full.extend_from_slice(argv);
        self.spawn_here(name, &full);
    }

    /// Starts a daemon in the test's own (the initial) network namespace; stdout and stderr go
    /// to `<dir>/<name>.log`.
    pub fn spawn_here(&mut self, name: &str, argv: &[&str]) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).expect("log file");
        let err = log.try_clone().expect("log file");
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .expect("spawn daemon");
        self.children.push((name.to_string(), child));
    }

    /// Sends a signal to a daemon started with `spawn` and waits for it to exit.
    pub fn signal(&mut self, name: &str, sig: &str) {
        let Some(pos) = self.children.iter().position(|(n, _)| n == name) else {
            panic!("no daemon {name}")
        };
        let (_, mut child) = self.children.remove(pos);
        // `ip netns exec` execs the daemon, so the child's pid is the daemon's.
        let _ = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The pid of a daemon started with `spawn` (`ip netns exec` execs it: the child's pid).
    pub fn pid(&self, name: &str) -> u32 {
        match self.children.iter().find(|(n, _)| n == name) {
            Some((_, child)) => child.id(),
            None => panic!("no daemon {name}"),
        }
    }

    /// The processes whose parent is the daemon `name` (havipd's VRRP worker).
    pub fn children_of(&self, name: &str) -> Vec<u32> {
        let parent = self.pid(name);
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let fields: Vec<&str> = stat[stat.rfind(')').map_or(0, |i| i + 2)..]
                .split_whitespace()
                .collect();
            // A zombie (state Z) is already dead.
            if fields.get(1) == Some(&parent.to_string().as_str()) && fields.first() != Some(&"Z") {
                out.push(pid);
            }
        }
        out
    }

    /// A crash of the whole daemon: every process of it dies by SIGKILL at once, none can
    /// resign (havipd's supervisor is stopped first, so it cannot restart its worker).
    pub fn crash(&mut self, name: &str) {
        self.kill(name, "STOP");
        for pid in self.children_of(name) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        self.signal(name, "KILL");
    }

    /// Sends a signal to a daemon started with `spawn`, without waiting.
    pub fn kill(&self, name: &str, sig: &str) {
        let Some((_, child)) = self.children.iter().find(|(n, _)| n == name) else {
            panic!("no daemon {name}")
        };
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig} {name} failed");
    }

    /// The exit code of a daemon started with `spawn` that has ended (`None`: running, or
    /// killed by a signal).
    pub fn exit_code(&mut self, name: &str) -> Option<i32> {
        self.children
            .iter_mut()
            .find(|(n, _)| n == name)
            .and_then(|(_, c)| c.try_wait().ok().flatten())
            .and_then(|s| s.code())
    }

    /// Whether a daemon started with `spawn` is still running.
    pub fn running(&mut self, name: &str) -> bool {
        self.children
            .iter_mut()
            .find(|(n, _)| n == name)
            .is_some_and(|(_, c)| c.try_wait().ok().flatten().is_none())
    }

    /// Starts havipd on `host` with `config` (text); its log is `<name>.log` and its state
    /// directory `<lab>/<name>`, which is returned.
    pub fn havipd(&mut self, host: &str, name: &str, config: &str) -> PathBuf {
        self.havipd_in(host, name, config, name)
    }

    /// As [`Lab::havipd`], with the state directory `<lab>/<state>` (a restarted daemon can
    /// keep its predecessor's).
    pub fn havipd_in(&mut self, host: &str, name: &str, config: &str, state: &str) -> PathBuf {
        self.havipd_with(host, name, config, state, &[])
    }

    /// As [`Lab::havipd_in`], with extra havipd flags.
    pub fn havipd_with(
        &mut self,
        host: &str,
        name: &str,
        config: &str,
        state: &str,
        extra: &[&str],
    ) -> PathBuf {
        self.havipd_env(host, name, config, state, &[], extra)
    }

    /// As [`Lab::havipd_with`], run by `env` with `env_args` (`VAR=value`) before havipd.
    fn havipd_env(
        &mut self,
        host: &str,
        name: &str,
        config: &str,
        state: &str,
        env_args: &[&str],
        extra: &[&str],
    ) -> PathBuf {
        let conf = self.write(&format!("{name}.conf"), config);
        let state = self.dir.join(state);
        let state_arg = state.display().to_string();
        let mut argv = Vec::new();
        if !env_args.is_empty() {
            argv.push("env");
            argv.extend_from_slice(env_args);
        }
        argv.extend_from_slice(&[
            env!("CARGO_BIN_EXE_havipd"),
            "-n",
            "-l",
            "-f",
            &conf,
            "--state-dir",
            &state_arg,
        ]);
        argv.extend_from_slice(extra);
        self.spawn(host, name, &argv);
        state
    }

    /// As [`Lab::havipd_with`] (state directory `<lab>/<name>`), with its dumps in a `TMPDIR`
    /// of its own, `<lab>/<name>-tmp`, and metrics at `127.0.0.1:9650` in its namespace: what
    /// [`assert_secrets_nowhere`] reads.
    pub fn havipd_dumping(
        &mut self,
        host: &str,
        name: &str,
        config: &str,
        extra: &[&str],
    ) -> PathBuf {
        let tmp = self.dir.join(format!("{name}-tmp"));
        std::fs::create_dir_all(&tmp).expect("tmp dir");
        let tmpdir = format!("TMPDIR={}", tmp.display());
        let mut flags = vec!["--metrics-listen", "127.0.0.1:9650"];
        flags.extend_from_slice(extra);
        self.havipd_env(host, name, config, name, &[&tmpdir], &flags)
    }

    /// Starts a keepalived binary (`keepalived` from PATH, or a path such as
    /// [`keepalived_24`]) on `host` with `config`, in the foreground, logging to the console.
    pub fn keepalived(&mut self, host: &str, name: &str, binary: &str, config: &str) {
        let argv = self.keepalived_argv(name, binary, config);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        self.spawn(host, name, &argv);
    }

    /// As [`Lab::keepalived`], in the initial network namespace (see [`Lab::root_host`]).
    pub fn keepalived_here(&mut self, name: &str, binary: &str, config: &str) {
        let argv = self.keepalived_argv(name, binary, config);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        self.spawn_here(name, &argv);
    }

    fn keepalived_argv(&self, name: &str, binary: &str, config: &str) -> Vec<String> {
        let conf = self.write(&format!("{name}.conf"), config);
        let d = self.dir.display().to_string();
        let (pid, vrrp_pid) = (format!("{d}/{name}.pid"), format!("{d}/{name}.vrrp.pid"));
        let mut argv: Vec<String> = [binary, "-n", "-l", "-f", &conf, "-p", &pid, "-r", &vrrp_pid]
            .map(String::from)
            .to_vec();
        // Debian's build has the load balancer too: -P runs the VRRP half only. The 2.4.3 test
        // build has no load balancer, and no -P.
        if binary == "keepalived" {
            argv.push("-P".into());
            // Its BFD process (run when the config has a bfd_instance) has a pid file too.
            argv.extend(["-b".into(), format!("{d}/{name}.bfd.pid")]);
        }
        argv
    }

    /// Sends a signal to a daemon started with `spawn` and keeps it (SIGHUP, SIGUSR2).
    pub fn reload(&self, name: &str) {
        self.kill(name, "HUP");
    }

    /// Runs a shell command line in a host's namespace; panics if it fails.
    pub fn sh_in(&self, host: &str, cmd: &str) -> String {
        let out = self.exec(host, &["sh", "-c", cmd]);
        assert!(
            out.status.success(),
            "`{cmd}` in {host} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command in a host's namespace.
    pub fn exec(&self, host: &str, argv: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns(host)])
            .args(argv)
            .output()
            .expect("ip netns exec")
    }

    /// Whether the host has `addr` on eth0 (a [`Lab::root_host`]: on its veth).
    pub fn holds(&self, host: &str, addr: &str) -> bool {
        let root = format!("{}{host}x", self.prefix);
        let out = if self.root_links.contains(&root) {
            Command::new("ip")
                .args(["-o", "addr", "show", "dev", &root])
                .output()
                .expect("ip addr")
        } else {
            self.exec(host, &["ip", "-o", "addr", "show", "dev", "eth0"])
        };
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(addr))
    }

    /// Whether one ping from `host` to `addr` is answered within a second.
    pub fn ping(&self, host: &str, addr: &str) -> bool {
        self.exec(host, &["ping", "-c", "1", "-W", "1", addr])
            .status
            .success()
    }

    /// The log of a daemon.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Writes a file in the scratch directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for h in self.hosts.iter().map(String::as_str).chain(["sw"]) {
            let ns = format!("{}{h}", self.prefix);
            // Anything still running in the namespace (a daemon's scripts) goes too.
            let _ = Command::new("sh").arg("-c").arg(format!("for p in $(ip netns pids {ns} 2>/dev/null); do kill -9 $p; done; ip netns del {ns}")).status();
        }
        for link in &self.root_links {
            let _ = Command::new("ip").args(["link", "del", link]).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `cond` every 5 ms until it holds or `within` passes; returns when it held.
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> Option<Instant> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

/// havipd's `<instance>.state` file in a state directory, trimmed ("" if absent).
pub fn state_of(state_dir: &std::path::Path, instance: &str) -> String {
    std::fs::read_to_string(state_dir.join(format!("{instance}.state")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Transitions of one instance recorded by havipd: (from, to, reason).
pub fn transitions_of(
    state_dir: &std::path::Path,
    instance: &str,
) -> Vec<(String, String, String)> {
    std::fs::read_to_string(state_dir.join("transitions.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["instance"] == instance)
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (s("from"), s("to"), s("reason"))
        })
        .collect()
}

/// A minimal VRRPv2 multicast instance on eth0.
pub fn instance(name: &str, vrid: u8, priority: u8, vip: &str, extra: &str) -> String {
    format!(
        "vrrp_instance {name} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {vrid}\n    \
         priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n        {vip}/24\n    }}\n{extra}}}\n"
    )
}

/// The state havipd last moved an instance to, from its state directory.
pub fn last_state(state_dir: &std::path::Path) -> Option<String> {
    transitions(state_dir).last().map(|(_, _, to)| to.clone())
}

/// The Prometheus exposition a havipd on `host` serves at `127.0.0.1:port`.
pub fn scrape_metrics(lab: &Lab, host: &str, port: u16) -> String {
    lab.sh_in(
        host,
        &format!(
            "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:{port}/metrics\").read().decode())'"
        ),
    )
}

/// The timer-lateness histogram of a havipd on `host` (metrics at `127.0.0.1:port`): (upper
/// bound in seconds, cumulative count).
pub fn timer_lateness(lab: &Lab, host: &str, port: u16) -> Vec<(String, u64)> {
    let text = scrape_metrics(lab, host, port);
    text.lines()
        .filter_map(|l| l.strip_prefix("havip_timer_lateness_seconds_bucket{le=\""))
        .filter_map(|rest| {
            let (le, n) = rest.split_once("\"} ")?;
            Some((le.to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

/// Transitions recorded by havipd in its state directory: (unix time, from, to).
pub fn transitions(state_dir: &std::path::Path) -> Vec<(f64, String, String)> {
    std::fs::read_to_string(state_dir.join("transitions.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["time"].as_f64().unwrap_or(0.0),
                v["from"].as_str().unwrap_or("").to_string(),
                v["to"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A seed guide's config as printed (`crates/conf/tests/data/seeds/NAME`).
pub fn seed(name: &str) -> String {
    let path = format!(
        "{}/../conf/tests/data/seeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("seed config")
}

/// keepalived 2.4.3 built by `scripts/build-keepalived-2.4.sh` (or `HAVIP_KEEPALIVED_24`).
pub fn keepalived_24() -> String {
    std::env::var("HAVIP_KEEPALIVED_24").unwrap_or_else(|_| {
        format!(
            "{}/../../target/keepalived-2.4.3/sbin/keepalived",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

/// havipd's counters from `stats.json` after a SIGUSR2, for one instance.
pub fn stats_of(
    lab: &Lab,
    name: &str,
    state_dir: &std::path::Path,
    instance: &str,
) -> serde_json::Value {
    let file = state_dir.join("stats.json");
    let before = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
    lab.kill(name, "USR2");
    wait_until(Duration::from_secs(3), || {
        std::fs::metadata(&file).and_then(|m| m.modified()).ok() != before
    });
    std::thread::sleep(Duration::from_millis(50));
    let v: serde_json::Value = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    v["instances"][instance].clone()
}

/// Asserts that a master's timers, as the lateness histogram `during` counts them, were on time
/// under load: 97% within 1 ms, and none later than `floor` (how late the kernel woke a bare
/// real-time thread meanwhile, [`RealtimeReference`]) plus half a millisecond of handling.
pub fn assert_timers_on_time(during: &[(String, u64)], floor: Duration) {
    let within = |bound: &str| {
        during
            .iter()
            .find(|(le, _)| le == bound)
            .map_or(0, |(_, n)| *n)
    };
    let total = within("+Inf");
    assert!(total >= 90, "too few timers: {during:?}");
    assert!(
        100 * within("0.001") >= 97 * total,
        "more than 3% of timers over 1 ms late: {during:?}"
    );
    let bound = bucket_at_least(during, floor + Duration::from_micros(500));
    eprintln!("a real-time thread beside havipd was woken {floor:?} late at worst");
    assert_eq!(
        within(&bound),
        total,
        "later than the kernel woke a bare real-time thread ({floor:?}) + 0.5 ms: {during:?}"
    );
}

/// The smallest histogram bound (`le`) of `buckets` at or above both 1 ms and `late`.
fn bucket_at_least(buckets: &[(String, u64)], late: Duration) -> String {
    let late = late.max(Duration::from_millis(1)).as_secs_f64();
    buckets
        .iter()
        .map(|(le, _)| le)
        .find(|le| le.parse::<f64>().is_ok_and(|b| b >= late))
        .cloned()
        .unwrap_or_else(|| "+Inf".to_string())
}

/// A thread at havipd's real-time class (`vrrp_rt_priority 50`, SCHED_RR) that sleeps to a deadline every 10 ms
/// and records how late the kernel woke it: the floor no daemon's timers can beat.
pub struct RealtimeReference {
    sampler: std::thread::JoinHandle<Duration>,
}

impl RealtimeReference {
    pub fn start(length: Duration) -> Self {
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let sampler = std::thread::spawn(move || {
            tid_tx.send(nix::unistd::gettid()).expect("tid");
            std::thread::sleep(Duration::from_millis(50)); // until chrt has run
            let start = std::time::Instant::now();
            let mut worst = Duration::ZERO;
            let mut due = start;
            while due - start < length {
                due += Duration::from_millis(10);
                std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
                worst = worst.max(std::time::Instant::now() - due);
            }
            worst
        });
        let tid = tid_rx.recv().expect("the sampler's tid");
        let chrt = std::process::Command::new("chrt")
            .args(["-r", "-p", "50", &tid.to_string()])
            .status()
            .expect("chrt (util-linux)");
        assert!(chrt.success(), "chrt -r -p 50 {tid}");
        Self { sampler }
    }

    /// The latest wake-up seen (waits for the sampler's end).
    pub fn worst(self) -> Duration {
        self.sampler.join().expect("sampler")
    }
}

/// None of `secrets` shows in the logs of `logs`, nor in the status, metrics or dumps (USR1,
/// USR2, JSON) of the havipd `name` on `host` started with [`Lab::havipd_dumping`], whose
/// status must show a mover (`action`, an API action it called, proves the status and the
/// metrics were read with something in them).
pub fn assert_secrets_nowhere(
    lab: &Lab,
    (host, name): (&str, &str),
    logs: &[&str],
    action: &str,
    secrets: &[&str],
) {
    let state = lab.dir.join(name);
    let status = match ctl::Client::one(&state.join(ctl::SOCKET_NAME), &ctl::Request::Status) {
        Ok(ctl::Reply::Status(s)) => serde_json::to_string(&s).expect("json"),
        other => panic!("not a status: {other:?}"),
    };
    assert!(status.contains(action), "{status}");
    let metrics = scrape_metrics(lab, host, 9650);
    assert!(metrics.contains("havip_mover_api_calls_total"), "{metrics}");
    let mut seen: Vec<(String, String)> = logs
        .iter()
        .map(|l| (format!("log {l}"), lab.log(l)))
        .collect();
    seen.push(("status".into(), status));
    seen.push(("metrics".into(), metrics));
    let tmp = lab.dir.join(format!("{name}-tmp"));
    let json = Command::new(env!("CARGO_BIN_EXE_havipd"))
        .args(["--signum", "JSON"])
        .output()
        .expect("--signum");
    let json = String::from_utf8_lossy(&json.stdout).trim().to_string();
    for (sig, file) in [
        ("USR1", "keepalived.data"),
        ("USR2", "keepalived.stats"),
        (json.as_str(), "keepalived.json"),
    ] {
        let path = tmp.join(file);
        let _ = std::fs::remove_file(&path);
        lab.kill(name, sig);
        let written = wait_until(Duration::from_secs(3), || path.exists());
        assert!(written.is_some(), "no {file} after {sig}");
        std::thread::sleep(Duration::from_millis(100));
        let text = std::fs::read_to_string(&path).expect("dump");
        seen.push((file.to_string(), text));
    }
    for (what, text) in &seen {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret is in the {what}");
        }
    }
}
