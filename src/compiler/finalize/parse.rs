//! Stage 2, parse: tasks.md into its AST (the pest grammar in `compiler::tasks`), and the
//! dependency map the mission declares: wps.yaml's when present, else tasks.md's sections, in
//! their order (3.1.1 reported disagreements in that order). A later section for the same WP
//! replaces an earlier one, as 3.1.1's dict did.
//!
//! WP frontmatter is parsed by the load stage as each file is read (one pass per file, spread over
//! the cores), so this stage only sees tasks.md.

use super::load::Loaded;
use crate::compiler::graph::DepMap;
use crate::compiler::tasks::ast::TasksDoc;
use crate::compiler::tasks::parse;
use crate::support::diagnostics::{Diag, Failure, Source};

/// tasks.md's AST; an empty document when there is no tasks.md (or wps.yaml replaces it).
pub(crate) fn tasks_doc(tasks_md: Option<&Source>) -> Result<TasksDoc, Failure> {
    let Some(src) = tasks_md else {
        return Ok(TasksDoc::default());
    };
    parse::parse(&src.text).map_err(|e| {
        Failure::simple(
            Diag::error("tasks::parse", e.to_string())
                .at(src, e.offset..e.offset, "here")
                .with_help("this is a bug in spec-kitty's grammar; please report it with the file"),
        )
    })
}

/// The dependency map as the mission declares it: wps.yaml is authoritative when present.
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
