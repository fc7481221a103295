//! Replays every kept corpus (`corpus/<target>/`) and every crash found (`regressions/<target>/`)
//! through the fuzz targets' bodies on stable Rust: CI's check that the parsers still take
//! what the 10-minute runs found, without nightly or libFuzzer.

use std::path::Path;

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_kept_input_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, run) in havip_fuzz::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "{name}: no cargo-fuzz entry"
        );
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(
            !corpus.is_empty(),
            "{name}: no corpus kept in corpus/{name}"
        );
        let crashes = inputs(&root.join("regressions").join(name));
        for file in corpus.iter().chain(&crashes) {
            let data = std::fs::read(file).expect("read an input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", file.display());
        }
        eprintln!(
            "{name}: {} corpus inputs, {} regressions",
            corpus.len(),
            crashes.len()
        );
    }
}
