//! The generated man pages and completions describe the commands as they are defined.

use std::io::Read;
use std::path::Path;
use std::process::Command;

fn gunzip_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: not gzip text: {e}", path.display()));
    text
}

/// Every long option of `cmd`, as roff writes it (`\-\-name`).
fn long_options(cmd: &clap::Command) -> Vec<String> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(|l| format!("\\-\\-{}", l.replace('-', "\\-")))
        .collect()
}

#[test]
fn havipd_conf_page_lists_every_keyword_of_the_table_per_section() {
    let dir = tempfile::tempdir().expect("tempdir");
    dist::manuals::write(dir.path()).expect("write man pages");
    let page = gunzip_file(&dir.path().join("havipd.conf.5.gz"));
    assert!(page.contains(".TH HAVIPD.CONF 5 "), "no title line");
    let mut rest = page.as_str();
    for section in conf::keywords::Section::ALL {
        let heading = section.name().to_uppercase();
        let at = rest
            .find(&format!(".SH \"{heading}\"")) // roff quotes headings with spaces
            .or_else(|| rest.find(&format!(".SH {heading}")))
            .unwrap_or_else(|| panic!("havipd.conf(5) lacks the section {heading} (in order)"));
        rest = &rest[at..];
        let end = rest[4..].find(".SH ").map_or(rest.len(), |e| e + 4);
        let body = &rest[..end];
        for r in conf::keywords::ROWS.iter().filter(|r| r.section == section) {
            let term = format!("\\fB{}\\fR", r.keyword);
            assert!(body.contains(&term), "{heading} lacks {}", r.keyword);
            assert!(body.contains(r.status.label()), "{heading}: no status");
        }
    }
}

#[test]
fn havipd_page_has_every_option_and_the_operator_sections() {
    let dir = tempfile::tempdir().expect("tempdir");
    dist::manuals::write(dir.path()).expect("write man pages");
    let page = gunzip_file(&dir.path().join("havipd.8.gz"));
    assert!(
        page.contains("\n.TH havipd 8 "),
        "no title line: {}",
        &page[..80]
    );
    for opt in long_options(&daemon_cli::command()) {
        assert!(page.contains(&opt), "havipd(8) lacks {opt}");
    }
    for heading in ["SIGNALS", "FILES", "EXIT STATUS", "SEE ALSO"] {
        assert!(
            page.contains(&format!(".SH \"{heading}\""))
                || page.contains(&format!(".SH {heading}")),
            "havipd(8) lacks the section {heading}"
        );
    }
}

#[test]
fn every_havip_subcommand_has_a_page_listed_in_havip_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    dist::manuals::write(dir.path()).expect("write man pages");
    let main = gunzip_file(&dir.path().join("havip.1.gz"));
    let mut cli = cli::command();
    cli.build();
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name();
        let page = gunzip_file(&dir.path().join(format!("havip-{name}.1.gz")));
        assert!(
            page.contains(&format!("\n.TH havip-{name} 1 ")),
            "havip-{name}: no title line"
        );
        for opt in long_options(sub) {
            assert!(page.contains(&opt), "havip-{name}(1) lacks {opt}");
        }
        let listed = format!("havip\\-{}(1)", name.replace('-', "\\-"));
        assert!(main.contains(&listed), "havip(1) does not list {listed}");
    }
}

#[test]
fn man_pages_are_reproducible() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let first = dist::manuals::write(a.path()).expect("write");
    dist::manuals::write(b.path()).expect("write");
    assert!(first.len() > 10, "only {} pages", first.len());
    for path in first {
        let name = path.file_name().expect("a file name");
        assert_eq!(
            std::fs::read(&path).ok(),
            std::fs::read(b.path().join(name)).ok(),
            "{name:?} differs between two runs"
        );
    }
}

/// Runs bash's completion function for `words` (the last one being completed) and returns
/// what it offers.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{script}'; COMP_WORDS=({words}); COMP_CWORD={cword}; \
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
         _{cmd} {cmd} \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = quoted.join(" "),
        cword = words.len() - 1,
        cmd = words[0],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_exist_for_each_shell_and_bash_completes() {
    let dir = tempfile::tempdir().expect("tempdir");
    dist::completions::write(dir.path()).expect("write completions");
    for file in [
        "bash/havip",
        "bash/havipd",
        "zsh/_havip",
        "zsh/_havipd",
        "fish/havip.fish",
        "fish/havipd.fish",
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).expect(file);
        assert!(
            text.contains("state-dir"),
            "{file} does not know --state-dir"
        );
    }
    let havip = dir.path().join("bash/havip");
    assert_eq!(bash_complete(&havip, &["havip", "sta"]), ["status"]);
    assert_eq!(
        bash_complete(&havip, &["havip", "maintenance", "--st"]),
        ["--state-dir"]
    );
    let offered = bash_complete(&havip, &["havip", "lab", ""]);
    for sub in ["drill", "bench", "up", "down", "scenarios"] {
        assert!(
            offered.iter().any(|w| w == sub),
            "`havip lab` does not offer {sub}: {offered:?}"
        );
    }
    let havipd = dir.path().join("bash/havipd");
    assert_eq!(
        bash_complete(&havipd, &["havipd", "--handover"]),
        ["--handover-on-stop"]
    );
}
