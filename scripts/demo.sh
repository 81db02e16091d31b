#!/usr/bin/env bash
# Sets everything up, then runs nanscope on the bundled example and its fixed variant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
status=0
.venv/bin/nanscope check examples/mnist_softmax.py examples/mnist_softmax_fixed.py --show-safe || status=$?
# Exit 1 means "findings were reported", which is what this demo shows; only 2 is a failure.
[ "$status" -le 1 ]
