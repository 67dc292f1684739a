//! The resolve stage: the dependency map the mission declares (wps.yaml's, else tasks.md's
//! sections), each WP's effective dependency list (the declared one, or its frontmatter's when
//! tasks.md declares none) and its requirement refs, as 3.1.1 collected them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::load::Loaded;
use crate::compiler::graph::{DepMap, wp_cmp};
use crate::compiler::requirements;
use crate::compiler::tasks::parse;

/// Where a WP's effective dependency list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DepSource {
    /// tasks.md or wps.yaml.
    Parsed,
    /// Kept from the WP's frontmatter because tasks.md declared none.
    Frontmatter,
}

/// The resolved dependency map and what it was made of.
pub(crate) struct Resolution {
    pub map: DepMap,
    pub source: HashMap<String, DepSource>,
    /// (wp, frontmatter list, parsed list) for every disagreement.
    pub conflicts: Vec<(String, Vec<String>, Vec<String>)>,
    /// WPs whose frontmatter list is kept (a set: every WP's plan asks whether it is one).
    pub preserved: HashSet<String>,
    /// Whether a WP outside the map keeps its frontmatter list (tasks.md) or gets `[]` (wps.yaml
    /// is the whole map).
    pub outside_keeps_frontmatter: bool,
}

/// The dependency map as the mission declares it: wps.yaml is authoritative when present, else
/// tasks.md's sections in their order (3.1.1 reported disagreements in that order). A later
/// section for the same WP replaces an earlier one, as 3.1.1's dict did.
pub(crate) fn declared(loaded: &Loaded) -> DepMap {
    match &loaded.wps_yaml {
        Some(m) => m.dependency_map(),
        None => {
            let mut map = DepMap::default();
            for s in &loaded.doc.sections {
                map.insert(s.id.clone(), s.dependency_ids());
            }
            map
        }
    }
}

pub(crate) fn resolve(loaded: &Loaded, parsed: &DepMap) -> Resolution {
    let mut kept: HashMap<&str, Vec<String>> = HashMap::new();
    let mut conflicts = Vec::new();
    let mut preserved = HashSet::new();
    // wps.yaml is authoritative: nothing is kept from frontmatter. It can still disagree with a
    // WP's frontmatter list, as tasks.md can (3.1.1 checked whichever map it had).
    if loaded.wps_yaml.is_none() {
        for wp in &loaded.wps {
            let declared_none = parsed.get(&wp.id).is_none_or(Vec::is_empty);
            let own: &[String] = wp.file.meta.dependencies.as_deref().unwrap_or_default();
            if declared_none && !own.is_empty() {
                preserved.insert(wp.id.clone());
                kept.insert(&wp.id, own.to_vec());
            }
        }
    }
    // Disagreements in the map's order (tasks.md or wps.yaml order, as 3.1.1 reported them).
    for (id, p) in parsed.iter() {
        let Some(wp) = loaded.wp(id) else {
            continue;
        };
        let e: &[String] = wp.file.meta.dependencies.as_deref().unwrap_or_default();
        if !p.is_empty() && !e.is_empty() {
            let (a, b): (BTreeSet<&String>, BTreeSet<&String>) =
                (e.iter().collect(), p.iter().collect());
            if a != b {
                conflicts.push((id.clone(), e.to_vec(), p.clone()));
            }
        }
    }
    let mut map = DepMap::default();
    let mut source = HashMap::new();
    for (wp, p) in parsed.iter() {
        match kept.get(wp.as_str()) {
            Some(e) => {
                map.insert(wp.clone(), e.clone());
                source.insert(wp.clone(), DepSource::Frontmatter);
            }
            None => {
                map.insert(wp.clone(), p.clone());
                source.insert(wp.clone(), DepSource::Parsed);
            }
        }
    }
    Resolution {
        map,
        source,
        conflicts,
        preserved,
        outside_keeps_frontmatter: loaded.wps_yaml.is_none(),
    }
}

/// Requirement refs as 3.1.1 collected them: every WP file (an unreadable one counts as having
/// none) from its frontmatter, then tasks.md sections fill in WPs that have none, including WPs
/// that have a section but no file. Keys are sorted.
pub(crate) fn requirement_refs(loaded: &Loaded) -> Vec<(String, Vec<String>)> {
    let mut refs: BTreeMap<String, Vec<String>> = loaded
        .file_ids
        .iter()
        .map(|id| (id.clone(), Vec::new()))
        .collect();
    for w in &loaded.wps {
        refs.insert(
            w.id.clone(),
            requirements::normalise_refs(w.file.meta.requirement_refs.as_deref().unwrap_or(&[])),
        );
    }
    if loaded.wps_yaml.is_none() && loaded.tasks_md.is_some() {
        // A later section for the same id replaces an earlier one (3.1.1 kept a dict).
        let mut sections: HashMap<&str, std::ops::Range<usize>> = HashMap::new();
        for s in &loaded.doc.req_sections {
            sections.insert(&s.id, s.body.clone());
        }
        let text = loaded.tasks_md.as_ref().map_or("", |s| &s.text);
        for (id, body) in sections {
            if refs.get(id).is_none_or(Vec::is_empty) {
                let found: Vec<String> = parse::section_refs(text, body)
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                if !found.is_empty() {
                    refs.insert(id.to_owned(), found);
                }
            }
        }
    }
    let mut out: Vec<(String, Vec<String>)> = refs.into_iter().collect();
    out.sort_by(|a, b| wp_cmp(&a.0, &b.0));
    out
}

/// One WP's refs in [`requirement_refs`]'s list (sorted by [`wp_cmp`], a total order); none when
/// it has no entry.
pub(crate) fn refs_of<'a>(refs: &'a [(String, Vec<String>)], wp: &str) -> &'a [String] {
    refs.binary_search_by(|(id, _)| wp_cmp(id, wp))
        .map_or(&[], |i| refs[i].1.as_slice())
}
