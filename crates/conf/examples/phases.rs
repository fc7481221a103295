//! Times each phase of the check on the generated config (development aid).
#[path = "../benches/generate.rs"]
mod generate;
use conf::reader::{MemoryFiles, Reader};
use std::path::{Path, PathBuf};
use std::time::Instant;
fn main() {
    let text = generate::config(1000);
    let files = MemoryFiles(
        [(PathBuf::from("/k.conf"), text.into_bytes())]
            .into_iter()
            .collect(),
    );
    for _ in 0..3 {
        let t = Instant::now();
        let mut r = Reader::new(&files, None);
        r.read_top(Path::new("/k.conf"));
        let (lines, d) = r.finish();
        let t1 = t.elapsed();
        let mut diags = d.0;
        let nodes = conf::tree::parse(&lines, &mut diags);
        let t2 = t.elapsed();
        let cfg = conf::build::build(&nodes, &mut diags);
        let t3 = t.elapsed();
        conf::validate::validate(&cfg, None, &mut diags);
        let t4 = t.elapsed();
        drop((nodes, lines));
        let t5 = t.elapsed();
        println!(
            "read {:?} parse {:?} build {:?} validate {:?} drop {:?}",
            t1,
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t5 - t4
        );
    }
}
