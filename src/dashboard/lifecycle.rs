//! Starting, finding and stopping this project's dashboard server.
//!
//! [`ensure_running`] reuses the server `.kittify/.dashboard` names when it answers `/api/health`
//! for this project with the recorded pid; otherwise it removes the stale record and starts a new
//! server: the same binary, `dashboard --serve`, in its own process group with no terminal, so it
//! outlives the command. The new server binds and records itself; this side waits (up to 10 s)
//! for a record with the child's pid that answers. [`stop`] posts `/api/shutdown` with the token
//! and waits for the process to end. A sidecar lock keeps two `spec-kitty dashboard` runs from
//! starting two servers.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::record::{self, Record};
use crate::support::diagnostics::{Diag, Failure};

/// How long a new server may take to record itself.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopped server may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running dashboard, as the command reports it (never the token).
#[derive(Debug, Clone, Serialize)]
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The port.
    pub port: u16,
    /// The server's pid.
    pub pid: Option<u32>,
    /// Whether this run started it (`false`: an already running one was reused).
    pub started: bool,
    /// The port asked for with `--port`, when one was.
    pub requested_port: Option<u16>,
    /// Whether a stale record (dead server) was removed first.
    pub stale_record_removed: bool,
    /// The project root it serves.
    pub project_root: String,
    /// Where it is recorded.
    pub record: &'static str,
}

/// What `--kill` did.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    /// Whether a running server was stopped.
    pub stopped: bool,
    /// Whether a record was found (and removed).
    pub record_removed: bool,
    /// The stopped (or stale) server's pid.
    pub pid: Option<u32>,
    /// Its port.
    pub port: Option<u16>,
    /// What happened, in words.
    pub message: String,
}

fn lock_path(root: &Path) -> PathBuf {
    let git = root.join(".git");
    if git.is_dir() {
        git.join("spec-kitty-locks").join("dashboard.lock")
    } else {
        root.join(".kittify").join(".dashboard.lock")
    }
}

fn client() -> Result<reqwest::blocking::Client, Failure> {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| {
            Failure::simple(
                Diag::error(
                    "dashboard::http-client",
                    format!("cannot create an HTTP client: {e}"),
                )
                .with_help("this is a bug or a broken TLS setup; report it"),
            )
        })
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn pid_alive(pid: u32) -> bool {
    let proc_dir = Path::new("/proc");
    if proc_dir.is_dir() {
        return match std::fs::read_to_string(proc_dir.join(pid.to_string()).join("stat")) {
            // The state is the first field after the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        };
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether the recorded server answers for `root` with the recorded pid.
fn healthy(http: &reqwest::blocking::Client, rec: &Record, root: &Path) -> bool {
    if rec.pid.is_some_and(|p| !pid_alive(p)) {
        return false;
    }
    let url = format!("http://127.0.0.1:{}/api/health", rec.port);
    let Ok(resp) = http.get(url).send() else {
        return false;
    };
    let Ok(v) = resp.json::<serde_json::Value>() else {
        return false;
    };
    let same_root = v["project_root"]
        .as_str()
        .is_some_and(|r| Path::new(r) == root);
    let same_pid = rec
        .pid
        .is_none_or(|p| v["pid"].as_u64() == Some(u64::from(p)));
    v["service"] == "spec-kitty-dashboard" && same_root && same_pid
}

fn canonical_root(root: &Path) -> Result<PathBuf, Failure> {
    root.canonicalize().map_err(|e| {
        Failure::simple(
            crate::support::diagnostics::io_error("dashboard::root", root, &e)
                .with_help("run `spec-kitty dashboard` inside the project"),
        )
    })
}

fn record_error(root: &Path, e: &std::io::Error) -> Failure {
    Failure::simple(
        crate::support::diagnostics::io_error("dashboard::record", &record::path(root), e)
            .with_help("check the permissions of `.kittify/`"),
    )
}

/// Returns the running dashboard for `root`, starting one with `exe` (this binary) when none
/// answers. `port` is the preferred port (default 9237; the next free one is used when taken).
pub fn ensure_running(root: &Path, port: Option<u16>, exe: &Path) -> Result<Running, Failure> {
    let root = canonical_root(root)?;
    let _lock = crate::support::util::lock_file(&lock_path(&root)).map_err(|e| {
        Failure::simple(
            crate::support::diagnostics::io_error("dashboard::lock", &lock_path(&root), &e)
                .with_help("check the permissions of `.git/` or `.kittify/`"),
        )
    })?;
    let http = client()?;
    let mut stale = false;
    match Record::read(&root).map_err(|e| record_error(&root, &e))? {
        Some(Ok(rec)) if healthy(&http, &rec, &root) => {
            return Ok(Running {
                url: rec.url.clone(),
                port: rec.port,
                pid: rec.pid,
                started: false,
                requested_port: port,
                stale_record_removed: false,
                project_root: root.display().to_string(),
                record: record::RECORD_FILE,
            });
        }
        Some(_) => {
            record::remove(&root, None).map_err(|e| record_error(&root, &e))?;
            stale = true;
        }
        None => {}
    }
    let preferred = port.unwrap_or(super::server::DEFAULT_PORT);
    let mut cmd = Command::new(exe);
    cmd.args(["dashboard", "--serve", "--port", &preferred.to_string()])
        .current_dir(&root)
        .env("SPECIFY_REPO_ROOT", &root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group: Ctrl-C in this terminal, or the terminal closing, does not reach it.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(|e| {
        Failure::simple(
            Diag::error(
                "dashboard::spawn",
                format!("cannot start the dashboard server ({}): {e}", exe.display()),
            )
            .with_help("check that the spec-kitty binary is still where it was started from"),
        )
    })?;
    let pid = child.id();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut out = String::new();
            if let Some(mut s) = child.stdout.take() {
                let _ = s.read_to_string(&mut out);
            }
            // The server reports a startup problem as `{"error": "..."}` on stdout.
            let detail = serde_json::from_str::<serde_json::Value>(out.trim())
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("it exited with {status}"));
            return Err(Failure::simple(
                Diag::error(
                    "dashboard::start-failed",
                    format!("the dashboard server did not start: {detail}"),
                )
                .with_help("try another port with `spec-kitty dashboard --port <port>`"),
            ));
        }
        if let Ok(Some(Ok(rec))) = Record::read(&root)
            && rec.pid == Some(pid)
            && healthy(&http, &rec, &root)
        {
            // Not waited for: the server outlives this process (its stdout pipe closes with us).
            drop(child.stdout.take());
            return Ok(Running {
                url: rec.url.clone(),
                port: rec.port,
                pid: rec.pid,
                started: true,
                requested_port: port,
                stale_record_removed: stale,
                project_root: root.display().to_string(),
                record: record::RECORD_FILE,
            });
        }
        if Instant::now() >= deadline {
            // Our own child, stuck before it could be found: do not leave it behind.
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::simple(
                Diag::error(
                    "dashboard::start-timeout",
                    format!(
                        "the dashboard server (pid {pid}) did not answer within {} s",
                        START_TIMEOUT.as_secs()
                    ),
                )
                .with_help("try again; if it happens again, try another port with `--port`"),
            ));
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

/// Stops the dashboard `.kittify/.dashboard` names, authenticated with its token, and removes the
/// record. No record, or a stale one, is not an error.
pub fn stop(root: &Path) -> Result<Stopped, Failure> {
    let root = canonical_root(root)?;
    let _lock = crate::support::util::lock_file(&lock_path(&root)).map_err(|e| {
        Failure::simple(
            crate::support::diagnostics::io_error("dashboard::lock", &lock_path(&root), &e)
                .with_help("check the permissions of `.git/` or `.kittify/`"),
        )
    })?;
    let rec = match Record::read(&root).map_err(|e| record_error(&root, &e))? {
        None => {
            return Ok(Stopped {
                stopped: false,
                record_removed: false,
                pid: None,
                port: None,
                message: "no dashboard is recorded for this project".into(),
            });
        }
        Some(Err(())) => {
            record::remove(&root, None).map_err(|e| record_error(&root, &e))?;
            return Ok(Stopped {
                stopped: false,
                record_removed: true,
                pid: None,
                port: None,
                message: "the dashboard record was unreadable and has been removed".into(),
            });
        }
        Some(Ok(rec)) => rec,
    };
    let http = client()?;
    if !healthy(&http, &rec, &root) {
        record::remove(&root, None).map_err(|e| record_error(&root, &e))?;
        return Ok(Stopped {
            stopped: false,
            record_removed: true,
            pid: rec.pid,
            port: Some(rec.port),
            message: "the recorded dashboard was not running; its record has been removed".into(),
        });
    }
    let resp = http
        .post(format!("http://127.0.0.1:{}/api/shutdown", rec.port))
        .bearer_auth(&rec.token)
        .send()
        .map_err(|e| {
            Failure::simple(
                Diag::error(
                    "dashboard::kill-failed",
                    format!("cannot reach the dashboard on port {}: {e}", rec.port),
                )
                .with_help("try again; if it persists, stop the process by its pid"),
            )
        })?;
    if !resp.status().is_success() {
        return Err(Failure::simple(
            Diag::error(
                "dashboard::kill-refused",
                format!(
                    "the dashboard on port {} refused to stop (HTTP {})",
                    rec.port,
                    resp.status().as_u16()
                ),
            )
            .with_help("the token in `.kittify/.dashboard` does not match the running server; stop it by its pid"),
        ));
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while rec.pid.is_some_and(pid_alive) || healthy(&http, &rec, &root) {
        if Instant::now() >= deadline {
            return Err(Failure::simple(
                Diag::error(
                    "dashboard::kill-timeout",
                    format!(
                        "the dashboard accepted the shutdown but is still running after {} s",
                        STOP_TIMEOUT.as_secs()
                    ),
                )
                .with_help(format!(
                    "stop it by its pid{}",
                    rec.pid.map(|p| format!(": kill {p}")).unwrap_or_default()
                )),
            ));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    record::remove(&root, rec.pid).map_err(|e| record_error(&root, &e))?;
    Ok(Stopped {
        stopped: true,
        record_removed: true,
        pid: rec.pid,
        port: Some(rec.port),
        message: format!("dashboard on port {} stopped", rec.port),
    })
}

/// Opens `url` in a browser: `$BROWSER` (the first of its `:`-separated commands; `%s` is the
/// URL, else the URL is appended), else `xdg-open` (or `open` on macOS). Returns the command used.
pub fn open_browser(url: &str) -> Result<String, Diag> {
    let (program, args): (String, Vec<String>) = match std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_owned)
    }) {
        Some(cmd) => {
            let mut words = cmd.split_whitespace().map(str::to_owned);
            let program = words.next().unwrap_or_default();
            let mut args: Vec<String> = words.collect();
            if args.iter().any(|a| a.contains("%s")) {
                args = args.iter().map(|a| a.replace("%s", url)).collect();
            } else {
                args.push(url.to_owned());
            }
            (program, args)
        }
        None if cfg!(target_os = "macos") => ("open".into(), vec![url.to_owned()]),
        None => ("xdg-open".into(), vec![url.to_owned()]),
    };
    Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| program.clone())
        .map_err(|e| {
            Diag::warning(
                "dashboard::open-failed",
                format!("cannot open a browser with `{program}`: {e}"),
            )
            .with_help(format!("open {url} yourself, or set BROWSER"))
        })
}
