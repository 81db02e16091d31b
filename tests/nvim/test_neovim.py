"""A real editor, headless: Neovim 0.7 (Debian's `neovim`) with its built-in LSP client runs nanscope's server.

`run.lua` opens a copy of the bundled example, waits for the diagnostic, applies the first quick fix offered
(the preferred one) through `vim.lsp.buf.code_action()` with the menu stubbed, writes the file and waits
for the diagnostic to clear. It writes what happened to a JSON file that this test reads. Every process the
session started (the server, its trace worker, the traces) carries a marker in its environment; none may
be left once Neovim has exited. Skipped when `nvim` is not installed (scripts/bootstrap.sh installs it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"
NVIM = shutil.which("nvim")

pytestmark = [
    pytest.mark.tensorflow,
    pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (scripts/bootstrap.sh installs it)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def processes_with(marker: str) -> list[int]:
    """Processes whose environment holds NANSCOPE_TEST_MARKER=marker."""
    needle = f"NANSCOPE_TEST_MARKER={marker}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle in handle.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One Neovim run over the example: its JSON result, the model file and the environment marker."""
    root = tmp_path_factory.mktemp("nvim")
    model = root / "mnist_softmax.py"
    shutil.copyfile(EXAMPLES / "mnist_softmax.py", model)
    out = root / "result.json"
    marker = uuid.uuid4().hex
    env = dict(os.environ, NANSCOPE_TEST_PYTHON=sys.executable, NANSCOPE_TEST_ROOT=str(root),
               NANSCOPE_TEST_OUT=str(out), NANSCOPE_TEST_MARKER=marker, XDG_STATE_HOME=str(root / "state"),
               XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"))
    completed = subprocess.run(
        [NVIM, "--headless", "-u", str(HERE / "init.lua"), "-c", f"luafile {HERE / 'run.lua'}", str(model)],
        cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    assert out.is_file(), f"Neovim wrote no result:\n{completed.stdout.decode()}\n{completed.stderr.decode()}"
    return json.loads(out.read_text(encoding="utf-8")), model, marker


def test_diagnostic_arrives_at_the_log_call(session):
    result, model, _ = session
    assert "error" not in result or result.get("diagnostics"), result
    [diagnostic] = result["diagnostics"]
    lines = model.read_text(encoding="utf-8").splitlines()
    original = (EXAMPLES / "mnist_softmax.py").read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(original) if text.startswith("cross_entropy ="))
    assert diagnostic["lnum"] == line
    assert diagnostic["col"] == original[line].index("tf.log(y)")
    assert diagnostic["end_col"] == diagnostic["col"] + len("tf.log(y)")
    assert diagnostic["code"] == "NS101" and diagnostic["source"] == "nanscope"
    assert "inferred range [0, 1]" in diagnostic["message"]
    assert lines                                    # the file is still there


def test_quick_fix_is_applied_and_clears_the_diagnostic(session):
    result, model, _ = session
    assert result.get("code_actions") == "applied", result
    assert "clip_by_value" in result["offered"][0]          # the preferred fix comes first
    assert result.get("cleared") is True, result
    assert "tf.log(tf.clip_by_value(y, " in model.read_text(encoding="utf-8")   # written to disk by :write


def test_nothing_is_left_running(session):
    _, _, marker = session
    deadline = time.monotonic() + 15
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
