"""`nanscope check --diff` and `--fix` end to end on a copy of the bundled MNIST example (real tracing), and
suppression comments seen from the command line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nanscope.analysis.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXED_LINE = "cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(tf.clip_by_value(y, 1e-07, 1.0)), axis=1))"


def run_cli(*args, cwd: Path):
    code = "import sys; from nanscope.analysis.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                            cwd=cwd, timeout=300)
    return result.returncode, result.stdout, result.stderr


def copy_example(folder: Path) -> Path:
    target = folder / "mnist_softmax.py"
    shutil.copyfile(EXAMPLES / "mnist_softmax.py", target)
    return target


@pytest.mark.tensorflow
def test_diff_prints_the_preferred_fix_and_changes_nothing(tmp_path):
    model = copy_example(tmp_path)
    before = model.read_bytes()
    code, out, err = run_cli("check", "--diff", "mnist_softmax.py", cwd=tmp_path)
    assert code == 1, err
    assert out.startswith("--- a/mnist_softmax.py\n+++ b/mnist_softmax.py\n")
    assert "-cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))\n" in out
    assert f"+{FIXED_LINE}\n" in out
    assert "NS101" in err and "would fix 1 of 1 finding" in err
    assert model.read_bytes() == before


@pytest.mark.tensorflow
def test_fix_applies_in_place_and_the_fixed_file_traces_clean(tmp_path):
    model = copy_example(tmp_path)
    code, out, err = run_cli("check", "--fix", "mnist_softmax.py", cwd=tmp_path)
    assert code == 0, err
    assert "fixed NS101" in out and "fixed 1 of 1 finding" in out
    lines = model.read_text(encoding="utf-8").splitlines()
    assert FIXED_LINE in lines
    original = (EXAMPLES / "mnist_softmax.py").read_text(encoding="utf-8").splitlines()
    assert [a for a, b in zip(lines, original) if a != b] == [FIXED_LINE] and len(lines) == len(original)

    code, out, err = run_cli("check", "--format", "json", "mnist_softmax.py", cwd=tmp_path)
    payload = json.loads(out)
    assert code == 0, err
    assert payload["findings"] == [] and payload["errors"] == []
    assert payload["stats"]["ops"] > 90          # it traced: the clip added ops
    assert payload["stats"]["unsafe_ops"] == len(payload["proven_safe"]) == 5


@pytest.mark.tensorflow
def test_suppressed_finding_from_the_command_line(tmp_path):
    model = copy_example(tmp_path)
    text = model.read_text(encoding="utf-8").replace("axis=1))\n", "axis=1))  # nanscope: ignore[NS101]\n")
    model.write_text(text, encoding="utf-8")
    code, out, err = run_cli("check", "mnist_softmax.py", cwd=tmp_path)
    assert code == 0, err
    assert "0 findings (1 suppressed)" in out
    code, out, err = run_cli("check", "--format", "json", "mnist_softmax.py", cwd=tmp_path)
    assert code == 0 and json.loads(out)["suppressed"] == 1


def test_fix_and_diff_are_text_only_and_exclusive(tmp_path, capsys):
    model = tmp_path / "m.py"
    model.write_text("x = 1\n", encoding="utf-8")
    assert main(["check", "--fix", "--format", "json", str(model)]) == 2
    assert "--format json" in capsys.readouterr().err
    assert main(["check", "--fix", "--diff", str(model)]) == 2
    assert main(["check", "--eps", "-1", "--diff", str(model)]) == 2


def test_diff_of_a_saved_graph_has_nothing_to_fix(tmp_path, capsys):
    graph = tmp_path / "g.pbtxt"
    shutil.copyfile(EXAMPLES / "mnist_softmax.pbtxt", graph)
    assert main(["check", "--diff", str(graph)]) == 1      # a finding, but no source to edit
    captured = capsys.readouterr()
    assert captured.out == "" and "would fix 0 of 1 finding" in captured.err
