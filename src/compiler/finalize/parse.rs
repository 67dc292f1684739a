//! The parse stage: tasks.md into its AST (the pest grammar in `compiler::tasks`). The load stage
//! runs it, beside reading the WP files (whose frontmatter it parses as each file is read), so
//! this stage sees tasks.md alone; the dependency map the AST declares is the resolve stage's.

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
