#!/usr/bin/env python3
"""Differential test against spec-kitty 3.1.1 (local only, never in CI).

Generates random missions in 3.1.1's domain (two-digit WP ids, every tasks.md declaration form,
prose that looks like declarations, frontmatter with and without the fields finalize infers) and
compares `finalize-tasks --validate-only --json` of both implementations. Differences that
docs/compatibility.md lists are normalised away; anything else is printed with the seed.

With --full, each mission is also finalized for real (in a git repository) by both, and the
written frontmatter values, lanes.json and status events are compared.

Usage: diff-311.py SPEC_KITTY_311 OUR_BINARY [COUNT] [FIRST_SEED] [--full]
"""
import json
import re, os, random, shutil, subprocess, sys, tempfile

full = "--full" in sys.argv
args = [a for a in sys.argv if a != "--full"]
py, ours = args[1], args[2]
count = int(args[3]) if len(args) > 3 else 200
first = int(args[4]) if len(args) > 4 else 1
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}

HEADINGS = ["## {id}", "## {id}: {t}", "## {id} — {t}", "## Work Package {id}: {t}", "### {id} {t}",
            "#### {id} {t}", "## {id}_x", "## Work Package {n} — {t}"]
PROSE = ["Implements the parser.", "See plan.md for context.", "Touch src/app/{w}.py and tests/test_{w}.py.",
         "Update docs/{w}.md.", "No dependencies: this one is independent of {o}.", "Blocked by {o}.",
         "Prerequisites: {o}", "depends on {o_lower}", "Depends upon {o}", "**Depends on**: {o}",
         "| {o} | table |", "---", "```\n## inside fence\n```", "Edit kitty-specs/x/spec.md only.",
         "Review the API endpoint.", "Requirement: FR-00{r}", "**Requirement Refs**: FR-00{r}, NFR-001"]

ODD_VALUES = ["priority: 1", "priority: high", "created_at: 2026-01-01T10:00:00Z", "created_at: '2026-01-01T10:00:00Z'",
              "shell_pid: abc", "shell_pid: '123'", "shell_pid: ''", "lane: doing", "lane: 3", "lane: ''",
              "phase: 2", "tags: [x]", "tags:", "mission_number: 7", "mission_number: '007'", "agent: {tool: x}",
              "base_commit: HEAD", "base_commit: abc1234", "review_status: 017", "assignee: 1_000",
              "history:", "history: x", "subtasks: T001", "dependencies:", "requirement_refs:",
              "execution_mode: worktree", "execution_mode: ''", "title: ''", "title: 2026-01-01", "model: true",
              "priority: high\t", "priority: 'a\tb'", "priority: a\tb", "tags: [a,\tb]", "history: !!str 1",
              "requirement_refs: 017", "dependencies: 2026-01-01", "priority: |\n  a\tb"]


def declare(rng, deps, all_ids):
    if not deps:
        return rng.choice(["**Dependencies**: none", "Depends on: nothing", "", "- **Dependencies**: None.",
                           "**Dependencies**: none (independent of {})".format(rng.choice(all_ids))])
    form = rng.randrange(6)
    if form == 0:
        return "Depends on " + ", ".join(deps)
    if form == 1:
        return "**Dependencies**: " + ", ".join(deps)
    if form == 2:
        return "### Dependencies\n\n" + "\n".join("- " + d + rng.choice(["", " (core)"]) for d in deps)
    if form == 3:
        return "**Dependencies**:\n\n" + "\n".join("- " + d for d in deps)
    if form == 4:
        return "Depends on " + " and ".join(deps)
    return "- **Dependencies**: " + ", ".join(deps) + " (see notes)."


def mission(rng, root):
    clean = rng.random() < 0.5  # a mission likely to pass every check, so the full run happens
    n = rng.randint(2, 9)
    ids = [f"WP{i:02d}" for i in range(1, n + 1)]
    frs = [f"FR-00{i}" for i in range(1, rng.randint(2, 6))]
    m = os.path.join(root, "kitty-specs", "001-m")
    os.makedirs(os.path.join(m, "tasks"))
    os.makedirs(os.path.join(root, ".kittify"))
    for d in ("src/app", "tests", "docs"):
        if rng.random() < 0.7:
            os.makedirs(os.path.join(root, d), exist_ok=True)
            open(os.path.join(root, d, "a.py"), "w").write("x\n")
    open(os.path.join(m, "spec.md"), "w").write("# Spec\n" + "".join(f"- {f}\n" for f in frs) + "- NFR-001\n- C-001\n")
    if rng.random() < 0.9:
        json.dump({"mission_id": "01KZ0000000000000000000000"}, open(os.path.join(m, "meta.json"), "w"))
    lines = ["# Tasks", ""]
    declared = {}
    for i, wp in enumerate(ids):
        earlier = ids[:i] if (clean or rng.random() < 0.9) else ids  # sometimes allow cycles
        deps = sorted(rng.sample(earlier, min(len(earlier), rng.randint(0, 2))))
        h = rng.choice(HEADINGS[:5]) if (clean or rng.random() < 0.9) else rng.choice(HEADINGS)
        lines.append(h.format(id=wp, t=f"Title {i}", n=i + 1))
        lines.append("")
        for _ in range(0 if clean else rng.randint(0, 2)):
            o = rng.choice(ids)
            lines.append(rng.choice(PROSE).format(w=f"m{i}", o=o, o_lower=o.lower(), r=rng.randint(1, 6)))
        lines.append(declare(rng, deps, ids) if (deps or not clean) else "**Dependencies**: none")
        declared[wp] = deps
        lines.append(f"- [ ] T0{i}1 do it")
        lines.append("")
    tail = "" if clean else rng.choice(["", "## Notes\n\nWP02 depends on WP01.\n", "## Dependencies: WP01\n", "## Dependencies\n\n- WP01\n",
                       "### Notes\nDepends on WP01\n", "## Work Package 9 — later\nDepends on WP01\n"])
    lines.append(tail)
    # Some missions are written with CRLF line endings (3.1.1 read text with universal newlines).
    nl = "\r\n" if rng.random() < 0.15 else "\n"
    open(os.path.join(m, "tasks.md"), "w", newline="").write("\n".join(lines).replace("\n", nl))
    fm_deps = False
    for i, wp in enumerate(ids):
        if not clean and rng.random() < 0.05:
            continue  # a section without a file
        fm = [f"work_package_id: {wp}", f"title: Title {i}"]
        if clean and rng.random() < 0.3:
            fm.append("dependencies: [" + ", ".join(declared.get(wp, [])) + "]")
        elif not clean and rng.random() < 0.3:
            listed = sorted(rng.sample(ids[:i], min(i, rng.randint(0, 1))))
            fm_deps = fm_deps or bool(listed)
            fm.append("dependencies: [" + ", ".join(listed) + "]")
        if clean:
            fm.append("requirement_refs: [" + ", ".join(frs if i == 0 else rng.sample(frs, rng.randint(1, len(frs)))) + "]")
        elif rng.random() < 0.8:
            fm.append("requirement_refs: [" + ", ".join(rng.sample(frs, rng.randint(0, len(frs)))) + "]")
        if rng.random() < 0.5:
            fm.append("execution_mode: " + rng.choice(["code_change", "planning_artifact"]))
        if clean or rng.random() < 0.5:
            fm.append(f"owned_files:\n- src/app/m{i}/**")
            if rng.random() < 0.7:
                fm.append(f"authoritative_surface: src/app/m{i}/")
        if rng.random() < 0.2:
            fm.append("subtasks:\n- T001")
        if rng.random() < 0.15:
            # Values 3.1.1's frontmatter schema accepts or refuses (a refused one skips the WP).
            fm.append(rng.choice(ODD_VALUES))
        body = ("Edit src/app/m{i}/x.py".format(i=i) if clean and "owned_files" not in "".join(fm) else None) or rng.choice(["Edit src/app/m{i}/x.py".format(i=i), "Write kitty-specs/001-m/plan.md", "Nothing.",
                           "Touch src/app/m{i}/ and tests/test_m{i}.py.".format(i=i), "See docs/guide.md, src/shared/"])
        text = "---\n" + "\n".join(fm) + "\n---\n# " + wp + "\n\n" + body + "\n"
        open(os.path.join(m, "tasks", f"{wp}-x.md"), "w", newline="").write(text.replace("\n", nl))
    return fm_deps


def run(binary, root):
    p = subprocess.run([binary, "agent", "mission", "finalize-tasks", "--mission", "001-m", "--validate-only", "--json"],
                       cwd=root, capture_output=True, text=True, env={**os.environ, "SPECIFY_REPO_ROOT": root})
    text = "\n".join(l for l in p.stdout.splitlines() if l.startswith("{"))
    try:
        return p.returncode, json.loads(text)
    except ValueError:
        return p.returncode, {"unparsed": p.stdout[-300:], "stderr": p.stderr[-300:]}


OWNED_KEYS = ("dependencies", "requirement_refs", "planning_base_branch", "merge_target_branch", "branch_strategy",
              "execution_mode", "owned_files", "authoritative_surface")


def written_state(root):
    """The values finalize wrote: owned frontmatter keys per WP file, lanes.json, seeded WP ids."""
    import yaml  # PyYAML ships with the 3.1.1 venv's dependencies; fall back to raw text otherwise
    m = os.path.join(root, "kitty-specs", "001-m")
    state = {}
    for name in sorted(os.listdir(os.path.join(m, "tasks"))):
        text = open(os.path.join(m, "tasks", name)).read()
        if not text.startswith("---"):
            continue
        fm = text.split("---", 2)[1]
        try:
            data = yaml.safe_load(fm) or {}
        except Exception:
            try:  # PyYAML refuses a tab inside a flow list, which ruamel (3.1.1's reader) accepts
                data = yaml.safe_load(fm.replace("\t", " ")) or {}
            except Exception:
                data = {"unparsed": fm}
        state[name] = {k: data.get(k) for k in OWNED_KEYS}
    lanes = os.path.join(m, "lanes.json")
    if os.path.exists(lanes):
        d = json.load(open(lanes))
        d.pop("computed_at", None)
        state["lanes.json"] = d
    ev = os.path.join(m, "status.events.jsonl")
    if os.path.exists(ev):
        state["seeded"] = sorted(json.loads(l)["wp_id"] for l in open(ev) if l.strip())
    return state


def run_full(binary, root):
    env = {**os.environ, **GIT_ENV, "SPECIFY_REPO_ROOT": root}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=root, env=env, check=True)
    p = subprocess.run([binary, "agent", "mission", "finalize-tasks", "--mission", "001-m", "--json"], cwd=root,
                       capture_output=True, text=True, env=env)
    return p.returncode, written_state(root), p.stdout


def norm(d, root):
    d = json.loads(json.dumps(d).replace(root, "<root>"))
    d.pop("spec_kitty_version", None)
    if "would_modify" in d:
        d["would_modify"] = sorted(d["would_modify"], key=lambda x: x["wp_id"])
    for k in ("unchanged", "would_preserve", "ownership_warnings"):
        if k in d:
            d[k] = sorted(d[k])
    if "ownership_errors" in d:
        def o(m):
            if not m.startswith("Overlap: "):
                return m
            a, b = m[len("Overlap: "):-len(" claim overlapping paths.")].split(") and ")
            return " | ".join(sorted([a + ")", b if b.endswith(")") else b + ")"]))
        d["ownership_errors"] = sorted(o(m) for m in d["ownership_errors"])
    if "requirement_refs_parsed" in d:
        d["requirement_refs_parsed"] = dict(sorted(d["requirement_refs_parsed"].items()))
    return d


def l3a_only(a, root):
    """3.1.1 refused only dependencies on WPs that have a prompt file (compatibility.md L3a)."""
    errors = a.get("errors") or []
    tasks = os.path.join(root, "kitty-specs", "001-m", "tasks")
    names = os.listdir(tasks) if os.path.isdir(tasks) else []
    for e in errors:
        m = re.fullmatch(r"Dependency (WP\d+) not found in graph", e)
        if not m or not any(re.match(re.escape(m.group(1)) + r"([-_.]|$)", n) for n in names):
            return False
    return bool(errors)


bad = 0
full_runs = 0
for seed in range(first, first + count):
    rng = random.Random(seed)
    root = tempfile.mkdtemp(prefix="diff311-")
    try:
        fm_deps = mission(rng, root)
        (ca, a), (cb, b) = run(py, root), run(ours, root)
        a, b = norm(a, root), norm(b, root)
        # D1: kept frontmatter dependencies change lanes (and may reveal cycles or unknown refs).
        preserved = a.get("would_preserve")
        if preserved and a.get("validation") and b.get("validation"):
            a["validation"]["lanes_preview"] = b["validation"]["lanes_preview"]
        if full and ca == 0 and cb == 0 and not fm_deps:
            root2 = tempfile.mkdtemp(prefix="diff311-")
            shutil.rmtree(root2)
            shutil.copytree(root, root2)
            full_runs += 1
            fa, sa, out_a = run_full(py, root)
            fb, sb, _ = run_full(ours, root2)
            shutil.rmtree(root2, ignore_errors=True)
            if "cannot represent an object: <Lane." in out_a:
                continue  # D4: 3.1.1 crashed writing a WP with a `lane:` key
            # 3.1.1 re-serialised lists: compare values only (D4 surgical edits keep formatting).
            if (fa == 0) != (fb == 0) or sa != sb:
                bad += 1
                print(f"seed {seed} (full run): 3.1.1 exit {fa}, ours {fb}")
                for k in sorted(set(sa) | set(sb)):
                    if sa.get(k) != sb.get(k):
                        print(f"   {k}:\n     3.1.1 {json.dumps(sa.get(k))[:400]}\n     ours  {json.dumps(sb.get(k))[:400]}")
                if bad >= 5:
                    sys.exit(1)
                continue
        if (ca == 0) != (cb == 0) or a != b:
            if fm_deps and cb != 0 and ("cycles" in b or "errors" in b):
                continue  # D1: a kept frontmatter list closes a cycle or names an unknown WP
            if l3a_only(a, root):
                continue  # L3a: a dependency on a WP with a prompt file but no section is valid here
            bad += 1
            print(f"seed {seed}: 3.1.1 exit {ca}, ours {cb}")
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    print(f"   {k}:\n     3.1.1 {json.dumps(a.get(k))[:400]}\n     ours  {json.dumps(b.get(k))[:400]}")
            if bad >= 5:
                print("(stopping after 5 differences; root kept:", root, ")")
                sys.exit(1)
            continue
    finally:
        if bad < 5:
            shutil.rmtree(root, ignore_errors=True)
print(f"{count} missions compared ({full_runs} also finalized for real), {bad} unexplained differences")
sys.exit(1 if bad else 0)
