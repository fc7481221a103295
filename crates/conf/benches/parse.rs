//! Benchmark: read, parse, build and validate a generated 1,000-instance keepalived.conf.
//! `scripts/bench-check-vs-keepalived.sh` times `keepalived -t` on the same file.
// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

mod generate;

use conf::reader::MemoryFiles;
use conf::{Options, check};
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};

fn thousand_instances(c: &mut Criterion) {
    let text = generate::config(1000);
    let files = MemoryFiles(
        [(PathBuf::from("/k.conf"), text.into_bytes())]
            .into_iter()
            .collect(),
    );
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    group.bench_function("1000_instances", |b| {
        b.iter(|| {
            let r = check(&files, Path::new("/k.conf"), None, &Options::default());
            assert_eq!(r.config.instances.len(), 1000);
            r.exit_code()
        })
    });
    group.finish();
}

criterion_group!(benches, thousand_instances);
criterion_main!(benches);
