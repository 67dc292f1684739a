//! The refresh transaction (FR-401..403): one process at a time rotates the tokens, and a process
//! that loses a race to another one never logs the user out.
//!
//! 1. Take the exclusive lock on `credentials.lock` (a sidecar; the credentials file itself is
//!    replaced by rename), waiting at most [`LOCK_TIMEOUT`].
//! 2. Read the credentials; remember the refresh token as the *entry token*. The server URL stored
//!    with them must pass [`super::check_url`] (https, or http to loopback), or nothing is sent.
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
use crate::support::util::{UtcTime, lock_file_timeout};

/// How long a refresh waits for another process's transaction.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

// A holder's HTTP call must end before a waiter gives up on the lock.
const _: () = assert!(http::REFRESH_TIMEOUT.as_millis() < LOCK_TIMEOUT.as_millis());

/// The two timeouts of a transaction. [`Timeouts::default`] is what the CLI uses; tests shorten
/// them. Keep `http` below `lock`, so a hung server cannot hold the lock past a waiter's patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long to wait for the credentials lock.
    pub lock: Duration,
    /// How long the refresh request may take.
    pub http: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock: LOCK_TIMEOUT,
            http: http::REFRESH_TIMEOUT,
        }
    }
}

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
    /// The server answered with a 5xx status (credentials kept).
    #[error("server unavailable (HTTP {0}); your credentials are kept, try again later")]
    ServerUnavailable(u16),
    /// The server answered with a status that is neither success, expiry nor 5xx (a redirect, which
    /// is never followed, or another 4xx); credentials kept.
    #[error("unexpected answer from the server (HTTP {0}); your credentials are kept")]
    UnexpectedStatus(u16),
    /// The server answered 200 without tokens (credentials kept).
    #[error("the server's answer held no tokens; your credentials are kept")]
    InvalidResponse,
    /// The server could not be reached (credentials kept).
    #[error("cannot reach server ({0}); your credentials are kept")]
    Network(String),
    /// The server URL stored with the credentials is not https (nor http to loopback): nothing was
    /// sent, credentials kept.
    #[error("{0}; nothing was sent and your credentials are kept")]
    ServerUrl(String),
    /// Another process held the lock for longer than the timeout.
    #[error(
        "another spec-kitty process is refreshing the credentials; timed out after {secs:.1} s waiting",
        secs = .0.as_secs_f64()
    )]
    LockTimeout(Duration),
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

/// The credentials lock, waiting at most `timeout`. The directory is made private first (the lock
/// may be the first file created in it).
fn take_lock(
    paths: &AuthPaths,
    timeout: Duration,
) -> Result<crate::support::util::FileLock, RefreshError> {
    let lock_error = |e: std::io::Error| RefreshError::Lock {
        path: paths.lock.display().to_string(),
        message: e.to_string(),
    };
    store::ensure_private_dir(&paths.dir).map_err(lock_error)?;
    lock_file_timeout(&paths.lock, timeout)
        .map_err(lock_error)?
        .ok_or(RefreshError::LockTimeout(timeout))
}

fn now() -> i64 {
    UtcTime::now().unix_seconds()
}

/// Runs one refresh transaction against the server the credentials name, with the default
/// [`Timeouts`].
pub fn refresh(paths: &AuthPaths) -> Result<Outcome, RefreshError> {
    refresh_with(paths, Timeouts::default())
}

/// Runs one refresh transaction with the given timeouts.
pub fn refresh_with(paths: &AuthPaths, timeouts: Timeouts) -> Result<Outcome, RefreshError> {
    let started = Instant::now();
    let lock = take_lock(paths, timeouts.lock)?;
    let lock_wait = started.elapsed();
    let creds = store::read(&paths.credentials)?.ok_or(RefreshError::NotLoggedIn)?;
    if !creds.refresh_valid(now()) {
        return Err(RefreshError::RefreshExpired);
    }
    super::check_url(&creds.server.url).map_err(|d| RefreshError::ServerUrl(d.message))?;
    let server = creds.server.url.trim_end_matches('/');
    let entry_token = creds.tokens.refresh.clone();
    let result = match http::refresh_within(server, &entry_token, timeouts.http) {
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
        Err(HttpError::Server(code)) if code >= 500 => Err(RefreshError::ServerUnavailable(code)),
        Err(HttpError::Server(code)) => Err(RefreshError::UnexpectedStatus(code)),
        Err(HttpError::InvalidResponse) => Err(RefreshError::InvalidResponse),
        Err(HttpError::Network(m)) => Err(RefreshError::Network(m)),
    };
    drop(lock);
    result
}

/// Stores the credentials of a successful login, under the same lock.
pub fn store_login(paths: &AuthPaths, creds: &Credentials) -> Result<(), RefreshError> {
    let _lock = take_lock(paths, LOCK_TIMEOUT)?;
    store::write(&paths.credentials, creds)?;
    Ok(())
}

/// What a logout removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedOut {
    /// There was no credentials file.
    NoSession,
    /// The credentials of this user were removed.
    User(String),
    /// The file was unreadable (corrupt or partial); it was removed anyway, since logging out must
    /// always work.
    Unreadable,
}

/// Removes the credentials (logout), under the lock.
pub fn logout(paths: &AuthPaths) -> Result<LoggedOut, RefreshError> {
    let _lock = take_lock(paths, LOCK_TIMEOUT)?;
    let user = store::read(&paths.credentials)
        .ok()
        .flatten()
        .map(|c| c.user.username);
    if !store::clear(&paths.credentials)? {
        return Ok(LoggedOut::NoSession);
    }
    Ok(user.map_or(LoggedOut::Unreadable, LoggedOut::User))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::store::{Server, Tokens, User};

    fn logged_in(server: &str) -> (tempfile::TempDir, AuthPaths) {
        let home = tempfile::tempdir().expect("tempdir");
        let paths = AuthPaths::under(home.path());
        let later = UtcTime::from_unix(now() + 3600, 0).isoformat();
        let creds = Credentials {
            tokens: Tokens {
                access: "access-secret".into(),
                refresh: "refresh-secret".into(),
                access_expires_at: later.clone(),
                refresh_expires_at: later,
            },
            user: User {
                username: "bob".into(),
                team_slug: None,
            },
            server: Server { url: server.into() },
        };
        store::write(&paths.credentials, &creds).expect("write");
        (home, paths)
    }

    fn short() -> Timeouts {
        Timeouts {
            lock: Duration::from_millis(400),
            http: Duration::from_millis(200),
        }
    }

    /// A server that accepts connections and never answers: the HTTP timeout ends the
    /// transaction (and releases the lock), and nothing is cleared.
    #[test]
    fn a_hung_server_times_out_and_clears_nothing() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let held = listener.accept();
            let _ = done_rx.recv();
            drop(held);
        });
        let (_home, paths) = logged_in(&url);
        let before = std::fs::read(&paths.credentials).expect("read");
        let err = refresh_with(&paths, short()).expect_err("timed out");
        assert!(matches!(err, RefreshError::Network(_)), "{err}");
        assert_eq!(std::fs::read(&paths.credentials).expect("kept"), before);
        // The lock was released with the transaction.
        let lock = lock_file_timeout(&paths.lock, Duration::ZERO).expect("open");
        assert!(lock.is_some(), "the lock is free again");
        let _ = done_tx.send(());
        let _ = server.join();
    }

    #[test]
    fn a_held_lock_times_out_and_clears_nothing() {
        let (_home, paths) = logged_in("http://127.0.0.1:9");
        let before = std::fs::read(&paths.credentials).expect("read");
        let held = lock_file_timeout(&paths.lock, Duration::ZERO)
            .expect("open")
            .expect("free");
        let err = refresh_with(&paths, short()).expect_err("lock timeout");
        assert!(matches!(err, RefreshError::LockTimeout(_)), "{err}");
        drop(held);
        assert_eq!(std::fs::read(&paths.credentials).expect("kept"), before);
    }

    #[test]
    fn a_stored_plain_http_server_gets_nothing() {
        let (_home, paths) = logged_in("http://example.com");
        let before = std::fs::read(&paths.credentials).expect("read");
        let err = refresh_with(&paths, short()).expect_err("refused");
        assert!(matches!(err, RefreshError::ServerUrl(_)), "{err}");
        assert!(!err.to_string().contains("secret"), "{err}");
        assert_eq!(std::fs::read(&paths.credentials).expect("kept"), before);
    }

    #[test]
    #[cfg(unix)]
    fn the_lock_makes_a_private_directory() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().expect("tempdir");
        let paths = AuthPaths::under(home.path());
        let err = refresh_with(&paths, short()).expect_err("not logged in");
        assert_eq!(err, RefreshError::NotLoggedIn);
        let mode = std::fs::metadata(&paths.dir)
            .expect("dir")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
    }
}
