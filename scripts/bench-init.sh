#!/usr/bin/env bash
# Benchmarks `spec-kitty init demo --ai codex --non-interactive` (NFR-001: well under 30 s, no error
# lines) with a release build, process start included, each run in a fresh empty directory with a
# private HOME. Uses hyperfine when installed, else a plain timing loop. Also times
# `agent mission create` in a git repository. With BENCH_311=1 also 3.1.1 (see the end). Never run in CI.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/bench/out/init"; rm -rf "$out"; mkdir -p "$out/home"
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/release/spec-kitty"
export HOME="$out/home"
runs=${RUNS:-50}

# One checked run first: exit 0 and nothing on stderr.
(cd "$out" && "$bin" init check --ai codex --non-interactive >/dev/null 2>"$out/stderr.txt")
[ ! -s "$out/stderr.txt" ] || { echo "init printed on stderr:"; cat "$out/stderr.txt"; exit 1; }
echo "init: exit 0, stderr empty, $(find "$out/check" -type f | wc -l) files"

if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 3 --runs "$runs" -N \
    --prepare "rm -rf $out/demo" \
    "$bin init $out/demo --ai codex --non-interactive"
else
  total=0; best=999999999999
  for _ in $(seq "$runs"); do
    rm -rf "$out/demo"
    t0=$(date +%s%N); "$bin" init "$out/demo" --ai codex --non-interactive >/dev/null; t1=$(date +%s%N)
    dt=$(( (t1 - t0) / 1000 )); total=$((total + dt)); (( dt < best )) && best=$dt
  done
  echo "init: mean $((total / runs / 1000)).$(( (total / runs) % 1000 / 100 )) ms, best $((best / 1000)).$(( best % 1000 / 100 )) ms over $runs runs"
fi

# mission create (4 git processes per commit x 3 commits): mean over 20 creates in one repository.
repo="$out/repo"; mkdir -p "$repo"; cd "$repo"
"$bin" init . --ai codex --non-interactive >/dev/null
git init -q -b main && git add -A
git -c user.name=bench -c user.email=bench@example.com commit -q -m initial
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
t0=$(date +%s%N)
for i in $(seq 20); do "$bin" agent mission create "bench-$i" --json >/dev/null; done
t1=$(date +%s%N)
echo "mission create: mean $(( (t1 - t0) / 20 / 1000000 )) ms over 20 sequential creates"

# With BENCH_311=1: spec-kitty 3.1.1's init, in a venv of its own under bench/out (3 runs, each with
# a fresh HOME, so its global-runtime bootstrap is included as a first run would see it).
if [ "${BENCH_311:-}" = 1 ]; then
  venv="$here/bench/out/venv"
  [ -x "$venv/bin/spec-kitty" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q spec-kitty-cli==3.1.1 typer==0.24.1 click; }
  total=0
  for i in 1 2 3; do
    d="$out/311-$i"; mkdir -p "$d/home"
    t0=$(date +%s%N); (cd "$d" && HOME="$d/home" "$venv/bin/spec-kitty" init demo --ai codex --non-interactive >/dev/null 2>&1); t1=$(date +%s%N)
    total=$((total + (t1 - t0) / 1000000))
  done
  echo "spec-kitty 3.1.1 init: mean $((total / 3)) ms over 3 runs (fresh HOME each)"
fi
