//! The man pages' sections that are not in the command-line definitions: signals, files, exit
//! status, see also. Each is a heading and its entries (a term and what it means).

/// One man page section.
pub struct Section {
    /// The heading, in capitals.
    pub heading: &'static str,
    /// An optional paragraph before the entries.
    pub intro: &'static str,
    /// Term, then its description.
    pub entries: &'static [(&'static str, &'static str)],
}

/// havipd(8)'s sections after its options.
pub const HAVIPD: &[Section] = &[
    Section {
        heading: "SIGNALS",
        intro: "havipd takes keepalived's signals; havipd --signum=NAME prints their numbers.",
        entries: &[
            (
                "SIGHUP",
                "Reload: check the configuration again and apply it if it can run; \
                 the running instances are kept otherwise (also havip reload).",
            ),
            (
                "SIGTERM, SIGINT",
                "Stop: masters resign (priority 0) and remove their addresses, or \
                 hand over first with --handover-on-stop.",
            ),
            ("SIGUSR1", "Write keepalived.data (state dump)."),
            (
                "SIGUSR2",
                "Write keepalived.stats, and stats.json in the state directory (counters, dropped packets).",
            ),
            (
                "SIGRTMIN+2",
                "Write keepalived.json (keepalived's version-1 JSON).",
            ),
            (
                "SIGKILL",
                "The VRRP worker, told by the kernel, resigns as on SIGTERM. Signals go to the \
                 process started (the supervisor), which passes them on to its worker.",
            ),
        ],
    },
    Section {
        heading: "FILES",
        intro: "/run/havip is the state directory of a havipd started the default way. \
                --state-dir names another; without it, a havipd given -p FILE keeps its state in \
                FILE.havip, and one whose keepalived would use another pid file (-s or the \
                config's top-level net_namespace, instance or use_pid_dir) in that pid file's \
                path followed by .havip, e.g. /run/keepalived/NAMESPACE/keepalived_INSTANCE.pid.havip.",
        entries: &[
            (
                "/etc/keepalived/keepalived.conf",
                "The configuration, keepalived's syntax; see keepalived.conf(5).",
            ),
            (
                "/run/havip/havipd.pid",
                "The supervisor's pid, locked while it runs: a second havipd on the same state \
                 directory is refused.",
            ),
            (
                "/etc/default/havipd",
                "DAEMON_ARGS for the systemd unit havipd.service.",
            ),
            (
                "/run/havip/havipd.sock",
                "The control socket (mode 0600), used by havip(1).",
            ),
            (
                "/run/havip/supervisor.sock",
                "Where the VRRP worker's systemd notifications reach the supervisor (mode 0600).",
            ),
            (
                "/run/havip/INSTANCE.state",
                "Each instance's current state.",
            ),
            (
                "/run/havip/transitions.jsonl",
                "One JSON line per transition, with its reason.",
            ),
            (
                "$TMPDIR/keepalived.data, .stats, .json",
                "Dumps written on signals (TMPDIR defaults to \
                 /tmp; state_dump_file, stats_dump_file and json_dump_file move them).",
            ),
        ],
    },
    Section {
        heading: "EXIT STATUS",
        intro: "With -t, the codes are keepalived 2.2.7's (keepalived -t on the same file and \
                host): 0, 4, 5 or 6. keepalived exits with the greatest level it reported, so \
                a configuration that cannot run usually exits 5, and a configuration file \
                that cannot be read exits 0 (keepalived prints \"Config files missing\"). \
                havip check says whether it runs.",
        entries: &[
            ("0", "Nothing keepalived would report."),
            (
                "1",
                "Without -t: havipd could not start, or stopped on an error.",
            ),
            (
                "4",
                "The configuration cannot run, and nothing else was reported.",
            ),
            (
                "5",
                "The configuration has errors or warnings keepalived reports.",
            ),
            (
                "6",
                "Scripts (found on this host) are configured without enable_script_security.",
            ),
        ],
    },
    Section {
        heading: "SEE ALSO",
        intro: "havip(1), keepalived.conf(5), keepalived(8), systemd.service(5)",
        entries: &[],
    },
];

/// havip(1)'s sections after its subcommands.
pub const HAVIP: &[Section] = &[
    Section {
        heading: "EXIT STATUS",
        intro: "",
        entries: &[
            (
                "havip check",
                "0 clean (notes allowed), 1 warnings only, 2 errors or an unreadable file.",
            ),
            (
                "havip status, events, reload, send-garp, maintenance",
                "0 havipd did what was asked, \
                 1 it refused (the reason is printed), 2 it cannot be reached.",
            ),
            (
                "havip lab",
                "0 the lab ran (a drill's figures are its result), 1 chaos found an \
                 invariant violated, 2 the lab could not be built or the arguments are wrong.",
            ),
        ],
    },
    Section {
        heading: "FILES",
        intro: "",
        entries: &[
            (
                "/etc/keepalived/keepalived.conf",
                "What havip check reads unless told otherwise.",
            ),
            (
                "/run/havip/havipd.sock",
                "The running havipd's control socket (--state-dir moves it; -f, -p, -s and \
                 --instance find it where havipd derived it, see havipd(8)).",
            ),
        ],
    },
    Section {
        heading: "SEE ALSO",
        intro: "havipd(8), keepalived.conf(5)",
        entries: &[],
    },
];
