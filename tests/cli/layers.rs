//! The layering of `src/` (docs/architecture.md): a module may use modules of its own layer and of
//! the layers below it, never of a layer above. Checked on every `crate::<top-level module>` path.

use std::path::Path;

/// Top-level modules, lowest layer first; a module may use its own rank and below.
const RANKS: &[(&str, u8)] = &[
    ("support", 0),
    ("project", 1),
    ("auth", 1),
    ("compiler", 2),
    ("runtime", 3),
    ("release", 4),
    ("dashboard", 4),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut violations = Vec::new();
    for file in &all {
        let rel = file.strip_prefix(&src).expect("inside src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs");
        let Some(own) = rank(top) else { continue };
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(r) = rank(&name)
                    && r > own
                {
                    violations.push(format!("{}:{}: {top} uses {name}", rel.display(), n + 1));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "upward imports:\n{}",
        violations.join("\n")
    );
}

/// The module a file defines: `src/compiler/finalize/load.rs` → `compiler::finalize::load`,
/// `src/compiler/finalize/mod.rs` → `compiler::finalize`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .map(|s| s.trim_end_matches(".rs").to_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts.join("::")
}

/// The modules a line names: `crate::a::b::{c, d}` and `super::x`, resolved against `module`
/// (the file's own module, whose parent `super` is) and cut to the longest known module.
fn named_modules(line: &str, module: &str, known: &[String]) -> Vec<String> {
    let parent = |m: &str| {
        m.rsplit_once("::")
            .map_or(String::new(), |(p, _)| p.to_owned())
    };
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent(module))] {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            // `super::super::` and `crate::` inside a longer path are read from their start.
            if prefix == "super::" && i >= 2 && rest[..i].ends_with("::") {
                rest = &rest[i + prefix.len()..];
                continue;
            }
            rest = &rest[i + prefix.len()..];
            let path: String = rest
                .chars()
                .take_while(|c| {
                    c.is_ascii_alphanumeric()
                        || *c == '_'
                        || *c == ':'
                        || *c == '{'
                        || *c == ','
                        || *c == ' '
                })
                .collect();
            let (head, group) = match path.split_once('{') {
                Some((h, g)) => (h.trim_end_matches("::").to_owned(), Some(g.to_owned())),
                None => (
                    path.split([' ', ','])
                        .next()
                        .unwrap_or("")
                        .trim_end_matches("::")
                        .to_owned(),
                    None,
                ),
            };
            let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
                (true, _) => b.to_owned(),
                (_, true) => a.to_owned(),
                _ => format!("{a}::{b}"),
            };
            let mut candidates = vec![join(&base, &head)];
            if let Some(g) = group {
                for item in g.split(',') {
                    let item = item.trim().split(' ').next().unwrap_or("");
                    if !item.is_empty() && item != "self" {
                        candidates.push(join(&join(&base, &head), item));
                    }
                }
            }
            for c in candidates {
                // The longest known module the path starts with.
                let mut m = c.as_str();
                loop {
                    if known.iter().any(|k| k == m) {
                        out.push(m.to_owned());
                        break;
                    }
                    match m.rsplit_once("::") {
                        Some((p, _)) => m = p,
                        None => break,
                    }
                }
            }
        }
    }
    out
}

/// No two modules use each other, directly or through others (docs/architecture.md): every
/// `crate::` and `super::` path outside tests is an edge, a module's use of its own ancestors or
/// descendants excepted (a parent declares its children; a child may use what its parent defines).
#[test]
fn no_module_import_cycles() {
    use std::collections::{BTreeMap, BTreeSet};
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    let known: Vec<String> = all
        .iter()
        .map(|f| module_of(f.strip_prefix(&src).expect("inside src")))
        .collect();
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let rel = file.strip_prefix(&src).expect("inside src");
        let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "tests.rs" || rel.components().any(|c| c.as_os_str() == "tests") {
            continue;
        }
        let module = module_of(rel);
        let text = std::fs::read_to_string(file).expect("read");
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for used in named_modules(line, &module, &known) {
                if !related(&module, &used) {
                    edges.entry(module.clone()).or_default().insert(used);
                }
            }
        }
    }
    // A depth-first search for a path back to where it started.
    fn cycle_from(
        start: &str,
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if let Some(c) = cycle_from(start, next, edges, path, seen) {
                    return Some(c);
                }
                path.pop();
            }
        }
        None
    }
    let mut cycles = Vec::new();
    for start in edges.keys() {
        let mut path = vec![start.clone()];
        if let Some(c) = cycle_from(start, start, &edges, &mut path, &mut BTreeSet::new()) {
            cycles.push(c.join(" → "));
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
