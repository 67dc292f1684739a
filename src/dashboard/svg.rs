//! The lane graph of `lanes.json` drawn as an SVG picture, inline in the page.
//!
//! Lanes are boxes placed in columns by `parallel_group` (left to right, in `lanes.json` order
//! within a column); an arrow runs from each lane in `depends_on_lanes` to the lane that waits for
//! it. Each box lists its WPs in execution order with a chip coloured by the WP's status lane. The
//! planning lane has a dashed border; an arrow that skips a column runs above the boxes; lanes on the critical path, and arrows between two of them,
//! carry the `critical` class and a thick orange stroke. Colours are attributes, so the SVG is
//! readable on its own; the page's stylesheet only adds to them. The output is deterministic.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use super::markdown::escape;
use crate::compiler::lanes::PLANNING_LANE;
use serde::{Deserialize, Serialize};

/// One lane of `lanes.json`, as the page draws it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LaneNode {
    /// `lane-a`, ..., `lane-planning`.
    pub lane_id: String,
    /// Members in execution order.
    pub wp_ids: Vec<String>,
    /// Lanes this one waits for.
    #[serde(default)]
    pub depends_on_lanes: Vec<String>,
    /// Depth in the lane graph.
    #[serde(default)]
    pub parallel_group: u64,
    /// Owned globs.
    #[serde(default)]
    pub write_scope: Vec<String>,
    /// Whether a WP of the critical path is in this lane.
    #[serde(default)]
    pub critical: bool,
}

const BOX_W: u32 = 200;
const GAP_X: u32 = 80;
const GAP_Y: u32 = 24;
const MARGIN: u32 = 20;
const HEAD_H: u32 = 28;
const ROW_H: u32 = 22;
const CHANNEL_GAP: u32 = 10;

/// Fill colour of a WP chip for its status lane.
pub fn status_colour(lane: &str) -> &'static str {
    match lane {
        "claimed" => "#fde68a",
        "in_progress" => "#fcd34d",
        "for_review" => "#bfdbfe",
        "in_review" => "#93c5fd",
        "approved" => "#bbf7d0",
        "done" => "#86efac",
        "blocked" => "#fecaca",
        "canceled" => "#d1d5db",
        _ => "#f3f4f6",
    }
}

struct Placed<'a> {
    lane: &'a LaneNode,
    x: u32,
    y: u32,
    h: u32,
}

/// Draws the lanes. `status` maps WP ids to their status lane; `critical_path` lists the WPs of
/// the longest dependency chain.
pub fn lane_graph(
    lanes: &[LaneNode],
    status: &BTreeMap<String, String>,
    critical_path: &[String],
) -> String {
    let mut columns: BTreeMap<u64, Vec<&LaneNode>> = BTreeMap::new();
    for l in lanes {
        columns.entry(l.parallel_group).or_default().push(l);
    }
    let column_of: HashMap<&str, usize> = columns
        .values()
        .enumerate()
        .flat_map(|(col, members)| members.iter().map(move |l| (l.lane_id.as_str(), col)))
        .collect();
    // Arrows that skip a column (or point backwards) run along channels above the boxes, so they
    // never cross a box; each gets its own channel.
    let skips =
        |l: &LaneNode, dep: &str| match (column_of.get(dep), column_of.get(l.lane_id.as_str())) {
            (Some(from), Some(to)) => *to != from + 1,
            _ => false,
        };
    let skip_count = lanes
        .iter()
        .map(|l| l.depends_on_lanes.iter().filter(|d| skips(l, d)).count() as u32)
        .sum::<u32>();
    let top = MARGIN + CHANNEL_GAP * skip_count;
    let mut placed: Vec<Placed<'_>> = Vec::new();
    let mut height = top;
    for (col, (_, members)) in columns.iter().enumerate() {
        let x = MARGIN + col as u32 * (BOX_W + GAP_X);
        let mut y = top;
        for lane in members {
            let h = HEAD_H + ROW_H * lane.wp_ids.len().max(1) as u32 + 8;
            placed.push(Placed { lane, x, y, h });
            y += h + GAP_Y;
        }
        height = height.max(y - GAP_Y + MARGIN);
    }
    let width = MARGIN * 2 + columns.len().max(1) as u32 * (BOX_W + GAP_X) - GAP_X;
    let height = height.max(MARGIN * 2 + HEAD_H);
    let by_id: HashMap<&str, &Placed<'_>> = placed
        .iter()
        .map(|p| (p.lane.lane_id.as_str(), p))
        .collect();

    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lane-graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Lane graph\">"
    );
    s.push_str("<defs>");
    for (id, colour) in [("arrow", "#6b7280"), ("arrow-critical", "#ea580c")] {
        let _ = write!(
            s,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"10\" markerHeight=\"10\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    s.push_str("</defs>");
    let mut channel = 0;
    for p in &placed {
        for dep in &p.lane.depends_on_lanes {
            let Some(from) = by_id.get(dep.as_str()) else {
                continue;
            };
            let critical = p.lane.critical && from.lane.critical;
            let (x1, y1) = (from.x + BOX_W, from.y + from.h / 2);
            let (x2, y2) = (p.x, p.y + p.h / 2);
            let d = if skips(p.lane, dep) {
                let cy = MARGIN / 2 + CHANNEL_GAP * channel;
                channel += 1;
                let (out_x, in_x) = (
                    x1 + GAP_X / 4 + 2 * channel,
                    x2.saturating_sub(GAP_X / 4 + 2 * channel),
                );
                format!(
                    "M {x1} {y1} L {out_x} {y1} L {out_x} {cy} L {in_x} {cy} L {in_x} {y2} L {x2} {y2}"
                )
            } else {
                let mid = (x1 + x2) / 2;
                format!("M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}")
            };
            let _ = write!(
                s,
                "<path class=\"edge{}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" marker-end=\"url(#arrow{})\"/>",
                if critical { " critical" } else { "" },
                escape(dep),
                escape(&p.lane.lane_id),
                if critical { "#ea580c" } else { "#6b7280" },
                if critical { "3" } else { "1.5" },
                if critical { "-critical" } else { "" },
            );
        }
    }
    for p in &placed {
        let lane = p.lane;
        let planning = lane.lane_id == PLANNING_LANE;
        let mut class = String::from("lane");
        if planning {
            class.push_str(" planning");
        }
        if lane.critical {
            class.push_str(" critical");
        }
        let _ = write!(
            s,
            "<g class=\"{class}\" data-lane=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{BOX_W}\" height=\"{}\" rx=\"6\" fill=\"#ffffff\" stroke=\"{}\" stroke-width=\"{}\"{}/>",
            escape(&lane.lane_id),
            p.x,
            p.y,
            p.h,
            if lane.critical { "#ea580c" } else { "#374151" },
            if lane.critical { 3 } else { 1 },
            if planning {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"13\" font-weight=\"bold\" fill=\"#111827\">{}</text>",
            p.x + 10,
            p.y + 19,
            escape(&lane.lane_id)
        );
        for (i, wp) in lane.wp_ids.iter().enumerate() {
            let lane_status = status.get(wp).map_or("planned", String::as_str);
            let on_path = critical_path.iter().any(|c| c == wp);
            let y = p.y + HEAD_H + i as u32 * ROW_H;
            let _ = write!(
                s,
                "<g class=\"wp st-{}\" data-wp=\"{}\"><title>{} — {}</title><rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/><text x=\"{}\" y=\"{}\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#111827\">{} · {}</text></g>",
                escape(lane_status),
                escape(wp),
                escape(wp),
                escape(&lane_status.replace('_', " ")),
                p.x + 8,
                BOX_W - 16,
                ROW_H - 4,
                status_colour(lane_status),
                if on_path { "#ea580c" } else { "none" },
                if on_path { 2 } else { 0 },
                p.x + 14,
                y + 13,
                escape(wp),
                escape(&lane_status.replace('_', " ")),
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(id: &str, wps: &[&str], deps: &[&str], group: u64, critical: bool) -> LaneNode {
        LaneNode {
            lane_id: id.into(),
            wp_ids: wps.iter().map(|s| s.to_string()).collect(),
            depends_on_lanes: deps.iter().map(|s| s.to_string()).collect(),
            parallel_group: group,
            write_scope: Vec::new(),
            critical,
        }
    }

    #[test]
    fn draws_boxes_arrows_and_the_critical_path() {
        let lanes = [
            lane("lane-a", &["WP01", "WP02"], &[], 0, true),
            lane("lane-b", &["WP03"], &["lane-a"], 1, true),
            lane("lane-c", &["WP04"], &[], 0, false),
            lane(PLANNING_LANE, &["WP05"], &[], 0, false),
        ];
        let status: BTreeMap<String, String> = [("WP01".to_owned(), "done".to_owned())].into();
        let svg = lane_graph(&lanes, &status, &["WP01".into(), "WP03".into()]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<g class=\"lane").count(), 4);
        assert!(svg.contains("class=\"edge critical\" data-from=\"lane-a\" data-to=\"lane-b\""));
        assert!(svg.contains("class=\"lane planning\" data-lane=\"lane-planning\""));
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("<g class=\"wp st-done\" data-wp=\"WP01\">"));
        assert!(svg.contains("<g class=\"wp st-planned\" data-wp=\"WP02\">"));
        assert_eq!(
            svg,
            lane_graph(&lanes, &status, &["WP01".into(), "WP03".into()])
        );
    }

    #[test]
    fn arrows_that_skip_a_column_run_above_the_boxes() {
        let lanes = [
            lane("lane-a", &["WP01"], &[], 0, false),
            lane("lane-b", &["WP02"], &["lane-a"], 1, false),
            lane("lane-c", &["WP03"], &["lane-a", "lane-b"], 2, false),
            lane("lane-d", &["WP04"], &["lane-c"], 0, false),
        ];
        let svg = lane_graph(&lanes, &BTreeMap::new(), &[]);
        let edge = |from: &str, to: &str| {
            let key = format!("data-from=\"{from}\" data-to=\"{to}\" d=\"");
            let start = svg.find(&key).expect("edge") + key.len();
            svg[start..]
                .split('"')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert!(edge("lane-a", "lane-b").contains(" C "));
        assert!(edge("lane-a", "lane-c").contains(" L "));
        assert!(edge("lane-c", "lane-d").contains(" L "), "backwards");
        // Two channels above the boxes: the first box starts below them.
        assert!(svg.contains("<rect x=\"20\" y=\"40\""), "{svg}");
    }

    #[test]
    fn unknown_dependencies_and_no_lanes_draw_nothing_wrong() {
        let svg = lane_graph(
            &[lane("lane-a", &[], &["lane-zz"], 0, false)],
            &BTreeMap::new(),
            &[],
        );
        assert!(!svg.contains("<path class=\"edge"));
        assert!(lane_graph(&[], &BTreeMap::new(), &[]).ends_with("</svg>"));
    }
}
