#!/usr/bin/env bash
# Runs the bundled example mission (examples/demo-project) through its lifecycle in a scratch copy:
# finalize-tasks (lanes.json shown), then each WP implemented in its lane workspace, reviewed and
# approved, then accept and merge, which lands every lane on main.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --quiet --locked --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/debug/spec-kitty"
work="$(mktemp -d)"
cp -R "$here/examples/demo-project/." "$work/"
cd "$work"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-spec-kitty demo}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@example.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-spec-kitty demo}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-demo@example.com}"
git init -q -b main && git add -A && git commit -qm "Demo project"
echo "\$ spec-kitty agent mission finalize-tasks --mission 001-demo   (in $work)"
"$bin" agent mission finalize-tasks --mission 001-demo
echo
echo "\$ cat kitty-specs/001-demo/lanes.json"
cat kitty-specs/001-demo/lanes.json

# The rest of the lifecycle, compressed: each WP is implemented (one file committed in its
# workspace), reviewed and approved; then the mission is accepted and merged onto main.
m=001-demo
sk() { "$bin" "$@" --mission "$m" >/dev/null; }
echo
echo "\$ # implement, review and approve WP01..WP06 (agent: demo-agent, reviewer: demo-reviewer)"
sk agent tasks mark-status T001 T002 T003 T004 T005 T006 T007 --status done
for wp in WP01 WP02 WP03 WP04 WP05 WP06; do
  ws="$("$bin" agent action implement "$wp" --agent demo-agent --mission "$m" --json |
    grep -o '"workspace_path": "[^"]*"' | cut -d'"' -f4)"
  case "$wp" in
    WP01) file="kitty-specs/$m/adr.md" ;;
    WP02) file="src/core/readings.txt" ;;
    WP03) file="src/cli/report.txt" ;;
    WP04) file="src/web/server.txt" ;;
    WP05) file="tests/web/page.txt" ;;
    WP06) file="src/report/csv.txt" ;;
  esac
  mkdir -p "$ws/$(dirname "$file")"
  echo "$wp's work" > "$ws/$file"
  git -C "$ws" add "$file" && git -C "$ws" commit -qm "feat($wp): $file"
  sk agent tasks move-task "$wp" --to for_review --agent demo-agent
  sk agent tasks move-task "$wp" --to approved --agent demo-reviewer
  where="${ws#"$work"/}"; [ "$ws" = "$work" ] && where="the main checkout"
  echo "  $wp: $file committed in $where, approved"
done
echo
echo "\$ spec-kitty accept --mission $m"
"$bin" accept --mission "$m"
echo
echo "\$ spec-kitty merge --mission $m"
"$bin" merge --mission "$m"
echo
echo "\$ spec-kitty next --agent demo-agent --mission $m"
"$bin" next --agent demo-agent --mission "$m" | head -3
echo
echo "\$ git log --oneline -4 && git status --short && git worktree list"
git log --oneline -4 && git status --short && git worktree list
echo
echo "The scratch project stays in $work to look around in; rm -rf \"$work\" removes it."
