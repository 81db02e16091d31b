"""Helpers of the robustness tests: the nanscope command, and the process and trace-folder helpers of the
shared test utility module (tests/server/lsp_helpers.py, re-exported here)."""
from __future__ import annotations

import sys
from pathlib import Path

SERVER_TESTS = Path(__file__).resolve().parents[1] / "server"
if str(SERVER_TESTS) not in sys.path:
    sys.path.insert(0, str(SERVER_TESTS))

from lsp_helpers import alive, children_of, descendants, process_table, trace_dirs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NANSCOPE = Path(sys.executable).with_name("nanscope")

__all__ = ["NANSCOPE", "ROOT", "alive", "children_of", "descendants", "process_table", "trace_dirs"]
