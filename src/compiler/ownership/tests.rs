//! Ownership inference, overlaps and repository globs.

use super::*;

#[test]
fn surface_keeps_empty_segments_as_3_1_1_did() {
    let globs = |g: &[&str]| g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(infer_surface(&globs(&["src//x/**", "src//y.py"])), "src//");
    assert_eq!(infer_surface(&globs(&["/a/**", "/b/**"])), "/");
    assert_eq!(infer_surface(&globs(&["a/**", "b/**"])), "");
}

#[test]
fn fnmatch_like_python() {
    assert!(fnmatch("src/a/b.py", "src/*"));
    assert!(!fnmatch("src/a", "src/a/**"));
    assert!(fnmatch("src/a/", "src/a/**"));
    assert!(fnmatch("x1", "x?"));
    assert!(fnmatch("b", "[abc]"));
    assert!(!fnmatch("d", "[abc]"));
    assert!(fnmatch("d", "[!abc]"));
    assert!(fnmatch("[", "["));
    assert!(fnmatch("", "*"));
    assert!(!fnmatch("a", ""));
    // Class corner cases, checked against CPython 3.11's fnmatch.fnmatchcase.
    for (name, pattern, want) in [
        ("-", "[a-]", true),
        ("b", "[a-c-e]", true),
        ("-", "[a-c-e]", true),
        ("d", "[a-c-e]", false),
        ("^", "[^a]", true),
        ("b", "[z-a]", false),
        ("z", "[b-az]", true),
        ("\\", "[\\]", true),
        ("!", "[!]", false),
        ("[!]", "[!]", true),
        ("a", "[!]]", true),
        ("]", "[]]", true),
        ("[a", "[a", true),
    ] {
        assert_eq!(fnmatch(name, pattern), want, "{name:?} {pattern:?}");
    }
}

#[test]
fn overlap_rules() {
    assert!(globs_overlap("src/a/**", "src/a/**"));
    // Per path segment, not per string prefix (3.1.1 said these overlap).
    assert!(!globs_overlap("src/foo/**", "src/foobar.py"));
    assert!(!globs_overlap("src/parser/**", "src/parser_errors/**"));
    assert!(!globs_overlap("src/foo/**", "src/foo_bar/**"));
    assert!(globs_overlap("src/foo/**", "src/foo/x.py"));
    assert!(globs_overlap("src/**", "src/foo/**"));
    assert!(globs_overlap("src/foo/**", "src/foo/*"));
    assert!(globs_overlap("src/foo/", "src/foo/x.py"));
    // A wildcard inside the last segment still covers what it starts.
    assert!(globs_overlap("src/foo*", "src/foobar.py"));
    assert!(globs_overlap("src/foo*", "src/foo_bar/**"));
    assert!(!globs_overlap("src/foo.py", "src/foo.pyc"));
    assert!(globs_overlap("src/a/**", "src/a/x.py"));
    assert!(globs_overlap("src/*.py", "src/x.py"));
    assert!(!globs_overlap("src/a/**", "src/b/**"));
    assert!(!globs_overlap("tests/a.py", "src/a.py"));
}

#[test]
fn indexed_overlaps_equal_the_pairwise_definition() {
    let wps: Vec<Vec<String>> = [
        vec!["src/a/**", "docs/x.md"],
        vec!["src/a/x.py"],
        vec!["src/foobar.py", "*.md"],
        vec!["src/foo/**"],
        vec!["src/foo*", "src/parser_errors/**"],
        vec!["src/parser/**", "src/foo_bar/x.py"],
        vec!["tests/**", "src/[ab]/y.py"],
        vec!["**"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    let refs: Vec<&[String]> = wps.iter().map(Vec::as_slice).collect();
    let mut brute = Vec::new();
    for i in 0..wps.len() {
        for j in i + 1..wps.len() {
            for (gi, a) in wps[i].iter().enumerate() {
                for (gj, b) in wps[j].iter().enumerate() {
                    if globs_overlap(a, b) {
                        brute.push(Overlap { i, j, gi, gj });
                    }
                }
            }
        }
    }
    assert_eq!(find_overlaps(&refs), brute);
}

#[test]
fn inference() {
    assert_eq!(
        infer_execution_mode("edit kitty-specs/x/spec.md"),
        PLANNING_ARTIFACT
    );
    assert_eq!(
        infer_execution_mode("edit spec.md and src/x.py"),
        CODE_CHANGE
    );
    let (globs, fallback) = infer_owned_files(
        "Touch `src/app/core.py`, src/app/ and tests/test_core.py. Also src/app/sub/x.py",
        "001-x",
    );
    // Sorted, ancestors win, trailing punctuation kept (3.1.1's known quirk).
    assert_eq!(globs, ["src/app/**", "tests/test_core.py."]);
    assert!(!fallback);
    assert_eq!(
        infer_owned_files("nothing here", "s"),
        (vec!["src/**".to_owned()], true)
    );
    assert_eq!(
        infer_owned_files("see plan.md", "001-x").0,
        ["kitty-specs/001-x/**"]
    );
}

#[test]
fn surfaces() {
    assert_eq!(infer_surface(&["src/a/**".into()]), "src/a/");
    assert_eq!(infer_surface(&["src/a/x.py".into()]), "src/a/x.py/");
    assert_eq!(
        infer_surface(&["src/a/x.py".into(), "src/a/b/**".into()]),
        "src/a/"
    );
    assert_eq!(infer_surface(&["src/a".into(), "tests/b".into()]), "");
    assert!(surface_error("WP01", "src/a/", &["src/a/**".into()]).is_none());
    assert_eq!(
        surface_error("WP01", "src/a/x.py/", &["src/a/x.py".into()]).as_deref(),
        Some(
            "WP01: authoritative_surface 'src/a/x.py/' is not a prefix of any owned_files entry: ['src/a/x.py']"
        )
    );
}

#[test]
fn pathlib_refuses_what_python_311_refused() {
    use GlobError::*;
    let parse = |p| RepoGlob::parse(p).err();
    assert_eq!(parse(""), Some(Empty));
    assert_eq!(parse("/src/**"), Some(Absolute));
    assert_eq!(parse("//src"), Some(Absolute));
    assert_eq!(parse("src/**.py"), Some(DoubleStarInSegment));
    assert_eq!(parse("a**/b"), Some(DoubleStarInSegment));
    assert_eq!(parse("src/***"), Some(DoubleStarInSegment));
    assert_eq!(parse("."), Some(NoSegments));
    assert_eq!(parse("./."), Some(NoSegments));
    assert_eq!(parse("./"), Some(OnlyTrailingSlash));
    assert_eq!(parse(".//"), Some(OnlyTrailingSlash));
    // Python's checks run in this order: absolute before `**`.
    assert_eq!(parse("/src/**.py"), Some(Absolute));
    for ok in ["**", "src/**", "src/**/*.py", "src/./a//b", "..", "src/a/"] {
        assert_eq!(parse(ok), None, "{ok}");
    }
    assert_eq!(
        DoubleStarInSegment.to_string(),
        "Invalid pattern: '**' can only be an entire path component"
    );
    assert_eq!(NoSegments.to_string(), "tuple index out of range");
    assert_eq!(
        OnlyTrailingSlash.to_string(),
        "'_TerminatingSelector' object has no attribute 'select_from'"
    );
    assert_eq!(Empty.to_string(), "Unacceptable pattern: ''");
}

#[test]
fn repo_globs_match_like_pathlib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("src/app")).expect("mkdir");
    std::fs::create_dir_all(root.join("ext/d")).expect("mkdir");
    std::fs::write(root.join("src/app/a.py"), "").expect("write");
    std::fs::write(root.join("src/.hidden"), "").expect("write");
    std::fs::write(root.join("ext/d/z.py"), "").expect("write");
    // A fresh view per glob: the view caches what it read, and the test changes the tree.
    let m = |p: &str| repo_glob_matches(&RepoFs::new(root), p).expect("valid glob");
    assert!(m("src/app/a.py"));
    assert!(m("src/./app//a.py"));
    assert!(m("src/../src/app/a.py"));
    assert!(m("src/**"));
    assert!(m("src/app/**"));
    assert!(m("src/**/a.py"));
    assert!(m("**/a.py"));
    assert!(m("src/.h*"), "wildcards match hidden names");
    assert!(!m("src/*.PY"), "case-sensitive");
    assert!(!m("src/nothing/**"));
    // A trailing `/` selects directories only.
    assert!(m("src/app/"));
    assert!(m("src/*/"));
    assert!(m("src/**/"));
    assert!(!m("src/app/a.py/"));
    assert!(!m("src/*/a.py/"));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("nowhere", root.join("src/dangling")).expect("symlink");
        std::os::unix::fs::symlink("../ext", root.join("src/linked")).expect("symlink");
        assert!(!m("src/dangling"), "a literal name must exist");
        assert!(m("src/dang*"), "a wildcard lists the entry");
        assert!(!m("src/dang*/"));
        assert!(m("src/linked/d/z.py"), "literal segments follow symlinks");
        assert!(m("src/*/d/"));
        assert!(
            !m("src/**/z.py"),
            "`**` does not enter symlinked directories"
        );
    }
}
