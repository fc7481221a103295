//! Every test SECURITY.md names (`crates/.../file.rs::test_name`) exists: the file is there
//! and defines a function of that name, so a defence cannot point at a test that was renamed
//! or removed.

use std::path::Path;

/// The `path::name` references of the page, in order.
fn references(page: &str) -> Vec<(String, String)> {
    page.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| {
            let (path, name) = quoted.split_once(".rs::")?;
            let ok = path.starts_with("crates/") || path.starts_with("fuzz/");
            ok.then(|| (format!("{path}.rs"), name.to_string()))
        })
        .collect()
}

#[test]
fn every_test_the_security_page_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let page = std::fs::read_to_string(root.join("SECURITY.md")).expect("SECURITY.md");
    let refs = references(&page);
    assert!(refs.len() >= 40, "only {} references read", refs.len());
    let missing: Vec<String> = refs
        .iter()
        .filter(|(path, name)| {
            let text = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            !text.contains(&format!("fn {name}("))
        })
        .map(|(path, name)| format!("{path}::{name}"))
        .collect();
    assert!(
        missing.is_empty(),
        "SECURITY.md names tests that do not exist: {missing:#?}"
    );
}

#[test]
fn a_reference_is_read_from_its_backquotes() {
    let refs = references("see `crates/a/tests/b.rs::c_d` and `other` and `fuzz/tests/r.rs::e`");
    assert_eq!(
        refs,
        vec![
            ("crates/a/tests/b.rs".to_string(), "c_d".to_string()),
            ("fuzz/tests/r.rs".to_string(), "e".to_string())
        ]
    );
}
