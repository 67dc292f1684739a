//! User-facing problems: one [`Diag`] type rendered by miette, and [`Failure`], what a command returns
//! when it cannot do its job (the diagnostics for humans plus the JSON payload for `--json`).
//!
//! Every diagnostic carries a stable code (`tasks::deps::cycle`, ...), a message, an optional help
//! line, and labels on byte spans of one source file. A problem that involves a second file (say a
//! dependency declared both in tasks.md and in a WP's frontmatter) attaches the second place as a
//! related diagnostic. To add a new kind of problem, pick a code under the stage's prefix, build it
//! with [`Diag::error`] / [`Diag::warning`], and document the code in `docs/diagnostics.md`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, Severity, SourceCode};
use serde_json::{Map, Value};

/// A source file that diagnostics can point into. Cheap to clone.
#[derive(Clone)]
pub struct Source {
    /// Display name: the path relative to the project root where possible.
    pub name: Arc<str>,
    /// The full text, exactly as read (BOM included) so byte spans stay valid.
    pub text: Arc<str>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("name", &self.name).finish()
    }
}

impl Source {
    /// Wraps a file's text under a display name.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// One-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// One-based (line, column) of a byte offset; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut end = offset.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &self.text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (self.line_of(end), before[line_start..].chars().count() + 1)
    }
}

/// A byte range with a label, inside the diagnostic's source.
#[derive(Debug, Clone)]
pub struct Label {
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// Text shown beside the span.
    pub text: Option<String>,
}

/// One problem, ready for miette to render.
#[derive(Debug, Clone)]
pub struct Diag {
    /// Stable code, e.g. `tasks::deps::cycle`.
    pub code: &'static str,
    /// The one-line message.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// The file the labels point into, if any.
    pub source: Option<Source>,
    /// Spans in `source`.
    pub labels: Vec<Label>,
    /// Further places (usually in other files) that belong to this problem.
    pub related: Vec<Diag>,
}

impl Diag {
    /// A new error with no source location.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diag {
            code,
            message: message.into(),
            help: None,
            severity: Severity::Error,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    /// A new warning with no source location.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diag {
            severity: Severity::Warning,
            ..Diag::error(code, message)
        }
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points the diagnostic at `range` of `source` with a label.
    pub fn at(
        mut self,
        source: &Source,
        range: std::ops::Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.source = Some(source.clone());
        self.labels.push(Label {
            offset: range.start,
            len: range.end.saturating_sub(range.start),
            text: Some(label.into()),
        });
        self
    }

    /// Adds another labelled span in the same source (call after [`Diag::at`]).
    pub fn and_at(mut self, range: std::ops::Range<usize>, label: impl Into<String>) -> Self {
        self.labels.push(Label {
            offset: range.start,
            len: range.end.saturating_sub(range.start),
            text: Some(label.into()),
        });
        self
    }

    /// Attaches a related diagnostic (another place that is part of the same problem). It is
    /// rendered as advice under the main one.
    pub fn with_related(mut self, mut other: Diag) -> Self {
        other.severity = Severity::Advice;
        self.related.push(other);
        self
    }

    /// True for errors, false for warnings and advice.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first labelled place as (file name, line, column), for machine formats.
    pub fn location(&self) -> Option<(String, usize, usize)> {
        let source = self.source.as_ref()?;
        let label = self.labels.first()?;
        let (line, col) = source.line_col(label.offset);
        Some((source.name.to_string(), line, col))
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display + 'a>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(
            self.labels
                .iter()
                .map(|l| LabeledSpan::new(l.text.clone(), l.offset, l.len)),
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner =
            self.text
                .as_ref()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Builds a [`NamedSource`] for callers that want miette's own type.
pub fn named(source: &Source) -> NamedSource<String> {
    NamedSource::new(&source.name, source.text.to_string())
}

/// What a command returns when it fails: every problem found, for humans, plus the JSON payload
/// 3.1.1 printed for the first failing check, for `--json`.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The problems, rendered by miette in human mode.
    pub diagnostics: Vec<Diag>,
    /// The `--json` payload (without `spec_kitty_version`, which the renderer adds where 3.1.1 did).
    pub payload: Map<String, Value>,
    /// Whether the JSON payload gets the trailing `spec_kitty_version` key (3.1.1 left it off a few).
    pub versioned: bool,
    /// Lines printed on stdout before the diagnostics in human mode (3.1.1's `Branch:` line, which
    /// it printed before any check ran).
    pub preamble: Vec<String>,
}

impl Failure {
    /// A failure with one diagnostic and a payload of just `{"error": message}`.
    pub fn simple(diag: Diag) -> Self {
        let mut payload = Map::new();
        payload.insert("error".into(), Value::String(diag.message.clone()));
        Failure {
            diagnostics: vec![diag],
            payload,
            versioned: true,
            preamble: Vec::new(),
        }
    }

    /// Same as [`Failure::simple`] but with a JSON `error` text that differs from the diagnostic's.
    pub fn with_error_text(diag: Diag, error: impl Into<String>) -> Self {
        let mut f = Failure::simple(diag);
        f.payload
            .insert("error".into(), Value::String(error.into()));
        f
    }

    /// Marks the JSON payload as one 3.1.1 printed without `spec_kitty_version`.
    pub fn unversioned(mut self) -> Self {
        self.versioned = false;
        self
    }
}

impl From<Diag> for Failure {
    fn from(d: Diag) -> Self {
        Failure::simple(d)
    }
}

/// An I/O problem on a named file, as a diagnostic.
pub fn io_error(code: &'static str, path: &Path, err: &std::io::Error) -> Diag {
    Diag::error(code, format!("cannot access `{}`: {err}", path.display()))
}

/// A file that is not UTF-8, as an error pointing at the first bad byte. `display` names the file;
/// `lossy` is its text with bad sequences replaced (offsets up to the error are the file's own).
pub fn not_utf8(display: &str, error: &crate::support::utf8::DecodeError, lossy: String) -> Diag {
    let source = Source::new(display, lossy);
    let (line, column) = source.line_col(error.start);
    // The first bad sequence is one U+FFFD (3 bytes) in the lossy text.
    let span = error.start..(error.start + 3).min(source.text.len());
    let what = if error.end == error.start + 1 {
        format!("byte 0x{:02x}", error.byte)
    } else {
        format!("bytes {}-{}", error.start, error.end - 1)
    };
    Diag::error(
        "io::not-utf8",
        format!(
            "`{display}` is not valid UTF-8: {} at byte offset {} (line {line}, column {column})",
            error.reason.as_str(),
            error.start
        ),
    )
    .at(&source, span, format!("{what}: {}", error.reason.as_str()))
    .with_help("spec-kitty reads mission files as UTF-8: re-save this file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
}
