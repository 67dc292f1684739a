#!/usr/bin/env bash
# The project's test command: every unit, integration and CLI snapshot test.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked "$@"
