#!/usr/bin/env python3
"""Writes a synthetic spec-kitty project with one mission of N work packages.

Each WP gets a tasks.md section and a prompt file with disjoint owned_files; dependencies are
random but acyclic (each WP depends on up to three earlier ones). Usage: gen-mission.py DIR N [SEED]
"""
import json, os, random, sys

root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
width = max(2, len(str(n)))
m = os.path.join(root, "kitty-specs", "001-bench")
os.makedirs(os.path.join(m, "tasks"), exist_ok=True)
os.makedirs(os.path.join(root, ".kittify"), exist_ok=True)
open(os.path.join(root, ".kittify", "config.yaml"), "w").write("vcs:\n  type: git\n")
ids = [f"WP{i:0{width}d}" for i in range(1, n + 1)]
open(os.path.join(m, "spec.md"), "w").write("# Spec\n" + "".join(f"- FR-{i:05d}\n" for i in range(1, n + 1)))
json.dump({"mission_id": "01KZBENCH00000000000000000", "mission_slug": "001-bench"}, open(os.path.join(m, "meta.json"), "w"))
tasks = ["# Tasks\n"]
for i, wp in enumerate(ids):
    deps = sorted(set(rng.sample(ids[:i], min(i, rng.randint(0, 3))))) if i and rng.random() < 0.5 else []
    tasks.append(f"\n## {wp} — Work package {i + 1}\n\n**Dependencies**: {', '.join(deps) if deps else 'none'}\n\n- [ ] T{i + 1:05d} Do the work\n")
    open(os.path.join(m, "tasks", f"{wp}-work.md"), "w").write(
        f"---\nwork_package_id: {wp}\ntitle: Work package {i + 1}\nrequirement_refs: [FR-{i + 1:05d}]\n"
        f"execution_mode: code_change\nowned_files:\n- src/m{i + 1:05d}/**\nauthoritative_surface: src/m{i + 1:05d}/\n---\n"
        f"# {wp}\n\nImplement module m{i + 1:05d} in src/m{i + 1:05d}/.\n")
open(os.path.join(m, "tasks.md"), "w").write("".join(tasks))
