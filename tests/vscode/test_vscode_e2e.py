"""The VS Code extension end to end, from pytest: runs `tests/vscode/e2e.mjs` (code-server + chromium).

Owned with client-vscode/. Needs what `bash scripts/vscode-setup.sh` installs: Debian's chromium,
code-server and playwright-core under tests/vscode/node_modules, and the packaged .vsix. Without them
the tests skip, unless NANSCOPE_E2E_REQUIRED=1 (scripts/test.sh sets it, so CI fails instead of
skipping). Screenshots and logs: test-artifacts/vscode*/.

- `test_squiggle_and_problems_in_vscode`: the real extension and server on examples/mnist_softmax.py;
  with NANSCOPE_E2E_QUICKFIX=1 it also applies the server's quick fix, saves and checks the result.
- `test_untrusted_workspace_then_trust`: restricted, nothing reported; trust granted -> restart -> squiggle.
- `test_interpreter_without_nanscope_then_pick_one`: the error offers "Pick Interpreter..."; picking the
  checkout's python through VS Code's file dialog restarts the server -> squiggle.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
E2E = HERE / "e2e.mjs"
ARTIFACTS = REPO / "test-artifacts"
# The squiggle alone may take a minute on a cold machine (TensorFlow's import): leave room.
TIMEOUT = 600


def _missing() -> list[str]:
    python = Path(os.environ.get("NANSCOPE_E2E_PYTHON") or REPO / ".venv" / "bin" / "python")
    needed = {
        "node": shutil.which("node"),
        "chromium": os.environ.get("CHROMIUM") or "/usr/bin/chromium",
        "code-server": HERE / "node_modules" / "code-server" / "out" / "node" / "entry.js",
        "playwright-core": HERE / "node_modules" / "playwright-core" / "package.json",
        "the .vsix": os.environ.get("NANSCOPE_VSIX") or REPO / "client-vscode" / "out" / "nanscope.vsix",
        "the interpreter": python,
    }
    return [f"{name} ({path})" for name, path in needed.items() if path is None or not Path(path).exists()]


@pytest.fixture
def e2e_ready() -> None:
    missing = _missing()
    if missing:
        message = "VS Code e2e not set up (run: bash scripts/vscode-setup.sh); missing: " + ", ".join(missing)
        if os.environ.get("NANSCOPE_E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _run_e2e(**extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **extra_env}
    result = subprocess.run(
        ["node", str(E2E)], cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    print(result.stdout)   # shown by pytest on failure, or with -rP / -s
    print(result.stderr)
    return result


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-25:])
    return f"e2e.mjs exited with {result.returncode}:\n{tail}"


def test_squiggle_and_problems_in_vscode(e2e_ready: None) -> None:
    result = _run_e2e(NANSCOPE_E2E_ARTIFACTS=str(ARTIFACTS / "vscode"))
    assert result.returncode == 0, _explain(result)
    assert "the squiggle covers tf.log(y)" in result.stdout
    assert "NS101" in (ARTIFACTS / "vscode" / "problems.txt").read_text(encoding="utf-8")
    for screenshot in ("01-squiggle.png", "02-problems.png"):
        assert (ARTIFACTS / "vscode" / screenshot).stat().st_size > 0


def test_untrusted_workspace_then_trust(e2e_ready: None) -> None:
    result = _run_e2e(NANSCOPE_E2E_UNTRUSTED="1", NANSCOPE_E2E_ARTIFACTS=str(ARTIFACTS / "vscode-untrusted"))
    assert result.returncode == 0, _explain(result)
    assert "the status bar says restricted and nothing is reported" in result.stdout
    assert "the squiggle covers tf.log(y)" in result.stdout


def test_interpreter_without_nanscope_then_pick_one(e2e_ready: None) -> None:
    result = _run_e2e(NANSCOPE_E2E_MISSING_NANSCOPE="1",
                      NANSCOPE_E2E_ARTIFACTS=str(ARTIFACTS / "vscode-missing-nanscope"))
    assert result.returncode == 0, _explain(result)
    assert "the error offers Pick Interpreter" in result.stdout
    assert "the squiggle covers tf.log(y)" in result.stdout
