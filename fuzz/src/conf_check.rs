//! The whole keepalived.conf check (reader, lexer, tree, model, validation, advice,
//! resolution): no input may panic. The input includes itself, to exercise include handling.

use conf::reader::MemoryFiles;
use conf::{Options, check};
use std::path::{Path, PathBuf};

/// Checks `data` as a keepalived.conf.
pub fn run(data: &[u8]) {
    let files = MemoryFiles(
        [
            (PathBuf::from("/k.conf"), data.to_vec()),
            (PathBuf::from("/i.conf"), data.to_vec()),
        ]
        .into_iter()
        .collect(),
    );
    let options = Options {
        cloud: true,
        config_id: Some("a".into()),
    };
    let report = check(&files, Path::new("/k.conf"), None, &options);
    let _ = report.effective();
    let _ = report.exit_code();
}
