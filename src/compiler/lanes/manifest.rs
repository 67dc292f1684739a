//! The lane plan as `lanes.json` and as the JSON summaries finalize and `lanes` print.

use serde_json::{Map, Value};

use super::LanePlan;
use crate::compiler::lanes_manifest::mission_branch;
use crate::support::util::{json_strings, py_json_indent};

impl LanePlan {
    /// Lane ids in order.
    pub fn lane_ids(&self) -> Vec<String> {
        self.lanes.iter().map(|l| l.lane_id.clone()).collect()
    }

    /// The collapse report as 3.1.1 printed it in the command's JSON (always an object when lanes
    /// hold code WPs).
    pub fn collapse_json(&self) -> Value {
        match &self.collapse {
            None => Value::Null,
            Some(events) => {
                let mut by_rule = Map::new();
                for e in events {
                    let n = by_rule.get(e.rule).and_then(Value::as_u64).unwrap_or(0);
                    by_rule.insert(e.rule.to_owned(), (n + 1).into());
                }
                let mut m = Map::new();
                m.insert(
                    "events".into(),
                    Value::Array(
                        events
                            .iter()
                            .map(|e| {
                                let mut o = Map::new();
                                o.insert("wp_a".into(), e.wp_a.clone().into());
                                o.insert("wp_b".into(), e.wp_b.clone().into());
                                o.insert("rule".into(), e.rule.into());
                                o.insert("evidence".into(), e.evidence.clone().into());
                                Value::Object(o)
                            })
                            .collect(),
                    ),
                );
                m.insert("total_merges".into(), events.len().into());
                m.insert(
                    "independent_wps_collapsed".into(),
                    self.independent_collapsed.into(),
                );
                m.insert("by_rule".into(), Value::Object(by_rule));
                Value::Object(m)
            }
        }
    }

    /// The `lanes` summary object of the finalize JSON.
    pub fn summary_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("computed".into(), true.into());
        m.insert("count".into(), self.lanes.len().into());
        m.insert("lane_ids".into(), json_strings(&self.lane_ids()));
        m.insert(
            "planning_artifact_wps".into(),
            json_strings(&self.planning_artifact_wps),
        );
        m.insert("collapse_report".into(), self.collapse_json());
        Value::Object(m)
    }

    /// The manifest as `lanes.json` text (2-space indent, ASCII, trailing newline).
    pub fn manifest_json(
        &self,
        slug: &str,
        mission_id: &str,
        target_branch: &str,
        computed_at: &str,
    ) -> String {
        let mut m = Map::new();
        m.insert("version".into(), 1.into());
        m.insert("mission_slug".into(), slug.into());
        m.insert("mission_id".into(), mission_id.into());
        m.insert("mission_branch".into(), mission_branch(slug).into());
        m.insert("target_branch".into(), target_branch.into());
        m.insert(
            "lanes".into(),
            Value::Array(
                self.lanes
                    .iter()
                    .map(|l| {
                        let mut o = Map::new();
                        o.insert("lane_id".into(), l.lane_id.clone().into());
                        o.insert("wp_ids".into(), json_strings(&l.wp_ids));
                        o.insert("write_scope".into(), json_strings(&l.write_scope));
                        o.insert(
                            "predicted_surfaces".into(),
                            json_strings(&l.predicted_surfaces),
                        );
                        o.insert("depends_on_lanes".into(), json_strings(&l.depends_on_lanes));
                        o.insert("parallel_group".into(), l.parallel_group.into());
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        m.insert("computed_at".into(), computed_at.into());
        m.insert("computed_from".into(), "dependency_graph+ownership".into());
        m.insert(
            "planning_artifact_wps".into(),
            json_strings(&self.planning_artifact_wps),
        );
        if self.collapse.as_ref().is_some_and(|e| !e.is_empty()) {
            m.insert("collapse_report".into(), self.collapse_json());
        }
        let mut text = py_json_indent(&Value::Object(m), 2);
        text.push('\n');
        text
    }
}
