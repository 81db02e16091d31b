"""Parallel checks: a folder of model scripts checked with -j 2 gives the same findings, in path order, as
checking each script on its own; the progress bar appears only on a terminal and only for several files."""
from __future__ import annotations

import io
import json
import shutil
import threading

import pytest
from output_helpers import DATA, EXAMPLES

from nanscope.analysis.output.progress import Progress

SCRIPTS = [EXAMPLES / "mnist_softmax.py", EXAMPLES / "mnist_softmax_fixed.py", DATA / "models" / "divide.py",
           DATA / "models" / "square_root.py"]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def verdicts(payload):
    return ({(f["path"], f["line"], f["column"], f["code"], f["op_name"]) for f in payload["findings"]},
            {(s["path"], s["op_name"]) for s in payload["proven_safe"]})


@pytest.mark.tensorflow
def test_folder_with_two_jobs_matches_one_by_one(cli, tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    for script in SCRIPTS:
        shutil.copyfile(script, folder / script.name)
    code, out, err = cli("check", "--format", "json", "-j", "2", "models", cwd=tmp_path)
    assert code == 1, err
    together = json.loads(out)
    assert "\r" not in err                          # no progress bar: stderr is not a terminal
    found, safe = set(), set()
    for script in sorted(folder.iterdir()):
        code, out, err = cli("check", "--format", "json", f"models/{script.name}")
        assert code in (0, 1), err
        one = verdicts(json.loads(out))
        found |= one[0]
        safe |= one[1]
    assert verdicts(together) == (found, safe)
    assert {code for *_, code, _ in found} == {"NS101", "NS105", "NS107"}
    paths = [f["path"] for f in together["findings"]]
    assert paths == sorted(paths)                   # deterministic: sorted by path


def test_progress_bar_only_on_a_terminal_for_several_files():
    assert not Progress(3, io.StringIO()).enabled
    assert not Progress(1, Terminal()).enabled
    stream = Terminal()
    with Progress(2, stream) as progress:
        workers = [threading.Thread(target=progress.advance, args=(f"f{i}.py",)) for i in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    text = stream.getvalue()
    assert text.startswith("\r\x1b[2K[") and "0/2" in text and "2/2  f" in text
    assert text.endswith("\r\x1b[2K") and progress.done == 2
