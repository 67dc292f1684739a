//! The two token endpoints, over a blocking rustls client with explicit timeouts.
//!
//! `POST {server}/api/v1/token/` (login) and `POST {server}/api/v1/token/refresh/` (rotation), as
//! spec-kitty 3.1.1 called them. Lifetimes arrive as numbers or strings. Error values carry the
//! case (unauthorized, invalid grant, server error, network) but never a token.
//!
//! Redirects are not followed: a 307/308 would re-send the password or refresh token to wherever
//! `Location` points (https to http included), so any 3xx is reported as a server error. Requests
//! to an `http://` (loopback) server bypass proxies, which could only see the token in clear.

use std::time::Duration;

use serde_json::Value;

use super::store::{Credentials, Server, Tokens, User};
use crate::support::util::UtcTime;

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

/// Longest lifetime taken from a server (ten years); larger or negative values are clamped so the
/// expiry arithmetic can never overflow.
pub const MAX_LIFETIME: i64 = 10 * 366 * 86_400;

/// Tokens and account details from a 200 response. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
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

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("access", &"<redacted>")
            .field("refresh", &"<redacted>")
            .field("access_lifetime", &self.access_lifetime)
            .field("refresh_lifetime", &self.refresh_lifetime)
            .field("team_slug", &self.team_slug)
            .finish()
    }
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
        let at = |secs: i64| {
            UtcTime::from_unix(now.saturating_add(secs.clamp(0, MAX_LIFETIME)), 0).isoformat()
        };
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

fn client(url: &str, timeout: Duration) -> Result<reqwest::blocking::Client, HttpError> {
    let mut builder = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("spec-kitty/", env!("CARGO_PKG_VERSION")));
    if url
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    {
        builder = builder.no_proxy();
    }
    builder
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
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        })
        .filter(|f| f.is_finite())
        // `as` saturates; the clamp keeps `now + lifetime` far from overflow.
        .map_or(default, |f| (f as i64).clamp(0, MAX_LIFETIME))
}

fn post(url: &str, body: Value, timeout: Duration) -> Result<Issued, HttpError> {
    let response = client(url, timeout)?
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

/// `POST /api/v1/token/refresh/` with [`REFRESH_TIMEOUT`].
pub fn refresh(server: &str, refresh_token: &str) -> Result<Issued, HttpError> {
    refresh_within(server, refresh_token, REFRESH_TIMEOUT)
}

/// `POST /api/v1/token/refresh/`, giving up after `timeout`.
pub fn refresh_within(
    server: &str,
    refresh_token: &str,
    timeout: Duration,
) -> Result<Issued, HttpError> {
    post(
        &format!("{server}/api/v1/token/refresh/"),
        serde_json::json!({"refresh": refresh_token}),
        timeout,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_numbers_or_strings_and_never_overflow() {
        let keys = ["access_lifetime", "expires_in"];
        let body = |v: Value| serde_json::json!({ "expires_in": v });
        assert_eq!(lifetime(&body(900.into()), keys, 1), 900);
        assert_eq!(lifetime(&body("900".into()), keys, 1), 900);
        assert_eq!(lifetime(&body(" 90.5 ".into()), keys, 1), 90);
        assert_eq!(lifetime(&body("soon".into()), keys, 1), 1);
        assert_eq!(lifetime(&body("NaN".into()), keys, 1), 1);
        assert_eq!(lifetime(&body("-5".into()), keys, 1), 0);
        assert_eq!(lifetime(&body(1e300.into()), keys, 1), MAX_LIFETIME);
        assert_eq!(lifetime(&body("inf".into()), keys, 1), 1);
        let issued = Issued {
            access: "a".into(),
            refresh: "r".into(),
            access_lifetime: i64::MAX,
            refresh_lifetime: i64::MIN,
            team_slug: None,
        };
        let now = 1_800_000_000;
        let c = issued.credentials("bob", "https://x", None, now);
        let at = |s: &str| UtcTime::parse_iso(s).expect("iso");
        assert_eq!(at(&c.tokens.access_expires_at), now + MAX_LIFETIME);
        assert_eq!(at(&c.tokens.refresh_expires_at), now);
    }

    #[test]
    fn debug_shows_no_token() {
        let issued = Issued {
            access: "access-secret".into(),
            refresh: "refresh-secret".into(),
            access_lifetime: 1,
            refresh_lifetime: 1,
            team_slug: None,
        };
        assert!(!format!("{issued:?}").contains("secret"));
    }
}
