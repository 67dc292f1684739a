//! The credentials file (`~/.spec-kitty/credentials`, 3.1.1's TOML layout).
//!
//! Reads report a corrupt or partial file by path and position only (a TOML parser's message quotes
//! the offending line, which could hold a token). Writes go through a temp file and a rename, with
//! the file at 0600 and the directory at 0700; only a successful login or refresh replaces the
//! file, and only a confirmed expiry or a logout removes it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::util::{UtcTime, write_atomic};

/// `[tokens]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Writes the file atomically with mode 0600 in a 0700 directory.
pub fn write(path: &Path, creds: &Credentials) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
    }
    let text = toml::to_string(creds).map_err(|e| StoreError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomic(path, text.as_bytes()).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
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
    fn validity() {
        let c = creds();
        let t = UtcTime::parse_iso("2026-11-25T00:00:00+00:00").expect("time");
        assert!(c.access_valid(t));
        assert!(!c.access_valid(t + 100));
        assert!(c.authenticated(t + 100));
        assert!(!c.authenticated(t + 2 * 86_400));
    }
}
