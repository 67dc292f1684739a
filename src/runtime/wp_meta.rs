//! Facts a WP's prompt file declares that the board does not carry: where the file is and its
//! `owned_files`, read from the frontmatter finalize wrote. (Its dependencies, execution lane and
//! holder are on the board: `board::view`.)

use std::path::{Path, PathBuf};

/// The WP's prompt file.
pub fn wp_file(mission_dir: &Path, wp: &str) -> Option<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(mission_dir.join("tasks"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.ends_with(".md") && crate::compiler::finalize::file_wp_id(n).as_deref() == Some(wp)
        })
        .collect();
    names.sort();
    names.first().map(|n| mission_dir.join("tasks").join(n))
}

/// The WP's `owned_files` globs from its frontmatter.
pub fn owned_globs(mission_dir: &Path, wp: &str) -> Vec<String> {
    wp_file(mission_dir, wp)
        .and_then(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .and_then(|(p, t)| {
            crate::compiler::tasks::frontmatter::WpFile::parse(&p.display().to_string(), "", t).ok()
        })
        .and_then(|f| f.meta.owned_files)
        .unwrap_or_default()
}
