//! Routing: a request (method, target, `Host`, `Authorization`) to a reply, with no socket in
//! sight, so every route and every refusal is unit-tested. `server.rs` feeds it real requests.
//!
//! Routes (documented in docs/dashboard.md):
//! `GET /`, `GET /assets/<file>`, `GET /api/health`, `GET /api/fingerprint`,
//! `GET /api/missions`, `GET /api/missions/<slug>`, `GET /api/missions/<slug>/kanban`,
//! `GET /api/missions/<slug>/lanes`, `GET /api/missions/<slug>/lanes.svg`,
//! `GET /api/missions/<slug>/artifacts`, `GET /api/missions/<slug>/artifacts/<path>`,
//! `POST /api/shutdown` (token). Anything else is a 4xx with a JSON error body.
//! To add a route, add a match arm in [`route`] and a section to docs/dashboard.md.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::json;

use super::model::{self, MissionData, RenderedArtifact};
use super::paths::{self, PathError};
use super::record::token_matches;
use crate::project::{self, MissionRef, SPECS_DIR};

/// Largest artifact the dashboard renders.
pub const MAX_ARTIFACT_BYTES: u64 = 2 * 1024 * 1024;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// What the server knows while it runs.
pub struct Context {
    /// The project root (canonical).
    pub root: PathBuf,
    /// The port it listens on (for the `Host` check).
    pub port: u16,
    /// The shutdown token.
    pub token: String,
    /// The server's pid.
    pub pid: u32,
    /// Mission replies by route, with the fingerprint they were computed at.
    pub cache: Mutex<HashMap<String, (String, Reply)>>,
}

impl Context {
    /// A context with an empty cache.
    pub fn new(root: PathBuf, port: u16, token: String, pid: u32) -> Context {
        Context {
            root,
            port,
            token,
            pid,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The cached reply for `key` when the project's fingerprint has not changed since it was
    /// computed; otherwise computes it (and keeps it when it is a 200).
    fn cached(&self, key: &str, compute: impl FnOnce() -> Reply) -> Reply {
        let fingerprint = model::fingerprint(&self.root);
        if let Ok(cache) = self.cache.lock()
            && let Some((f, reply)) = cache.get(key)
            && *f == fingerprint
        {
            return reply.clone();
        }
        let reply = compute();
        if reply.status == 200
            && let Ok(mut cache) = self.cache.lock()
        {
            cache.insert(key.to_owned(), (fingerprint, reply.clone()));
        }
        reply
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("root", &self.root)
            .field("port", &self.port)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// The parts of a request routing looks at.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `HEAD`, `POST`, ...
    pub method: &'a str,
    /// The request target as sent (`/api/missions?x=1`).
    pub target: &'a str,
    /// The `Host` header, if any.
    pub host: Option<&'a str>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
}

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the server should stop after sending it.
    pub shutdown: bool,
    /// `Allow` header for a 405.
    pub allow: Option<&'static str>,
}

const JSON: &str = "application/json; charset=utf-8";

impl Reply {
    fn json<T: Serialize>(value: &T) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply::bytes(200, JSON, body),
            Err(e) => Reply::error(500, "dashboard::internal", &format!("cannot encode: {e}")),
        }
    }

    fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            body,
            shutdown: false,
            allow: None,
        }
    }

    /// A JSON error: `{"error": {"status": .., "code": .., "message": ..}}`.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        let body = json!({"error": {"status": status, "code": code, "message": message}});
        Reply::bytes(status, JSON, body.to_string().into_bytes())
    }

    fn from_path_error(e: PathError) -> Reply {
        Reply::error(e.status, e.code, &e.message)
    }
}

/// Whether `host` names this server on the loopback interface (refuses DNS-rebinding requests
/// that reach 127.0.0.1 under another name).
fn host_ok(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    [format!("127.0.0.1:{port}"), format!("localhost:{port}")].contains(&host)
}

/// Answers one request.
pub fn route(ctx: &Context, req: Request<'_>) -> Reply {
    if !host_ok(req.host, ctx.port) {
        return Reply::error(
            403,
            "dashboard::bad-host",
            "the Host header must be 127.0.0.1:<port> or localhost:<port>",
        );
    }
    let path = req.target.split(['?', '#']).next().unwrap_or_default();
    let segs = match paths::segments(path) {
        Ok(s) => s,
        Err(e) => return Reply::from_path_error(e),
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let read = matches!(req.method, "GET" | "HEAD");
    match (segs.as_slice(), read) {
        (["api", "shutdown"], _) if req.method == "POST" => shutdown(ctx, req.authorization),
        (["api", "shutdown"], _) => not_allowed("POST"),
        (_, false) => not_allowed("GET, HEAD"),
        ([], _) | (["index.html"], _) => {
            Reply::bytes(200, "text/html; charset=utf-8", INDEX_HTML.into())
        }
        (["assets", "app.js"], _) => {
            Reply::bytes(200, "text/javascript; charset=utf-8", APP_JS.into())
        }
        (["assets", "app.css"], _) => Reply::bytes(200, "text/css; charset=utf-8", APP_CSS.into()),
        (["api", "health"], _) => Reply::json(&json!({
            "status": "ok",
            "service": "spec-kitty-dashboard",
            "version": crate::VERSION,
            "project_root": ctx.root.display().to_string(),
            "pid": ctx.pid,
        })),
        (["api", "fingerprint"], _) => {
            Reply::json(&json!({"fingerprint": model::fingerprint(&ctx.root)}))
        }
        (["api", "missions"], _) => ctx.cached(path, || missions(&ctx.root)),
        // Artifacts are read fresh: the fingerprint does not cover every file they can name.
        (["api", "missions", slug, rest @ ..], _) if rest.first() == Some(&"artifacts") => {
            mission_route(&ctx.root, slug, rest)
        }
        (["api", "missions", slug, rest @ ..], _) => {
            ctx.cached(path, || mission_route(&ctx.root, slug, rest))
        }
        _ => Reply::error(404, "dashboard::not-found", "no such page or API route"),
    }
}

fn not_allowed(allow: &'static str) -> Reply {
    Reply {
        allow: Some(allow),
        ..Reply::error(405, "dashboard::method", "method not allowed")
    }
}

fn shutdown(ctx: &Context, authorization: Option<&str>) -> Reply {
    let given = authorization
        .and_then(|a| a.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if !token_matches(&ctx.token, given) {
        return Reply::error(
            403,
            "dashboard::bad-token",
            "shutdown needs `Authorization: Bearer <token from .kittify/.dashboard>`",
        );
    }
    Reply {
        shutdown: true,
        ..Reply::json(&json!({"stopping": true, "pid": ctx.pid}))
    }
}

fn missions(root: &Path) -> Reply {
    let mut rows = Vec::new();
    for slug in project::list_missions(root) {
        let m = mission_ref(root, &slug);
        // One unreadable mission does not hide the others.
        rows.push(match MissionData::load(root, &m) {
            Ok(data) => data.summary(&slug),
            Err(e) => model::MissionSummary::unreadable(&slug, e),
        });
    }
    Reply::json(&json!({ "missions": rows }))
}

fn mission_ref(root: &Path, slug: &str) -> MissionRef {
    MissionRef {
        slug: slug.to_owned(),
        dir: root.join(SPECS_DIR).join(slug),
    }
}

fn mission_route(root: &Path, slug: &str, rest: &[&str]) -> Reply {
    // The slug must name an existing mission directory exactly; it is never joined as a path.
    if !project::list_missions(root).iter().any(|m| m == slug) {
        return Reply::error(
            404,
            "dashboard::unknown-mission",
            &format!("no mission `{slug}` in kitty-specs/"),
        );
    }
    let m = mission_ref(root, slug);
    if let ["artifacts", path @ ..] = rest
        && !path.is_empty()
    {
        return artifact(&m, path);
    }
    if rest == ["artifacts"] {
        return Reply::json(&json!({"mission": slug, "artifacts": model::artifacts(&m.dir)}));
    }
    let data = match MissionData::load(root, &m) {
        Ok(d) => d,
        Err(e) => return Reply::error(500, "dashboard::mission-unreadable", &e),
    };
    match rest {
        [] => Reply::json(&data.summary(slug)),
        ["kanban"] => Reply::json(&data.kanban(slug)),
        ["lanes"] | ["lanes.svg"] => match data.lane_graph(slug) {
            Some(g) if rest == ["lanes.svg"] => {
                Reply::bytes(200, "image/svg+xml; charset=utf-8", g.svg.into_bytes())
            }
            Some(g) => Reply::json(&g),
            None => Reply::error(
                404,
                "dashboard::no-lanes",
                &format!(
                    "mission `{slug}` has no lanes.json yet; run `spec-kitty agent mission finalize-tasks --mission {slug}`"
                ),
            ),
        },
        _ => Reply::error(404, "dashboard::not-found", "no such mission route"),
    }
}

fn artifact(m: &MissionRef, parts: &[&str]) -> Reply {
    let owned: Vec<String> = parts.iter().map(|s| (*s).to_owned()).collect();
    let rel = owned.join("/");
    if !model::is_artifact(&rel) {
        return Reply::error(
            404,
            "dashboard::not-an-artifact",
            "only Markdown, YAML, JSON and text artifacts of the mission are served",
        );
    }
    let file = match paths::resolve_inside(&m.dir, &owned) {
        Ok(f) => f,
        Err(e) => return Reply::from_path_error(e),
    };
    let too_big = std::fs::metadata(&file).map_or(true, |md| md.len() > MAX_ARTIFACT_BYTES);
    if too_big {
        return Reply::error(
            413,
            "dashboard::too-large",
            "the artifact is larger than 2 MiB",
        );
    }
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) => return Reply::error(404, "dashboard::not-found", &e.to_string()),
    };
    let text = String::from_utf8_lossy(&bytes);
    let is_md = rel.ends_with(".md") || rel.ends_with(".markdown");
    Reply::json(&RenderedArtifact {
        mission: m.slug.clone(),
        kind: model::artifact_kind(&rel),
        html: super::markdown::render(&text, is_md),
        path: rel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(root: &Path) -> Context {
        Context::new(root.to_path_buf(), 9, "t".repeat(64), 1)
    }

    fn get(c: &Context, target: &str) -> Reply {
        route(
            c,
            Request {
                method: "GET",
                target,
                host: Some("127.0.0.1:9"),
                authorization: None,
            },
        )
    }

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = dir.path().join(SPECS_DIR).join("001-m");
        std::fs::create_dir_all(m.join("tasks")).expect("mkdir");
        std::fs::write(m.join("spec.md"), "# Spec\n").expect("write");
        std::fs::write(
            m.join("tasks").join("WP01-a.md"),
            "---\nwork_package_id: WP01\ntitle: First\ndependencies: []\n---\n# WP01\n",
        )
        .expect("write");
        dir
    }

    #[test]
    fn pages_and_api_answer() {
        let dir = project();
        let c = ctx(dir.path());
        assert_eq!(get(&c, "/").status, 200);
        assert_eq!(get(&c, "/assets/app.js").status, 200);
        let r = get(&c, "/api/missions");
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(v["missions"][0]["slug"], "001-m");
        assert_eq!(v["missions"][0]["by_lane"]["planned"], 1);
        let k: serde_json::Value =
            serde_json::from_slice(&get(&c, "/api/missions/001-m/kanban").body).expect("json");
        assert_eq!(k["columns"].as_array().map(Vec::len), Some(9));
        assert_eq!(k["columns"][0]["wps"][0]["title"], "First");
        let a = get(&c, "/api/missions/001-m/artifacts/spec.md");
        assert_eq!(a.status, 200);
        assert!(String::from_utf8_lossy(&a.body).contains("<h1>Spec</h1>"));
        assert_eq!(get(&c, "/api/missions/001-m/lanes").status, 404);
        assert_eq!(get(&c, "/api/missions/nope/kanban").status, 404);
        assert_eq!(get(&c, "/nope").status, 404);
    }

    #[test]
    fn an_unreadable_mission_does_not_hide_the_others() {
        let dir = project();
        let bad = dir.path().join(SPECS_DIR).join("002-bad");
        std::fs::create_dir_all(bad.join(crate::compiler::status::EVENTS_FILE)).expect("mkdir");
        let c = ctx(dir.path());
        let r = get(&c, "/api/missions");
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!(v["missions"][0]["total_wps"], 1);
        assert_eq!(v["missions"][1]["slug"], "002-bad");
        assert_eq!(
            v["missions"][1]["warnings"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(get(&c, "/api/missions/002-bad/kanban").status, 500);
        std::fs::write(dir.path().join(SPECS_DIR).join("001-m/lanes.json"), "{").expect("write");
        let v: serde_json::Value =
            serde_json::from_slice(&get(&c, "/api/missions/001-m").body).expect("json");
        assert!(
            v["warnings"][0]
                .as_str()
                .is_some_and(|w| w.starts_with("lanes.json is not"))
        );
        assert_eq!(v["execution_lanes"], serde_json::Value::Null);
    }

    #[test]
    fn cached_replies_follow_the_files() {
        let dir = project();
        let c = ctx(dir.path());
        let count = |c: &Context| {
            let v: serde_json::Value =
                serde_json::from_slice(&get(c, "/api/missions/001-m/kanban").body).expect("json");
            v["columns"][0]["wps"].as_array().map_or(0, Vec::len)
        };
        assert_eq!(count(&c), 1);
        assert_eq!(count(&c), 1);
        std::fs::write(
            dir.path().join(SPECS_DIR).join("001-m/tasks/WP02-b.md"),
            "---\nwork_package_id: WP02\ntitle: Second\n---\n",
        )
        .expect("write");
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn refusals_are_json_4xx() {
        let dir = project();
        let c = ctx(dir.path());
        for (target, status) in [
            ("/api/missions/001-m/artifacts/../../../etc/passwd", 400),
            (
                "/api/missions/001-m/artifacts/%2e%2e/%2e%2e/Cargo.toml",
                400,
            ),
            ("/api/missions/001-m/artifacts//etc/passwd", 400),
            ("/api/missions/%2e%2e/artifacts/x.md", 400),
            ("/api/missions/001-m/artifacts/meta.json", 404),
            ("/api/missions/001-m/artifacts/missing.md", 404),
        ] {
            let r = get(&c, target);
            assert_eq!(r.status, status, "{target}");
            let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json error");
            assert_eq!(v["error"]["status"], status, "{target}");
        }
        let bad_host = route(
            &c,
            Request {
                method: "GET",
                target: "/api/missions",
                host: Some("evil.example:9"),
                authorization: None,
            },
        );
        assert_eq!(bad_host.status, 403);
        let post = |auth: Option<&str>| {
            route(
                &c,
                Request {
                    method: "POST",
                    target: "/api/shutdown",
                    host: Some("localhost:9"),
                    authorization: auth,
                },
            )
        };
        assert_eq!(post(None).status, 403);
        assert_eq!(post(Some("Bearer nope")).status, 403);
        let bearer = format!("Bearer {}", "t".repeat(64));
        let ok = post(Some(bearer.as_str()));
        assert!(ok.status == 200 && ok.shutdown);
        assert_eq!(get(&c, "/api/shutdown").status, 405);
        let put = route(
            &c,
            Request {
                method: "PUT",
                target: "/api/missions",
                host: Some("127.0.0.1:9"),
                authorization: None,
            },
        );
        assert_eq!((put.status, put.allow), (405, Some("GET, HEAD")));
    }
}
