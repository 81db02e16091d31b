#!/usr/bin/env bash
# Creates .venv (if missing) and installs nanscope with TensorFlow and the test tools into it.
# Idempotent: a second run only checks what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
fi
.venv/bin/python -m pip install --quiet -e '.[tf,dev]'

# Neovim (Debian's package) for the headless editor test in tests/nvim, which skips itself without it.
# Installed only when missing; sudo only when not root. A failure here does not stop the setup.
if ! command -v nvim >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get install -y -qq neovim >/dev/null 2>&1 \
         || { $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq neovim >/dev/null 2>&1; }; }; then
    echo "bootstrap: could not install neovim; tests/nvim will be skipped" >&2
  fi
fi
