#!/usr/bin/env bash
# Runs finalize-tasks on a scratch copy of the bundled example project and shows the result.
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
