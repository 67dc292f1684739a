//! The tasks.md syntax tree: WP sections with the dependency declarations and requirement
//! references found in them. Every node keeps the byte range it came from, so any later stage can
//! point a diagnostic at it.

use std::ops::Range;

/// A byte range in the source text.
pub type Span = Range<usize>;

/// How a dependency was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepForm {
    /// `Depends on WP01, WP02` anywhere in the section.
    Inline,
    /// `**Dependencies**: WP01, WP02` (the ids on the captured line).
    Colon,
    /// `- WP01` under a `## Dependencies` heading.
    Bullet,
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepDecl {
    /// The WP depended on.
    pub wp: String,
    /// Where the id stands.
    pub span: Span,
    /// The declaration form.
    pub form: DepForm,
    /// The whole declaration the id belongs to (`Depends on WP01, WP02`).
    pub decl_span: Span,
}

/// A WP section as the dependency parser bounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WpSection {
    /// The WP id from the heading.
    pub id: String,
    /// The heading line (from the hashes to the end of the line).
    pub heading: Span,
    /// The id inside the heading.
    pub id_span: Span,
    /// The section text: from just after the id to the section's end.
    pub body: Span,
    /// Dependencies in 3.1.1's order (inline, then colon, then bullets), duplicates kept.
    pub deps: Vec<DepDecl>,
}

impl WpSection {
    /// The dependency ids, de-duplicated keeping the first occurrence (3.1.1's result).
    pub fn dependency_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in &self.deps {
            if !out.contains(&d.wp) {
                out.push(d.wp.clone());
            }
        }
        out
    }
}

/// One requirement id found in a requirement-reference line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefDecl {
    /// The id, upper-cased (`FR-001`).
    pub id: String,
    /// Where it stands.
    pub span: Span,
}

/// A WP section as the requirement-reference splitter bounds it (`##`..`####` headings, no
/// final-section bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReqSection {
    /// The WP id from the heading.
    pub id: String,
    /// The section text (its references: [`crate::compiler::tasks::parse::section_refs`]).
    pub body: Span,
}

/// A subtask line (`- [ ] T001 ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subtask {
    /// `T001`.
    pub id: String,
    /// Whether the box is checked.
    pub done: bool,
    /// The whole line.
    pub span: Span,
}

/// A parsed tasks.md.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TasksDoc {
    /// Dependency sections in file order. When an id heads two sections, both are here; the
    /// resolver keeps the first position and the later text, as 3.1.1's dict did.
    pub sections: Vec<WpSection>,
    /// Requirement-reference sections in file order.
    pub req_sections: Vec<ReqSection>,
    /// Subtask lines anywhere in the file.
    pub subtasks: Vec<Subtask>,
    /// `## ` headings that are neither WP nor Dependencies headings.
    pub other_h2: Vec<Span>,
}
