//! `--scenario-file`: the operator's scenarios are read in the built-in format and every
//! problem is named with its place before anything runs.

use lab::drill::Action;
use lab::scenario_file::{SEED, load, parse};

fn problems(text: &str) -> Vec<String> {
    match parse(text, &SEED) {
        Ok(s) => panic!("accepted: {s:?}"),
        Err(p) => p,
    }
}

fn one(text: &str) -> String {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap_or_default()
}

const GOOD: &str = r#"{
  "name": "my-crash",
  "description": "the primary's cable is cut, then restored",
  "steps": [
    { "at": 1.0, "action": "cut", "node": "a" },
    { "at": 5.0, "action": "loss", "node": "b", "percent": 20 }
  ],
  "duration": 8,
  "havipd_args": ["--handover-on-stop"]
}"#;

#[test]
fn a_good_file_gives_its_scenarios_one_or_many() {
    let s = parse(GOOD, &SEED).expect("valid");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].name, "my-crash");
    assert_eq!(
        s[0].steps[1].action,
        Action::Loss {
            node: "b".into(),
            percent: 20,
            spread: false,
        }
    );
    let two = format!("[{GOOD}, {}]", GOOD.replace("my-crash", "other"));
    assert_eq!(parse(&two, &SEED).expect("valid").len(), 2);
}

#[test]
fn syntax_and_type_errors_give_line_and_column() {
    let broken = GOOD.replace("\"duration\": 8", "\"duration\": 8,");
    let p = one(&broken);
    assert_eq!(p, ":8:17: key must be a string");
    let p = one(&GOOD.replace("\"percent\": 20", "\"percent\": 300"));
    assert!(p.contains("300") && p.contains("#"), "{p}");
    let p = one(&GOOD.replace("\"action\": \"cut\"", "\"action\": \"cutt\""));
    assert!(p.contains("unknown variant `cutt`"), "{p}");
    assert!(one("42").contains("expected a scenario object"));
    assert!(one("[]").contains("no scenario"));
}

#[test]
fn a_misspelt_field_is_refused_not_dropped() {
    let p = one(&GOOD.replace("\"havipd_args\"", "\"havipd_arg\""));
    assert!(p.starts_with(" #: unknown field `havipd_arg`"), "{p}");
    let p = one(&GOOD.replace("\"percent\": 20 }", "\"percent\": 20, \"nodes\": \"a\" }"));
    assert!(p.starts_with(" #/steps/1: unknown field `nodes`"), "{p}");
    assert!(p.contains("percent"), "names what is known: {p}");
}

#[test]
fn what_the_lab_cannot_run_is_named_by_its_pointer() {
    let cases = [
        (
            "\"node\": \"a\"",
            "\"node\": \"c\"",
            " #/steps/0: cut c: no server `c`",
        ),
        ("\"at\": 5.0", "\"at\": 9.0", " #/steps/1/at: 9 s"),
        ("\"at\": 1.0", "\"at\": -1", " #/steps/0/at: -1 s"),
        ("\"duration\": 8", "\"duration\": 0", " #/duration: 0 s"),
        (
            "\"percent\": 20",
            "\"percent\": 0",
            " #/steps/1: 0% loss at b: loss is 1 to 100",
        ),
        ("\"my-crash\"", "\"my crash\"", " #/name: `my crash`"),
        (
            "[\"--handover-on-stop\"]",
            "[\"--state-dir\", \"/tmp\"]",
            " #/havipd_args: state_dir: the lab sets these itself",
        ),
        (
            "[\"--handover-on-stop\"]",
            "[\"--no-such-flag\"]",
            " #/havipd_args: unexpected argument '--no-such-flag'",
        ),
    ];
    for (from, to, expected) in cases {
        let p = one(&GOOD.replace(from, to));
        assert!(p.starts_with(expected), "{to}: {p}");
    }
}

#[test]
fn attacks_edits_and_names_are_checked_too() {
    let forge = GOOD.replace(
        "{ \"at\": 1.0, \"action\": \"cut\", \"node\": \"a\" }",
        "{ \"at\": 1.0, \"action\": \"forge\", \"node\": \"a\", \"priority\": 255 }",
    );
    assert!(one(&forge).contains("forged adverts come from the attacker `x`"));
    let cut_chassis = |node: &str| {
        GOOD.replace(
            "{ \"at\": 1.0, \"action\": \"cut\", \"node\": \"a\" }",
            &format!("{{ \"at\": 1.0, \"action\": \"chassis_power_cut\", \"node\": \"{node}\" }}"),
        )
    };
    let p = one(&cut_chassis("a"));
    assert!(
        p.contains("power cut of the a chassis: a chassis is named by its role: `gateway`"),
        "{p}"
    );
    let good = parse(&cut_chassis("gateway"), &SEED);
    assert!(good.is_ok(), "{good:?}");
    let key = forge.replace(
        "\"node\": \"a\", \"priority\"",
        "\"node\": \"x\", \"key\": \"hex:zz\", \"priority\"",
    );
    assert!(one(&key).contains("key:"), "{}", one(&key));
    let edit = GOOD.replace(
        "\"steps\"",
        "\"edits\": [{ \"line\": \"no_such_keyword\", \"with\": \"\" }], \"steps\"",
    );
    assert!(one(&edit).starts_with(" #/edits/0/line: `no_such_keyword` starts no line"));
    let ok_edit = GOOD.replace(
        "\"steps\"",
        "\"edits\": [{ \"line\": \"nopreempt\", \"with\": \"\" }], \"steps\"",
    );
    assert!(parse(&ok_edit, &SEED).is_ok());
    let twice = format!("[{GOOD}, {GOOD}]");
    assert!(one(&twice).starts_with(" #/1/name: `my-crash` is named twice"));
}

#[test]
fn load_prefixes_the_file_name_and_lists_every_problem() {
    let dir = std::env::temp_dir().join(format!("havip-scenario-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("mine.json");
    let bad = GOOD
        .replace("\"node\": \"a\"", "\"node\": \"c\"")
        .replace("\"duration\": 8", "\"duration\": 4");
    std::fs::write(&path, bad).expect("write");
    let err = load(&path, &SEED).expect_err("two problems").to_string();
    let huge = dir.join("huge.json");
    std::fs::write(&huge, " ".repeat(lab::scenario_file::MAX_FILE as usize + 1)).expect("write");
    let too_big = load(&huge, &SEED).expect_err("too big").to_string();
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(&path.display().to_string())),
        "{err}"
    );
    assert!(too_big.contains("a scenario file is at most"), "{too_big}");
    let missing = load(&dir.join("absent.json"), &SEED).expect_err("no file");
    assert!(missing.to_string().contains("absent.json"), "{missing}");
}

#[test]
fn keepalived_edits_must_match_a_config_line_too() {
    let with = GOOD.replace(
        "\"duration\": 8,",
        "\"duration\": 8,\n  \"keepalived_edits\": [{ \"line\": \"no such line\", \"with\": \"\" }],",
    );
    let p = one(&with);
    assert!(
        p.contains("/keepalived_edits/0/line") && p.contains("starts no line"),
        "{p}"
    );
}
