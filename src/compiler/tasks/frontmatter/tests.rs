//! Frontmatter reading and surgical edits.

use super::*;

#[test]
fn a_comment_inside_a_list_belongs_to_its_key() {
    let f = wp(
        "---\nwork_package_id: WP01\nowned_files:\n- a\n# note\n- b\n# between\ntitle: T\n---\nbody\n",
    );
    let out = f.edited(
        &[("owned_files", FmValue::List(vec!["c".into()]))],
        &["owned_files"],
    );
    assert_eq!(
        out,
        "---\nwork_package_id: WP01\nowned_files:\n- c\n# between\ntitle: T\n---\nbody\n"
    );
}

#[test]
fn raw_key_check_is_re2s() {
    let deps = |t: &str| has_raw_key(t, "dependencies");
    assert!(deps("title: x\n  dependencies  : []\n"));
    assert!(deps("x: 1\n\ndependencies\n: []"));
    assert!(deps("dependencies: []"));
    // A no-break space is not whitespace to RE2; a key merely containing the word is no match.
    assert!(!deps("\u{a0}dependencies: []\n"));
    assert!(!deps("my_dependencies: []\n"));
    assert!(!deps("dependencies x: []\n"));
    assert!(!deps("dependencies\n"));
}

proptest::proptest! {
    /// The hand-written check is RE2's `(?m)^[\t\n\x0C\r ]*key[\t\n\x0C\r ]*:`.
    #[test]
    fn raw_key_check_is_the_re2_pattern(text in "([ \t\n\r:x_]|\u{a0}|\u{0C}|dependencies){0,12}") {
        let re = regex_lite::Regex::new(r"(?m)^[\t\n\x0C\r ]*dependencies[\t\n\x0C\r ]*:")
            .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        proptest::prop_assert_eq!(has_raw_key(&text, "dependencies"), re.is_match(&text), "{:?}", text);
    }
}

fn wp(text: &str) -> WpFile {
    WpFile::parse("WP01-x.md", "WP01-x.md", text.to_owned()).expect("readable")
}

#[test]
fn reads_fields_and_legacy_coercions() {
    let f = wp(
        "---\nwork_package_id: WP01\ndependencies: \"WP02, WP03\"\nrequirement_refs: [fr-001]\nowned_files:\n  - src/a/**\n---\nbody\n",
    );
    assert_eq!(
        f.meta.dependencies,
        Some(vec!["WP02".into(), "WP03".into()])
    );
    assert_eq!(f.meta.requirement_refs, Some(vec!["fr-001".into()]));
    assert_eq!(f.meta.owned_files, Some(vec!["src/a/**".into()]));
    assert_eq!(f.body(), "body\n");
    let f = wp("---\nwork_package_id: WP01\ndependencies: \"[]\"\n---\n");
    assert_eq!(f.meta.dependencies, Some(vec![]));
}

#[test]
fn unknown_keys_and_lane_and_history_are_fine() {
    let f = wp(
        "---\nwork_package_id: WP01\nlane: planned\ntracker_refs: [X-1]\nhistory:\n- at: '2026-01-01'\n  actor: system\n---\n",
    );
    assert_eq!(f.meta.work_package_id, "WP01");
}

#[test]
fn unreadable_files_are_reported() {
    for text in [
        "no frontmatter\n",
        "---\nwork_package_id: WP01\n",
        "---\n: [\n---\n",
        "---\ntitle: x\n---\n",
        "---\nwork_package_id: WP01\ndependencies: 5\n---\n",
    ] {
        assert!(
            WpFile::parse("WP01.md", "WP01.md", text.to_owned()).is_err(),
            "{text:?}"
        );
    }
}

#[test]
fn surgical_edit_keeps_every_other_byte() {
    let text = "---\nwork_package_id: \"WP02\"   # id\ntitle: \"W2\"\ndependencies: [\"WP01\"]\n# a comment\nplanning_base_branch: \"main\"  # keep me\nsubtasks:\n  - \"T003\"\n---\nBody with depends on WP09\n";
    let f = wp(text);
    let order = [
        "work_package_id",
        "title",
        "dependencies",
        "requirement_refs",
        "planning_base_branch",
    ];
    let out = f.edited(
        &[
            ("dependencies", FmValue::List(vec![])),
            ("requirement_refs", FmValue::List(vec!["FR-002".into()])),
        ],
        &order,
    );
    assert_eq!(
        out,
        "---\nwork_package_id: \"WP02\"   # id\ntitle: \"W2\"\ndependencies: []\nrequirement_refs:\n- FR-002\n# a comment\nplanning_base_branch: \"main\"  # keep me\nsubtasks:\n  - \"T003\"\n---\nBody with depends on WP09\n"
    );
}

#[test]
fn insertion_before_a_replaced_block_does_not_panic() {
    // `requirement_refs` must be inserted after `title`, right where the replaced
    // `dependencies` block starts.
    let f = wp(
        "---\nwork_package_id: WP02\ntitle: Second\ndependencies: []\nplanning_base_branch: develop\n---\nbody\n",
    );
    let order = [
        "work_package_id",
        "title",
        "dependencies",
        "requirement_refs",
        "planning_base_branch",
    ];
    let out = f.edited(
        &[
            ("dependencies", FmValue::List(vec!["WP01".into()])),
            ("planning_base_branch", FmValue::Str("main".into())),
            ("requirement_refs", FmValue::List(vec!["FR-002".into()])),
        ],
        &order,
    );
    assert_eq!(
        out,
        "---\nwork_package_id: WP02\ntitle: Second\ndependencies:\n- WP01\nrequirement_refs:\n- FR-002\nplanning_base_branch: main\n---\nbody\n"
    );
    // Several insertions at one point follow `order`, whatever order the changes came in.
    let f = wp("---\nwork_package_id: WP01\ntitle: T\n---\n");
    let out = f.edited(
        &[
            ("planning_base_branch", FmValue::Str("main".into())),
            ("requirement_refs", FmValue::List(vec![])),
            ("dependencies", FmValue::List(vec![])),
        ],
        &order,
    );
    assert_eq!(
        out,
        "---\nwork_package_id: WP01\ntitle: T\ndependencies: []\nrequirement_refs: []\nplanning_base_branch: main\n---\n"
    );
}

#[test]
fn multi_line_values_are_replaced_whole_and_crlf_kept() {
    let text = "---\r\nwork_package_id: WP01\r\nowned_files:\r\n- a\r\n- b\r\ntags: []\r\n---\r\n";
    let f = wp(text);
    let out = f.edited(
        &[("owned_files", FmValue::List(vec!["src/**".into()]))],
        &[],
    );
    assert_eq!(
        out,
        "---\r\nwork_package_id: WP01\r\nowned_files:\r\n- src/**\r\ntags: []\r\n---\r\n"
    );
    // Missing key with no anchor: appended at the end of the frontmatter.
    let out = f.edited(
        &[("execution_mode", FmValue::Str("code_change".into()))],
        &[],
    );
    assert!(out.ends_with("tags: []\r\nexecution_mode: code_change\r\n---\r\n"));
}

#[test]
fn scalars_are_quoted_only_when_needed() {
    assert_eq!(scalar("main"), "main");
    assert_eq!(scalar("feature/x"), "feature/x");
    assert_eq!(scalar("src/**"), "src/**");
    assert_eq!(scalar("**/x"), "'**/x'");
    assert_eq!(scalar("Docs: update"), "'Docs: update'");
    assert_eq!(scalar("1"), "'1'");
    assert_eq!(scalar(""), "''");
    assert_eq!(scalar("2026-01-01T00:00:00Z"), "'2026-01-01T00:00:00Z'");
    assert_eq!(scalar("it's"), "it's");
    assert_eq!(scalar("'q"), "'''q'");
    assert_eq!(scalar("true"), "'true'");
    for s in [
        "main",
        "**/x",
        "Docs: update",
        "1",
        "",
        "x #y",
        "- a",
        "true",
        "null",
    ] {
        let y: Value = yaml_serde::from_str(&format!("k: {}", scalar(s))).expect("valid yaml");
        assert_eq!(y.get("k").and_then(Value::as_str), Some(s), "{s:?}");
    }
}
