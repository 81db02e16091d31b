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
