//! Lanes under both strategies, and the manifest.

use super::*;

fn own(mode: &str, globs: &[&str]) -> WpOwnership {
    WpOwnership {
        execution_mode: mode.into(),
        owned_files: globs.iter().map(|s| s.to_string()).collect(),
        body: String::new(),
    }
}

#[test]
fn lane_names_go_past_z() {
    assert_eq!(lane_name(0), "lane-a");
    assert_eq!(lane_name(25), "lane-z");
    assert_eq!(lane_name(26), "lane-aa");
    assert_eq!(lane_name(27), "lane-ab");
    assert_eq!(lane_name(26 + 26 * 26), "lane-aaa");
}

#[test]
fn dependencies_join_code_lanes_and_planning_goes_to_its_lane() {
    let mut deps = DepMap::default();
    deps.insert("WP01".into(), vec![]);
    deps.insert("WP02".into(), vec!["WP01".into()]);
    deps.insert("WP03".into(), vec![]);
    deps.insert("WP04".into(), vec!["WP03".into(), "WP01".into()]);
    deps.insert("WP05".into(), vec![]);
    let owners: HashMap<String, WpOwnership> = [
        ("WP01", own("planning_artifact", &["kitty-specs/x/**"])),
        ("WP02", own("code_change", &["src/a/**"])),
        ("WP03", own("code_change", &["src/b/**"])),
        ("WP04", own("code_change", &["src/c/**"])),
        ("WP05", own("code_change", &["src/d/**"])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let plan = compute(&deps, &owners, Strategy::Collapse).expect("lanes");
    let got: Vec<(String, Vec<String>)> = plan
        .lanes
        .iter()
        .map(|l| (l.lane_id.clone(), l.wp_ids.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("lane-a".into(), vec!["WP02".into()]),
            ("lane-b".into(), vec!["WP03".into(), "WP04".into()]),
            ("lane-c".into(), vec!["WP05".into()]),
            ("lane-planning".into(), vec!["WP01".into()]),
        ]
    );
    assert_eq!(plan.planning_artifact_wps, ["WP01"]);
    let events = plan.collapse.expect("report");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].evidence, "WP04 depends on WP03");
}

#[test]
fn missing_manifest_is_an_error() {
    let mut deps = DepMap::default();
    deps.insert("WP03".into(), vec![]);
    let err = compute(&deps, &HashMap::new(), Strategy::Collapse).expect_err("no manifest");
    let LaneError::MissingManifest(err) = err else {
        panic!("{err:?}")
    };
    assert!(
        err.to_string()
            .starts_with("Executable WP 'WP03' has no ownership manifest.")
    );
}

fn map(pairs: &[(&str, &[&str])]) -> DepMap {
    let mut deps = DepMap::default();
    for (k, v) in pairs {
        deps.insert((*k).into(), v.iter().map(|s| s.to_string()).collect());
    }
    deps
}

fn owners(pairs: &[(&str, &str, &[&str])]) -> HashMap<String, WpOwnership> {
    pairs
        .iter()
        .map(|(k, mode, globs)| (k.to_string(), own(mode, globs)))
        .collect()
}

fn shape(plan: &LanePlan) -> Vec<(String, Vec<String>, Vec<String>, u64)> {
    plan.lanes
        .iter()
        .map(|l| {
            (
                l.lane_id.clone(),
                l.wp_ids.clone(),
                l.depends_on_lanes.clone(),
                l.parallel_group,
            )
        })
        .collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Two chains (WP01 → WP02, WP03 → WP04) meeting at WP05, and a planning WP everyone needs.
fn fan_in_mission() -> (DepMap, HashMap<String, WpOwnership>) {
    (
        map(&[
            ("WP00", &[]),
            ("WP01", &["WP00"]),
            ("WP02", &["WP01"]),
            ("WP03", &[]),
            ("WP04", &["WP03"]),
            ("WP05", &["WP02", "WP04"]),
        ]),
        owners(&[
            ("WP00", "planning_artifact", &["kitty-specs/m/**"]),
            ("WP01", "code_change", &["src/a/**"]),
            ("WP02", "code_change", &["src/b/**"]),
            ("WP03", "code_change", &["src/c/**"]),
            ("WP04", "code_change", &["src/d/**"]),
            ("WP05", "code_change", &["src/e/**"]),
        ]),
    )
}

#[test]
fn collapse_fuses_the_chains_into_one_lane() {
    let (deps, owners) = fan_in_mission();
    let plan = compute(&deps, &owners, Strategy::Collapse).expect("lanes");
    assert_eq!(
        shape(&plan),
        vec![
            (
                "lane-a".into(),
                s(&["WP01", "WP02", "WP03", "WP04", "WP05"]),
                vec![],
                0
            ),
            ("lane-planning".into(), s(&["WP00"]), vec![], 0),
        ]
    );
}

#[test]
fn fan_in_keeps_disjoint_chains_apart_and_orders_lanes_by_depth() {
    let (deps, owners) = fan_in_mission();
    let plan = compute(&deps, &owners, Strategy::FanIn).expect("lanes");
    assert_eq!(
        shape(&plan),
        vec![
            ("lane-c".into(), s(&["WP03"]), vec![], 0),
            ("lane-planning".into(), s(&["WP00"]), vec![], 0),
            ("lane-a".into(), s(&["WP01"]), s(&["lane-planning"]), 1),
            ("lane-d".into(), s(&["WP04"]), s(&["lane-c"]), 1),
            ("lane-b".into(), s(&["WP02"]), s(&["lane-a"]), 2),
            ("lane-e".into(), s(&["WP05"]), s(&["lane-b", "lane-d"]), 3),
        ]
    );
    // No dependency events: only overlap fuses lanes.
    assert_eq!(plan.collapse, Some(vec![]));
}

#[test]
fn fan_in_fuses_overlapping_dependents_and_says_why() {
    let deps = map(&[("WP01", &[]), ("WP02", &["WP01"]), ("WP03", &[])]);
    let owners = owners(&[
        ("WP01", "code_change", &["src/core/**"]),
        ("WP02", "code_change", &["src/core/x.rs"]),
        ("WP03", "code_change", &["src/web/**"]),
    ]);
    let plan = compute(&deps, &owners, Strategy::FanIn).expect("lanes");
    assert_eq!(
        shape(&plan),
        vec![
            ("lane-a".into(), s(&["WP01", "WP02"]), vec![], 0),
            ("lane-b".into(), s(&["WP03"]), vec![], 0),
        ]
    );
    let events = plan.collapse.expect("report");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].rule, "write_scope_overlap");
    assert!(
        events[0].evidence.ends_with("; WP02 depends on WP01"),
        "{events:?}"
    );
}

#[test]
fn fan_in_reports_a_lane_cycle_made_by_overlap() {
    // WP01 and WP03 share files (one lane); WP02 sits between them in another lane.
    let deps = map(&[("WP01", &[]), ("WP02", &["WP01"]), ("WP03", &["WP02"])]);
    let owners = owners(&[
        ("WP01", "code_change", &["src/core/**"]),
        ("WP02", "code_change", &["src/web/**"]),
        ("WP03", "code_change", &["src/core/late.rs"]),
    ]);
    let err = compute(&deps, &owners, Strategy::FanIn).expect_err("a cycle");
    let LaneError::Cycle(c) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        c.lanes,
        vec![
            ("lane-a".to_owned(), s(&["WP01", "WP03"])),
            ("lane-b".to_owned(), s(&["WP02"])),
        ]
    );
    assert!(
        c.fused_by[0].starts_with("WP01 and WP03: overlapping globs"),
        "{c:?}"
    );
    // Collapse has no such cycle: everything is one lane.
    assert!(compute(&deps, &owners, Strategy::Collapse).is_ok());
}

#[test]
fn the_most_lanes_at_once_is_the_width_of_the_lane_graph() {
    let (deps, owners) = fan_in_mission();
    // Collapse: one code lane and the planning lane, no edges.
    let collapse = compute(&deps, &owners, Strategy::Collapse).expect("lanes");
    assert_eq!(max_parallel(&collapse), 2);
    // Fan-in: the two chains (and the planning lane before chain A) run side by side: at most
    // two at once (WP01's lane with WP03's or WP04's, never with the planning lane it needs).
    let fan_in = compute(&deps, &owners, Strategy::FanIn).expect("lanes");
    assert_eq!(max_parallel(&fan_in), 2);
    // Three independent WPs: three at once.
    let three = compute(
        &map(&[("WP01", &[]), ("WP02", &[]), ("WP03", &[])]),
        &owners_three(),
        Strategy::FanIn,
    )
    .expect("lanes");
    assert_eq!(max_parallel(&three), 3);
}

fn owners_three() -> HashMap<String, WpOwnership> {
    owners(&[
        ("WP01", "code_change", &["src/a/**"]),
        ("WP02", "code_change", &["src/b/**"]),
        ("WP03", "code_change", &["src/c/**"]),
    ])
}

#[test]
fn strategies_parse_from_config_spellings() {
    assert_eq!(Strategy::parse("fan-in"), Some(Strategy::FanIn));
    assert_eq!(Strategy::parse(" Collapse "), Some(Strategy::Collapse));
    assert_eq!(Strategy::parse("fan_in"), Some(Strategy::FanIn));
    assert_eq!(Strategy::parse("dag"), None);
}

#[test]
fn surfaces_are_substrings() {
    assert_eq!(
        surface_tags("Please REVIEW the layout"),
        vec!["app-shell", "api"]
    );
}

/// Every overlap between the manifests, by WP id, in an order unrelated to the lanes' (as
/// finalize's ownership check finds them: WPs in file order).
fn all_overlaps(owners: &HashMap<String, WpOwnership>) -> Vec<GlobOverlap> {
    let mut ids: Vec<&String> = owners.keys().collect();
    ids.sort_by(|a, b| b.cmp(a));
    let globs: Vec<&[String]> = ids
        .iter()
        .map(|w| owners[*w].owned_files.as_slice())
        .collect();
    find_overlaps(&globs)
        .into_iter()
        .map(|o| GlobOverlap {
            wp_a: ids[o.i].clone(),
            glob_a: o.gi,
            wp_b: ids[o.j].clone(),
            glob_b: o.gj,
        })
        .collect()
}

#[test]
fn lanes_from_known_overlaps_equal_lanes_that_find_them() {
    let (fan_deps, fan_owners) = fan_in_mission();
    let missions = [
        (fan_deps, fan_owners),
        // Overlaps joining independent WPs, several globs each, one through a planning WP's
        // dependency (which the collapse rule ignores), and one with the planning WP itself.
        (
            map(&[
                ("WP01", &[]),
                ("WP02", &["WP01"]),
                ("WP03", &[]),
                ("WP04", &["WP03"]),
                ("WP05", &[]),
                ("WP06", &["WP05"]),
                ("WP07", &[]),
            ]),
            owners(&[
                (
                    "WP01",
                    "planning_artifact",
                    &["kitty-specs/m/**", "src/z/x.py"],
                ),
                ("WP02", "code_change", &["src/a/**", "src/z/**"]),
                (
                    "WP03",
                    "code_change",
                    &["docs/x.md", "src/b/**", "src/a/x.py"],
                ),
                ("WP04", "code_change", &["src/c/**", "src/b/y.py"]),
                ("WP05", "code_change", &["src/d/**"]),
                (
                    "WP06",
                    "code_change",
                    &["src/e/*.py", "src/d/k.py", "src/a/**"],
                ),
                ("WP07", "code_change", &["tests/**", "src/e/m.py"]),
            ]),
        ),
    ];
    for (n, (deps, owners)) in missions.iter().enumerate() {
        let known = all_overlaps(owners);
        // The fan-in mission's globs are disjoint; the second mission's overlap.
        assert_eq!(known.is_empty(), n == 0);
        for strategy in [Strategy::Collapse, Strategy::FanIn] {
            let found = compute(deps, owners, strategy);
            let given = compute_with_overlaps(deps, owners, strategy, &known);
            match (found, given) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{strategy:?}"),
                (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
                (a, b) => panic!("{strategy:?}: {a:?} / {b:?}"),
            }
        }
    }
}
