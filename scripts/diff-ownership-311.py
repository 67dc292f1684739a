#!/usr/bin/env python3
"""Differential fuzz of ownership inference against spec-kitty 3.1.1's (local only, never in CI).

Generates WP prompt texts from path fragments (`src/`, `tests/`, `kitty-specs/`, `docs/`, doubled
slashes, quotes and brackets around paths, trailing punctuation, Unicode spaces and zero-width
characters) and planning/code signal words, then compares 3.1.1's `infer_ownership` (execution
mode, owned_files, authoritative_surface, the broad-fallback warning) with
`examples/diff311_harness.rs ownership`.

Usage: diff-ownership-311.py VENV_PYTHON [COUNT] [SEED]
"""
import json, os, random, subprocess, sys

venv_py = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WS = [" ", "  ", "\t", "\u00a0", "\u2003", "\n", "\r\n", "", "\u2028", "\x0c", "\x85", "\u200b"]
PATHS = ["src/", "src/app/x.py", "tests/", "test/a.py", "kitty-specs/001-m/spec.md", "docs/", "docs/guide.md", "src/a/",
         "src/a/b", "src/a/b/", "src/é/x.ts", "srcs/x", "mysrc/x", "src//x", "src/./x", "src/a.b/c", "tests/test_x.py,",
         "src/x.py.", "src/x:", "src/x)", "(src/x)", "`src/x`", "'src/x'", "\"src/x\"", "[src/x]", "<src/x>", "src/x;",
         "src/*.py", "src/**", "src/x/**/*.py", "docs", "kitty-specs/", "kitty-specs/x/plan.md", "https://x/src/a",
         "./src/a", "../tests/b", "src/ä.py", "src/a\u00a0b"]
WORDS = ["spec.md", "plan.md", "tasks.md", "data-model.md", "quickstart.md", "x.py", "y.ts", "z.js", "foo.pyc", "a.tsx",
         ".py", "mytests/", "test", "Edit", "the", "—", "**", "#", "```", "|", "-", "*"]


def text():
    parts = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        parts.append(rng.choice(PATHS) if r < 0.4 else rng.choice(WORDS) if r < 0.7 else rng.choice(WS))
        if rng.random() < 0.6:
            parts.append(rng.choice(WS))
    fm = "---\nwork_package_id: WP01\ntitle: x\n---\n" if rng.random() < 0.8 else ""
    return fm + "".join(parts)


texts = [text() for _ in range(count)]
PY = r'''
import json, sys
from specify_cli.ownership.inference import infer_ownership
out = []
for t in json.load(sys.stdin):
    m, w = infer_ownership(t, "001-m")
    out.append([str(m.execution_mode), list(m.owned_files), m.authoritative_surface, bool(w)])
print(json.dumps(out))
'''
data = json.dumps(texts)
theirs = json.loads(subprocess.run([venv_py, "-c", PY], input=data, capture_output=True, text=True, check=True).stdout)
ours = json.loads(subprocess.run(["cargo", "run", "-q", "--release", "--example", "diff311_harness", "--", "ownership"], cwd=here,
                                 input=data, capture_output=True, text=True, check=True).stdout)
bad = [i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b]
for i in sorted(bad, key=lambda i: len(texts[i]))[:5]:
    print("text:", repr(texts[i]))
    print("   3.1.1:", json.dumps(theirs[i]))
    print("   ours: ", json.dumps(ours[i]))
print(f"{count} texts, {len(bad)} differences")
sys.exit(1 if bad else 0)
