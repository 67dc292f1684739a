#!/usr/bin/env bash
# The project's test command: every unit, integration and CLI snapshot test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The dashboard's browser tests drive headless Chromium (Debian's `chromium` package).
# Install it when missing; SPEC_KITTY_SKIP_BROWSER_TESTS=1 skips those tests instead.
if [ "${SPEC_KITTY_SKIP_BROWSER_TESTS:-}" != 1 ] && ! command -v chromium >/dev/null 2>&1 \
  && [ -z "${CHROMIUM:-}" ]; then
  echo "chromium not found; installing it for the dashboard's browser tests" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y chromium || { $sudo apt-get update && $sudo apt-get install -y chromium; }
fi
cargo test --locked "$@"
