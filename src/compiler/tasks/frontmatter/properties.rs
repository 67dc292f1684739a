//! Properties of edits: what is written reads back as what was meant.

use proptest::prelude::*;
use yaml_serde::Value;

/// A frontmatter value as an author might write it: plain, quoted, flow or block lists.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" plain".to_owned()),
        Just(" 'quoted: #x'".to_owned()),
        Just(" \"dq \\\" x\"".to_owned()),
        Just(" [WP01, 'WP02']".to_owned()),
        Just("\n- a\n- 'b: c'".to_owned()),
        Just("\n  - a\n  - b".to_owned()),
        Just("\n- a # c\n# note --- x\n\n- b".to_owned()),
        Just(" |\n  line one\n  line: two".to_owned()),
        Just(" 12".to_owned()),
        Just(" {tool: x, model: y}".to_owned()),
        Just(" {tool: 'a, b', list: ['[x]', '{y}'], n: 017}".to_owned()),
        Just(" ['x, y', \"z\"]".to_owned()),
        Just("\n  nested: 1\n  other: [a]".to_owned()),
        Just(" x # trailing comment".to_owned()),
        Just("".to_owned()),
    ]
}

/// A WP file: a block or flow frontmatter with keys finalize owns and others, comments
/// (one with a stray `---`), maybe a BOM and CRLF line endings.
fn wp_file() -> impl Strategy<Value = String> {
    let keys = prop::sample::subsequence(
        vec![
            "title",
            "dependencies",
            "requirement_refs",
            "planning_base_branch",
            "execution_mode",
            "owned_files",
            "agent",
            "custom_key",
            "history",
        ],
        0..=9,
    );
    (keys, prop::collection::vec(value(), 9), any::<[bool; 4]>()).prop_map(
        |(keys, values, [flow, bom, crlf, stray])| {
            let mut fm = String::new();
            if flow {
                let items: Vec<String> = keys
                    .iter()
                    .zip(&values)
                    .map(|(k, v)| match *k {
                        "agent" | "custom_key" if v.starts_with(" {") || v.starts_with(" [") => {
                            format!("{k}:{v}")
                        }
                        _ => format!("{k}: '{k} value'"),
                    })
                    .collect();
                fm.push_str(&format!(
                    "{{work_package_id: WP01, {}}}\n",
                    items.join(", ")
                ));
            } else {
                fm.push_str("work_package_id: WP01\n");
                for (k, v) in keys.iter().zip(&values) {
                    if stray && *k == "agent" {
                        fm.push_str("# --- ownership ---\n");
                    }
                    let v = match *k {
                        // Keep values the schema accepts for the keys it types.
                        "title" | "planning_base_branch" | "execution_mode"
                            if !v.starts_with(" '") =>
                        {
                            " plain"
                        }
                        "dependencies" | "requirement_refs" | "owned_files" | "history"
                            if !(v.starts_with(" [")
                                || v.starts_with("\n-")
                                || v.starts_with("\n  -")) =>
                        {
                            " []"
                        }
                        _ => v.as_str(),
                    };
                    fm.push_str(&format!("{k}:{v}\n"));
                }
            }
            let mut text = format!("---\n{fm}---\n# body\nstays\n");
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            text
        },
    )
}

fn change() -> impl Strategy<Value = (&'static str, super::FmValue)> {
    let key = prop::sample::select(vec![
        "dependencies",
        "requirement_refs",
        "planning_base_branch",
        "merge_target_branch",
        "branch_strategy",
        "execution_mode",
        "owned_files",
        "authoritative_surface",
    ]);
    let text = prop::sample::select(vec![
        "main",
        "017",
        "2026-01-01",
        "a: b",
        "#x",
        "it's",
        " lead",
        "é",
        "=",
        "yes",
        "",
    ]);
    (key, text, prop::collection::vec("WP0[1-9]", 0..3)).prop_map(|(k, t, ids)| {
        let v = match k {
            "dependencies" | "requirement_refs" | "owned_files" => super::FmValue::List(ids),
            _ => super::FmValue::Str(t.to_owned()),
        };
        (k, v)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// An edit of any readable WP file leaves it readable, with the changed keys holding the new
    /// values, every other key its old value, and the body untouched.
    #[test]
    fn edits_keep_the_file_readable_and_only_change_what_they_change(
        text in wp_file(),
        changes in prop::collection::vec(change(), 1..5),
    ) {
        let Ok(before) = super::WpFile::parse("WP01-x.md", "WP01-x.md", text) else {
            return Ok(());
        };
        // finalize never changes one key twice in an edit.
        let mut seen = std::collections::HashSet::new();
        let changes: Vec<_> = changes.into_iter().filter(|(k, _)| seen.insert(*k)).collect();
        let order = crate::compiler::finalize::OWNED_ORDER;
        let out = before.edited(&changes, &order);
        let after = super::WpFile::parse("WP01-x.md", "WP01-x.md", out.clone());
        prop_assert!(after.is_ok(), "unreadable after the edit:\n{out}\n{:?}", after.err());
        let Ok(after) = after else { return Ok(()) };
        prop_assert_eq!(after.body(), before.body());
        // The mappings as YAML reads them (a block frontmatter does not keep its own).
        let mapping = |f: &super::WpFile| -> yaml_serde::Mapping {
            yaml_serde::from_str(&f.source.text[f.yaml.clone()]).unwrap_or_default()
        };
        let (before_map, after_map) = (mapping(&before), mapping(&after));
        for (k, v) in &changes {
            let got = after_map.get(*k);
            let want = match v {
                super::FmValue::Str(s) => Value::String(s.clone()),
                super::FmValue::List(l) => Value::Sequence(l.iter().cloned().map(Value::String).collect()),
            };
            prop_assert_eq!(got, Some(&want), "{}:\n{}", k, out);
        }
        for (k, v) in &before_map {
            let changed = matches!(k, Value::String(name) if changes.iter().any(|(c, _)| c == name));
            if !changed {
                prop_assert_eq!(after_map.get(k), Some(v), "{:?} changed:\n{}", k, out);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Reading and editing arbitrary WP files never panics; an edit keeps the body.
    #[test]
    fn frontmatter_never_panics(body in "(---\n)?[a-z_ :\\[\\]#'\"\n-]{0,200}(---\n)?[a-z ]{0,20}") {
        if let Ok(f) = super::WpFile::parse("WP01.md", "WP01.md", body.clone()) {
            let out = f.edited(&[("dependencies", super::FmValue::List(vec!["WP02".into()]))], &["dependencies"]);
            prop_assert!(out.ends_with(f.body()));
        }
    }
}
