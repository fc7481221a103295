//! Prints the benchmark's generated config: `cargo run -p conf --example gen_config -- 1000`.
#[path = "../benches/generate.rs"]
mod generate;

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    print!("{}", generate::config(n));
}
