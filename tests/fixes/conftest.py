"""Fixtures for the fix tests; the helpers live in `fix_helpers.py`.

With pytest's importlib import mode a test directory is not on sys.path, so this conftest (loaded before
the test modules) puts it there for `from fix_helpers import ...`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from fix_helpers import analyse_snippet  # noqa: E402


@pytest.fixture
def snippet(tmp_path):
    def run(source: str, ops: list, eps=None, **ranges):
        return analyse_snippet(tmp_path, source, ops, eps=eps, **ranges)
    return run
