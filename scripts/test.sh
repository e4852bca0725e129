#!/usr/bin/env bash
# The test command: set-up with the test tools, then the whole suite (default model included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
exec .venv/bin/python -m pytest -q "$@"
