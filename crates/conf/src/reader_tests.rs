//! The reader's tests: includes, conditionals, parameters, sequences, recordings.

use super::*;

fn mem(files: &[(&str, &str)]) -> MemoryFiles {
    MemoryFiles(
        files
            .iter()
            .map(|(p, c)| (PathBuf::from(p), c.as_bytes().to_vec()))
            .collect(),
    )
}

fn read(files: &MemoryFiles, id: Option<&str>) -> (Vec<String>, Vec<Diagnostic>) {
    let mut r = Reader::new(files, id.map(String::from));
    r.read_top(Path::new("/etc/k/main.conf"));
    let (lines, diags) = r.finish();
    (
        lines
            .into_iter()
            .map(|l| format!("{}:{} {}", l.file, l.line, l.text.text))
            .collect(),
        diags.0,
    )
}

#[test]
fn a_recording_reads_again_what_was_read_even_after_the_files_change() {
    let disk = mem(&[
        ("/etc/k/main.conf", "a\ninclude conf.d/*.conf\nb"),
        ("/etc/k/conf.d/1.conf", "one"),
        ("/etc/k/conf.d/2.conf", "two"),
        ("/etc/k/other.conf", "never included"),
    ]);
    let recording = Recording::new(&disk);
    let (first, _) = read_through(&recording);
    let kept = recording.into_files();
    assert_eq!(kept.0.len(), 3, "only the files read are kept");
    let mut changed = disk;
    changed.0.remove(Path::new("/etc/k/conf.d/2.conf"));
    changed
        .0
        .insert("/etc/k/conf.d/3.conf".into(), b"three".to_vec());
    assert_ne!(read_through(&changed).0, first);
    assert_eq!(read_through(&kept).0, first);
    assert_eq!(first, ["a", "one", "two", "b"]);
}

fn read_through(files: &dyn Files) -> (Vec<String>, usize) {
    let mut r = Reader::new(files, None);
    r.read_top(Path::new("/etc/k/main.conf"));
    let (lines, diags) = r.finish();
    (
        lines.into_iter().map(|l| l.text.text).collect(),
        diags.0.len(),
    )
}

#[test]
fn include_globs_relative_and_cycles() {
    let files = mem(&[
        (
            "/etc/k/main.conf",
            "a\ninclude conf.d/*.conf\nb\ninclude main.conf",
        ),
        ("/etc/k/conf.d/1.conf", "one"),
        ("/etc/k/conf.d/2.conf", "two\ninclude ../main.conf"),
    ]);
    let (lines, diags) = read(&files, None);
    assert_eq!(
        lines,
        [
            "/etc/k/main.conf:1 a",
            "/etc/k/conf.d/1.conf:1 one",
            "/etc/k/conf.d/2.conf:1 two",
            "/etc/k/main.conf:3 b"
        ]
    );
    assert_eq!(
        diags.iter().filter(|d| d.code == "include-cycle").count(),
        2
    );
}

#[test]
fn conditionals_and_parameters() {
    let files = mem(&[(
        "/etc/k/main.conf",
        "$PRIO=150\n$LONG=a \\\n b\n@node1 priority $PRIO\n@^node1 priority 100\nx ${LONG} $NOPE",
    )]);
    let (lines, diags) = read(&files, Some("node1"));
    assert_eq!(lines[0], "/etc/k/main.conf:4        priority 150");
    assert_eq!(lines.len(), 2);
    // A multi-line parameter expands only on a line of its own, into its lines.
    assert_eq!(lines[1], "/etc/k/main.conf:6 x ${LONG} $NOPE");
    assert_eq!(diags[0].code, "undefined-parameter");
    assert!(
        diags[0].message.contains("several lines"),
        "{}",
        diags[0].message
    );
    let (lines, _) = read(&files, None);
    assert_eq!(lines[0], "/etc/k/main.conf:5         priority 100");
}

#[test]
fn parameters_as_keepalived_reads_them() {
    let files = mem(&[(
        "/etc/k/main.conf",
        "$C=state BACKUP \\\n priority 9\n  $C\n# $NOPE in a comment\nrouter_id x ! $NOPE\n\
         script \"${_PWD}/s.sh\"\nscript \"${_ENV HOME}/s.sh\"",
    )]);
    let (lines, diags) = read(&files, None);
    assert_eq!(
        lines,
        [
            "/etc/k/main.conf:3   state BACKUP",
            "/etc/k/main.conf:3   priority 9",
            "/etc/k/main.conf:4 # $NOPE in a comment",
            "/etc/k/main.conf:5 router_id x ! $NOPE",
            "/etc/k/main.conf:6 script \"/etc/k/s.sh\"",
            "/etc/k/main.conf:7 script \"${_ENV HOME}/s.sh\"",
        ]
    );
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!((diags[0].location.line, diags[0].location.col), (7, 9));
    assert!(diags[0].message.contains("keepalived 2.4's"));
}

#[test]
fn sequences_read_their_text_once_per_value() {
    let files = mem(&[(
        "/etc/k/main.conf",
        "$I=vrrp_instance VI_${N} { \\\n virtual_router_id ${N} \\\n}\n~SEQ(N, 2) $I\n  \
         ~LST(S, a, b) track_$S\n~SEQ(N 2) x",
    )]);
    let (lines, diags) = read(&files, None);
    assert_eq!(
        lines,
        [
            "/etc/k/main.conf:4 vrrp_instance VI_1 {",
            "/etc/k/main.conf:4 virtual_router_id 1",
            "/etc/k/main.conf:4 }",
            "/etc/k/main.conf:4 vrrp_instance VI_2 {",
            "/etc/k/main.conf:4 virtual_router_id 2",
            "/etc/k/main.conf:4 }",
            "/etc/k/main.conf:5 track_a",
            "/etc/k/main.conf:5 track_b",
        ]
    );
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "bad-value");
}

#[test]
fn missing_file_and_no_match() {
    let files = mem(&[(
        "/etc/k/main.conf",
        "include /none/*.conf\ninclude /missing.conf",
    )]);
    let (_, diags) = read(&files, None);
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["include-no-match", "include-unreadable"]
    );
    let mut r = Reader::new(&files, None);
    assert!(!r.read_top(Path::new("/nope.conf")));
}
