//! Fuzzes the whole keepalived.conf check (reader, lexer, tree, model, validation, advice,
//! resolution): no input may panic. The input includes itself, to exercise include handling.
#![no_main]

use conf::reader::MemoryFiles;
use conf::{Options, check};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

fuzz_target!(|data: &[u8]| {
    let files = MemoryFiles([(PathBuf::from("/k.conf"), data.to_vec()), (PathBuf::from("/i.conf"), data.to_vec())].into_iter().collect());
    let report = check(&files, Path::new("/k.conf"), None, &Options { cloud: true, config_id: Some("a".into()) });
    let _ = report.effective();
    let _ = report.exit_code();
});
