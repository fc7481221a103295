//! `havip`: high-availability virtual IPs, checked, run and drilled (see the library).

fn main() -> std::process::ExitCode {
    cli::main()
}
