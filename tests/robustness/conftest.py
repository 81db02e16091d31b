"""Fixtures for the robustness tests (issue 6): resource hygiene checked once for the whole session.

At the end of the session no child process of the test process may be left (orphans re-parented elsewhere
are caught by the tests that start them, which record and check their pids), and no `nanscope-trace-*`
temporary folder created during the session may remain in the temporary directory.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:     # the tests import robust_helpers and hostile by module name
    sys.path.insert(0, str(HERE))

from robust_helpers import children_of  # noqa: E402 - also puts tests/server (lsp_helpers) on sys.path


@pytest.fixture(scope="session", autouse=True)
def resource_hygiene():
    """No zombie or orphaned child of the test process and no leftover trace folder after the suite.

    The suite gets a private temporary directory (TMPDIR, inherited by every nanscope it starts), so trace
    folders of other test runs on the machine do not count."""
    if not sys.platform.startswith("linux"):
        yield
        return
    before_children = set(children_of(os.getpid()))
    private = Path(tempfile.mkdtemp(prefix="nanscope-robustness-"))
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = None          # re-read TMPDIR
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved
        tempfile.tempdir = None
    left: dict[int, str] = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = {pid: state for pid, state in children_of(os.getpid()).items() if pid not in before_children}
        if not left:
            break
        time.sleep(0.2)
    leftover = sorted(p.name for p in private.iterdir() if p.name.startswith("nanscope-trace-"))
    shutil.rmtree(private, ignore_errors=True)
    assert not left, f"child processes left behind by the robustness tests: {left}"
    assert not leftover, f"temporary trace folders left behind: {leftover}"
