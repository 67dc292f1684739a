//! `spec-kitty auth login|logout|status|refresh`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{Value, json};
use spec_kitty::auth::refresh::{self, LoggedOut, RefreshError, Refreshed};
use spec_kitty::auth::{self, AuthPaths, http, store};
use spec_kitty::support::diagnostics::{Diag, Failure};
use spec_kitty::support::util::UtcTime;

use super::output;

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in with a username and password (stores tokens in ~/.spec-kitty/credentials).
    #[command(after_help = "Examples:
  spec-kitty auth login                                     # prompts for the username and password
  spec-kitty auth login -u alice --force                    # switch accounts")]
    Login(LoginArgs),
    /// Forget the stored credentials (no server call).
    #[command(after_help = "Examples:
  spec-kitty auth logout")]
    Logout,
    /// Show whether you are logged in and how long the tokens stay valid (never the tokens).
    #[command(after_help = "Examples:
  spec-kitty auth status
  spec-kitty auth status --json")]
    Status(JsonArg),
    /// Rotate the tokens now (what background sync does when the access token expires). Safe to
    /// run from several processes at once: none of them can log you out by racing another.
    #[command(after_help = "Examples:
  spec-kitty auth refresh
  spec-kitty auth refresh --json")]
    Refresh(JsonArg),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Username (prompted for when omitted).
    #[arg(short = 'u', long)]
    pub username: Option<String>,
    /// Password (prompted for, without echo, when omitted). Prefer --password-stdin in scripts.
    #[arg(short = 'p', long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Log in again even when already authenticated.
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: AuthCommand) -> ExitCode {
    let json = matches!(&cmd, AuthCommand::Status(a) | AuthCommand::Refresh(a) if a.json);
    let paths = match AuthPaths::from_env() {
        Ok(p) => p,
        Err(d) => return output::failure(d.into(), json),
    };
    match cmd {
        AuthCommand::Login(args) => login(&paths, args),
        AuthCommand::Logout => logout(&paths),
        AuthCommand::Status(a) => status(&paths, a.json),
        AuthCommand::Refresh(a) => refresh_now(&paths, a.json),
    }
}

fn disabled() -> Diag {
    Diag::error(
        "auth::saas-disabled",
        "SaaS sync is disabled by feature flag. Set SPEC_KITTY_ENABLE_SAAS_SYNC=1 to enable.",
    )
    .with_help("export SPEC_KITTY_ENABLE_SAAS_SYNC=1")
}

fn now() -> i64 {
    UtcTime::now().unix_seconds()
}

fn login(paths: &AuthPaths, args: LoginArgs) -> ExitCode {
    if !auth::saas_enabled() {
        return output::failure(disabled().into(), false);
    }
    if !args.force
        && let Ok(Some(c)) = store::read(&paths.credentials)
        && c.authenticated(now())
    {
        output::stdout_lines(&["✅ Already authenticated.".to_owned()]);
        return ExitCode::SUCCESS;
    }
    let server = match auth::server_url(paths) {
        Ok(s) => s,
        Err(d) => return output::failure(d.into(), false),
    };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let username = match args.username {
        Some(u) => u,
        None => match prompt_line(&mut lines, "Username: ") {
            Some(Ok(u)) if !u.trim().is_empty() => u.trim().to_owned(),
            _ => {
                return output::failure(
                    Diag::error("auth::no-username", "no username given")
                        .with_help("pass -u USER")
                        .into(),
                    false,
                );
            }
        },
    };
    let password = if let Some(p) = args.password {
        p
    } else if args.password_stdin {
        match lines.next() {
            Some(Ok(p)) => p.trim_end_matches(['\r', '\n']).to_owned(),
            _ => {
                return output::failure(
                    Diag::error(
                        "auth::no-password",
                        "--password-stdin: standard input held no password",
                    )
                    .into(),
                    false,
                );
            }
        }
    } else if std::io::stdin().is_terminal() {
        match rpassword::prompt_password("Password: ") {
            Ok(p) => p,
            Err(e) => {
                return output::failure(
                    Diag::error(
                        "auth::no-password",
                        format!("cannot read the password: {e}"),
                    )
                    .into(),
                    false,
                );
            }
        }
    } else {
        return output::failure(
            Diag::error(
                "auth::no-password",
                "no password given and standard input is not a terminal",
            )
            .with_help("pass --password-stdin and pipe the password in")
            .into(),
            false,
        );
    };
    match http::login(&server, &username, &password) {
        Ok(issued) => {
            let creds = issued.credentials(&username, &server, None, now());
            if let Err(e) = refresh::store_login(paths, &creds) {
                return output::failure(Diag::error("auth::store", e.to_string()).into(), false);
            }
            output::stdout_lines(&[
                "✅ Login successful!".to_owned(),
                format!("Logged in as: {username}"),
            ]);
            ExitCode::SUCCESS
        }
        Err(e) => {
            let (code, message) = match e {
                http::HttpError::Unauthorized | http::HttpError::InvalidGrant => (
                    "auth::invalid-credentials",
                    "Invalid username or password".to_owned(),
                ),
                http::HttpError::Network(_) => (
                    "auth::unreachable",
                    "Cannot reach server. Check your connection.".to_owned(),
                ),
                http::HttpError::Server(c) if c >= 500 => (
                    "auth::server-unavailable",
                    "Server temporarily unavailable".to_owned(),
                ),
                other => ("auth::server-error", other.to_string()),
            };
            output::failure(Diag::error(code, message).into(), false)
        }
    }
}

fn prompt_line(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    text: &str,
) -> Option<std::io::Result<String>> {
    output::prompt(text);
    lines.next()
}

fn logout(paths: &AuthPaths) -> ExitCode {
    match refresh::logout(paths) {
        Ok(LoggedOut::User(user)) => {
            output::stdout_lines(&[
                "✅ Logged out successfully.".to_owned(),
                format!("Cleared credentials for: {user}"),
            ]);
            ExitCode::SUCCESS
        }
        Ok(LoggedOut::Unreadable) => {
            output::stdout_lines(&[
                "✅ Logged out successfully.".to_owned(),
                "Removed the unreadable credentials file.".to_owned(),
            ]);
            ExitCode::SUCCESS
        }
        Ok(LoggedOut::NoSession) => {
            output::stdout_lines(&["ℹ️ No active session. Already logged out.".to_owned()]);
            ExitCode::SUCCESS
        }
        Err(e) => output::failure(Diag::error("auth::store", e.to_string()).into(), false),
    }
}

fn validity(valid: bool, expires_at: &str, now: i64) -> (String, Value) {
    let remaining = store::remaining(expires_at, now).unwrap_or(0).max(0);
    let human = if valid {
        let (n, unit) = match remaining {
            r if r >= 86_400 => (r / 86_400, "d"),
            r if r >= 3600 => (r / 3600, "h"),
            r if r >= 60 => (r / 60, "m"),
            r => (r, "s"),
        };
        format!("valid ({n}{unit} remaining)")
    } else {
        "expired (will refresh automatically)".to_owned()
    };
    (
        human,
        json!({"valid": valid, "remaining_seconds": if valid { remaining } else { 0 }, "expires_at": expires_at}),
    )
}

fn status(paths: &AuthPaths, json_out: bool) -> ExitCode {
    let mut lines = Vec::new();
    if !auth::saas_enabled() {
        lines.push("ℹ️ SaaS sync is disabled (SPEC_KITTY_ENABLE_SAAS_SYNC is not set); showing the stored session.".to_owned());
    }
    let creds = match store::read(&paths.credentials) {
        Ok(c) => c,
        Err(e) => {
            let mut f = Failure::simple(
                Diag::error("auth::credentials-unreadable", format!("credentials file unreadable: {e}"))
                    .with_help("run `spec-kitty auth login` to replace it, or `spec-kitty auth logout` to remove it"),
            );
            f.payload.insert("authenticated".into(), false.into());
            return output::failure(f, json_out);
        }
    };
    let t = now();
    let Some(c) = creds.filter(|c| c.authenticated(t)) else {
        if json_out {
            output::json_versioned(
                json!({"authenticated": false})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        } else {
            lines.push("❌ Not authenticated".to_owned());
            output::stdout_lines(&lines);
        }
        return ExitCode::SUCCESS;
    };
    let (access_h, access_j) = validity(c.access_valid(t), &c.tokens.access_expires_at, t);
    let (refresh_h, refresh_j) = validity(c.refresh_valid(t), &c.tokens.refresh_expires_at, t);
    if json_out {
        let payload = json!({
            "authenticated": true,
            "username": c.user.username,
            "team_slug": c.user.team_slug,
            "server": c.server.url,
            "access_token": access_j,
            "refresh_token": refresh_j,
        });
        output::json_versioned(payload.as_object().cloned().unwrap_or_default());
    } else {
        lines.push("✅ Authenticated".to_owned());
        lines.push(format!("Username: {}", c.user.username));
        lines.push(format!("Server: {}", c.server.url));
        lines.push(format!("Access token: {access_h}"));
        lines.push(format!("Refresh token: {refresh_h}"));
        output::stdout_lines(&lines);
    }
    ExitCode::SUCCESS
}

fn refresh_now(paths: &AuthPaths, json_out: bool) -> ExitCode {
    if !auth::saas_enabled() {
        return output::failure(disabled().into(), json_out);
    }
    match refresh::refresh(paths) {
        Ok(outcome) => {
            let (result, message) = match outcome.refreshed {
                Refreshed::Rotated => ("refreshed", "✅ Tokens refreshed."),
                Refreshed::AlreadyRotated => (
                    "already_rotated",
                    "✅ Another process already refreshed the tokens; you are still logged in.",
                ),
            };
            if json_out {
                let payload = json!({
                    "result": result,
                    "authenticated": true,
                    "lock_wait_ms": outcome.lock_wait.as_secs_f64() * 1000.0,
                });
                output::json_versioned(payload.as_object().cloned().unwrap_or_default());
            } else {
                output::stdout_lines(&[message.to_owned()]);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let (code, still_logged_in, help) = match &e {
                RefreshError::NotLoggedIn => {
                    ("auth::not-logged-in", false, "run `spec-kitty auth login`")
                }
                RefreshError::RefreshExpired | RefreshError::SessionExpired => (
                    "auth::session-expired",
                    false,
                    "run `spec-kitty auth login`",
                ),
                RefreshError::UnexpectedStatus(_) => (
                    "auth::server-error",
                    true,
                    "check the server URL; nothing was cleared",
                ),
                RefreshError::ServerUnavailable(_) | RefreshError::InvalidResponse => (
                    "auth::server-unavailable",
                    true,
                    "try again later; nothing was cleared",
                ),
                RefreshError::Network(_) => (
                    "auth::unreachable",
                    true,
                    "check the connection and the server URL; nothing was cleared",
                ),
                RefreshError::ServerUrl(_) => (
                    "auth::server-url",
                    true,
                    "log in again against an https:// server (http:// only for loopback)",
                ),
                RefreshError::LockTimeout(_) => (
                    "auth::lock-timeout",
                    true,
                    "another spec-kitty process holds ~/.spec-kitty/credentials.lock; try again",
                ),
                RefreshError::Store(_) => (
                    "auth::credentials-unreadable",
                    false,
                    "run `spec-kitty auth login` to replace the file",
                ),
                RefreshError::Lock { .. } => {
                    ("auth::lock", true, "check the permissions of ~/.spec-kitty")
                }
            };
            let mut f = Failure::simple(Diag::error(code, e.to_string()).with_help(help));
            f.payload.insert("result".into(), "error".into());
            f.payload
                .insert("reason".into(), code.trim_start_matches("auth::").into());
            // Whether a valid session remains on disk (a server outage leaves it in place).
            let remains = still_logged_in
                && store::read(&paths.credentials)
                    .ok()
                    .flatten()
                    .is_some_and(|c| c.authenticated(now()));
            f.payload.insert("authenticated".into(), remains.into());
            output::failure(f, json_out)
        }
    }
}
