//! Turning a request's path into a file inside a mission directory, or a refusal.
//!
//! Every segment is percent-decoded once and must then be a plain name: not empty (`//x` or a
//! leading `/` would make an absolute path), not `.` or `..` (also when written `%2e%2e`), no `/`
//! or `\` (`%2f`), no NUL, valid UTF-8. The joined path is canonicalised and must still lie inside
//! the mission's own directory under `kitty-specs/`, which refuses symlinks that point out of it.
//! Refusals are errors with an HTTP status and a stable code, never a panic.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    /// The HTTP status to answer with (400, 403 or 404).
    pub status: u16,
    /// A stable code, e.g. `dashboard::path-traversal`.
    pub code: &'static str,
    /// A one-line explanation.
    pub message: String,
}

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> PathError {
    PathError {
        status,
        code,
        message: message.into(),
    }
}

/// Splits the path of a request target (query and fragment already removed) into decoded
/// segments. `/` alone gives no segments.
pub fn segments(path: &str) -> Result<Vec<String>, PathError> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(refuse(
            400,
            "dashboard::bad-path",
            "the request path must start with `/`",
        ));
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/').map(segment).collect()
}

fn segment(raw: &str) -> Result<String, PathError> {
    let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
        refuse(
            400,
            "dashboard::bad-path",
            "a path segment is not valid UTF-8 after percent-decoding",
        )
    })?;
    let s = decoded.into_owned();
    if s.is_empty() {
        return Err(refuse(
            400,
            "dashboard::absolute-path",
            "empty path segment: absolute paths and `//` are not accepted",
        ));
    }
    if s == "." || s == ".." {
        return Err(refuse(
            400,
            "dashboard::path-traversal",
            format!("path segment `{s}` is not accepted"),
        ));
    }
    if s.contains(['/', '\\', '\0']) {
        return Err(refuse(
            400,
            "dashboard::path-traversal",
            "a path segment may not contain `/`, `\\` or NUL (also when percent-encoded)",
        ));
    }
    Ok(s)
}

/// Resolves `parts` (already checked by [`segments`]) inside `mission_dir` to an existing regular
/// file whose canonical path is inside the mission directory.
pub fn resolve_inside(mission_dir: &Path, parts: &[String]) -> Result<PathBuf, PathError> {
    if parts.is_empty() {
        return Err(refuse(400, "dashboard::bad-path", "no file named"));
    }
    let base = mission_dir
        .canonicalize()
        .map_err(|_| refuse(404, "dashboard::not-found", "mission directory not found"))?;
    let mut joined = base.clone();
    for p in parts {
        // `segments` guarantees a plain name, but a Windows prefix or root would still replace
        // the path on join; refuse anything that is not a normal component.
        if !matches!(
            Path::new(p).components().next(),
            Some(std::path::Component::Normal(_))
        ) || Path::new(p).components().count() != 1
        {
            return Err(refuse(
                400,
                "dashboard::path-traversal",
                format!("`{p}` is not a plain file name"),
            ));
        }
        joined.push(p);
    }
    let real = joined
        .canonicalize()
        .map_err(|_| refuse(404, "dashboard::not-found", "no such artifact"))?;
    if !real.starts_with(&base) {
        return Err(refuse(
            403,
            "dashboard::outside-mission",
            "the path resolves outside the mission directory (a symlink out of kitty-specs/)",
        ));
    }
    if !real.is_file() {
        return Err(refuse(404, "dashboard::not-found", "not a file"));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_forms_are_refused() {
        for bad in [
            "/api/../x",
            "/a/%2e%2e/b",
            "/a/%2E%2e",
            "/a/./b",
            "/a//etc/passwd",
            "/a/%2fetc%2fpasswd",
            "/a/..%5c..%5cwin.ini",
            "/a/%00",
            "/a/%ff",
            "relative",
        ] {
            assert!(segments(bad).is_err(), "{bad}");
        }
        assert_eq!(
            segments("/api/missions/001-x/artifacts/research%20notes.md").expect("ok"),
            ["api", "missions", "001-x", "artifacts", "research notes.md"]
        );
        assert_eq!(segments("/").expect("root"), Vec::<String>::new());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_mission_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mission = dir.path().join("kitty-specs").join("001-m");
        std::fs::create_dir_all(mission.join("research")).expect("mkdir");
        std::fs::write(mission.join("spec.md"), "# spec").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "secret").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), mission.join("leak.md"))
            .expect("symlink");
        std::os::unix::fs::symlink(
            mission.join("spec.md"),
            mission.join("research").join("s.md"),
        )
        .expect("symlink");
        let ok = resolve_inside(&mission, &["spec.md".into()]).expect("inside");
        assert!(ok.ends_with("spec.md"));
        resolve_inside(&mission, &["research".into(), "s.md".into()]).expect("link inside");
        assert_eq!(
            resolve_inside(&mission, &["leak.md".into()]).map_err(|e| e.status),
            Err(403)
        );
        assert_eq!(
            resolve_inside(&mission, &["nope.md".into()]).map_err(|e| e.status),
            Err(404)
        );
        assert_eq!(
            resolve_inside(&mission, &["research".into()]).map_err(|e| e.status),
            Err(404)
        );
    }
}
