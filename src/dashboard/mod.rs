//! `spec-kitty dashboard`: a local, read-only web view of every mission, live.
//!
//! One purpose per file:
//! - [`lifecycle`]: start (detached), reuse, stop (`--kill`) and stale-record cleanup;
//! - [`record`]: `.kittify/.dashboard` (url, port, token, pid; mode 0600) and the token;
//! - [`server`]: binding 127.0.0.1 with port fallback, the tiny_http worker loop, headers;
//! - [`api`]: routing a request to a reply (pages, assets, the JSON API, refusals);
//! - [`paths`]: request paths to files inside a mission directory, or a 4xx refusal;
//! - [`model`]: what the page shows (missions, kanban, lane graph, artifacts), read with the
//!   library's own readers;
//! - [`svg`]: the lane graph as an SVG picture;
//! - [`markdown`]: artifacts rendered to HTML with raw HTML neutralised;
//! - `assets/`: the page (HTML, JS, CSS), embedded with `include_str!`; no CDN, no network.
//!
//! The page polls `/api/fingerprint` every second and refetches what it shows when the value
//! changes (a status event appended, lanes or WP files rewritten). docs/dashboard.md documents the
//! command, the API shapes and the security model.

pub mod api;
pub mod lifecycle;
pub mod markdown;
pub mod model;
pub mod paths;
pub mod record;
pub mod server;
pub mod svg;
