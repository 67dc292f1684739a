//! Authentication with the spec-kitty server: the credential store (`store`), the HTTP client
//! (`http`), and the locked refresh transaction (`refresh`) that can never log a user out because
//! another process rotated the refresh token first.
//!
//! Files live in `~/.spec-kitty/`: `config.toml` (`[sync] server_url`), `credentials` (TOML, mode
//! 0600, directory 0700, replaced atomically) and `credentials.lock` (the sidecar lock every
//! credential write takes). Tokens never leave these files: no message, log line or error quotes
//! them.

pub mod http;
pub mod refresh;
pub mod store;

use std::path::{Path, PathBuf};

use crate::support::diagnostics::Diag;

/// The server 3.1.1 used when none is configured.
pub const DEFAULT_SERVER: &str = "https://spec-kitty-dev.fly.dev";

/// Where the auth files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPaths {
    /// `~/.spec-kitty`.
    pub dir: PathBuf,
    /// `~/.spec-kitty/credentials`.
    pub credentials: PathBuf,
    /// `~/.spec-kitty/credentials.lock`.
    pub lock: PathBuf,
    /// `~/.spec-kitty/config.toml`.
    pub config: PathBuf,
}

impl AuthPaths {
    /// The files under `home`.
    pub fn under(home: &Path) -> Self {
        let dir = home.join(".spec-kitty");
        AuthPaths {
            credentials: dir.join("credentials"),
            lock: dir.join("credentials.lock"),
            config: dir.join("config.toml"),
            dir,
        }
    }

    /// The files under `$HOME`.
    pub fn from_env() -> Result<Self, Diag> {
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(h) => Ok(AuthPaths::under(Path::new(&h))),
            None => Err(Diag::error(
                "auth::no-home",
                "HOME is not set, so the credentials file cannot be found",
            )
            .with_help("set HOME to your home directory")),
        }
    }
}

/// Whether `SPEC_KITTY_ENABLE_SAAS_SYNC` is on (`1`, `true`, `yes`, `on`, any case).
pub fn saas_enabled() -> bool {
    std::env::var("SPEC_KITTY_ENABLE_SAAS_SYNC")
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
        .unwrap_or(false)
}

/// The server URL: `SPEC_KITTY_SERVER_URL`, else `[sync] server_url` of `config.toml`, else the
/// default. It must be https, or http to a loopback address.
pub fn server_url(paths: &AuthPaths) -> Result<String, Diag> {
    let configured = match std::env::var("SPEC_KITTY_SERVER_URL") {
        Ok(v) if !v.trim().is_empty() => Some(v.trim().to_owned()),
        _ => match std::fs::read_to_string(&paths.config) {
            Ok(text) => {
                let value: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                    Diag::error("auth::config", format!("{} is not valid TOML{}", paths.config.display(), span_note(&text, e.span())))
                        .with_help("fix or remove the file; `[sync] server_url = \"https://...\"` sets the server")
                })?;
                value
                    .get("sync")
                    .and_then(|s| s.get("server_url"))
                    .and_then(|u| u.as_str())
                    .map(|u| u.trim().to_owned())
            }
            Err(_) => None,
        },
    };
    let url = configured.unwrap_or_else(|| DEFAULT_SERVER.to_owned());
    check_url(&url)?;
    Ok(url.trim_end_matches('/').to_owned())
}

/// " (line L, column C)" for a TOML error span, never the offending text.
pub(crate) fn span_note(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => {
            let source = crate::support::diagnostics::Source::new("", text.to_owned());
            let (line, col) = source.line_col(r.start);
            format!(" (line {line}, column {col})")
        }
        None => String::new(),
    }
}

/// https anywhere; http only to 127.0.0.0/8, `localhost` or `[::1]`.
pub fn check_url(url: &str) -> Result<(), Diag> {
    let bad = |why: &str| {
        Diag::error("auth::server-url", format!("server URL `{url}` {why}")).with_help(
            "use an https:// URL (http:// is accepted only for 127.0.0.1, localhost and [::1])",
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("is not a URL"))?;
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(h) = host_port.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(bad(
            "uses http, which is allowed only for loopback addresses",
        )),
        _ => Err(bad("is neither https nor http")),
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "::1" {
        return true;
    }
    host.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("https://example.com").is_ok());
        assert!(check_url("http://127.0.0.1:8000").is_ok());
        assert!(check_url("http://127.3.4.5/").is_ok());
        assert!(check_url("http://localhost:1").is_ok());
        assert!(check_url("http://[::1]:80/x").is_ok());
        assert!(check_url("http://example.com").is_err());
        assert!(check_url("http://10.0.0.1").is_err());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("example.com").is_err());
        assert!(check_url("http://127.0.0.1.evil.com").is_err());
    }
}
