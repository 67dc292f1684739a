#!/usr/bin/env bash
# Benchmarks an uncontended `spec-kitty auth refresh` against a local rotating token server
# (scripts/auth-test-server.py), release build:
# 1. the CLI: the time spent taking the credentials lock (reported by `auth refresh --json` as
#    lock_wait_ms) and the whole command, median over N runs (default 50);
# 2. NFR-002, in-process (examples/bench_auth_refresh.rs): the locked transaction against the same
#    read/POST/write without the lock, alternating, 4*N rounds each; the median difference is what
#    the lock adds.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-50}"
cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml" --bin spec-kitty --example bench_auth_refresh
bin="${CARGO_TARGET_DIR:-$here/target}/release/spec-kitty"
home="$(mktemp -d)"
fifo="$home/url"; mkfifo "$fifo"
python3 "$here/scripts/auth-test-server.py" > "$fifo" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$home"' EXIT
read -r url < "$fifo"
export HOME="$home" SPEC_KITTY_ENABLE_SAAS_SYNC=1 SPEC_KITTY_SERVER_URL="$url"
echo pw | "$bin" auth login -u bench --password-stdin > /dev/null
locks=() totals=()
for _ in $(seq "$runs"); do
  t0=$(date +%s%N)
  out="$("$bin" auth refresh --json)"
  t1=$(date +%s%N)
  locks+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lock_wait_ms"])' "$out")")
  totals+=("$(( (t1 - t0) / 1000 ))")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "auth refresh, uncontended, $runs runs: lock wait median $(median "${locks[@]}") ms, whole command median $(( $(median "${totals[@]}" | cut -d. -f1) / 1000 )) ms"
"${CARGO_TARGET_DIR:-$here/target}/release/examples/bench_auth_refresh" "$(( runs * 4 ))"
