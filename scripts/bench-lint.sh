#!/usr/bin/env bash
# Benchmarks `spec-kitty lint --all` over a repository of 400 synthetic missions (8 WPs each,
# made by scripts/gen-mission.py), release build, process start included.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${BENCH_DIR:-${TMPDIR:-/tmp}/spec-kitty-bench}/lint400"
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/release/spec-kitty"
rm -rf "$out"; mkdir -p "$out/kitty-specs"
tmp="$(mktemp -d)"
for i in $(seq -w 1 400); do
  python3 "$here/scripts/gen-mission.py" "$tmp/m" 8 "$i" >/dev/null
  mv "$tmp/m/kitty-specs/001-bench" "$out/kitty-specs/$i-bench"
  rm -rf "$tmp/m"
done
mkdir -p "$out/.kittify"
runs=10 best=999999999999 total=0
for _ in $(seq $runs); do
  t0=$(date +%s%N); (cd "$out" && "$bin" lint --all --format json >/dev/null || true); t1=$(date +%s%N)
  dt=$(( (t1 - t0) / 1000 )); total=$((total + dt)); (( dt < best )) && best=$dt
done
echo "lint --all, 400 missions x 8 WPs: mean $((total / runs / 1000)) ms, best $((best / 1000)) ms over $runs runs"
