//! spec-kitty 3.1.1's typed schema for the WP frontmatter keys it knows (`WPMetadata`).
//!
//! 3.1.1 validated every WP file's frontmatter against a pydantic model before using it; a file
//! that failed was skipped ("Could not read …"). This module repeats those type rules for the keys
//! of that model, so a WP that 3.1.1 could not read is unreadable here too, and says why. Keys
//! outside the model are the one deliberate difference: 3.1.1 rejected them, here they are kept
//! (see `docs/compatibility.md`).
//!
//! 3.1.1 read YAML with ruamel.yaml, whose YAML 1.2 resolver types a few plain scalars that the
//! YAML library used here reads as strings (`2024-01-01` is a date there, `017` and `1_000` are
//! integers). [`ruamel_non_string`] repeats that resolver so such a value in a string field is
//! refused as 3.1.1 refused it.

use std::sync::LazyLock;

use yaml_serde::{Mapping, Value};

use super::keys::KeyBlock;

/// What a known key's value must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string or null (`str | None`).
    Str,
    /// A list of strings (null refused); `coerce`: a string is split on commas first.
    StrList { coerce: bool },
    /// A list of anything (null refused).
    AnyList,
    /// Anything (`Any`, or coerced with `str()`).
    Any,
    /// `shell_pid`: null, `""`, or something Python's `int()` accepts.
    Pid,
    /// `lane`: null, `""`, or a lane name (`doing` is an alias).
    Lane,
}

/// The keys of 3.1.1's `WPMetadata` and their types.
const KEYS: &[(&str, Kind)] = &[
    ("work_package_id", Kind::Str),
    ("title", Kind::Str),
    ("dependencies", Kind::StrList { coerce: true }),
    ("base_branch", Kind::Str),
    ("base_commit", Kind::Str),
    ("created_at", Kind::Str),
    ("planning_base_branch", Kind::Str),
    ("merge_target_branch", Kind::Str),
    ("branch_strategy", Kind::Str),
    ("requirement_refs", Kind::StrList { coerce: true }),
    ("priority", Kind::Str),
    ("execution_mode", Kind::Str),
    ("owned_files", Kind::StrList { coerce: false }),
    ("authoritative_surface", Kind::Str),
    ("task_type", Kind::Str),
    ("subtasks", Kind::AnyList),
    ("phase", Kind::Any),
    ("phases", Kind::Str),
    ("assignee", Kind::Str),
    ("agent", Kind::Any),
    ("model", Kind::Str),
    ("agent_profile", Kind::Str),
    ("role", Kind::Str),
    ("shell_pid", Kind::Pid),
    ("history", Kind::AnyList),
    ("lane", Kind::Lane),
    ("feature_slug", Kind::Str),
    ("activity_log", Kind::Str),
    ("review_status", Kind::Str),
    ("reviewed_by", Kind::Str),
    ("approved_by", Kind::Str),
    ("reviewer", Kind::Any),
    ("reviewer_agent", Kind::Str),
    ("reviewer_shell_pid", Kind::Str),
    ("review_feedback", Kind::Str),
    ("review_feedback_file", Kind::Str),
    ("subtitle", Kind::Str),
    ("description", Kind::Str),
    ("estimated_duration", Kind::Str),
    ("tags", Kind::StrList { coerce: false }),
    ("mission_id", Kind::Str),
    ("mission_number", Kind::Str),
    ("mission_slug", Kind::Str),
    ("status", Kind::Str),
    ("wp_code", Kind::Str),
    ("branch_strategy_override", Kind::Str),
    ("work_package_title", Kind::Str),
];

/// A frontmatter value 3.1.1's schema refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The key.
    pub key: String,
    /// What is wrong, in the schema's terms.
    pub message: String,
}

/// The first value (in file order) that 3.1.1's schema refuses, if any. `text` is the whole file
/// and `keys` its located top-level keys (used to see whether a scalar was written plain).
pub fn check(map: &Mapping, text: &str, keys: &[KeyBlock]) -> Option<Violation> {
    let mut found: Vec<(usize, Violation)> = Vec::new();
    for (k, v) in map {
        let Value::String(key) = k else { continue };
        let Some(&(_, kind)) = KEYS.iter().find(|(name, _)| name == key) else {
            continue;
        };
        let block = keys.iter().find(|b| &b.key == key);
        let raw = block.and_then(|b| raw_value(text, b));
        if let Some(message) = violation(key, kind, v, raw) {
            let at = block.map_or(usize::MAX, |b| b.range.start);
            found.push((
                at,
                Violation {
                    key: key.clone(),
                    message,
                },
            ));
        }
    }
    // `title` falls back to `work_package_title` when absent, and is then checked as a title.
    if !map.contains_key("title")
        && let Some(Value::String(t)) = map.get("work_package_title")
        && t.trim().is_empty()
    {
        let at = keys
            .iter()
            .find(|b| b.key == "work_package_title")
            .map_or(usize::MAX, |b| b.range.start);
        found.push((
            at,
            Violation {
                key: "work_package_title".into(),
                message: "title must not be empty".into(),
            },
        ));
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().next().map(|(_, v)| v)
}

fn violation(key: &str, kind: Kind, v: &Value, raw: Option<&str>) -> Option<String> {
    let not_string = || Some("input should be a valid string".to_owned());
    let not_list = || Some("input should be a valid list".to_owned());
    let plain = raw.filter(|r| !r.starts_with(['\'', '"', '|', '>', '[', '{', '!', '&', '*']));
    // ruamel read an explicitly tagged value (`!x`, `!!str 1`), and plain `=` and `<<`, as a
    // tagged scalar: never text, yet accepted where a list was expected.
    let tagged = raw.is_some_and(|r| r.starts_with('!')) || matches!(plain, Some("=" | "<<"));
    match kind {
        Kind::StrList { .. } | Kind::AnyList if tagged => None,
        Kind::Str if tagged && !matches!(v, Value::Null) => {
            Some("input should be a valid string (a tagged value is not text)".to_owned())
        }
        Kind::Str => match v {
            Value::Null if key == "work_package_id" => not_string(),
            Value::Null => None,
            Value::String(s) => {
                if plain.is_some_and(ruamel_non_string) {
                    return Some(format!(
                        "input should be a valid string (`{s}` unquoted reads as a {})",
                        plain.map_or("value", ruamel_kind)
                    ));
                }
                string_rule(key, s)
            }
            _ => not_string(),
        },
        Kind::StrList { coerce } => match v {
            // Text is split on commas; a plain scalar ruamel typed (a date, `017`) is not text.
            Value::String(_) if coerce && plain.is_some_and(ruamel_non_string) => not_list(),
            Value::String(_) if coerce => None,
            Value::Sequence(items) => items
                .iter()
                .all(|i| matches!(i, Value::String(_)))
                .then_some(())
                .map_or_else(
                    || Some("every item should be a valid string".to_owned()),
                    |_| None,
                ),
            _ => not_list(),
        },
        Kind::AnyList => match v {
            Value::Sequence(_) => None,
            _ => not_list(),
        },
        Kind::Any => None,
        Kind::Pid => match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) if python_int_text(s) => None,
            Value::Number(n) if n.is_i64() || n.is_u64() => None,
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => None,
            Value::Bool(_) => None,
            _ => Some("input should be a valid integer".to_owned()),
        },
        Kind::Lane => match v {
            Value::Null => None,
            Value::String(s)
                if s.is_empty()
                    || s == "doing"
                    || crate::compiler::status::LANES.contains(&s.as_str()) =>
            {
                None
            }
            _ => Some(format!(
                "invalid lane value; must be one of: {}",
                crate::compiler::status::LANES.join(", ")
            )),
        },
    }
}

/// The value rules 3.1.1 added to some string keys.
fn string_rule(key: &str, s: &str) -> Option<String> {
    match key {
        "work_package_id" if !python_wp_id(s) => {
            Some(format!("invalid work_package_id: '{s}' (must match WP##)"))
        }
        "title" if s.trim().is_empty() => Some("title must not be empty".to_owned()),
        "base_commit" if !hex_sha(s) => {
            Some(format!("invalid base_commit: '{s}' (must be hex SHA)"))
        }
        _ => None,
    }
}

/// `^WP\d{2,}$` as Python's `re.match` applies it (`$` also matches before a final newline).
fn python_wp_id(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    super::keys::is_wp_id(s)
}

/// `^[0-9a-f]{7,40}$` with Python's `$`.
fn hex_sha(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    (7..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether Python's `int()` accepts the string: optional surrounding whitespace, a sign, and
/// decimal digits with single underscores between them.
fn python_int_text(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    !t.is_empty()
        && !t.starts_with('_')
        && !t.ends_with('_')
        && !t.contains("__")
        && t.chars().all(|c| c.is_ascii_digit() || c == '_')
}

/// The value of a key as written on the key's own line, without a trailing comment; `None` when
/// it starts on a later line.
fn raw_value<'a>(text: &'a str, block: &KeyBlock) -> Option<&'a str> {
    let line_end = text[block.key_span.end..block.range.end]
        .find('\n')
        .map_or(block.range.end, |i| block.key_span.end + i);
    let rest: &str = &text[block.key_span.end..line_end];
    let rest = rest.trim_start().strip_prefix(':')?;
    let rest = match rest.find(" #").or_else(|| rest.find("\t#")) {
        Some(i) => &rest[..i],
        None => rest,
    };
    let v = rest.trim();
    (!v.is_empty()).then_some(v)
}

/// ruamel.yaml's implicit resolvers. ASCII classes only, so `regex-lite` runs them exactly.
static RUAMEL: LazyLock<[(&'static str, regex_lite::Regex); 6]> = LazyLock::new(|| {
    let re = |p: &str| regex_lite::Regex::new(p).expect("constant regex");
    [
        ("boolean", re(r"^(?:true|True|TRUE|false|False|FALSE)$")),
        (
            "float",
            re(concat!(
                r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?",
                r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)",
                r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?",
                r"|[-+]?\.(?:inf|Inf|INF)",
                r"|\.(?:nan|NaN|NAN))$"
            )),
        ),
        (
            "integer",
            re(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$"),
        ),
        ("merge key", re(r"^(?:<<)$")),
        (
            "timestamp",
            re(concat!(
                r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
                r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?",
                r"(?:[Tt]|[ \t]+)[0-9][0-9]?",
                r":[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?",
                r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"
            )),
        ),
        ("value key", re(r"^(?:=)$")),
    ]
});

/// Whether ruamel.yaml (3.1.1's YAML reader, YAML 1.2) reads this plain scalar as something other
/// than a string. Null is left out: both readers agree on it.
pub fn ruamel_non_string(plain: &str) -> bool {
    may_resolve(plain) && RUAMEL.iter().any(|(_, re)| re.is_match(plain))
}

/// Whether a scalar starts as one of [`RUAMEL`]'s patterns can: a sign, digit, underscore or dot
/// (numbers, timestamps, `.inf`, `.nan`; `[-+]?[0-9_]+` reads `_1` as an integer), `t`/`T`/`f`/`F`
/// (booleans), `<` (merge key) or `=` (value key). Most scalars (ids, titles, branch names) are
/// strings at once.
fn may_resolve(plain: &str) -> bool {
    plain.as_bytes().first().is_some_and(|b| {
        b.is_ascii_digit()
            || matches!(
                b,
                b'+' | b'-' | b'_' | b'.' | b't' | b'T' | b'f' | b'F' | b'<' | b'='
            )
    })
}

fn ruamel_kind(plain: &str) -> &'static str {
    RUAMEL
        .iter()
        .find(|(_, re)| re.is_match(plain))
        .map_or("value", |(k, _)| k)
}

/// Where ruamel.yaml (3.1.1's frontmatter reader) stops at a tab: its scanner refuses a tab
/// anywhere in block context — after a key's colon, inside or after a plain scalar, after a quoted
/// scalar or a flow collection, as indentation, on a blank line — and accepts one only inside a
/// quoted scalar, a flow collection, a comment or a block scalar's content. Other YAML readers
/// accept most of these; 3.1.1 could not read such a WP. Returns the tab's byte offset in `yaml`.
pub fn ruamel_tab_error(yaml: &str) -> Option<usize> {
    if !yaml.contains('\t') {
        return None;
    }
    let mut quote: Option<char> = None;
    let mut flow = 0usize;
    // The indentation of the line that opened a block scalar, while inside its content.
    let mut block: Option<usize> = None;
    let mut offset = 0usize;
    for line in yaml.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(ind) = block {
            if body.trim_matches([' ', '\t']).is_empty() || indent > ind {
                continue;
            }
            block = None;
        }
        // At a token start (line start, after whitespace, after a flow separator).
        let mut at_start = true;
        let mut in_plain = false;
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Some('\'') => {
                    if c == '\'' {
                        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                            chars.next();
                        } else {
                            quote = None;
                            at_start = false;
                        }
                    }
                    continue;
                }
                Some(_) => {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        quote = None;
                        at_start = false;
                    }
                    continue;
                }
                None => {}
            }
            match c {
                '\t' if flow == 0 => return Some(line_start + i),
                '\t' | ' ' => {
                    at_start = true;
                    continue;
                }
                '#' if at_start => break,
                _ => {}
            }
            if in_plain {
                let next = chars.peek().map(|(_, n)| *n);
                if c == ':' && next.is_none_or(|n| n == ' ' || n == '\t') {
                    in_plain = false;
                } else if flow > 0 && matches!(c, ',' | ']' | '}') {
                    in_plain = false;
                    if c != ',' {
                        flow -= 1;
                    }
                }
                at_start = false;
                continue;
            }
            match c {
                '\'' | '"' if at_start => quote = Some(c),
                '[' | '{' => flow += 1,
                ']' | '}' if flow > 0 => flow -= 1,
                ',' if flow > 0 => {}
                '|' | '>' if at_start && flow == 0 => block = Some(indent),
                '-' | '?' | ':' if chars.peek().is_none_or(|(_, n)| *n == ' ' || *n == '\t') => {}
                '&' | '*' | '!' if at_start => {}
                _ if at_start => in_plain = true,
                _ => {}
            }
            at_start = false;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The first-byte check never hides a scalar one of ruamel's resolvers would read.
        #[test]
        fn the_first_byte_check_keeps_every_resolver_match(
            s in "([-+_.0-9eExXoObB:TtZ <=]|true|True|FALSE|inf|NaN|nan|0x|0o|0b){0,6}"
        ) {
            let any = RUAMEL.iter().any(|(_, re)| re.is_match(&s));
            proptest::prop_assert_eq!(ruamel_non_string(&s), any, "{:?}", s);
        }
    }

    #[test]
    fn an_underscore_run_is_an_integer_to_ruamel() {
        assert!(ruamel_non_string("_1"));
        assert!(ruamel_non_string("__"));
        assert!(!ruamel_non_string("WP01"));
    }

    fn check_yaml(yaml: &str) -> Option<Violation> {
        let text = format!("---\n{yaml}---\nbody\n");
        let map: Mapping = yaml_serde::from_str(yaml).expect("test yaml");
        let keys = super::super::keys::locate_keys(&text, 4..4 + yaml.len());
        check(&map, &text, &keys)
    }

    #[test]
    fn ruamel_resolver_types_these_plain_scalars() {
        for s in [
            "2024-01-01",
            "2024-01-01T10:00:00",
            "2024-1-1 10:00:00",
            "2024-01-01T10:00:00.5+01:00",
            "017",
            "1_000",
            "0o17",
            "0x1F",
            "1.5",
            ".inf",
            "True",
            "<<",
            "=",
        ] {
            assert!(ruamel_non_string(s), "{s}");
        }
        for s in [
            "2024-1-1", "12:30", "yes", "on", "WP01", "main", "1,000", "v1.2.3",
        ] {
            assert!(!ruamel_non_string(s), "{s}");
        }
    }

    #[test]
    fn tabs_where_ruamel_refused_them() {
        for (yaml, ok) in [
            ("a: \tx\n", false),
            ("a: x\ty\n", false),
            ("a: '\tx'\n", true),
            ("a: b\t\n", false),
            ("a:\tx\n", false),
            ("a\t: x\n", false),
            ("a: x # c\t\n", true),
            ("a: x\n\t\nb: y\n", false),
            ("a:\n- x\t\n", false),
            ("a:\n-\tx\n", false),
            ("a: {b:\tc}\n", true),
            ("a: [x,\ty]\n", true),
            ("a: [x]\t\n", false),
            ("a: 'x'\t\n", false),
            ("a: \"x\"\t\n", false),
            ("a: \"x\ty\"\n", true),
            ("a: |\n  x\ty\n", true),
            ("a: |\t\n  x\n", false),
            ("a:\t\n  - x\n", false),
            ("\ta: x\n", false),
            ("a: x\n  \tcontinued\n", false),
            ("a: x\n\t# c\n", false),
            ("# c\t\na: x\n", true),
            ("a: 'x\n\ty'\n", true),
            ("a: x y\t# c\n", false),
            ("a:\t# c\n", false),
            ("a: &x\tv\n", false),
            ("-\tx\n", false),
            ("a: don't\tstop\n", false),
            ("a: it's 'fine'\nb: '\t'\n", true),
            ("a: >\n  x\n\ty\nb: 1\n", false),
            ("a: plain\n", true),
        ] {
            assert_eq!(ruamel_tab_error(yaml).is_none(), ok, "{yaml:?}");
        }
    }

    #[test]
    fn schema_refuses_what_3_1_1_refused() {
        let bad = [
            ("work_package_id: WP01\ndependencies:\n", "dependencies"),
            (
                "work_package_id: WP01\nowned_files: src/x.rs\n",
                "owned_files",
            ),
            ("work_package_id: WP01\nsubtasks: T001\n", "subtasks"),
            ("work_package_id: WP01\ntitle: '  '\n", "title"),
            ("work_package_id: WP01\npriority: 1\n", "priority"),
            (
                "work_package_id: WP01\ncreated_at: 2024-01-01T10:00:00\n",
                "created_at",
            ),
            ("work_package_id: WP01\nbase_commit: HEAD\n", "base_commit"),
            ("work_package_id: WP01\nshell_pid: abc\n", "shell_pid"),
            ("work_package_id: WP01\nlane: 3\n", "lane"),
            ("work_package_id: WP01\ntags: [1]\n", "tags"),
            (
                "work_package_id: WP01\nmission_number: 7\n",
                "mission_number",
            ),
            (
                "work_package_id: WP01\nwork_package_title: ''\n",
                "work_package_title",
            ),
            ("work_package_id: WP1\n", "work_package_id"),
            (
                "work_package_id: WP01\ntitle: ''\nwork_package_title: x\n",
                "title",
            ),
        ];
        for (yaml, key) in bad {
            let v = check_yaml(yaml).unwrap_or_else(|| panic!("accepted: {yaml}"));
            assert_eq!(v.key, key, "{yaml}");
        }
    }

    #[test]
    fn schema_accepts_what_3_1_1_accepted() {
        for yaml in [
            "work_package_id: WP01\ndependencies: 'WP02, WP03'\n",
            "work_package_id: WP01\nrequirement_refs: FR-001\n",
            "work_package_id: WP01\ncreated_at: '2024-01-01T10:00:00'\n",
            "work_package_id: WP01\nphase: 1\nagent: {tool: x}\n",
            "work_package_id: WP01\nshell_pid: ''\n",
            "work_package_id: WP01\nshell_pid: ' 12_3 '\n",
            "work_package_id: WP01\nshell_pid: 4168956\n",
            "work_package_id: WP01\nlane: doing\n",
            "work_package_id: WP01\nlane: ''\n",
            "work_package_id: WP01\nexecution_mode: worktree\n",
            "work_package_id: WP01\nscope: codebase-wide\nfuture_key: 3\n",
            "work_package_id: WP01\ntitle: x # 2024-01-01\n",
            "work_package_id: WP01\nbase_commit: abc1234\n",
        ] {
            assert_eq!(check_yaml(yaml), None, "{yaml}");
        }
    }
}
