#!/usr/bin/env python3
"""Differential fuzz of frontmatter editing against spec-kitty 3.1.1's reader (local only).

Generates WP frontmatter blocks (quoted and plain values, flow and block lists, comments inside
lists, block scalars, nested mappings, flow-mapping frontmatters, BOMs, CRLF) and awkward texts
(`017`, `=`, `2026-1-1 10:00:00`, `a: b`, `#x`, `'q'`, ...), lets `examples/diff311_harness.rs
edit` write the texts into the keys finalize owns, and reads every edited file back with 3.1.1's
`FrontmatterManager` (ruamel.yaml): each must be readable there and hold exactly the written
values.

Usage: diff-edit-311.py VENV_PYTHON [COUNT] [SEED]
"""
import json, os, random, subprocess, sys

venv_py = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = ["title", "dependencies", "requirement_refs", "owned_files", "planning_base_branch", "branch_strategy", "agent",
        "history", "custom", "subtasks"]
VALUES = [" x", " 'q: #'", ' "dq"', " [a, 'b, c']", "\n- a\n- b", "\n  - a", "\n- a # c\n# note --- x\n\n- b",
          " |\n  line\n  two", " >-\n  folded", " {tool: x}", "\n  nested: 1", " x # c", "", " null", " 1", " true"]
TEXTS = ["main", "017", "2026-01-01", "2026-1-1 10:00:00", "a: b", "#x", "it's", " lead", "é", "=", "<<", "yes", "",
         "1_000", "null", "~", "-", "? x", "a, b", "[x]", "{y}", "@a", "`b", "%c", "!d", "&e", "*f", "|g", ">h", "'q'",
         '"dq"', "1e3", ".5", "0x1F", "True", "x #y", "x: ", "trailing:", "--- x", "a\\b"]


def frontmatter():
    if rng.random() < 0.1:
        return "{work_package_id: WP01, title: 'T', agent: {a: [1, 'x, y']}}\n"
    keys = rng.sample(KEYS, rng.randint(0, len(KEYS)))
    lines = ["work_package_id: WP01"]
    for k in keys:
        v = rng.choice(VALUES)
        if k in ("dependencies", "requirement_refs", "owned_files", "history", "subtasks") and not (
                v.startswith(" [") or v.startswith("\n-") or v.startswith("\n  -")):
            v = " []"
        if k in ("title", "planning_base_branch", "branch_strategy") and not v.startswith((" x", " '", ' "')):
            v = " x"
        lines.append(k + ":" + v)
        if rng.random() < 0.1:
            lines.append("# comment --- here")
    return "\n".join(lines) + "\n"


cases = []
for _ in range(count):
    text = "---\n" + frontmatter() + "---\n# body\n"
    if rng.random() < 0.2:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.1:
        text = "\ufeff" + text
    cases.append([text, rng.choice(TEXTS)])
edited = json.loads(subprocess.run(["cargo", "run", "-q", "--release", "--example", "diff311_harness", "--", "edit"],
                                   cwd=here, input=json.dumps(cases), capture_output=True, text=True, check=True).stdout)
PY = r'''
import json, pathlib, sys, tempfile, warnings
warnings.simplefilter("ignore")
from specify_cli.frontmatter import FrontmatterManager
path = pathlib.Path(tempfile.mkdtemp()) / "WP01-x.md"
out = []
for text in json.load(sys.stdin):
    if text is None:
        out.append(None)
        continue
    path.write_bytes(text.encode("utf-8"))
    try:
        fm, _ = FrontmatterManager().read(path)
        out.append({k: fm.get(k) for k in ("dependencies", "planning_base_branch", "branch_strategy", "owned_files")})
    except Exception as e:
        out.append("UNREADABLE " + str(e).splitlines()[0])
print(json.dumps(out, default=str))
'''
theirs = json.loads(subprocess.run([venv_py, "-c", PY], input=json.dumps(edited), capture_output=True, text=True,
                                   check=True).stdout)
bad = 0
edits = 0
for (text, value), out, read in zip(cases, edited, theirs):
    if out is None:
        continue
    edits += 1
    want = {"dependencies": [value, "WP02"], "planning_base_branch": value, "branch_strategy": f"{value} and more",
            "owned_files": [f"src/{value}/**"]}
    if read != want:
        bad += 1
        if bad <= 5:
            print("edited file:", repr(out))
            print("   3.1.1 read:", read)
print(f"{edits} edited files read back by 3.1.1, {bad} problems")
sys.exit(1 if bad else 0)
