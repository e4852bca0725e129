#!/usr/bin/env bash
# The browser test: installs what it needs where missing (Debian's Chromium and a CJK font;
# playwright from requirements-dev.txt, which drives that Chromium: never `playwright install`),
# then runs tests/test_browser.py, which also saves docs/screenshots/<page>.png.
#   NER_STUDIO_BROWSER_MODEL=models/default bash scripts/browser_test.sh   # README screenshots, real model
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk fontconfig)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "please install: sudo apt-get install ${need[*]}" >&2
  fi
fi
.venv/bin/python -c "import playwright" 2>/dev/null || .venv/bin/python -m pip install -q -r requirements-dev.txt
exec .venv/bin/python -m pytest -q tests/test_browser.py "$@"
