//! The two token endpoints, over a blocking rustls client with explicit timeouts.
//!
//! `POST {server}/api/v1/token/` (login) and `POST {server}/api/v1/token/refresh/` (rotation), as
//! spec-kitty 3.1.1 called them. Lifetimes arrive as numbers or strings. Error values carry the
//! case (unauthorized, invalid grant, server error, network) but never a token.

use std::time::Duration;

use serde_json::Value;

use super::store::{Credentials, Server, Tokens, User};
use crate::util::UtcTime;

/// Login request timeout (3.1.1: 10 s).
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Refresh request timeout (3.1.1: 8 s): shorter than the lock timeout, so a hung server can never
/// hold the credentials lock past it.
pub const REFRESH_TIMEOUT: Duration = Duration::from_secs(8);

/// What went wrong with a token request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// 401.
    #[error("the server rejected the credentials (401)")]
    Unauthorized,
    /// 400 with `invalid_grant` (or `session_invalid`): the refresh token is no longer accepted.
    #[error("the server rejected the refresh token (invalid_grant)")]
    InvalidGrant,
    /// Any other status.
    #[error("Server error: {0}")]
    Server(u16),
    /// Connection failure or timeout.
    #[error("Cannot reach server: {0}")]
    Network(String),
    /// 200 without `access` and `refresh`.
    #[error("Invalid server response")]
    InvalidResponse,
}

/// Tokens and account details from a 200 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// New access token.
    pub access: String,
    /// New refresh token.
    pub refresh: String,
    /// Access lifetime in seconds.
    pub access_lifetime: i64,
    /// Refresh lifetime in seconds.
    pub refresh_lifetime: i64,
    /// Team, if the server sent one.
    pub team_slug: Option<String>,
}

impl Issued {
    /// The credentials these tokens make, issued at `now` (Unix seconds).
    pub fn credentials(
        &self,
        username: &str,
        server: &str,
        team: Option<String>,
        now: i64,
    ) -> Credentials {
        let at = |secs: i64| UtcTime::from_unix(now + secs, 0).isoformat();
        Credentials {
            tokens: Tokens {
                access: self.access.clone(),
                refresh: self.refresh.clone(),
                access_expires_at: at(self.access_lifetime),
                refresh_expires_at: at(self.refresh_lifetime),
            },
            user: User {
                username: username.to_owned(),
                team_slug: self.team_slug.clone().or(team),
            },
            server: Server {
                url: server.to_owned(),
            },
        }
    }
}

fn client(timeout: Duration) -> Result<reqwest::blocking::Client, HttpError> {
    reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("spec-kitty/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| HttpError::Network(describe(&e)))
}

/// A network error's description without the URL's query or any body.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    }
}

fn lifetime(body: &Value, keys: [&str; 2], default: i64) -> i64 {
    keys.iter()
        .filter_map(|k| body.get(*k))
        .find_map(|v| match v {
            Value::Number(n) => n.as_f64().map(|f| f as i64),
            Value::String(s) => s.trim().parse::<f64>().ok().map(|f| f as i64),
            _ => None,
        })
        .unwrap_or(default)
}

fn post(url: &str, body: Value, timeout: Duration) -> Result<Issued, HttpError> {
    let response = client(timeout)?
        .post(url)
        .json(&body)
        .send()
        .map_err(|e| HttpError::Network(describe(&e)))?;
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match status {
        200 => {
            let token = |k: &str| {
                json.get(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            let (Some(access), Some(refresh)) = (token("access"), token("refresh")) else {
                return Err(HttpError::InvalidResponse);
            };
            Ok(Issued {
                access,
                refresh,
                access_lifetime: lifetime(&json, ["access_lifetime", "expires_in"], 900),
                refresh_lifetime: lifetime(
                    &json,
                    ["refresh_lifetime", "refresh_expires_in"],
                    604_800,
                ),
                team_slug: json
                    .get("team_slug")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        401 => Err(HttpError::Unauthorized),
        400 if ["invalid_grant", "session_invalid"].iter().any(|c| {
            json.get("error").and_then(Value::as_str) == Some(c)
                || json.get("code").and_then(Value::as_str) == Some(c)
        }) =>
        {
            Err(HttpError::InvalidGrant)
        }
        other => Err(HttpError::Server(other)),
    }
}

/// `POST /api/v1/token/`.
pub fn login(server: &str, username: &str, password: &str) -> Result<Issued, HttpError> {
    post(
        &format!("{server}/api/v1/token/"),
        serde_json::json!({"username": username, "password": password}),
        LOGIN_TIMEOUT,
    )
}

/// `POST /api/v1/token/refresh/`.
pub fn refresh(server: &str, refresh_token: &str) -> Result<Issued, HttpError> {
    post(
        &format!("{server}/api/v1/token/refresh/"),
        serde_json::json!({"refresh": refresh_token}),
        REFRESH_TIMEOUT,
    )
}
