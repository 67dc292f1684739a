//! The refresh transaction (FR-401..403): one process at a time rotates the tokens, and a process
//! that loses a race to another one never logs the user out.
//!
//! 1. Take the exclusive lock on `credentials.lock` (a sidecar; the credentials file itself is
//!    replaced by rename), waiting at most [`LOCK_TIMEOUT`].
//! 2. Read the credentials; remember the refresh token as the *entry token*.
//! 3. POST it to `/token/refresh/` (timeout [`super::http::REFRESH_TIMEOUT`], shorter than the lock
//!    timeout).
//! 4. 200: write the rotated tokens, still under the lock.
//!    401, or 400 `invalid_grant`: re-read the file under the same lock. If its refresh token is no
//!    longer the entry token, another client already rotated it: succeed and clear nothing. Only
//!    if it is unchanged is the session really over: clear the credentials.
//!    Network errors and other statuses never clear anything.

use std::time::{Duration, Instant};

use super::AuthPaths;
use super::http::{self, HttpError};
use super::store::{self, Credentials, StoreError};
use crate::util::{UtcTime, lock_file_timeout};

/// How long a refresh waits for another process's transaction.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// A refresh that left the user logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// This process rotated the tokens.
    Rotated,
    /// Another process rotated them while this one waited for the server; its tokens are kept.
    AlreadyRotated,
}

/// A refresh that did not leave the user with fresh tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// No credentials file.
    #[error("not logged in")]
    NotLoggedIn,
    /// The stored refresh token has expired (nothing was sent).
    #[error("no valid refresh token; log in again")]
    RefreshExpired,
    /// The server says the current refresh token is no longer valid: credentials cleared.
    #[error("session expired, log in again")]
    SessionExpired,
    /// The server answered with an error status (credentials kept).
    #[error("server unavailable (HTTP {0}); your credentials are kept, try again later")]
    ServerUnavailable(u16),
    /// The server answered 200 without tokens (credentials kept).
    #[error("the server's answer held no tokens; your credentials are kept")]
    InvalidResponse,
    /// The server could not be reached (credentials kept).
    #[error("cannot reach server ({0}); your credentials are kept")]
    Network(String),
    /// Another process held the lock for longer than the timeout.
    #[error(
        "another spec-kitty process is refreshing the credentials; timed out after {0} s waiting"
    )]
    LockTimeout(u64),
    /// The credentials file is unreadable (reported by path and position, never content).
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The lock file could not be opened.
    #[error("cannot lock {path}: {message}")]
    Lock {
        /// The lock file.
        path: String,
        /// The OS message.
        message: String,
    },
}

/// What a transaction did, with timings for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Rotated or already rotated.
    pub refreshed: Refreshed,
    /// The credentials on disk afterwards.
    pub credentials: Credentials,
    /// Time spent waiting for the lock.
    pub lock_wait: Duration,
}

/// The credentials lock, waiting at most [`LOCK_TIMEOUT`].
fn take_lock(paths: &AuthPaths) -> Result<crate::util::FileLock, RefreshError> {
    lock_file_timeout(&paths.lock, LOCK_TIMEOUT)
        .map_err(|e| RefreshError::Lock {
            path: paths.lock.display().to_string(),
            message: e.to_string(),
        })?
        .ok_or(RefreshError::LockTimeout(LOCK_TIMEOUT.as_secs()))
}

fn now() -> i64 {
    UtcTime::now().unix_seconds()
}

/// Runs one refresh transaction against the server the credentials name.
pub fn refresh(paths: &AuthPaths) -> Result<Outcome, RefreshError> {
    let started = Instant::now();
    let lock = take_lock(paths)?;
    let lock_wait = started.elapsed();
    let creds = store::read(&paths.credentials)?.ok_or(RefreshError::NotLoggedIn)?;
    if !creds.refresh_valid(now()) {
        return Err(RefreshError::RefreshExpired);
    }
    let entry_token = creds.tokens.refresh.clone();
    let result = match http::refresh(&creds.server.url, &entry_token) {
        Ok(issued) => {
            let fresh = issued.credentials(
                &creds.user.username,
                &creds.server.url,
                creds.user.team_slug.clone(),
                now(),
            );
            store::write(&paths.credentials, &fresh)?;
            Ok(Outcome {
                refreshed: Refreshed::Rotated,
                credentials: fresh,
                lock_wait,
            })
        }
        Err(HttpError::Unauthorized | HttpError::InvalidGrant) => {
            // Did someone rotate the token while we were asking? Then the 401 is about our stale
            // token, not about the session.
            match store::read(&paths.credentials)? {
                Some(current) if current.tokens.refresh != entry_token => Ok(Outcome {
                    refreshed: Refreshed::AlreadyRotated,
                    credentials: current,
                    lock_wait,
                }),
                _ => {
                    store::clear(&paths.credentials)?;
                    Err(RefreshError::SessionExpired)
                }
            }
        }
        Err(HttpError::Server(code)) => Err(RefreshError::ServerUnavailable(code)),
        Err(HttpError::InvalidResponse) => Err(RefreshError::InvalidResponse),
        Err(HttpError::Network(m)) => Err(RefreshError::Network(m)),
    };
    drop(lock);
    result
}

/// Stores the credentials of a successful login, under the same lock.
pub fn store_login(paths: &AuthPaths, creds: &Credentials) -> Result<(), RefreshError> {
    let _lock = take_lock(paths)?;
    store::write(&paths.credentials, creds)?;
    Ok(())
}

/// Removes the credentials (logout), under the lock. Returns the user that was logged in.
pub fn logout(paths: &AuthPaths) -> Result<Option<String>, RefreshError> {
    let _lock = take_lock(paths)?;
    // A corrupt file is removed too: logging out must always work.
    let user = store::read(&paths.credentials)
        .ok()
        .flatten()
        .map(|c| c.user.username);
    let existed = store::clear(&paths.credentials)?;
    Ok(if existed {
        Some(user.unwrap_or_default())
    } else {
        None
    })
}
