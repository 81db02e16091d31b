"""Fixtures of the output-format tests: the command line run in-process, a corpus of graph files (no
TensorFlow needed). The helpers live in `output_helpers.py`: with pytest's importlib import mode a test
folder is not on sys.path, so this conftest puts it there."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from output_helpers import DATA, EXAMPLES, GRAPHS  # noqa: E402

from nanscope.analysis.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cli(capsys, monkeypatch):
    """cli(*args, cwd=folder) -> (exit code, stdout, stderr), running `nanscope` in this process."""
    def run(*args, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def corpus(tmp_path) -> Path:
    """tmp/project/graphs/*.pbtxt: the bundled example graphs and the hand-written ones."""
    folder = tmp_path / "project" / "graphs"
    folder.mkdir(parents=True)
    for name in GRAPHS:
        source = EXAMPLES / name if (EXAMPLES / name).exists() else DATA / name
        shutil.copyfile(source, folder / name)
    return folder
