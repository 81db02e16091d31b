#!/usr/bin/env bash
# Sets everything up, then runs the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The VS Code extension: chromium, npm packages, the .vsix (scripts/vscode-setup.sh; fast when done).
bash scripts/vscode-setup.sh
.venv/bin/ruff check .
# The extension's unit tests (node:test, no VS Code needed).
npm test --silent
# pytest includes the VS Code end-to-end tests (tests/vscode/); set up above, so they must not skip.
NANSCOPE_E2E_REQUIRED=1 NANSCOPE_E2E_QUICKFIX=1 .venv/bin/python -m pytest "$@"
