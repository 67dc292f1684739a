#!/usr/bin/env bash
# Benchmarks `finalize-tasks --validate-only` (process start included) on synthetic missions of 30,
# 1,000 and 10,000 WPs, the drift gate (`--check`) at 1,000 and 10,000, then the real run (first
# and repeated) at 1,000 and 5,000 WPs. With BENCH_311=1 it also times spec-kitty 3.1.1 on the
# 30-WP mission, in a venv of its own under $TMPDIR/spec-kitty-bench (never in CI).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the repository: inside it, the repository's own .kittify/ would be the project root.
out="${BENCH_DIR:-${TMPDIR:-/tmp}/spec-kitty-bench}"; mkdir -p "$out"
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/release/spec-kitty"
run() { # dir runs [mode], mode --validate-only by default; prints median, mean and best
  local dir=$1 runs=$2 mode=${3:---validate-only} t0 t1 times=()
  (( runs > 0 )) || { echo "no runs"; return; }
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N); (cd "$dir" && "$bin" agent mission finalize-tasks --mission 001-bench "$mode" --json >/dev/null 2>&1 || true); t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" '
    { t[NR] = $1; sum += $1 }
    END {
      med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "median %.1f ms, mean %.1f ms, best %.1f ms over %d runs\n", med / 1000, sum / NR / 1000, t[1] / 1000, runs
    }'
}
for n in 30 1000 10000; do
  d="$out/m$n"; rm -rf "$d"; python3 "$here/scripts/gen-mission.py" "$d" "$n"
  runs=20; [ "$n" -ge 10000 ] && runs=5
  echo "$n WPs: $(run "$d" $runs)"
done
# The drift gate CI runs (it exits 1 here: the generated missions were never finalized).
for n in 1000 10000; do
  runs=10; [ "$n" -ge 10000 ] && runs=3
  echo "$n WPs, --check: $(run "$out/m$n" $runs --check)"
done
# The real run (writes and a commit) on a fresh repository, then the same run again (nothing to
# change): these add git and the disk to the picture.
for n in 1000 5000; do
  d="$out/w$n"; rm -rf "$d"; python3 "$here/scripts/gen-mission.py" "$d" "$n"
  git -C "$d" init -q -b main && git -C "$d" add -A \
    && git -C "$d" -c user.name=bench -c user.email=bench@example.invalid commit -qm init
  for run in first again; do
    t0=$(date +%s%N)
    (cd "$d" && GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid GIT_COMMITTER_NAME=bench \
      GIT_COMMITTER_EMAIL=bench@example.invalid "$bin" agent mission finalize-tasks --mission 001-bench --json >/dev/null 2>&1)
    t1=$(date +%s%N); echo "$n WPs, finalize ($run run): $(( (t1 - t0) / 1000000 )) ms"
  done
done
if [ "${BENCH_311:-}" = 1 ]; then
  [ -x "$out/venv/bin/spec-kitty" ] || { python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q spec-kitty-cli==3.1.1 typer==0.24.1 click; }
  d="$out/m30"; t0=$(date +%s%N)
  for _ in 1 2 3; do (cd "$d" && "$out/venv/bin/spec-kitty" agent mission finalize-tasks --mission 001-bench --validate-only --json >/dev/null 2>&1 || true); done
  t1=$(date +%s%N); echo "spec-kitty 3.1.1, 30 WPs: mean $(( (t1 - t0) / 3 / 1000000 )) ms over 3 runs"
fi
