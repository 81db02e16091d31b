#!/usr/bin/env bash
# Runs the VS Code end-to-end test on its own (pytest runs the same through tests/vscode/test_vscode_e2e.py):
# sets up (idempotent), then drives code-server in chromium. Screenshots: test-artifacts/vscode/.
# NANSCOPE_E2E_QUICKFIX=1 also applies the quick fix; see tests/vscode/e2e.mjs for the other variables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/vscode-setup.sh
exec node tests/vscode/e2e.mjs "$@"
