//! The credentials file (`~/.spec-kitty/credentials`, 3.1.1's TOML layout).
//!
//! Reads report a corrupt or partial file by path and position only (a TOML parser's message quotes
//! the offending line, which could hold a token). Writes go through a temp file and a rename, with
//! the file at 0600 and the directory at 0700; only a successful login or refresh replaces the
//! file, and only a confirmed expiry or a logout removes it.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::support::util::UtcTime;

/// `[tokens]`. `Debug` shows the expiries only, never a token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
    /// When the access token expires (ISO 8601).
    pub access_expires_at: String,
    /// When the refresh token expires (ISO 8601).
    pub refresh_expires_at: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &"<redacted>")
            .field("refresh", &"<redacted>")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// `[user]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The account name.
    pub username: String,
    /// The team, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_slug: Option<String>,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// The server the tokens belong to.
    pub url: String,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// Tokens and expiries.
    pub tokens: Tokens,
    /// The account.
    pub user: User,
    /// The server.
    pub server: Server,
}

/// Why the file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not valid credentials (position only; never its text).
    #[error("credentials file {path} is unreadable: {what}")]
    Corrupt {
        /// The file.
        path: String,
        /// Where and what (no content).
        what: String,
    },
    /// An I/O error.
    #[error("credentials file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS message.
        message: String,
    },
}

/// Seconds left before `iso` (negative when past); `None` when the timestamp is unreadable.
pub fn remaining(iso: &str, now: i64) -> Option<i64> {
    UtcTime::parse_iso(iso).map(|t| t - now)
}

impl Credentials {
    /// Whether the access token is present and not expired at `now` (Unix seconds).
    pub fn access_valid(&self, now: i64) -> bool {
        !self.tokens.access.is_empty()
            && remaining(&self.tokens.access_expires_at, now).is_some_and(|r| r > 0)
    }

    /// Whether the refresh token is present and not expired at `now`.
    pub fn refresh_valid(&self, now: i64) -> bool {
        !self.tokens.refresh.is_empty()
            && remaining(&self.tokens.refresh_expires_at, now).is_some_and(|r| r > 0)
    }

    /// 3.1.1's `is_authenticated`: either token is valid.
    pub fn authenticated(&self, now: i64) -> bool {
        self.access_valid(now) || self.refresh_valid(now)
    }
}

/// Reads the file; `Ok(None)` when there is none.
pub fn read(path: &Path) -> Result<Option<Credentials>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            });
        }
    };
    toml::from_str::<Credentials>(&text)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            path: path.display().to_string(),
            what: format!(
                "not valid credentials TOML{}",
                super::span_note(&text, e.span())
            ),
        })
}

/// Creates `dir` if needed and makes it private (0700): the credentials and their lock live there.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes the file atomically with mode 0600 in a 0700 directory: a temp file in the same
/// directory, created 0600 (whatever mode an older file had), synced, then renamed over the file.
/// A crash leaves the old file or the new one, never a torn or wider-readable one.
pub fn write(path: &Path, creds: &Credentials) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    ensure_private_dir(dir).map_err(io)?;
    let text = toml::to_string(creds).map_err(|e| StoreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".credentials-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    // Make the rename itself durable (best effort: not every filesystem syncs directories).
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes the file. Returns whether there was one.
pub fn clear(path: &Path) -> Result<bool, StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            tokens: Tokens {
                access: "secret-access".into(),
                refresh: "secret-refresh".into(),
                access_expires_at: "2026-11-25T00:01:27.767577+00:00".into(),
                refresh_expires_at: "2026-11-26T00:00:00+00:00".into(),
            },
            user: User {
                username: "bob".into(),
                team_slug: None,
            },
            server: Server {
                url: "https://example.com".into(),
            },
        }
    }

    #[test]
    fn round_trip_with_private_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".spec-kitty/credentials");
        write(&path, &creds()).expect("write");
        assert_eq!(read(&path).expect("read"), Some(creds()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().expect("dir")), 0o700);
        }
    }

    #[test]
    fn corrupt_file_is_reported_without_its_contents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("credentials");
        std::fs::write(&path, "[tokens]\naccess = \"secret-access\nrefresh = 1\n").expect("write");
        let err = read(&path).expect_err("corrupt").to_string();
        assert!(err.contains("line "), "{err}");
        assert!(!err.contains("secret"), "{err}");
        std::fs::write(&path, "[tokens]\naccess = \"secret-access\"\n").expect("write");
        let err = read(&path).expect_err("partial").to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    #[cfg(unix)]
    fn a_wider_old_file_never_widens_the_new_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(".spec-kitty/credentials");
        write(&path, &creds()).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write(&path, &creds()).expect("rewrite");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != "credentials")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn debug_shows_no_token() {
        assert!(!format!("{:?}", creds()).contains("secret"));
    }

    #[test]
    fn validity() {
        let c = creds();
        let t = UtcTime::parse_iso("2026-11-25T00:00:00+00:00").expect("time");
        assert!(c.access_valid(t));
        assert!(!c.access_valid(t + 100));
        assert!(c.authenticated(t + 100));
        assert!(!c.authenticated(t + 2 * 86_400));
    }
}
