//! Every command's `--help` teaches: a description and an Examples section. The command tree is
//! walked through the binary (the `Commands:` list of each help page), so a command added later is
//! checked too.

use std::path::Path;

use crate::support::run;

fn subcommands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if line.trim().is_empty() || !line.starts_with("  ") {
                break;
            }
            // A command name starts two spaces in; wrapped description lines are indented deeper.
            if line.starts_with("   ") {
                continue;
            }
            if let Some(name) = line.split_whitespace().next()
                && name != "help"
            {
                out.push(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn every_command_has_a_description_and_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut todo: Vec<Vec<String>> = vec![Vec::new()];
    let mut missing = Vec::new();
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = run(Path::new(dir.path()), &args);
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        seen += 1;
        let subs = subcommands(&help);
        if subs.is_empty() && !help.contains("\nExamples:") {
            missing.push(path.join(" "));
        }
        for s in subs {
            let mut next = path.clone();
            next.push(s);
            todo.push(next);
        }
    }
    assert!(seen > 20, "walked {seen} help pages");
    missing.sort();
    assert!(
        missing.is_empty(),
        "no Examples section in --help of:\n  {}",
        missing.join("\n  ")
    );
}
