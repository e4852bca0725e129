#!/usr/bin/env bash
# The test command: set-up with the test tools, then the whole suite (default model included).
#   bash scripts/test.sh --fast   # leaves out the tests marked slow (pytest -m "not slow"); other arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
for arg in "$@"; do
  if [ "$arg" = "--fast" ]; then args+=(-m "not slow"); else args+=("$arg"); fi
done
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -q ${args[@]+"${args[@]}"}
