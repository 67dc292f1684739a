#!/usr/bin/env python3
"""Differential fuzz of lane computation against spec-kitty 3.1.1's (local only, never in CI).

Random acyclic dependency maps of 1-12 WPs, each WP with a random execution mode (about 15 %
planning), 1-3 owned globs from a pool that overlaps in every way 3.1.1 checked (prefixes,
wildcards, brackets), and a body with surface words; about 3 % of WPs have no manifest. Compares
3.1.1's `compute_lanes(...).to_dict()` and collapse report with `examples/diff311_harness.rs lanes`.

Usage: diff-lanes-311.py VENV_PYTHON [COUNT] [SEED]
"""
import json, os, random, subprocess, sys

venv_py = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLOBS = ["src/a/**", "src/a/x.py", "src/b/**", "src/**", "src/c/*.py", "tests/**", "tests/test_a.py", "docs/**",
         "kitty-specs/001-m/**", "src/a", "src/ab/**", "src/a/b/**", "lib/**", "src/*", "*.md", "src/[ab]/x.py", "src/?/y.py"]
BODY = ["api endpoint", "dashboard", "cli command", "sync with saas", "legacy cleanup", "render template", "test suite",
        "workspace", "sidebar layout", "nothing", "view", "route", "Import from src.a", "from app import x", ""]
cases = []
for _ in range(count):
    ids = [f"WP{i:02d}" for i in range(1, rng.randint(1, 12) + 1)]
    graph, manifests, bodies = {}, {}, {}
    for i, wp in enumerate(ids):
        graph[wp] = sorted(rng.sample(ids[:i], min(i, rng.choice([0, 0, 1, 1, 2, 3]))))
        if rng.random() < 0.97:
            mode = "planning_artifact" if rng.random() < 0.15 else "code_change"
            manifests[wp] = [mode, rng.sample(GLOBS, rng.randint(1, 3))]
        bodies[wp] = " ".join(rng.choice(BODY) for _ in range(rng.randint(0, 3)))
    keys = list(graph)
    rng.shuffle(keys)
    cases.append([{k: graph[k] for k in keys}, manifests, bodies])
PY = r'''
import json, re, sys
from specify_cli.lanes.compute import compute_lanes
from specify_cli.ownership.models import OwnershipManifest, ExecutionMode
out = []
for graph, man, bodies in json.load(sys.stdin):
    ms = {k: OwnershipManifest(execution_mode=ExecutionMode(v[0]), owned_files=tuple(v[1]), authoritative_surface="")
          for k, v in man.items()}
    try:
        m = compute_lanes(graph, ms, "001-m", "main", wp_bodies=bodies, mission_id="MID")
        d = m.to_dict()
        d.pop("computed_at", None)
        d["_collapse"] = m.collapse_report.to_dict() if m.collapse_report else None
        out.append(d)
    except Exception as e:
        found = re.search(r"'(WP\d+)'", str(e))
        out.append("ERR " + (found.group(1) if found else str(e)))
print(json.dumps(out))
'''
data = json.dumps(cases)
theirs = json.loads(subprocess.run([venv_py, "-c", PY], input=data, capture_output=True, text=True, check=True).stdout)
ours = json.loads(subprocess.run(["cargo", "run", "-q", "--release", "--example", "diff311_harness", "--", "lanes"], cwd=here,
                                 input=data, capture_output=True, text=True, check=True).stdout)
bad = [i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b]
for i in sorted(bad, key=lambda i: len(json.dumps(cases[i])))[:3]:
    print("case:", json.dumps(cases[i]))
    print("   3.1.1:", json.dumps(theirs[i])[:600])
    print("   ours: ", json.dumps(ours[i])[:600])
print(f"{count} cases, {len(bad)} differences")
sys.exit(1 if bad else 0)
