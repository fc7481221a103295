//! Which running processes count for which `vrrp_track_process`, kept from the kernel's process
//! events as keepalived's `core/track_process.c` keeps them: a scan of /proc at start, then a
//! fork of a counted process counts its child, an exec or a rename is matched again, an exit
//! uncounts. Pure: the watcher reads /proc and the events, this only counts and says when a
//! count enters or leaves its quorum.

use conf::model::TrackProcess;
use std::collections::BTreeMap;

/// What moved a count across its quorum's bounds (keepalived's delays depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The first scan: the state as found, without delay.
    Start,
    /// A counted process forked (`fork_delay` applies).
    Fork,
    /// A counted process exited (`terminate_delay` applies).
    Exit,
    /// A process exec'd or changed its name: applies at once.
    Exec,
    /// A scan after lost events (each delay applies in its direction).
    Rescan,
}

/// A process count entered or left its quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crossing {
    /// The `vrrp_track_process` name.
    pub name: String,
    /// Whether the count is now within quorum..=quorum_max.
    pub in_quorum: bool,
    /// Whether the count went up.
    pub grew: bool,
    /// Why.
    pub cause: Cause,
}

/// What the watcher read of one process (what it did not need to read is `None`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Seen<'a> {
    /// /proc/PID/comm, without its newline.
    pub comm: Option<&'a str>,
    /// /proc/PID/cmdline, up to [`ProcessTable::cmdline_bytes`].
    pub cmdline: Option<&'a [u8]>,
}

/// The counted processes of a set of definitions.
#[derive(Clone, Debug, Default)]
pub struct ProcessTable {
    defs: Vec<TrackProcess>,
    counts: Vec<u32>,
    pids: BTreeMap<i32, Vec<usize>>,
}

impl ProcessTable {
    /// A table counting nothing yet.
    pub fn new(defs: Vec<TrackProcess>) -> Self {
        let counts = vec![0; defs.len()];
        ProcessTable {
            defs,
            counts,
            pids: BTreeMap::new(),
        }
    }

    /// Whether some definition matches by command name.
    pub fn needs_comm(&self) -> bool {
        self.defs.iter().any(|d| !d.full_command)
    }

    /// How much of a command line must be read (0: none is matched by command line).
    pub fn cmdline_bytes(&self) -> usize {
        self.defs
            .iter()
            .filter(|d| d.full_command)
            .map(TrackProcess::cmdline_bytes)
            .max()
            .unwrap_or(0)
    }

    /// Current counts, by name.
    pub fn counts(&self) -> Vec<(String, u32)> {
        self.defs
            .iter()
            .zip(&self.counts)
            .map(|(d, c)| (d.name.clone(), *c))
            .collect()
    }

    /// Whether `pid` is counted for anything (a fork of it matters).
    #[cfg(test)]
    pub fn counts_pid(&self, pid: i32) -> bool {
        self.pids.contains_key(&pid)
    }

    /// Counts from scratch what a scan of /proc found; `first` says it is the one at start
    /// (every definition is reported), else only the counts that crossed a bound are.
    pub fn scan<'a>(
        &mut self,
        found: impl IntoIterator<Item = (i32, Seen<'a>)>,
        first: bool,
    ) -> Vec<Crossing> {
        let before = self.counts.clone();
        self.pids.clear();
        self.counts.iter_mut().for_each(|c| *c = 0);
        for (pid, seen) in found {
            let matching: Vec<usize> = (0..self.defs.len())
                .filter(|&i| self.defs[i].matches(seen.comm, seen.cmdline))
                .collect();
            for &i in &matching {
                self.counts[i] += 1;
            }
            if !matching.is_empty() {
                self.pids.insert(pid, matching);
            }
        }
        (0..self.defs.len())
            .filter_map(|i| {
                let was = self.defs[i].in_quorum(before[i]);
                let is = self.defs[i].in_quorum(self.counts[i]);
                let cause = if first { Cause::Start } else { Cause::Rescan };
                (first || was != is)
                    .then(|| self.crossing(i, is, self.counts[i] > before[i], cause))
            })
            .collect()
    }

    fn crossing(&self, i: usize, in_quorum: bool, grew: bool, cause: Cause) -> Crossing {
        Crossing {
            name: self.defs[i].name.clone(),
            in_quorum,
            grew,
            cause,
        }
    }

    /// Counts (`up`) or uncounts process `pid` for definition `i`; the crossing, if any.
    fn set(&mut self, pid: i32, i: usize, up: bool, cause: Cause) -> Option<Crossing> {
        let entry = self.pids.entry(pid).or_default();
        let counted = entry.contains(&i);
        if counted == up {
            return None;
        }
        if up {
            entry.push(i);
        } else {
            entry.retain(|&j| j != i);
        }
        if entry.is_empty() {
            self.pids.remove(&pid);
        }
        let was = self.defs[i].in_quorum(self.counts[i]);
        if up {
            self.counts[i] += 1;
        } else {
            self.counts[i] = self.counts[i].saturating_sub(1);
        }
        let is = self.defs[i].in_quorum(self.counts[i]);
        (was != is).then(|| self.crossing(i, is, up, cause))
    }

    /// A process forked: the child of a counted process counts as its parent does (threads are
    /// not processes: the watcher passes only forks whose child is a thread group leader).
    pub fn fork(&mut self, parent: i32, child: i32) -> Vec<Crossing> {
        let Some(of) = self.pids.get(&parent).cloned() else {
            return Vec::new();
        };
        of.into_iter()
            .filter_map(|i| self.set(child, i, true, Cause::Fork))
            .collect()
    }

    /// A process exec'd: it is matched again against every definition.
    pub fn exec(&mut self, pid: i32, seen: Seen<'_>) -> Vec<Crossing> {
        (0..self.defs.len())
            .filter_map(|i| {
                let up = self.defs[i].matches(seen.comm, seen.cmdline);
                self.set(pid, i, up, Cause::Exec)
            })
            .collect()
    }

    /// A process changed its command name: matched again by the definitions that match names.
    pub fn rename(&mut self, pid: i32, comm: &str) -> Vec<Crossing> {
        (0..self.defs.len())
            .filter_map(|i| {
                if self.defs[i].full_command {
                    return None;
                }
                let up = self.defs[i].path == comm;
                self.set(pid, i, up, Cause::Exec)
            })
            .collect()
    }

    /// A process exited.
    pub fn exit(&mut self, pid: i32) -> Vec<Crossing> {
        let Some(of) = self.pids.get(&pid).cloned() else {
            return Vec::new();
        };
        of.into_iter()
            .filter_map(|i| self.set(pid, i, false, Cause::Exit))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> ProcessTable {
        let r = conf::check_text(text, &conf::Options::default());
        ProcessTable::new(r.config.track_processes.into_values().collect())
    }

    fn comm(c: &str) -> Seen<'_> {
        Seen {
            comm: Some(c),
            cmdline: None,
        }
    }

    fn names(c: &[Crossing]) -> Vec<(&str, bool, Cause)> {
        c.iter()
            .map(|c| (c.name.as_str(), c.in_quorum, c.cause))
            .collect()
    }

    #[test]
    fn start_scan_reports_every_process_then_events_cross_bounds() {
        let mut t = table(
            "vrrp_track_process one { process web }\n\
             vrrp_track_process two { process web\n quorum 2\n quorum_max 2 }\n",
        );
        let c = t.scan([(10, comm("web")), (11, comm("sh"))], true);
        assert_eq!(
            names(&c),
            [("one", true, Cause::Start), ("two", false, Cause::Start)]
        );
        assert!(t.counts_pid(10) && !t.counts_pid(11));
        assert!(t.fork(11, 12).is_empty(), "an uncounted parent");
        assert_eq!(names(&t.fork(10, 13)), [("two", true, Cause::Fork)]);
        assert_eq!(names(&t.fork(13, 14)), [("two", false, Cause::Fork)]);
        assert_eq!(names(&t.exit(14)), [("two", true, Cause::Exit)]);
        assert!(t.exit(14).is_empty(), "an exit is counted once");
        assert_eq!(
            names(&t.exec(13, comm("sh"))),
            [("two", false, Cause::Exec)]
        );
        assert_eq!(names(&t.exit(10)), [("one", false, Cause::Exit)]);
        assert_eq!(t.counts(), [("one".into(), 0), ("two".into(), 0)]);
    }

    #[test]
    fn exec_and_rename_match_again_and_count_a_process_once() {
        let mut t = table(
            "vrrp_track_process n { process web }\n\
             vrrp_track_process f { process /usr/bin/web -c x }\n",
        );
        t.scan([], true);
        let seen = Seen {
            comm: Some("web"),
            cmdline: Some(b"/usr/bin/web\0-c\0x\0"),
        };
        let c = t.exec(20, seen);
        assert_eq!(
            names(&c),
            [("f", true, Cause::Exec), ("n", true, Cause::Exec)]
        );
        assert!(t.exec(20, seen).is_empty(), "re-exec of the same program");
        assert_eq!(names(&t.rename(20, "worker")), [("n", false, Cause::Exec)]);
        assert_eq!(names(&t.rename(20, "web")), [("n", true, Cause::Exec)]);
        assert!(t.cmdline_bytes() >= "/usr/bin/web\0-c\0x\0".len());
        assert!(t.needs_comm());
    }

    #[test]
    fn a_rescan_reports_only_what_crossed() {
        let mut t = table("vrrp_track_process p { process web }\n");
        t.scan([(1, comm("web"))], true);
        assert!(t.scan([(2, comm("web"))], false).is_empty());
        let c = t.scan([], false);
        assert_eq!(names(&c), [("p", false, Cause::Rescan)]);
        assert!(!c[0].grew);
    }
}
