//! `havipd`: runs an existing keepalived.conf's VRRP instances (see the library).

fn main() -> std::process::ExitCode {
    daemon::main()
}
