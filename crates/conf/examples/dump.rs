//! Prints the diagnostics for a file (development aid): `cargo run -p conf --example dump FILE`.
use conf::host::FakeHost;
fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let host = FakeHost {
        interfaces: vec!["eth0".into()],
        scripts: vec![],
    };
    let r = conf::check(
        &conf::reader::Disk,
        std::path::Path::new(&path),
        Some(&host),
        &conf::Options {
            cloud: true,
            ..Default::default()
        },
    );
    for d in &r.diagnostics {
        println!("{d}");
    }
    println!("exit {}", r.exit_code());
}
