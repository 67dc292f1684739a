//! A rejection's review feedback: where its file goes (`tasks/<WP file>/review-cycle-N.md`) and
//! 3.1.1's `review-cycle://` pointer.

use std::path::{Path, PathBuf};

use crate::project::{MissionRef, rel_path};
use crate::support::diagnostics::Failure;
use crate::support::util::UtcTime;

use super::view::fail;

/// Where a rejection's feedback is kept, and how the event points at it.
pub(super) struct Feedback {
    /// `kitty-specs/<slug>/tasks/<WP file stem>/review-cycle-N.md`.
    pub(super) artifact: PathBuf,
    /// The text to write there, when the feedback came from another file.
    pub(super) write: Option<String>,
    /// 3.1.1's `review-cycle://<slug>/<WP file stem>/review-cycle-N.md`.
    pub(super) pointer: String,
}

/// The feedback a move back to planned needs (3.1.1's rule: a non-empty file, never bypassed).
/// A file already at the WP's next review-cycle place (where `agent action review` asks for it)
/// is kept; any other is copied there with 3.1.1's review-cycle frontmatter.
pub(super) fn plan_feedback(
    root: &Path,
    mission: &MissionRef,
    wp: &str,
    wp_file: &str,
    feedback_file: Option<&Path>,
    agent: Option<&str>,
) -> Result<Feedback, Failure> {
    let Some(given) = feedback_file else {
        return Err(fail(
            "status::feedback-required",
            format!("moving {wp} to planned requires review feedback"),
            &format!(
                "write the feedback to a file (`echo '**Issue**: ...' > feedback.md`), then `spec-kitty agent tasks move-task {wp} --to planned --review-feedback-file feedback.md`; --force does not bypass this"
            ),
        ));
    };
    let source = if given.is_absolute() {
        given.to_path_buf()
    } else {
        root.join(given)
    };
    let body = match std::fs::read_to_string(&source) {
        Ok(b) if !b.trim().is_empty() => b,
        Ok(_) => {
            return Err(fail(
                "status::feedback-empty",
                format!("review feedback file is empty: {}", rel_path(root, &source)),
                "write what has to change into it",
            ));
        }
        Err(e) => {
            return Err(Failure::simple(crate::support::diagnostics::io_error(
                "status::feedback-missing",
                &source,
                &e,
            )));
        }
    };
    let stem = Path::new(wp_file)
        .file_stem()
        .map_or_else(|| wp.to_owned(), |s| s.to_string_lossy().into_owned());
    let dir = mission.dir.join("tasks").join(&stem);
    let in_place = source.parent() == Some(dir.as_path())
        && source
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("review-cycle-") && n.ends_with(".md"));
    let (artifact, write) = if in_place {
        (source.clone(), None)
    } else {
        let n = (1..)
            .find(|n| !dir.join(format!("review-cycle-{n}.md")).exists())
            .unwrap_or(1);
        let reviewer = agent.unwrap_or("unknown").to_owned();
        let text = format!(
            "---\naffected_files: []\ncycle_number: {n}\nmission_slug: {}\nreproduction_command:\nreviewed_at: {}\nreviewer_agent: {}\nverdict: rejected\nwp_id: {wp}\n---\n\n{body}",
            crate::compiler::tasks::frontmatter::scalar(&mission.slug),
            crate::compiler::tasks::frontmatter::scalar(&UtcTime::now().iso_z()),
            crate::compiler::tasks::frontmatter::scalar(&reviewer),
        );
        (dir.join(format!("review-cycle-{n}.md")), Some(text))
    };
    let file_name = artifact
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Feedback {
        pointer: format!("review-cycle://{}/{stem}/{file_name}", mission.slug),
        artifact,
        write,
    })
}
