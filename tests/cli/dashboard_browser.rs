//! The dashboard in a real browser: headless Chromium (Debian's `chromium`) loads the page for the
//! example mission. `--dump-dom` shows the kanban columns and WP titles rendered; then, driven over
//! the DevTools protocol (`--remote-debugging-pipe`, so no WebSocket client is needed), a
//! `move-task` made with the binary shows up in the open page without a reload, and a screenshot
//! is written under the test's temp dir.
//!
//! `scripts/test.sh` installs chromium when it is missing; set `SPEC_KITTY_SKIP_BROWSER_TESTS=1`
//! to skip these tests on a machine without it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::dashboard::{Project, free_port, text};

/// The chromium binary, or `None` when the browser tests are skipped.
fn chromium() -> Option<PathBuf> {
    if std::env::var_os("SPEC_KITTY_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("browser tests skipped (SPEC_KITTY_SKIP_BROWSER_TESTS=1)");
        return None;
    }
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
                .find(|p| p.is_file())
        })
    });
    assert!(
        found.is_some(),
        "chromium is not installed: `apt-get install -y chromium` (scripts/test.sh does it), \
         or set SPEC_KITTY_SKIP_BROWSER_TESTS=1"
    );
    found
}

const FLAGS: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--hide-scrollbars",
];

fn start(p: &Project) -> String {
    let v = p.start(&["--port", &free_port().to_string()]);
    format!("{}/#/m/001-demo", v["url"].as_str().expect("url"))
}

#[test]
fn dump_dom_shows_the_kanban_columns_and_wp_titles() {
    let Some(chromium) = chromium() else {
        return;
    };
    let p = Project::new();
    let url = start(&p);
    let profile = tempfile::tempdir().expect("profile");
    let out = Command::new(&chromium)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=5000", "--dump-dom", &url])
        .stderr(Stdio::null())
        .output()
        .expect("chromium runs");
    let dom = text(&out.stdout);
    for lane in [
        "planned",
        "claimed",
        "in_progress",
        "for_review",
        "in_review",
        "approved",
        "done",
        "blocked",
        "canceled",
    ] {
        assert!(
            dom.contains(&format!("<section class=\"column\" data-lane=\"{lane}\">")),
            "column {lane} missing from the rendered DOM:\n{dom}"
        );
    }
    for title in [
        "Architecture decision record",
        "Reading parser",
        "Report command",
        "Web server",
        "Web tests",
        "CSV export",
    ] {
        assert!(
            dom.contains(&format!("<div class=\"wp-title\">{title}</div>")),
            "{title} missing"
        );
    }
    assert!(
        dom.contains("data-lane=\"lane-planning\""),
        "lane graph missing"
    );
    assert!(dom.contains("<div class=\"doc\" id=\"artifact\" data-path=\"spec.md\">"));
}

/// A Chromium driven over `--remote-debugging-pipe` (requests on fd 3, replies on fd 4, each
/// message a JSON document ended by NUL).
struct Browser {
    child: Child,
    input: ChildStdin,
    replies: Receiver<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(chromium: &PathBuf) -> Browser {
        let profile = tempfile::tempdir().expect("profile");
        // The shell maps our pipes to the fds the protocol uses: stdin to 3, stdout to 4.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>/dev/null")
            .arg(chromium)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--remote-debugging-pipe", "about:blank"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let input = child.stdin.take().expect("stdin");
        let output = child.stdout.take().expect("stdout");
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                buf.pop();
                if let Ok(v) = serde_json::from_slice::<Value>(&buf)
                    && tx.send(v).is_err()
                {
                    return;
                }
                buf.clear();
            }
        });
        Browser {
            child,
            input,
            replies,
            next_id: 0,
            _profile: profile,
        }
    }

    /// Sends a command (on a page session when `session` is set) and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let mut bytes = msg.to_string().into_bytes();
        bytes.push(0);
        self.input.write_all(&bytes).expect("send to chromium");
        self.input.flush().expect("flush");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.replies.recv_timeout(left) {
                Ok(v) if v["id"] == id => {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
                Ok(_) => {} // events and other replies
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no reply from chromium"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: chromium exited"),
            }
        }
    }

    fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        r["result"]["value"].clone()
    }

    /// Evaluates `expression` every 50 ms until it is `true`; returns how long that took.
    fn wait_for(&mut self, session: &str, expression: &str, timeout: Duration) -> Duration {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.eval(session, expression) == json!(true) {
                return start.elapsed();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("not true after {timeout:?}: {expression}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_move_task_appears_in_the_open_page_without_a_reload() {
    let Some(chromium) = chromium() else {
        return;
    };
    let p = Project::new();
    let url = start(&p);
    let mut b = Browser::launch(&chromium);
    let target = b.call(None, "Target.createTarget", json!({"url": "about:blank"}));
    let target_id = target["targetId"].as_str().expect("targetId").to_owned();
    let attached = b.call(
        None,
        "Target.attachToTarget",
        json!({"targetId": target_id, "flatten": true}),
    );
    let session = attached["sessionId"]
        .as_str()
        .expect("sessionId")
        .to_owned();
    let s = session.as_str();
    b.call(
        Some(s),
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1500, "height": 1250, "deviceScaleFactor": 1, "mobile": false}),
    );
    b.call(Some(s), "Page.navigate", json!({"url": url}));
    b.wait_for(
        s,
        "!!document.querySelector('.column[data-lane=\"planned\"] .card[data-wp=\"WP01\"]')",
        Duration::from_secs(15),
    );
    // Wait for the live poll to have its first fingerprint, then mark this page instance: a
    // reload would lose the mark.
    b.wait_for(
        s,
        "document.getElementById('live').textContent === 'live'",
        Duration::from_secs(10),
    );
    b.eval(s, "window.__mark = 'no-reload'; true");
    let renders_before = b.eval(s, "window.__renders");

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
    let moved = Instant::now();
    let took = b.wait_for(
        s,
        "!!document.querySelector('.column[data-lane=\"claimed\"] .card[data-wp=\"WP01\"]') \
         && !document.querySelector('.column[data-lane=\"planned\"] .card[data-wp=\"WP01\"]')",
        Duration::from_secs(10),
    );
    eprintln!(
        "dashboard: move-task visible in the page {:?} after the command returned",
        moved.elapsed().min(took)
    );
    assert_eq!(b.eval(s, "window.__mark"), json!("no-reload"));
    assert!(b.eval(s, "window.__renders").as_u64() > renders_before.as_u64());
    assert_eq!(
        b.eval(
            s,
            "document.querySelector('.card[data-wp=\"WP01\"] .agent').textContent"
        ),
        json!("agent: alice")
    );

    let shot = b.call(
        Some(s),
        "Page.captureScreenshot",
        json!({"format": "png", "captureBeyondViewport": true}),
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().expect("data"))
        .expect("base64");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("dashboard-live.png");
    std::fs::write(&path, &png).expect("write screenshot");
    eprintln!("dashboard screenshot: {}", path.display());

    // A relative link in an artifact opens that artifact in the page.
    b.eval(
        s,
        "const a = document.createElement('a'); a.href = 'plan.md'; \
         document.getElementById('artifact').append(a); a.click(); true",
    );
    b.wait_for(
        s,
        "location.hash.endsWith('/a/plan.md') \
         && document.getElementById('artifact').getAttribute('data-path') === 'plan.md'",
        Duration::from_secs(10),
    );
    let _ = b.call(None, "Browser.close", json!({}));
}
