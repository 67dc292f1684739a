// The Spec Kitty dashboard page: a small hash-routed view over the JSON API (docs/dashboard.md).
// Routes: #/ (missions), #/m/<slug> (kanban, lane graph, artifacts), #/m/<slug>/a/<path>.
// Live: /api/fingerprint is polled every second; when it changes the current view is refetched
// and re-rendered in place (no reload). Data is inserted as text; only the server's sanitised
// artifact HTML and its lane-graph SVG are inserted as markup.
"use strict";

const POLL_MS = 1000;
const app = document.getElementById("app");
const crumbs = document.getElementById("crumbs");
const live = document.getElementById("live");
let fingerprint = null;
let lastLanes = new Map();
window.__renders = 0;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

async function getJSON(path) {
  const resp = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  const body = await resp.json().catch(() => null);
  if (!resp.ok) {
    const msg = body && body.error ? body.error.message : resp.statusText;
    const err = new Error(msg);
    err.status = resp.status;
    throw err;
  }
  return body;
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "m" && parts[1]) {
    const artifact = parts[2] === "a" && parts.length > 3 ? parts.slice(3).join("/") : null;
    return { view: "mission", slug: parts[1], artifact };
  }
  return { view: "missions" };
}

function laneLabel(lane) {
  return lane.replace(/_/g, " ");
}

function pill(lane, text) {
  return el("span", { class: "pill st-" + lane, title: laneLabel(lane) }, text);
}

function progressBar(pct) {
  const bar = el("span", { class: "bar", title: pct + "% weighted" }, el("span"));
  bar.firstChild.setAttribute("data-pct", pct);
  bar.firstChild.style.width = Math.max(0, Math.min(100, pct)) + "%";
  return bar;
}

function missionHref(slug) {
  return "#/m/" + encodeURIComponent(slug);
}

function renderMissions(data) {
  crumbs.replaceChildren("Missions");
  if (!data.missions.length) {
    return el("div", {}, el("h1", {}, "Missions"),
      el("p", { class: "muted" }, "No missions in kitty-specs/ yet. Create one with /spec-kitty.specify."));
  }
  const rows = data.missions.map((m) => {
    const counts = el("div", { class: "counts" },
      Object.entries(m.by_lane).filter(([, n]) => n > 0).map(([lane, n]) => pill(lane, laneLabel(lane) + " " + n)));
    const active = el("ul", { class: "active-list" },
      m.active.length ? m.active.map((w) => el("li", { "data-wp": w.id },
        el("strong", {}, w.agent || "unassigned"), " → ", w.id, " ", w.title || "", " ", pill(w.lane, laneLabel(w.lane))))
        : el("li", { class: "muted" }, "nobody"));
    return el("tr", { "data-mission": m.slug },
      el("td", {}, el("a", { href: missionHref(m.slug) }, m.slug),
        m.friendly_name && m.friendly_name !== m.slug ? el("div", { class: "muted" }, m.friendly_name) : null,
        m.warnings.length ? el("div", { class: "warn" }, m.warnings.length + " warning(s)") : null),
      el("td", {}, progressBar(m.progress_percentage), m.done_wps + "/" + m.total_wps + " done"),
      el("td", {}, counts),
      el("td", {}, m.execution_lanes === null ? el("span", { class: "muted" }, "not finalized") : String(m.execution_lanes)),
      el("td", {}, active),
      el("td", { class: "muted" }, m.last_event_at || "—"));
  });
  return el("div", {},
    el("h1", {}, "Missions"),
    el("table", { class: "missions" },
      el("thead", {}, el("tr", {}, ["Mission", "Progress", "Work packages", "Lanes", "Who is working on what", "Last change"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
}

function card(w) {
  const meta = el("div", { class: "meta" },
    el("span", { class: "agent" }, "agent: " + (w.agent || "—")),
    el("span", { class: "exec-lane" }, "lane: " + (w.execution_lane || "—")),
    el("span", { class: "deps" }, "deps: " + (w.dependencies.length ? w.dependencies.join(", ") : "none")),
    w.waiting_on.length && !["done", "canceled"].includes(w.lane)
      ? el("span", { class: "waiting" }, "waiting on " + w.waiting_on.join(", ")) : null);
  const node = el("article", { class: "card", "data-wp": w.id, "data-lane": w.lane },
    el("div", { class: "wp-id" }, el("a", { href: missionHref(currentSlug()) + "/a/" + w.file.split("/").map(encodeURIComponent).join("/") }, w.id)),
    el("div", { class: "wp-title" }, w.title || w.id),
    meta);
  const before = lastLanes.get(w.id);
  if (before !== undefined && before !== w.lane) node.classList.add("flash");
  return node;
}

function currentSlug() {
  return route().slug || "";
}

function renderKanban(kanban) {
  const cols = kanban.columns.map((c) => el("section", { class: "column", "data-lane": c.lane },
    el("h3", {}, c.label, el("span", { class: "count" }, String(c.wps.length))),
    c.wps.map(card)));
  const next = new Map();
  for (const c of kanban.columns) for (const w of c.wps) next.set(w.id, w.lane);
  lastLanes = next;
  return el("div", { class: "kanban", id: "kanban" }, cols);
}

function renderLanes(graph) {
  if (!graph) {
    return el("p", { class: "muted" }, "No lanes.json yet: run spec-kitty agent mission finalize-tasks.");
  }
  const box = el("div", { class: "graph", id: "lane-graph" });
  box.innerHTML = graph.svg; // generated by the server from lanes.json, every value escaped
  return el("div", {}, box,
    el("div", { class: "legend" },
      "Boxes are execution lanes (columns by parallel group, arrows from the lane waited for); the dashed box is ",
      graph.planning_lane, " (main checkout). ",
      graph.critical_path.length ? el("span", { class: "crit" }, "Critical path: " + graph.critical_path.join(" → ")) : "No dependency chain."));
}

function renderArtifacts(slug, list, selected, doc) {
  const items = list.artifacts.map((a) => el("li", {},
    el("a", { href: missionHref(slug) + "/a/" + a.path.split("/").map(encodeURIComponent).join("/"), class: a.path === selected ? "current" : null },
      el("span", { class: "kind" }, a.kind), a.path)));
  const pane = el("div", { class: "doc", id: "artifact" });
  if (doc) {
    pane.setAttribute("data-path", doc.path);
    pane.innerHTML = doc.html; // rendered by the server; raw HTML in files is shown as text
    // Relative links between artifacts (`[plan](plan.md)`) open the linked artifact here.
    const known = new Set(list.artifacts.map((a) => a.path));
    pane.addEventListener("click", (ev) => {
      const link = ev.target.closest("a[href]");
      const href = link && link.getAttribute("href");
      if (!href || href.startsWith("#") || /^[a-z][a-z0-9+.-]*:/i.test(href)) return;
      const target = resolveRelative(doc.path, href.split("#")[0]);
      if (target && known.has(target)) {
        ev.preventDefault();
        location.hash = "#/m/" + encodeURIComponent(slug) + "/a/" + target.split("/").map(encodeURIComponent).join("/");
      }
    });
  } else {
    pane.append(el("p", { class: "muted" }, list.artifacts.length ? "Choose an artifact." : "No artifacts yet."));
  }
  return el("div", { class: "artifacts" }, el("ul", { class: "artifact-list" }, items), pane);
}

// `href` relative to the artifact at `from` (both mission-relative), or null when it leaves the
// mission directory.
function resolveRelative(from, href) {
  const parts = href.startsWith("/") ? [] : from.split("/").slice(0, -1);
  for (const seg of href.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (!parts.length) return null;
      parts.pop();
    } else {
      parts.push(decodeURIComponent(seg));
    }
  }
  return parts.join("/");
}

async function renderMission(r) {
  const base = "/api/missions/" + encodeURIComponent(r.slug);
  const [summary, kanban, graph, list] = await Promise.all([
    getJSON(base),
    getJSON(base + "/kanban"),
    getJSON(base + "/lanes").catch((e) => (e.status === 404 ? null : Promise.reject(e))),
    getJSON(base + "/artifacts"),
  ]);
  const selected = r.artifact || (list.artifacts.find((a) => a.path === "spec.md") || list.artifacts[0] || {}).path;
  const doc = selected
    ? await getJSON(base + "/artifacts/" + selected.split("/").map(encodeURIComponent).join("/")).catch((e) => ({ path: selected, html: "", error: e.message }))
    : null;
  crumbs.replaceChildren(el("a", { href: "#/" }, "Missions"), " / ", r.slug);
  const artifacts = renderArtifacts(r.slug, list, selected, doc && !doc.error ? doc : null);
  if (doc && doc.error) artifacts.lastChild.append(el("p", { class: "error" }, doc.error));
  return el("div", { "data-mission": r.slug },
    el("h1", {}, summary.friendly_name && summary.friendly_name !== r.slug ? summary.friendly_name + " (" + r.slug + ")" : r.slug),
    el("p", {}, progressBar(summary.progress_percentage),
      summary.done_wps + "/" + summary.total_wps + " done · " + summary.progress_percentage + "% weighted · ",
      summary.mission_type, summary.target_branch ? " → " + summary.target_branch : ""),
    summary.warnings.length ? el("p", { class: "warn" }, summary.warnings.join("; ")) : null,
    el("h2", {}, "Kanban"), renderKanban(kanban),
    el("h2", {}, "Lanes"), renderLanes(graph),
    el("h2", {}, "Artifacts"), artifacts);
}

let rendering = null;
async function render() {
  if (rendering) return rendering;
  rendering = (async () => {
    const r = route();
    try {
      const view = r.view === "mission" ? await renderMission(r) : renderMissions(await getJSON("/api/missions"));
      app.replaceChildren(view);
      window.__renders += 1;
      document.body.setAttribute("data-renders", String(window.__renders));
    } catch (e) {
      app.replaceChildren(el("p", { class: "error" }, "Cannot load: " + e.message), el("p", {}, el("a", { href: "#/" }, "Back to the missions")));
    }
  })();
  try { await rendering; } finally { rendering = null; }
}

async function poll() {
  try {
    const f = await getJSON("/api/fingerprint");
    live.className = "live ok";
    live.textContent = "live";
    if (fingerprint !== null && f.fingerprint !== fingerprint) {
      fingerprint = f.fingerprint;
      await render();
    }
    fingerprint = f.fingerprint;
  } catch (e) {
    live.className = "live err";
    live.textContent = "server unreachable";
  }
  setTimeout(poll, POLL_MS);
}

window.addEventListener("hashchange", () => { lastLanes = new Map(); render(); });
render().then(poll);
