//! `spec-kitty dashboard` over HTTP on 127.0.0.1, through the real binary: start (detached),
//! reuse, `--kill`, a stale record, port fallback, `--open`, the JSON API on the example project,
//! traversal attempts refused with a JSON 4xx, and a flood of requests from many threads.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{copy_tree, git, git_init_commit, spec_kitty};

/// A finalized copy of the example project in a git repository. Dropping it stops its dashboard.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-project"),
            dir.path(),
        );
        // As `init` writes it: the record is git-ignored.
        std::fs::write(dir.path().join(".gitignore"), ".kittify/.dashboard\n").expect("write");
        git_init_commit(dir.path());
        let p = Project { dir };
        let out = p.run(&["agent", "mission", "finalize-tasks"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        spec_kitty(self.path())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("binary runs")
    }

    /// `dashboard --json` plus `args`; panics unless it succeeds.
    pub fn start(&self, args: &[&str]) -> Value {
        let mut all = vec!["dashboard", "--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("json")
    }

    pub fn record(&self) -> PathBuf {
        self.path().join(".kittify/.dashboard")
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self.run(&["dashboard", "--kill"]);
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("ephemeral port")
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn get_json(port: u16, path: &str) -> Value {
    let resp = client()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .expect("request");
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().expect("json body")
}

fn pid_alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next())
                .is_some_and(|st| st != "Z" && st != "X")
        })
        .unwrap_or(false)
}

fn wait_dead(pid: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !pid_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Sends `target` byte for byte (no client-side normalisation of `..` or `%2e`), returns the
/// status code and the body.
fn raw_get(port: u16, target: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let resp = text(&buf);
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn starts_detached_is_reused_and_stops_with_its_token() {
    let p = Project::new();
    let port = free_port();
    let first = p.start(&["--port", &port.to_string()]);
    assert_eq!(first["started"], true);
    assert_eq!(first["port"], port);
    assert_eq!(first["url"], format!("http://127.0.0.1:{port}"));
    let pid = first["pid"].as_u64().expect("pid");
    // The command has exited; the server lives on.
    assert!(pid_alive(pid));
    let health = get_json(port, "/api/health");
    assert_eq!(health["pid"], pid);
    assert_eq!(health["service"], "spec-kitty-dashboard");
    assert!(health.get("token").is_none(), "the token is never served");

    // The record: url, port, token, pid; private; git-ignored.
    let record = std::fs::read_to_string(p.record()).expect("record");
    let lines: Vec<&str> = record.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], format!("http://127.0.0.1:{port}"));
    assert_eq!(lines[1], port.to_string());
    assert_eq!(lines[2].len(), 64);
    assert_eq!(lines[3], pid.to_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.record())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!text(&p.run(&["dashboard", "--json"]).stdout).contains(lines[2]));
    assert_eq!(git(p.path(), &["status", "--porcelain"]), "");

    // Reuse, from a subdirectory too.
    let again = p.start(&["--port", &free_port().to_string()]);
    assert_eq!(again["started"], false);
    assert_eq!(again["pid"], pid);
    assert_eq!(again["port"], port);
    let human = spec_kitty(&p.path().join("kitty-specs"))
        .arg("dashboard")
        .output()
        .expect("runs");
    assert!(
        text(&human.stdout).contains(&format!("http://127.0.0.1:{port}"))
            && text(&human.stdout).contains("already running"),
        "{}",
        text(&human.stdout)
    );

    // A shutdown without the token is refused and changes nothing.
    let refused = client()
        .post(format!("http://127.0.0.1:{port}/api/shutdown"))
        .bearer_auth("0".repeat(64))
        .send()
        .expect("request");
    assert_eq!(refused.status().as_u16(), 403);
    assert!(pid_alive(pid));

    let out = p.run(&["dashboard", "--kill", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let killed: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(killed["stopped"], true);
    assert_eq!(killed["pid"], pid);
    assert!(wait_dead(pid), "server process {pid} still running");
    assert!(!p.record().exists());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());

    // Nothing to stop is not an error.
    let out = p.run(&["dashboard", "--kill"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("No dashboard running"));
}

#[test]
fn a_stale_record_is_cleaned_up() {
    let p = Project::new();
    // A pid that has certainly exited.
    let mut child = std::process::Command::new("true").spawn().expect("spawn");
    let dead = child.id();
    child.wait().expect("wait");
    let stale_port = free_port();
    std::fs::write(
        p.record(),
        format!(
            "http://127.0.0.1:{stale_port}\n{stale_port}\n{}\n{dead}\n",
            "a".repeat(64)
        ),
    )
    .expect("write");

    // --kill with a stale record: removed, not an error.
    let out = p.run(&["dashboard", "--kill", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["stopped"].clone(), v["record_removed"].clone()),
        (false.into(), true.into())
    );
    assert!(!p.record().exists());

    // A start over a stale record replaces it.
    std::fs::write(
        p.record(),
        format!(
            "http://127.0.0.1:{stale_port}\n{stale_port}\n{}\n{dead}\n",
            "a".repeat(64)
        ),
    )
    .expect("write");
    let started = p.start(&["--port", &free_port().to_string()]);
    assert_eq!(started["started"], true);
    assert_eq!(started["stale_record_removed"], true);
    assert_ne!(started["pid"], dead);
    let record = std::fs::read_to_string(p.record()).expect("record");
    assert!(record.ends_with(&format!("{}\n", started["pid"])));

    // An unreadable record is treated the same way.
    let out = p.run(&["dashboard", "--kill"]);
    assert!(out.status.success());
    std::fs::write(p.record(), "garbage\n").expect("write");
    let started = p.start(&["--port", &free_port().to_string()]);
    assert_eq!(started["stale_record_removed"], true);
}

#[test]
fn a_taken_port_falls_back_to_the_next_free_one() {
    let p = Project::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let out = p.run(&["dashboard", "--port", &port.to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("Port {port} was not available")),
        "{stdout}"
    );
    let v = p.start(&[]);
    let used = v["port"].as_u64().expect("port");
    assert!(
        used > u64::from(port) && used < u64::from(port) + 100,
        "{used}"
    );
    assert_eq!(get_json(used as u16, "/api/health")["status"], "ok");
    drop(taken);
}

#[test]
fn open_runs_the_browser_command_with_the_url() {
    let p = Project::new();
    let seen = p.path().join("opened.txt");
    let script = p.path().join("browser.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" > '{}'\n", seen.display()),
    )
    .expect("write");
    let port = free_port();
    let out = spec_kitty(p.path())
        .args(["dashboard", "--open", "--json", "--port", &port.to_string()])
        // Run through `sh` (not executed directly): a script written a moment ago can still be
        // open in a child another test thread is forking (ETXTBSY).
        .env("BROWSER", format!("sh {}", script.display()))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["opened"], true);
    let deadline = Instant::now() + Duration::from_secs(5);
    // The shell creates the file before `echo` writes to it: wait for the line, not the file.
    while std::fs::read_to_string(&seen).map_or(true, |s| !s.ends_with('\n'))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = std::fs::read_to_string(&seen).expect("browser ran");
    assert_eq!(url.trim(), v["url"].as_str().expect("url"));
}

#[test]
fn the_json_api_serves_the_example_mission_and_changes_nothing() {
    let p = Project::new();
    let out = p.run(&[
        "agent",
        "tasks",
        "move-task",
        "WP01",
        "--to",
        "claimed",
        "--agent",
        "alice",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = git(p.path(), &["rev-parse", "HEAD"]);
    let port = p.start(&["--port", &free_port().to_string()])["port"]
        .as_u64()
        .expect("port") as u16;

    let missions = get_json(port, "/api/missions");
    let m = &missions["missions"][0];
    assert_eq!(m["slug"], "001-demo");
    assert_eq!(m["mission_id"], "01KZ0DEM0EXAMP1EPR0JECT000");
    assert_eq!(m["total_wps"], 6);
    assert_eq!(m["execution_lanes"], 3);
    let lanes: Vec<&String> = m["by_lane"].as_object().expect("map").keys().collect();
    assert_eq!(
        lanes,
        [
            "planned",
            "claimed",
            "in_progress",
            "for_review",
            "in_review",
            "approved",
            "done",
            "blocked",
            "canceled"
        ]
    );
    assert_eq!(m["by_lane"]["claimed"], 1);
    assert_eq!(m["active"][0]["id"], "WP01");
    assert_eq!(m["active"][0]["agent"], "alice");

    let kanban = get_json(port, "/api/missions/001-demo/kanban");
    let columns = kanban["columns"].as_array().expect("columns");
    assert_eq!(columns.len(), 9);
    assert_eq!(columns[1]["lane"], "claimed");
    assert_eq!(columns[1]["label"], "Claimed");
    assert_eq!(
        columns[1]["wps"][0]["title"],
        "Architecture decision record"
    );
    assert_eq!(columns[1]["wps"][0]["execution_lane"], "lane-planning");
    let wp06 = columns[0]["wps"]
        .as_array()
        .and_then(|w| w.iter().find(|c| c["id"] == "WP06"))
        .expect("WP06 planned");
    assert_eq!(wp06["dependencies"], serde_json::json!(["WP03"]));
    assert_eq!(wp06["waiting_on"], serde_json::json!(["WP03"]));
    assert_eq!(wp06["file"], "tasks/WP06-csv-export.md");

    let graph = get_json(port, "/api/missions/001-demo/lanes");
    let ids: Vec<&str> = graph["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .filter_map(|l| l["lane_id"].as_str())
        .collect();
    assert_eq!(ids, ["lane-a", "lane-b", "lane-planning"]);
    assert_eq!(graph["planning_lane"], "lane-planning");
    assert_eq!(
        graph["critical_path"],
        serde_json::json!(["WP02", "WP03", "WP06"])
    );
    assert_eq!(graph["lanes"][0]["critical"], true);
    let svg = graph["svg"].as_str().expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains("data-lane=\"lane-planning\""));
    let svg_resp = client()
        .get(format!(
            "http://127.0.0.1:{port}/api/missions/001-demo/lanes.svg"
        ))
        .send()
        .expect("svg");
    assert!(
        svg_resp.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("image/svg+xml"))
    );

    let artifacts = get_json(port, "/api/missions/001-demo/artifacts");
    let paths: Vec<&str> = artifacts["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert_eq!(&paths[..3], ["spec.md", "plan.md", "tasks.md"]);
    assert!(paths.contains(&"tasks/WP01-adr.md"));
    assert!(!paths.contains(&"meta.json") && !paths.contains(&"lanes.json"));
    let spec = get_json(port, "/api/missions/001-demo/artifacts/spec.md");
    assert_eq!(spec["kind"], "spec");
    assert!(spec["html"].as_str().is_some_and(|h| h.contains("<h1>")));
    let wp = get_json(port, "/api/missions/001-demo/artifacts/tasks/WP01-adr.md");
    assert!(
        wp["html"]
            .as_str()
            .is_some_and(|h| h.starts_with("<pre class=\"frontmatter\">"))
    );

    let page = client()
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .expect("page");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .is_ok_and(|c| c.contains("default-src 'none'"))
    );
    let html = page.text().expect("html");
    assert!(
        html.contains("/assets/app.js") && !html.contains("http://") && !html.contains("https://")
    );

    // Read-only: no commit, no change in the tree.
    assert_eq!(git(p.path(), &["rev-parse", "HEAD"]), before);
    assert_eq!(git(p.path(), &["status", "--porcelain"]), "");
}

#[test]
fn traversal_and_foreign_hosts_are_refused_with_json_4xx() {
    let p = Project::new();
    let outside = p.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("secret.md"), "# secret\n").expect("write");
    let mission = p.path().join("kitty-specs/001-demo");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("secret.md"), mission.join("leak.md"))
            .expect("symlink");
        std::os::unix::fs::symlink(&outside, mission.join("research")).expect("symlink");
    }
    let port = p.start(&["--port", &free_port().to_string()])["port"]
        .as_u64()
        .expect("port") as u16;
    let host = format!("127.0.0.1:{port}");
    let base = "/api/missions/001-demo/artifacts";
    let cases: Vec<(String, u16)> = vec![
        (format!("{base}/../../../etc/passwd"), 400),
        (format!("{base}/..%2f..%2fCargo.toml"), 400),
        (format!("{base}/%2e%2e/%2e%2e/outside/secret.md"), 400),
        (format!("{base}/%2E%2E%2F%2E%2E%2Foutside%2Fsecret.md"), 400),
        (format!("{base}//etc/passwd"), 400),
        (format!("{base}/%2fetc%2fpasswd"), 400),
        (format!("{base}/..%5c..%5csecret.md"), 400),
        (format!("{base}/spec.md%00.md"), 400),
        ("/api/missions/..%2f..%2f/kanban".to_owned(), 400),
        ("/api/missions/%2e%2e/kanban".to_owned(), 400),
        ("/assets/../../etc/passwd".to_owned(), 400),
        ("//etc/passwd".to_owned(), 400),
        (format!("{base}/leak.md"), 403),
        (format!("{base}/research/secret.md"), 403),
        (format!("{base}/meta.json"), 404),
        (format!("{base}/missing.md"), 404),
        ("/api/missions/no-such-mission/kanban".to_owned(), 404),
        ("/etc/passwd".to_owned(), 404),
    ];
    for (target, want) in &cases {
        let (status, body) = raw_get(port, target, &host);
        assert_eq!(status, *want, "{target}: {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"));
        assert_eq!(v["error"]["status"], *want, "{target}");
        assert!(
            v["error"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("dashboard::"))
        );
        assert!(!body.contains("secret"), "{target} leaked: {body}");
    }
    // An absolute-form target and a foreign Host header (DNS rebinding) are refused too.
    let (status, _) = raw_get(port, "http://evil.example/etc/passwd", &host);
    assert!((400..500).contains(&status), "absolute-form: {status}");
    let (status, body) = raw_get(port, "/api/missions", "evil.example");
    assert_eq!(status, 403, "{body}");
    // Still serving.
    assert_eq!(get_json(port, "/api/health")["status"], "ok");
}

#[test]
fn a_flood_of_requests_from_sixteen_threads_is_served_without_error() {
    let p = Project::new();
    let port = p.start(&["--port", &free_port().to_string()])["port"]
        .as_u64()
        .expect("port") as u16;
    let pid = get_json(port, "/api/health")["pid"].as_u64().expect("pid");
    let paths = [
        "/api/missions",
        "/api/missions/001-demo/kanban",
        "/",
        "/api/fingerprint",
        "/api/missions/001-demo/artifacts/spec.md",
        "/api/missions/001-demo/lanes",
        "/assets/app.js",
        "/api/missions/001-demo/artifacts/%2fetc%2fpasswd",
    ];
    let started = Instant::now();
    let handles: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                let http = client();
                let mut failures = Vec::new();
                for i in 0..125 {
                    let path = paths[(t + i) % paths.len()];
                    let want = if path.contains("%2f") { 400 } else { 200 };
                    match http.get(format!("http://127.0.0.1:{port}{path}")).send() {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            match r.bytes() {
                                Ok(_) if status == want => {}
                                Ok(_) => failures.push(format!("{path}: HTTP {status}")),
                                Err(e) => failures.push(format!("{path}: body: {e}")),
                            }
                        }
                        Err(e) => failures.push(format!("{path}: {e}")),
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    let elapsed = started.elapsed();
    eprintln!("dashboard flood: 2000 requests from 16 threads in {elapsed:?}");
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(pid_alive(pid));
    assert_eq!(get_json(port, "/api/health")["pid"], pid);
}

#[test]
fn outside_a_project_it_fails_with_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = spec_kitty(dir.path())
        .arg("dashboard")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("project::root-not-found"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_installed_slash_command_runs_the_dashboard_for_a_mission() {
    let p = Project::new();
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = spec_kitty(scratch.path())
        .args(["init", "x", "--ai", "claude", "--non-interactive"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("init runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shim = std::fs::read_to_string(
        scratch
            .path()
            .join("x/.claude/commands/spec-kitty.dashboard.md"),
    )
    .expect("the dashboard shim is installed");
    let command = shim
        .lines()
        .find_map(|l| l.strip_prefix('`').and_then(|l| l.strip_suffix('`')))
        .expect("the shim's command line");
    assert_eq!(command, "spec-kitty dashboard $ARGUMENTS");
    let line = command.replace(
        "$ARGUMENTS",
        &format!(
            "--mission 01KZ0DEM0EXAMP1EPR0JECT000 --json --port {}",
            free_port()
        ),
    );
    let bin_dir = crate::support::bin()
        .parent()
        .map(Path::to_path_buf)
        .expect("bin dir");
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .expect("PATH");
    // As an agent runs it: through a shell, `spec-kitty` found on PATH.
    let mut cmd = std::process::Command::new("sh");
    cmd.current_dir(p.path())
        .env("PATH", path)
        .env_remove("SPECIFY_REPO_ROOT")
        .args(["-c", &line]);
    crate::support::git_env(&mut cmd);
    let out = cmd.output().expect("shim runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["page"],
        format!("{}/#/m/001-demo", v["url"].as_str().expect("url"))
    );

    let out = p.run(&["dashboard", "--mission", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("project::mission-unresolved"));
}

#[test]
fn a_server_whose_record_is_removed_stops_by_itself() {
    let p = Project::new();
    let v = p.start(&["--port", &free_port().to_string()]);
    let pid = v["pid"].as_u64().expect("pid");
    std::fs::remove_file(p.record()).expect("remove record");
    let deadline = Instant::now() + Duration::from_secs(8);
    while pid_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !pid_alive(pid),
        "server {pid} still running without its record"
    );
}

#[test]
fn a_server_that_cannot_start_is_reported() {
    let p = Project::new();
    // The last port, taken: the fallback has nowhere to go.
    let held = TcpListener::bind("127.0.0.1:65535");
    let out = p.run(&["dashboard", "--port", "65535"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("dashboard::start-failed"));
    let out = p.run(&["dashboard", "--port", "65535", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["error"].as_str().is_some_and(|e| e.starts_with(
            "the dashboard server did not start: no free port on 127.0.0.1 between 65535 and 65535"
        )),
        "{v}"
    );
    assert!(!p.record().exists());
    drop(held);
}
