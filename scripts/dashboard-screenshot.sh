#!/usr/bin/env bash
# Regenerates docs/dashboard.png: the dashboard on a scratch copy of the example project
# (examples/demo-project), finalized, with a few WPs moved along the board, photographed by
# headless Chromium. Needs `chromium` on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --quiet --locked --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/debug/spec-kitty"
work="$(mktemp -d)"
trap '(cd "$work" && "$bin" dashboard --kill >/dev/null 2>&1) || true; rm -rf "$work"' EXIT
cp -R "$here/examples/demo-project/." "$work/"
cd "$work"
export GIT_AUTHOR_NAME="spec-kitty demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="spec-kitty demo" GIT_COMMITTER_EMAIL="demo@example.com"
printf '.kittify/.dashboard\n' > .gitignore
git init -q -b main && git add -A && git commit -qm "Demo project"
m=001-demo
sk() { "$bin" "$@" --mission "$m" >/dev/null; }
sk agent mission finalize-tasks --lanes fan-in
sk agent tasks mark-status T001 T002 T003 --status done
# WP01 (planning lane) approved, WP02 in review, WP04 in progress, WP05 waiting on WP04.
sk agent action implement WP01 --agent claude
sk agent tasks move-task WP01 --to for_review --agent claude
sk agent tasks move-task WP01 --to approved --agent reviewer
sk agent action implement WP02 --agent claude
ws="$("$bin" agent action implement WP02 --agent claude --mission "$m" --json |
  grep -o '"workspace_path": "[^"]*"' | cut -d'"' -f4)"
mkdir -p "$ws/src/core" && echo parser > "$ws/src/core/readings.txt"
git -C "$ws" add src/core/readings.txt && git -C "$ws" commit -qm "feat(WP02): parser"
sk agent tasks move-task WP02 --to for_review --agent claude
sk agent action review WP02 --agent codex
sk agent action implement WP04 --agent gemini
url="$("$bin" dashboard --json | grep -o '"url": "[^"]*"' | cut -d'"' -f4)"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1500,1500 \
  --virtual-time-budget=5000 --screenshot="$here/docs/dashboard.png" "$url/#/m/$m" 2>/dev/null
echo "wrote docs/dashboard.png ($url)"
