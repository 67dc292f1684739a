#!/usr/bin/env bash
# Benchmarks finalize's two parsers in process (examples/bench_parse.rs), release build: the
# tasks.md grammar (whole parse, level 1, each declaration scan) and the WP frontmatter (YAML alone,
# WpFile::parse), on the synthetic 1,000- and 10,000-WP missions of scripts/gen-mission.py (the
# ones scripts/bench-finalize.sh times end to end). Best of ROUNDS runs each (default 25). Then the
# whole `--validate-only` run in process (examples/bench_finalize_inproc.rs): first run and best.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_DIR:-${TMPDIR:-/tmp}/spec-kitty-bench}"; mkdir -p "$out"
rounds="${1:-25}"
# `cargo run` finds the example wherever the target directory is configured to be.
bench() { cargo run --release --locked --quiet --manifest-path "$here/Cargo.toml" --example bench_parse -- "$@"; }
for n in 1000 10000; do
  d="$out/m$n"
  [ -f "$d/kitty-specs/001-bench/tasks.md" ] || python3 "$here/scripts/gen-mission.py" "$d" "$n"
  echo "== $n WPs"
  bench "$d/kitty-specs/001-bench" "$rounds"
done
# The whole validate-only run in process (no process start, no output): the floor under what
# scripts/bench-finalize.sh times.
for n in 1000 10000; do
  echo "== $n WPs, $(cargo run --release --locked --quiet --manifest-path "$here/Cargo.toml" --example bench_finalize_inproc -- "$out/m$n" "$rounds")"
done
