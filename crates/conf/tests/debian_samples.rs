//! Debian's keepalived samples (/usr/share/doc/keepalived/samples, installed with the package
//! by .ci/run) parse without a crash, every `vrrp_instance` in them becomes a model instance,
//! and every instance with a VRID resolves to a runnable router config.

use conf::reader::Disk;
use conf::{Options, check};
use std::path::Path;

#[test]
fn debian_samples_parse_and_their_vrrp_parts_produce_models() {
    let dir = Path::new("/usr/share/doc/keepalived/samples");
    let Ok(entries) = std::fs::read_dir(dir) else {
        let why = format!("{} not found (.ci/run installs keepalived)", dir.display());
        hostcheck::skip("Debian samples", why);
        return;
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("keepalived.conf"))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected Debian's ~25 samples, found {}",
        files.len()
    );
    let mut instances = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let declared = text
            .lines()
            .filter(|l| l.trim_start().starts_with("vrrp_instance"))
            .count();
        let report = check(
            &Disk,
            path,
            None,
            &Options {
                cloud: false,
                config_id: None,
            },
        );
        assert!(report.read, "{}", path.display());
        assert_eq!(
            report.config.instances.len(),
            declared,
            "{}: every vrrp_instance becomes a model",
            path.display()
        );
        for (inst, eff) in report.config.instances.iter().zip(report.effective()) {
            if inst.vrid().is_some() {
                eff.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
        instances += declared;
        // No sample uses a keyword we do not know in its VRRP part, except where keepalived
        // 2.2.7 does not know it either (the lvs_syncd sample lists sync group members without
        // their `group { }` block: keepalived reports "Unknown keyword 'VI_2'" too).
        let keepalived_also = ["VI_2", "VI_3"];
        let unknown: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == "unknown-keyword" && !keepalived_also.contains(&d.text.as_str()))
            .collect();
        assert!(unknown.is_empty(), "{}: {unknown:#?}", path.display());
    }
    assert!(instances >= 15, "{instances} instances across the samples");
}
