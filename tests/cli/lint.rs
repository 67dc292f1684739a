//! `spec-kitty lint` machine formats, beyond the trycmd snapshots: the SARIF output validates
//! against the published SARIF 2.1.0 schema, and the JSON output keeps its documented shape.

use std::path::Path;

use serde_json::Value;

use crate::support::{copy_tree, spec_kitty};

fn lint_output(format: &str) -> (i32, Value) {
    // A copy outside the repository: inside it, the repository's own `.kittify/` would be the root.
    let project = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/lint-warnings.in"),
        project.path(),
    );
    let out = spec_kitty(project.path())
        .args(["lint", "--format", format])
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let (code, sarif) = lint_output("sarif");
    assert_eq!(code, 1, "the fixture has an error");
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("schema"))
            .expect("schema JSON");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("sarif-schema.json", schema)
        .expect("schema loads");
    let index = compiler
        .compile("sarif-schema.json", &mut schemas)
        .expect("schema compiles");
    if let Err(e) = schemas.validate(&sarif, index) {
        panic!("SARIF output does not validate: {e:#}");
    }
    // The validator really checks: a level SARIF does not define is rejected.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    assert!(
        schemas.validate(&broken, index).is_err(),
        "an invalid SARIF level must not validate"
    );
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 8);
    let rule_ids: Vec<&str> = results
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    for code in [
        "lint::none-names-wp",
        "lint::dependencies-heading-colon",
        "lint::wp-without-section",
        "lint::section-without-file",
        "lint::planning-dependency-in-prose",
        "ownership::glob-matches-nothing",
        "lanes::no-manifest",
    ] {
        assert!(rule_ids.contains(&code), "{code} missing from {rule_ids:?}");
    }
    let first = &results
        .iter()
        .find(|r| r["ruleId"] == "lint::dependencies-heading-colon")
        .expect("result")["locations"][0]["physicalLocation"];
    assert_eq!(
        first["artifactLocation"]["uri"],
        "kitty-specs/001-m/tasks.md"
    );
    assert_eq!(first["region"]["startLine"], 15);
}

#[test]
fn json_output_has_the_documented_shape() {
    let (code, json) = lint_output("json");
    assert_eq!(code, 1);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(
        json["summary"],
        serde_json::json!({"missions": 1, "errors": 1, "warnings": 7})
    );
    let d = &json["missions"][0]["diagnostics"][0];
    for key in [
        "code",
        "severity",
        "message",
        "help",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "related",
    ] {
        assert!(d.get(key).is_some(), "diagnostic lacks `{key}`: {d}");
    }
    assert_eq!(d["code"], "lanes::no-manifest");
    assert_eq!(d["severity"], "error");
}

#[test]
fn lint_reports_what_would_stop_finalize_in_meta_json_and_the_event_log() {
    for (file, content, code) in [
        ("meta.json", "[\"x\"]", "mission::meta-unusable"),
        (
            "status.events.jsonl",
            "{\"not\": \"an event\"}\n",
            "status::corrupt-log",
        ),
        // Malformed meta.json stops a run that has WPs to seed (none are seeded yet here).
        (
            "meta.json",
            "{\"mission_id\": 1,}",
            "mission::meta-unusable",
        ),
    ] {
        let project = tempfile::tempdir().expect("tempdir");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/lint-warnings.in"),
            project.path(),
        );
        let mission = std::fs::read_dir(project.path().join("kitty-specs"))
            .expect("missions")
            .flatten()
            .next()
            .expect("one mission")
            .path();
        std::fs::write(mission.join(file), content).expect("write");
        let out = spec_kitty(project.path())
            .args(["lint", "--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{file}: {content}");
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let codes: Vec<&str> = json["missions"][0]["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert!(codes.contains(&code), "{file}: {codes:?}");
    }
}
