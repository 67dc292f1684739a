//! `spec-kitty auth` against a real token server on 127.0.0.1 (`auth_server.rs`), through the real
//! binary, with a private HOME per test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::auth_server::TokenServer;
use crate::support::bin;

struct Env {
    home: tempfile::TempDir,
    server: TokenServer,
}

impl Env {
    fn new() -> Env {
        Env {
            home: tempfile::tempdir().expect("tempdir"),
            server: TokenServer::start(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .current_dir(self.home.path())
            .env("HOME", self.home.path())
            .env("SPEC_KITTY_ENABLE_SAAS_SYNC", "1")
            .env("SPEC_KITTY_SERVER_URL", &self.server.url)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("binary runs")
    }

    fn credentials(&self) -> PathBuf {
        self.home.path().join(".spec-kitty/credentials")
    }

    fn stored_refresh(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.credentials()).ok()?;
        let v: toml::Table = text.parse().ok()?;
        v.get("tokens")?.get("refresh")?.as_str().map(str::to_owned)
    }

    fn login(&self) {
        let mut child = self
            .cmd(&["auth", "login", "-u", "bob", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"correct horse\n")
            .expect("write password");
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "login failed: {}", text(&out));
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The output with diagnostics' line wrapping undone (for phrases that may wrap).
fn flat(out: &Output) -> String {
    text(out)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// No token (ours are `...-secret`) ever reaches the output.
fn assert_no_tokens(out: &Output) {
    let t = text(out);
    assert!(
        !t.contains("-secret"),
        "a token leaked into the output: {t}"
    );
}

#[test]
fn login_status_logout_and_private_files() {
    let env = Env::new();
    let out = env.run(&["auth", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["authenticated"], false);

    env.login();
    let out = env.run(&["auth", "status", "--json"]);
    assert!(out.status.success());
    assert_no_tokens(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["authenticated"], true);
    assert_eq!(v["username"], "bob");
    assert_eq!(v["team_slug"], "t1");
    assert_eq!(v["access_token"]["valid"], true);
    let out = env.run(&["auth", "status"]);
    let t = text(&out);
    assert!(t.contains("✅ Authenticated\nUsername: bob\n"), "{t}");
    assert!(
        t.contains("Refresh token: valid (23h remaining)")
            || t.contains("Refresh token: valid (1d remaining)"),
        "{t}"
    );
    assert_no_tokens(&out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&env.credentials()), 0o600);
        assert_eq!(mode(env.credentials().parent().expect("dir")), 0o700);
    }
    let out = env.run(&["auth", "login", "-u", "bob", "-p", "whatever"]);
    assert!(
        text(&out).contains("Already authenticated"),
        "{}",
        text(&out)
    );

    let out = env.run(&["auth", "logout"]);
    assert!(
        text(&out).contains("Cleared credentials for: bob"),
        "{}",
        text(&out)
    );
    assert!(!env.credentials().exists());
    let out = env.run(&["auth", "logout"]);
    assert!(text(&out).contains("Already logged out"));
}

#[test]
fn wrong_password_and_disabled_flag_are_clear_errors() {
    let env = Env::new();
    let out = env.run(&["auth", "login", "-u", "bob", "-p", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out).contains("Invalid username or password"),
        "{}",
        text(&out)
    );
    assert!(!env.credentials().exists());
    let out = env
        .cmd(&["auth", "login", "-u", "bob", "-p", "x"])
        .env_remove("SPEC_KITTY_ENABLE_SAAS_SYNC")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out).contains("SPEC_KITTY_ENABLE_SAAS_SYNC=1"),
        "{}",
        text(&out)
    );
    let out = env
        .cmd(&["auth", "status"])
        .env("SPEC_KITTY_SERVER_URL", "http://example.com")
        .output()
        .expect("runs");
    assert!(out.status.success(), "status needs no server");
    let out = env
        .cmd(&["auth", "login", "-u", "bob", "-p", "x"])
        .env("SPEC_KITTY_SERVER_URL", "http://example.com")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out).contains("allowed only for loopback"),
        "{}",
        text(&out)
    );
}

#[test]
fn refresh_rotates_the_tokens() {
    let env = Env::new();
    env.login();
    let before = env.stored_refresh();
    let out = env.run(&["auth", "refresh", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_no_tokens(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["result"], "refreshed");
    assert_ne!(env.stored_refresh(), before);
    assert_eq!(env.stored_refresh(), Some(env.server.current_refresh()));
}

/// FR-404: two real processes race; the user stays logged in with the token issued last.
#[test]
fn two_racing_refreshes_never_log_the_user_out() {
    let env = Env::new();
    env.login();
    let a = env
        .cmd(&["auth", "refresh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a");
    let b = env
        .cmd(&["auth", "refresh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn b");
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(env.stored_refresh(), Some(env.server.current_refresh()));
    let out = env.run(&["auth", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["authenticated"], true);
}

/// The stale-401 path, made deterministic: while the server holds our refresh request, another
/// client rotates the token and writes the credentials file by rename; the server then answers 401
/// for our (now old) token. The CLI must notice the rotation, exit 0 and clear nothing.
#[test]
fn a_401_for_a_token_rotated_meanwhile_clears_nothing() {
    let env = Env::new();
    env.login();
    let held = env.server.hold_next_refresh();
    let child = env
        .cmd(&["auth", "refresh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    held.arrived
        .recv_timeout(Duration::from_secs(20))
        .expect("the refresh request reached the server");
    let (_, new_refresh) = env.server.rotate_from_outside();
    let creds = std::fs::read_to_string(env.credentials()).expect("credentials");
    let old_refresh = env.stored_refresh().expect("stored");
    let tmp = env.credentials().with_extension("tmp-other-client");
    std::fs::write(&tmp, creds.replace(&old_refresh, &new_refresh)).expect("write");
    std::fs::rename(&tmp, env.credentials()).expect("rename");
    held.release.send(()).expect("release");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        flat(&out).contains("Another process already refreshed"),
        "{}",
        text(&out)
    );
    assert_eq!(env.stored_refresh(), Some(new_refresh));
}

#[test]
fn a_real_expiry_clears_the_credentials() {
    let env = Env::new();
    env.login();
    env.server.expire();
    let out = env.run(&["auth", "refresh", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["reason"], "session-expired");
    assert_eq!(v["authenticated"], false);
    assert!(!env.credentials().exists());
    let out = env.run(&["auth", "refresh"]);
    assert!(flat(&out).contains("not logged in"), "{}", text(&out));
}

#[test]
fn invalid_grant_is_an_expiry_too() {
    let env = Env::new();
    env.login();
    env.server.expire_with_invalid_grant();
    let out = env.run(&["auth", "refresh"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&out).contains("session expired, log in again"),
        "{}",
        text(&out)
    );
    assert!(!env.credentials().exists());
}

#[test]
fn server_errors_and_network_errors_never_clear_credentials() {
    let env = Env::new();
    env.login();
    let before = std::fs::read(env.credentials()).expect("credentials");
    env.server.fail_next(503);
    let out = env.run(&["auth", "refresh", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["reason"], "server-unavailable");
    assert_eq!(v["authenticated"], true);
    assert_eq!(std::fs::read(env.credentials()).expect("kept"), before);

    // Nothing listens on this port any more: connection refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let creds = String::from_utf8(before.clone())
        .expect("utf-8")
        .replace(&env.server.url, &format!("http://{closed}"));
    std::fs::write(env.credentials(), &creds).expect("write");
    let out = env.run(&["auth", "refresh"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(flat(&out).contains("cannot reach server"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(env.credentials()).expect("kept"),
        creds
    );
}

#[test]
fn a_corrupt_credentials_file_is_reported_without_its_contents() {
    let env = Env::new();
    std::fs::create_dir_all(env.credentials().parent().expect("dir")).expect("mkdir");
    let garbage = "[tokens]\naccess = \"leaked-secret\nrefresh = \n";
    std::fs::write(env.credentials(), garbage).expect("write");
    for args in [&["auth", "status"][..], &["auth", "refresh"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let t = text(&out);
        let f = flat(&out);
        assert!(
            f.contains("credentials file") && f.contains("line 2"),
            "{t}"
        );
        assert_no_tokens(&out);
    }
    assert_eq!(
        std::fs::read_to_string(env.credentials()).expect("untouched"),
        garbage
    );
    // A successful login replaces it.
    env.login();
    assert!(env.stored_refresh().is_some());
    // And logout removes an unreadable file, saying so.
    std::fs::write(env.credentials(), garbage).expect("write");
    let out = env.run(&["auth", "logout"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Removed the unreadable credentials file."),
        "{}",
        text(&out)
    );
    assert_no_tokens(&out);
    assert!(!env.credentials().exists());
}

/// 8 processes × 25 rounds of refreshes: no logout, and the stored token is the last one issued.
#[test]
fn stress_eight_processes_twenty_five_rounds() {
    let env = Env::new();
    env.login();
    let env = std::sync::Arc::new(env);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let env = std::sync::Arc::clone(&env);
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for _ in 0..25 {
                    let out = env.run(&["auth", "refresh"]);
                    if !out.status.success() {
                        failures.push(text(&out));
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().expect("worker"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} refreshes failed: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(env.credentials().exists(), "logged out");
    assert_eq!(env.stored_refresh(), Some(env.server.current_refresh()));
    assert_eq!(
        env.server.issued(),
        1 + 200,
        "every refresh rotated exactly once"
    );
}

/// FR-401: the lock is held across the network call, not only around the file reads and writes.
/// While the server holds the CLI's refresh request, nobody else can take `credentials.lock`.
#[test]
fn the_lock_is_held_for_the_whole_transaction() {
    let env = Env::new();
    env.login();
    let held = env.server.hold_next_refresh();
    let child = env
        .cmd(&["auth", "refresh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    held.arrived
        .recv_timeout(Duration::from_secs(20))
        .expect("the refresh request reached the server");
    let lock_path = env.home.path().join(".spec-kitty/credentials.lock");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(&lock_path)
        .expect("the lock file exists");
    assert!(
        matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock)),
        "credentials.lock is free while the refresh request is in flight"
    );
    held.release.send(()).expect("release");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", text(&out));
    assert!(lock.try_lock().is_ok(), "the lock is released afterwards");
    assert_eq!(env.stored_refresh(), Some(env.server.current_refresh()));
}

/// A redirect could carry the refresh token to another host (or from https to http): it is not
/// followed, nothing is cleared, and the redirect target never hears from the CLI.
#[test]
fn a_redirect_is_not_followed() {
    let env = Env::new();
    env.login();
    let before = std::fs::read(env.credentials()).expect("credentials");
    let trap = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    trap.set_nonblocking(true).expect("nonblocking");
    let location = format!(
        "http://{}/api/v1/token/refresh/",
        trap.local_addr().expect("addr")
    );
    env.server.redirect_next(&location);
    let out = env.run(&["auth", "refresh", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_no_tokens(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["reason"], "server-error");
    assert_eq!(v["authenticated"], true);
    assert!(
        v["error"].as_str().unwrap_or("").contains("HTTP 307"),
        "{v}"
    );
    // A client that followed the redirect would have connected before exiting.
    assert!(
        matches!(trap.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the CLI followed the redirect"
    );
    assert_eq!(std::fs::read(env.credentials()).expect("kept"), before);
}

/// A credentials file that names a plain-http, non-loopback server (edited by hand, say) gets no
/// refresh token sent to it.
#[test]
fn a_stored_plain_http_server_gets_no_token() {
    let env = Env::new();
    env.login();
    let creds = std::fs::read_to_string(env.credentials())
        .expect("credentials")
        .replace(&env.server.url, "http://example.com");
    std::fs::write(env.credentials(), &creds).expect("write");
    let out = env.run(&["auth", "refresh"]);
    assert_eq!(out.status.code(), Some(1));
    let f = flat(&out);
    assert!(
        f.contains("allowed only for loopback") && f.contains("nothing was sent"),
        "{}",
        text(&out)
    );
    assert_no_tokens(&out);
    assert_eq!(
        std::fs::read_to_string(env.credentials()).expect("kept"),
        creds
    );
}
