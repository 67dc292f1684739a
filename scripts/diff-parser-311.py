#!/usr/bin/env python3
"""Differential fuzz of the tasks.md parser against spec-kitty 3.1.1's (local only, never in CI).

Generates documents from heading, declaration, requirement and whitespace fragments (Unicode
spaces, no-break spaces, form feeds, lone CRs, `WP02é`-style ids), parses each with 3.1.1's
`parse_dependencies_from_tasks_md` and `_parse_requirement_refs_from_tasks_md` (run in the 3.1.1
venv) and with `examples/diff311_harness.rs parse`, and prints the documents whose maps differ.
Three-or-more-digit ids (D6) and non-ASCII digits are left out of the generator.

Usage: diff-parser-311.py VENV_PYTHON [COUNT] [SEED]
"""
import json, os, random, subprocess, sys, tempfile

venv_py = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = random.Random(seed)
WS = [" ", "  ", "\t", "\u00a0", "\u2003", "\u3000", "\x0b", "\x0c", "\r", "\n", "", "\u2028", "\x1c", "\x85"]
HEADS = ["##", "###", "####", "#", "#####", "## ", " ##", "##\t"]
IDS = ["WP01", "WP02", "WP03", "WP1", "wp02", "WP02é", "WP03_", "WP02-", "WP02:", "WP02."]
WORDS = ["Depends on", "depends on", "Depend on", "DEPENDS  ON", "Dependencies", "**Dependencies**", "Dependencies:",
         "**Dependencies**:", "Requirement Refs", "**Requirement Refs**:", "Requirements:", "requirement refs :",
         "Requirements Refs:", "FR-001", "fr-2", "NFR-003", "C-004", "FR-001é", "éFR-001", "FR-01x", "SC-001", "-", "*",
         "- ", "* ", ",", ", ", " and ", "(core)", "`WP01`", "Work Package", "none", "None.", "---", "```", "|", ":", "**",
         "Title", "—", "–", "\n## Notes\n", "\n## Dependencies\n", "\n## \nDependencies\n", "\n### Dependencies\n",
         "\n#\nDependencies\n", "\n- WP01\n", "\n* WP03 (x)\n"]


def tok():
    r = rng.random()
    if r < 0.25:
        return rng.choice(IDS)
    if r < 0.55:
        return rng.choice(WORDS)
    if r < 0.85:
        return rng.choice(WS)
    return rng.choice(HEADS)


def doc():
    lines = []
    for _ in range(rng.randint(3, 14)):
        if rng.random() < 0.35:
            lines.append(rng.choice(HEADS) + rng.choice([" ", "  ", "\t", "\u00a0", ""]) + rng.choice(["", "Work Package "])
                         + rng.choice(IDS) + "".join(tok() for _ in range(rng.randint(0, 3))))
        else:
            lines.append("".join(tok() for _ in range(rng.randint(0, 8))))
    return "\n".join(lines) + rng.choice(["", "\n"])


docs = [doc() for _ in range(count)]
PY = r'''
import json, sys, warnings
warnings.simplefilter("ignore")
from specify_cli.core.dependency_parser import parse_dependencies_from_tasks_md
from specify_cli.cli.commands.agent.mission import _parse_requirement_refs_from_tasks_md
out = []
for d in json.load(sys.stdin):
    t = d.replace("\r\n", "\n").replace("\r", "\n")
    try:
        out.append([parse_dependencies_from_tasks_md(t), _parse_requirement_refs_from_tasks_md(t)])
    except Exception as e:
        out.append(["ERR " + type(e).__name__])
print(json.dumps(out))
'''
data = json.dumps(docs)
theirs = json.loads(subprocess.run([venv_py, "-c", PY], input=data, capture_output=True, text=True, check=True).stdout)
ours = json.loads(subprocess.run(["cargo", "run", "-q", "--release", "--example", "diff311_harness", "--", "parse"], cwd=here,
                                 input=data, capture_output=True, text=True, check=True).stdout)
bad = [i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b]
for i in sorted(bad, key=lambda i: len(docs[i]))[:5]:
    print("document:", repr(docs[i]))
    print("   3.1.1:", json.dumps(theirs[i]))
    print("   ours: ", json.dumps(ours[i]))
print(f"{count} documents, {len(bad)} differences")
sys.exit(1 if bad else 0)
