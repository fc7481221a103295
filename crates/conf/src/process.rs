//! `vrrp_track_process NAME { ... }`, resolved as keepalived 2.2.7 resolves it, and keepalived's
//! rule for whether a running process is one of it (`core/track_process.c`, `check_params`).

use crate::diag::Location;
use crate::weight::Weight;
use serde::Serialize;

/// How the parameters after the process name are compared (`param_match`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamMatch {
    /// No `param_match` and no parameters after `process`: parameters are not looked at.
    #[default]
    None,
    /// `param_match` without a value, or parameters after `process`: exactly these parameters
    /// (none if none are given).
    Exact,
    /// `param_match partial`: the given parameters are the first ones of the process.
    Partial,
    /// `param_match initial`: as partial, the last given one only as the start of a parameter.
    Initial,
}

/// Keepalived's maximum `quorum_max`: none.
pub const NO_QUORUM_MAX: u32 = u32::MAX;

/// A `vrrp_track_process`, with keepalived's defaults applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackProcess {
    /// Its name.
    pub name: String,
    /// `process`: the command name (its `comm`, at most 15 characters, unless `full_command`)
    /// or, with `full_command`, the first word of the command line.
    pub path: String,
    /// The parameters written after the process name.
    pub params: Vec<String>,
    /// `param_match`.
    pub param_match: ParamMatch,
    /// `full_command` (also implied by parameters or `param_match`): match the command line, not
    /// the command name.
    pub full_command: bool,
    /// `quorum`: the fewest matching processes that count as up (1; 0 with `quorum_max 0`).
    pub quorum: u32,
    /// `quorum_max`: the most ([`NO_QUORUM_MAX`] when unset).
    pub quorum_max: u32,
    /// `weight N [reverse]` (0: losing quorum means FAULT).
    pub weight: Weight,
    /// `fork_delay` (or `delay`): how long a quorum change caused by a fork waits, in µs.
    pub fork_delay_us: u64,
    /// `terminate_delay` (or `delay`): how long a quorum change caused by an exit waits, in µs.
    pub terminate_delay_us: u64,
    /// Where the section starts.
    pub loc: Location,
}

impl TrackProcess {
    /// A definition with keepalived's defaults and no `process` yet.
    pub fn new(name: String, loc: Location) -> Self {
        TrackProcess {
            name,
            path: String::new(),
            params: Vec::new(),
            param_match: ParamMatch::None,
            full_command: false,
            quorum: 1,
            quorum_max: NO_QUORUM_MAX,
            weight: Weight::default(),
            fork_delay_us: 0,
            terminate_delay_us: 0,
            loc,
        }
    }

    /// Whether `count` matching processes are within `quorum`..=`quorum_max`.
    pub fn in_quorum(&self, count: u32) -> bool {
        count >= self.quorum && count <= self.quorum_max
    }

    /// The parameters as keepalived keeps them: each followed by a NUL, as in /proc/PID/cmdline.
    fn wanted_params(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.params {
            out.extend_from_slice(p.as_bytes());
            out.push(0);
        }
        out
    }

    /// How many bytes of /proc/PID/cmdline are needed to decide (keepalived reads no more: a
    /// longer command line fails an exact match either way).
    pub fn cmdline_bytes(&self) -> usize {
        self.path.len() + 1 + self.wanted_params().len() + 2
    }

    /// Whether a process is one of this: by its `comm` (without `full_command`) or by its command
    /// line (`cmdline`: /proc/PID/cmdline, NUL-separated, possibly cut after
    /// [`TrackProcess::cmdline_bytes`]).
    pub fn matches(&self, comm: Option<&str>, cmdline: Option<&[u8]>) -> bool {
        if !self.full_command {
            return comm == Some(self.path.as_str());
        }
        let Some(cmdline) = cmdline else {
            return false;
        };
        let end = cmdline.iter().position(|&b| b == 0);
        let argv0 = &cmdline[..end.unwrap_or(cmdline.len())];
        if argv0 != self.path.as_bytes() {
            return false;
        }
        let params = end.map_or(&[][..], |e| &cmdline[e + 1..]);
        self.params_match(params)
    }

    /// keepalived's `check_params`.
    fn params_match(&self, params: &[u8]) -> bool {
        let want = self.wanted_params();
        match self.param_match {
            ParamMatch::None => true,
            ParamMatch::Exact => params == want.as_slice(),
            ParamMatch::Partial => params.starts_with(&want),
            ParamMatch::Initial => {
                want.is_empty()
                    || (params.len() >= want.len() && params.starts_with(&want[..want.len() - 1]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(path: &str, params: &[&str], m: ParamMatch) -> TrackProcess {
        let mut t = TrackProcess::new(
            "t".into(),
            Location {
                file: "k".into(),
                line: 1,
                col: 1,
            },
        );
        t.path = path.into();
        t.params = params.iter().map(|s| s.to_string()).collect();
        t.param_match = m;
        t.full_command = m != ParamMatch::None || !params.is_empty();
        t
    }

    #[test]
    fn comm_is_compared_whole_without_full_command() {
        let t = tp("haproxy", &[], ParamMatch::None);
        assert!(t.matches(Some("haproxy"), None));
        assert!(!t.matches(Some("haproxy2"), Some(b"haproxy\0")));
        assert!(!t.matches(None, Some(b"haproxy\0")));
    }

    #[test]
    fn exact_partial_and_initial_as_keepalived() {
        let cmd: &[u8] = b"/usr/sbin/haproxy\0-f\0/etc/haproxy.cfg\0";
        let exact = tp(
            "/usr/sbin/haproxy",
            &["-f", "/etc/haproxy.cfg"],
            ParamMatch::Exact,
        );
        assert!(exact.matches(None, Some(cmd)));
        assert!(!exact.matches(None, Some(b"/usr/sbin/haproxy\0-f\0/etc/haproxy.cfg\0-q\0")));
        let partial = tp("/usr/sbin/haproxy", &["-f"], ParamMatch::Partial);
        assert!(partial.matches(None, Some(cmd)));
        assert!(!partial.matches(None, Some(b"/usr/sbin/haproxy\0-fx\0")));
        let initial = tp("/usr/sbin/haproxy", &["-f", "/etc/ha"], ParamMatch::Initial);
        assert!(initial.matches(None, Some(cmd)));
        assert!(!initial.matches(None, Some(b"/usr/sbin/haproxy\0-f\0/etc/h\0")));
        // param_match without parameters: the process has none.
        let none = tp("/usr/sbin/haproxy", &[], ParamMatch::Exact);
        assert!(none.matches(None, Some(b"/usr/sbin/haproxy\0")));
        assert!(!none.matches(None, Some(cmd)));
        // full_command alone: parameters are not looked at.
        let mut any = tp("/usr/sbin/haproxy", &[], ParamMatch::None);
        any.full_command = true;
        assert!(any.matches(None, Some(cmd)));
        assert!(!any.matches(None, Some(b"haproxy\0")));
    }

    #[test]
    fn quorum_is_a_range() {
        let mut t = tp("x", &[], ParamMatch::None);
        assert!(!t.in_quorum(0) && t.in_quorum(1) && t.in_quorum(1000));
        t.quorum = 0;
        t.quorum_max = 0;
        assert!(t.in_quorum(0) && !t.in_quorum(1));
    }
}
