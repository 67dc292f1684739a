#!/usr/bin/env python3
"""Differential fuzz of the ownership checks against spec-kitty 3.1.1's (local only, never in CI).

Random owned_files globs (wildcards, `**`, character classes, empty segments, trailing `/`) and
authoritative surfaces for 2-6 WPs; compares the set of errors 3.1.1's `validate_all` reports
(overlaps, surfaces) with `examples/diff311_harness.rs overlap`. Both sides are sorted: the order
of 3.1.1's list came from the file system.

Usage: diff-overlap-311.py VENV_PYTHON [COUNT] [SEED]
"""
import json, os, random, subprocess, sys

venv_py = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEG = ["src", "a", "ab", "b", "x.py", "*", "**", "*.py", "[ab]", "[!a]", "?", "tests", "docs", "", "a*", "*b", "[a-c]",
       "x", "é", "[]", "[", "]", "\\", "a.b"]


def glob():
    g = "/".join(rng.choice(SEG) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.2:
        g += "/"
    if rng.random() < 0.2:
        g += rng.choice(["/**", "/*", "**", "*"])
    return g


cases = []
for _ in range(count):
    wps = {}
    for i in range(rng.randint(2, 6)):
        globs = [glob() for _ in range(rng.randint(1, 3))]
        wps[f"WP{i + 1:02d}"] = [globs, rng.choice(["", globs[0], globs[0].split("*")[0], "src/", "src/a/", "x/"])]
    cases.append(wps)
PY = r'''
import json, sys
from specify_cli.ownership.validation import validate_all
from specify_cli.ownership.models import OwnershipManifest, ExecutionMode
out = []
for wps in json.load(sys.stdin):
    ms = {k: OwnershipManifest(execution_mode=ExecutionMode.CODE_CHANGE, owned_files=tuple(v[0]), authoritative_surface=v[1])
          for k, v in wps.items()}
    out.append(sorted(validate_all(ms).errors))
print(json.dumps(out))
'''
data = json.dumps(cases)
theirs = json.loads(subprocess.run([venv_py, "-c", PY], input=data, capture_output=True, text=True, check=True).stdout)
ours = json.loads(subprocess.run(["cargo", "run", "-q", "--release", "--example", "diff311_harness", "--", "overlap"],
                                 cwd=here, input=data, capture_output=True, text=True, check=True).stdout)
bad = [i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b]
for i in sorted(bad, key=lambda i: len(json.dumps(cases[i])))[:3]:
    print("case:", json.dumps(cases[i], ensure_ascii=False))
    print("   only 3.1.1:", sorted(set(theirs[i]) - set(ours[i]))[:3])
    print("   only ours: ", sorted(set(ours[i]) - set(theirs[i]))[:3])
print(f"{count} cases, {len(bad)} differences")
sys.exit(1 if bad else 0)
