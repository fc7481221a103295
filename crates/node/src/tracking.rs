//! Tracked objects and what they mean for each instance, as keepalived computes it: interfaces,
//! `vrrp_script` results (with rise/fall), `track_file` values, `vrrp_track_process` quorums
//! (with their fork and terminate delays), `track_bfd` sessions, their weights, and sync groups (a fault of one member
//! is a fault of all). Pure logic: the monitors feed it observations and the event loop turns
//! its verdicts into router events.

mod bfd;
#[cfg(test)]
mod bfd_tests;
#[cfg(test)]
mod process_tests;
pub mod processes;
pub mod quorum;

use conf::model::{Config, Instance, TrackRef, Weight};
use processes::Crossing;
use quorum::Quorum;
use std::collections::BTreeMap;
use vrrp::Timestamp;

/// What an instance's tracked objects say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The instance's own interface is down (and tracked).
    pub link_down: bool,
    /// An unweighted tracked object failed, or a member of its sync group is faulty.
    pub fault: bool,
    /// Effective priority: the configured one plus the weights, limited to 1-254 (owners keep 255).
    pub priority: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Object {
    Interface(String),
    Script(String),
    File(String),
    Process(String),
    Bfd(String),
}

#[derive(Clone, Debug)]
struct Item {
    object: Object,
    weight: i64,
    reverse: bool,
}

#[derive(Clone, Debug)]
struct Tracks {
    priority: u8,
    own_interface: Option<String>,
    items: Vec<Item>,
    group: Option<usize>,
}

/// A script's health with keepalived's rise/fall hysteresis.
#[derive(Clone, Debug)]
struct ScriptHealth {
    ok: bool,
    streak: u32,
    rise: u32,
    fall: u32,
}

/// Tracking state of every instance of a config.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    instances: Vec<Tracks>,
    groups: Vec<Vec<usize>>,
    links: BTreeMap<String, bool>,
    scripts: BTreeMap<String, ScriptHealth>,
    files: BTreeMap<String, i64>,
    processes: BTreeMap<String, Quorum>,
    /// Whether each `bfd_instance`'s session is Up (keepalived starts them down).
    bfds: BTreeMap<String, bool>,
    /// The process watcher whose reports count (an older one may still report after a reload).
    process_source: u64,
}

impl Tracker {
    /// Builds the tracking of `instances` (in this order) from the config's definitions.
    /// Links start up, scripts start OK unless `init_fail`, files start at 0.
    pub fn new(cfg: &Config, instances: &[&Instance]) -> Self {
        let mut t = Tracker::default();
        for (name, s) in &cfg.scripts {
            t.scripts.insert(
                name.clone(),
                ScriptHealth {
                    ok: !s.init_fail(),
                    streak: 0,
                    rise: s.rise(),
                    fall: s.fall(),
                },
            );
        }
        for name in cfg.track_files.keys() {
            t.files.insert(name.clone(), 0);
        }
        for (name, p) in &cfg.track_processes {
            t.processes.insert(
                name.clone(),
                Quorum::new(p.fork_delay_us, p.terminate_delay_us),
            );
        }
        t.bfds = cfg
            .bfd_instances
            .keys()
            .map(|n| (n.clone(), false))
            .collect();
        let member_of = |name: &str| {
            cfg.sync_groups
                .iter()
                .position(|g| g.members.iter().any(|m| m.name == name))
        };
        t.groups = vec![Vec::new(); cfg.sync_groups.len()];
        for (k, inst) in instances.iter().enumerate() {
            let group = member_of(&inst.name);
            let items = items(cfg, inst, group.map(|g| &cfg.sync_groups[g]));
            if let Some(g) = group {
                t.groups[g].push(k);
            }
            t.instances.push(Tracks {
                priority: inst.priority(),
                own_interface: inst
                    .tracks_own_interface()
                    .then(|| inst.interface().map(str::to_string))
                    .flatten(),
                items,
                group,
            });
        }
        t
    }

    /// Tracking of bare routers (a simulator's single-router hosts): each instance, at its
    /// configured priority, tracks only its own interface and belongs to no sync group.
    pub fn own_interfaces_only(instances: &[(u8, &str)]) -> Self {
        Tracker {
            instances: instances
                .iter()
                .map(|&(priority, interface)| Tracks {
                    priority,
                    own_interface: Some(interface.to_string()),
                    items: Vec::new(),
                    group: None,
                })
                .collect(),
            ..Tracker::default()
        }
    }

    /// Interface names any instance tracks (its own included).
    pub fn interfaces(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .instances
            .iter()
            .flat_map(|t| {
                t.own_interface
                    .iter()
                    .cloned()
                    .chain(t.items.iter().filter_map(|i| match &i.object {
                        Object::Interface(n) => Some(n.clone()),
                        _ => None,
                    }))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Names of scripts and files some instance tracks (the others are never run or read).
    pub fn used(&self) -> (Vec<String>, Vec<String>) {
        let mut scripts = Vec::new();
        let mut files = Vec::new();
        for i in self.instances.iter().flat_map(|t| &t.items) {
            match &i.object {
                Object::Script(n) if !scripts.contains(n) => scripts.push(n.clone()),
                Object::File(n) if !files.contains(n) => files.push(n.clone()),
                _ => {}
            }
        }
        (scripts, files)
    }

    /// Names of the processes some instance tracks (the others are not watched).
    pub fn processes_used(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .instances
            .iter()
            .flat_map(|t| &t.items)
            .filter_map(|i| match &i.object {
                Object::Process(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Makes `source` the process watcher whose reports count.
    pub fn set_process_source(&mut self, source: u64) {
        self.process_source = source;
    }

    /// Takes a process watcher's crossing into account at `now` (from another watcher than the
    /// current one: ignored). Returns whether the process's quorum, as instances see it, changed.
    pub fn process_crossing(&mut self, now: Timestamp, source: u64, c: &Crossing) -> bool {
        if source != self.process_source {
            return false;
        }
        self.processes
            .get_mut(&c.name)
            .is_some_and(|q| q.cross(now, c))
    }

    /// When a process's fork or terminate delay ends next.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.processes.values().filter_map(Quorum::deadline).min()
    }

    /// Ends the delays due at `now`. Returns whether a quorum changed.
    pub fn expire(&mut self, now: Timestamp) -> bool {
        let mut changed = false;
        for q in self.processes.values_mut() {
            changed |= q.expire(now);
        }
        changed
    }

    /// Whether a tracked process has its quorum, as instances see it.
    pub fn process_ok(&self, name: &str) -> Option<bool> {
        self.processes.get(name).map(Quorum::have)
    }

    /// Keeps what `old` observed (links, script health, file values) for the objects both
    /// track, so a reload does not reset them.
    pub fn carry_over(&mut self, old: &Tracker) {
        self.links.extend(old.links.clone());
        for (name, up) in &mut self.bfds {
            *up = old.bfds.get(name).copied().unwrap_or(*up);
        }
        for (name, h) in &mut self.scripts {
            if let Some(o) = old.scripts.get(name) {
                h.ok = o.ok;
                h.streak = 0;
            }
        }
        for (name, v) in &mut self.files {
            if let Some(o) = old.files.get(name) {
                *v = *o;
            }
        }
    }

    /// Records an interface's state. Returns whether anything changed.
    pub fn set_link(&mut self, name: &str, up: bool) -> bool {
        self.links.insert(name.to_string(), up) != Some(up)
    }

    /// Records one run of a script. Returns whether its health changed.
    pub fn script_result(&mut self, name: &str, success: bool) -> bool {
        let Some(h) = self.scripts.get_mut(name) else {
            return false;
        };
        if success == h.ok {
            h.streak = 0;
            return false;
        }
        h.streak += 1;
        let needed = if h.ok { h.fall } else { h.rise };
        if h.streak >= needed {
            h.ok = success;
            h.streak = 0;
            return true;
        }
        false
    }

    /// Whether a script is currently healthy.
    pub fn script_ok(&self, name: &str) -> Option<bool> {
        self.scripts.get(name).map(|h| h.ok)
    }

    /// Records whether a BFD session is Up. Returns whether it changed.
    pub fn set_bfd(&mut self, name: &str, up: bool) -> bool {
        self.bfds
            .get_mut(name)
            .is_some_and(|b| std::mem::replace(b, up) != up)
    }

    /// Records a tracked file's value. Returns whether it changed.
    pub fn set_file(&mut self, name: &str, value: i64) -> bool {
        self.files.insert(name.to_string(), value) != Some(value)
    }

    fn link_up(&self, name: &str) -> bool {
        self.links.get(name).copied().unwrap_or(true)
    }

    /// The instance's own verdict, without its sync group.
    fn own(&self, k: usize) -> Verdict {
        let t = &self.instances[k];
        let link_down = t.own_interface.as_deref().is_some_and(|n| !self.link_up(n));
        let mut fault = false;
        let mut delta: i64 = 0;
        for item in &t.items {
            match &item.object {
                Object::Interface(n) => {
                    adjust(self.link_up(n), item, &mut fault, &mut delta);
                }
                Object::Script(n) => {
                    adjust(
                        self.script_ok(n).unwrap_or(true),
                        item,
                        &mut fault,
                        &mut delta,
                    );
                }
                Object::Process(n) => {
                    let ok = self.process_ok(n).unwrap_or(true);
                    process_effect(ok, item, &mut fault, &mut delta);
                }
                Object::Bfd(n) => {
                    let up = self.bfds.get(n).copied().unwrap_or(false);
                    process_effect(up, item, &mut fault, &mut delta);
                }
                Object::File(n) => {
                    let value = self.files.get(n).copied().unwrap_or(0);
                    if item.weight == 0 {
                        fault |= (value != 0) != item.reverse;
                    } else {
                        let v = value.saturating_mul(item.weight);
                        let v = if item.reverse { -v } else { v };
                        if v < -253 {
                            fault = true;
                        } else {
                            delta += v;
                        }
                    }
                }
            }
        }
        let priority = if t.priority == vrrp::PRIORITY_OWNER {
            t.priority
        } else {
            (i64::from(t.priority) + delta).clamp(1, 254) as u8
        };
        Verdict {
            link_down,
            fault,
            priority,
        }
    }

    /// What instance `k` must do now: its own tracking, plus its sync group's faults.
    pub fn verdict(&self, k: usize) -> Verdict {
        let mut v = self.own(k);
        if let Some(g) = self.instances[k].group {
            v.fault |= self.groups[g].iter().filter(|&&m| m != k).any(|&m| {
                let o = self.own(m);
                o.fault || o.link_down
            });
        }
        v
    }

    /// Every `vrrp_script` and whether it passes now.
    pub fn scripts(&self) -> Vec<(String, bool)> {
        self.scripts
            .iter()
            .map(|(n, h)| (n.clone(), h.ok))
            .collect()
    }

    /// Instance `k`'s tracked objects as they stand, for `havip status`.
    pub fn objects(&self, k: usize) -> Vec<ctl::TrackerStatus> {
        let Some(t) = self.instances.get(k) else {
            return Vec::new();
        };
        t.items
            .iter()
            .map(|item| {
                let (kind, name, ok, effect) = match &item.object {
                    Object::Interface(n) => {
                        let ok = self.link_up(n);
                        ("interface", n, ok, weighted_effect(ok, item))
                    }
                    Object::Script(n) => {
                        let ok = self.script_ok(n).unwrap_or(true);
                        ("script", n, ok, weighted_effect(ok, item))
                    }
                    Object::Process(n) => {
                        let ok = self.process_ok(n).unwrap_or(true);
                        let (mut fault, mut delta) = (false, 0);
                        process_effect(ok, item, &mut fault, &mut delta);
                        ("process", n, ok, delta)
                    }
                    Object::Bfd(n) => {
                        let up = self.bfds.get(n).copied().unwrap_or(false);
                        let (mut fault, mut delta) = (false, 0);
                        process_effect(up, item, &mut fault, &mut delta);
                        ("bfd", n, up, delta)
                    }
                    Object::File(n) => {
                        let value = self.files.get(n).copied().unwrap_or(0);
                        let v = value.saturating_mul(item.weight);
                        ("file", n, value == 0, if item.reverse { -v } else { v })
                    }
                };
                ctl::TrackerStatus {
                    kind: kind.into(),
                    name: name.clone(),
                    ok,
                    weight: item.weight,
                    effect,
                }
            })
            .collect()
    }

    /// The other members of instance `k`'s sync group.
    pub fn group_peers(&self, k: usize) -> Vec<usize> {
        match self.instances.get(k).and_then(|t| t.group) {
            Some(g) => self.groups[g].iter().copied().filter(|&m| m != k).collect(),
            None => Vec::new(),
        }
    }
}

/// What instance `inst` (a member of `group_refs`, if any) tracks, with the weights and
/// `reverse` that apply to it.
fn items(cfg: &Config, inst: &Instance, group_refs: Option<&conf::model::SyncGroup>) -> Vec<Item> {
    // keepalived zeroes members' weights unless the group says otherwise.
    let weighted = group_refs.is_none_or(|g| g.tracking_weight());
    let mut items = Vec::new();
    let mut push = |object: Object, r: &TrackRef, default: Weight| {
        let weight = if weighted {
            r.weight.unwrap_or(default.value)
        } else {
            0
        };
        items.push(Item {
            object,
            weight,
            // keepalived: `weight N` alone keeps the definition's `reverse`.
            reverse: r.reverse.unwrap_or(default.reverse),
        });
    };
    let interfaces = inst
        .track_interfaces
        .iter()
        .chain(group_refs.iter().flat_map(|g| &g.track_interfaces));
    for r in interfaces {
        push(Object::Interface(r.name.clone()), r, Weight::default());
    }
    let scripts = inst
        .track_scripts
        .iter()
        .chain(group_refs.iter().flat_map(|g| &g.track_scripts));
    for r in scripts {
        if let Some(s) = cfg.scripts.get(&r.name) {
            push(Object::Script(r.name.clone()), r, s.weight());
        }
    }
    for r in &inst.track_files {
        if let Some(f) = cfg.track_files.get(&r.name) {
            push(Object::File(r.name.clone()), r, f.file_weight());
        }
    }
    let processes = inst
        .track_processes
        .iter()
        .chain(group_refs.iter().flat_map(|g| &g.track_processes));
    let mut seen = Vec::new();
    for r in processes {
        // keepalived ignores a process listed twice.
        if seen.contains(&&r.name) {
            continue;
        }
        seen.push(&r.name);
        if let Some(p) = cfg.track_processes.get(&r.name) {
            push(Object::Process(r.name.clone()), r, p.weight);
        }
    }
    items.extend(bfd::items(cfg, inst, group_refs));
    items
}

/// The priority change a weighted interface or script makes now (0 for unweighted ones).
fn weighted_effect(ok: bool, item: &Item) -> i64 {
    let (mut fault, mut delta) = (false, 0);
    adjust(ok, item, &mut fault, &mut delta);
    delta
}

/// A tracked process (or BFD session: `initialise_track_bfd_state`, quorum = Up) as keepalived
/// weighs it (`process_update_track_process_status`): `reverse`
/// negates the weight; unweighted, a lost quorum faults (with `reverse`, a quorum held does); a
/// positive weight counts while the quorum holds, a negative one while it is lost.
fn process_effect(quorum: bool, item: &Item, fault: &mut bool, delta: &mut i64) {
    let multiplier = if item.reverse { -1 } else { 1 };
    match item.weight {
        0 => *fault |= quorum == item.reverse,
        w if w > 0 && quorum => *delta += w * multiplier,
        w if w < 0 && !quorum => *delta += w * multiplier,
        _ => {}
    }
}

/// An OK/failed object: unweighted failures fault the instance; positive weights add when OK,
/// negative weights subtract when failed; `reverse` swaps what counts as OK.
fn adjust(ok: bool, item: &Item, fault: &mut bool, delta: &mut i64) {
    let good = ok != item.reverse;
    match item.weight {
        0 => *fault |= !good,
        w if w > 0 && good => *delta += w,
        w if w < 0 && !good => *delta += w,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(text: &str) -> Tracker {
        let report = conf::check_text(text, &conf::Options::default());
        let insts: Vec<&Instance> = report.config.instances.iter().collect();
        Tracker::new(&report.config, &insts)
    }

    const BASE: &str = "vrrp_script up { script /bin/true\n weight 0\n fall 2\n rise 3 }\n\
        vrrp_script plus { script /bin/true\n weight 20 }\n\
        vrrp_script minus { script /bin/true\n weight -30\n init_fail }\n\
        track_file f { file /tmp/f\n weight 5 }\n\
        track_file z { file /tmp/z\n weight 0 }\n\
        vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 100\n\
          track_script { up\n plus\n minus }\n track_interface { eth1 weight -10\n eth2 }\n\
          track_file { f\n z } }\n";

    #[test]
    fn weights_add_and_subtract_and_unweighted_failures_fault() {
        let mut t = tracker(BASE);
        // plus OK (+20), minus starts failed (init_fail: -30), links up, files 0.
        assert_eq!(
            t.verdict(0),
            Verdict {
                link_down: false,
                fault: false,
                priority: 90
            }
        );
        assert!(t.script_result("minus", true));
        assert_eq!(t.verdict(0).priority, 120);
        t.set_link("eth1", false);
        assert_eq!(t.verdict(0).priority, 110);
        t.set_link("eth2", false);
        assert!(t.verdict(0).fault);
        t.set_link("eth2", true);
        t.set_file("f", 4);
        assert_eq!(t.verdict(0).priority, 130);
        t.set_file("f", -100);
        assert!(t.verdict(0).fault, "-500 is below -253: fault");
        t.set_file("f", 0);
        t.set_file("z", 1);
        assert!(
            t.verdict(0).fault,
            "weight 0: any non-zero value is a failure"
        );
        t.set_file("z", 0);
        t.set_link("eth0", false);
        assert!(t.verdict(0).link_down);
    }

    #[test]
    fn rise_and_fall_need_consecutive_results() {
        let mut t = tracker(BASE);
        assert!(!t.script_result("up", false));
        assert!(!t.script_result("up", true), "streak broken");
        assert!(!t.script_result("up", false));
        assert!(t.script_result("up", false), "two failures in a row");
        assert!(t.verdict(0).fault);
        assert!(!t.script_result("up", true));
        assert!(!t.script_result("up", true));
        assert!(t.script_result("up", true), "three successes in a row");
        assert!(!t.verdict(0).fault);
    }

    #[test]
    fn priority_is_clamped_and_owners_keep_255() {
        let mut t = tracker(
            "track_file f { file /tmp/f\n weight 10 }\n\
             vrrp_instance A { interface eth0\n virtual_router_id 1\n priority 250\n track_file { f } }\n\
             vrrp_instance B { interface eth0\n virtual_router_id 2\n priority 255\n track_file { f weight 0 } }\n",
        );
        t.set_file("f", 20);
        assert_eq!(t.verdict(0).priority, 254);
        t.set_file("f", -25);
        assert_eq!(t.verdict(0).priority, 1);
        assert_eq!(t.verdict(1).priority, 255);
        assert!(t.verdict(1).fault);
    }

    #[test]
    fn reverse_swaps_ok_and_failed() {
        let mut t = tracker(
            "vrrp_script s { script /bin/true }\n\
             vrrp_instance A { interface eth0\n virtual_router_id 1\n track_script { s weight 0 reverse } }\n",
        );
        assert!(t.verdict(0).fault, "script OK, reversed: fault");
        t.script_result("s", false);
        assert!(!t.verdict(0).fault);
    }

    #[test]
    fn a_fault_of_one_sync_group_member_faults_all_and_weights_are_zeroed() {
        let mut t = tracker(
            "vrrp_script s { script /bin/true\n weight 50 }\n\
             vrrp_sync_group G { group { A\n B } }\n\
             vrrp_instance A { interface eth0\n virtual_router_id 1\n track_script { s } }\n\
             vrrp_instance B { interface eth1\n virtual_router_id 2 }\n\
             vrrp_instance C { interface eth1\n virtual_router_id 3 }\n",
        );
        assert_eq!(t.group_peers(0), vec![1]);
        assert!(t.group_peers(2).is_empty());
        t.set_link("eth1", false);
        assert!(t.verdict(0).fault, "B's link is down: A follows");
        assert!(t.verdict(1).link_down);
        assert!(!t.verdict(2).fault && t.verdict(2).link_down);
        t.set_link("eth1", true);
        t.script_result("s", false);
        assert!(
            t.verdict(0).fault,
            "weight zeroed in a sync group: failure is a fault"
        );
        assert!(t.verdict(1).fault);
        assert_eq!(t.interfaces(), vec!["eth0".to_string(), "eth1".to_string()]);
    }
}
