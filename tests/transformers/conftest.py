"""Fixtures for the transformer soundness tests; the harness itself is `soundness_harness.py`.

Tests import the harness by module name: with pytest's importlib import mode a test directory is not on
sys.path, so this conftest (loaded before the test modules) puts it there.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session")
def harness():
    pytest.importorskip("tensorflow")
    from soundness_harness import Harness
    h = Harness()
    yield h
    h.close()
