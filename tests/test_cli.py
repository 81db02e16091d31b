"""The command line end to end: the bundled examples, the JSON contract, graph files without TensorFlow,
exit codes."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nanscope.analysis.cli import main, parse_range

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_cli(*args, cwd=ROOT):
    """Run `nanscope` in a fresh interpreter; returns (exit code, stdout, stderr, TF imported?)."""
    code = ("import sys; from nanscope.analysis.cli import main; rc = main(sys.argv[1:]); "
            "print('TF-IMPORTED' if 'tensorflow' in sys.modules else 'TF-ABSENT', file=sys.stderr); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                            cwd=cwd, timeout=300)
    return result.returncode, result.stdout, result.stderr, "TF-IMPORTED" in result.stderr


def verdicts(payload):
    return ({(f["op_name"], f["code"]) for f in payload["findings"]},
            {s["op_name"] for s in payload["proven_safe"]})


def expected_log_span(path):
    lines = path.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "tf.log(" in text and "=" in text)
    start = lines[line - 1].index("tf.log(")
    end = lines[line - 1].index(")", start) + 1
    return line, start + 1, end + 1


@pytest.mark.tensorflow
def test_examples_text_output():
    code, out, err, _ = run_cli("check", "examples/mnist_softmax.py", "examples/mnist_softmax_fixed.py")
    assert code == 1, err
    line, column, _ = expected_log_span(EXAMPLES / "mnist_softmax.py")
    assert f"examples/mnist_softmax.py:{line}:{column}: NS101 " in out
    assert "examples/mnist_softmax_fixed.py: 0 findings; 5 of 5 unsafe ops proven safe" in out


@pytest.mark.tensorflow
def test_script_json_contract_and_saved_graph_give_the_same_verdicts(tmp_path):
    code, out, err, _ = run_cli("check", "--format", "json", "examples/mnist_softmax.py")
    assert code == 1, err
    payload = json.loads(out)
    assert payload["version"] == 1
    assert set(payload) >= {"version", "findings", "proven_safe", "stats", "errors"}
    (finding,) = payload["findings"]
    line, column, end_column = expected_log_span(EXAMPLES / "mnist_softmax.py")
    assert (finding["path"], finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == \
        ("examples/mnist_softmax.py", line, column, line, end_column)
    assert finding["code"] == "NS101" and finding["op_type"] == "Log" and finding["severity"] == "warning"
    assert finding["input_range"] == [0.0, 1.0]
    assert set(payload["stats"]) == {"ops", "unsafe_ops", "seconds", "unsupported_ops"}
    assert payload["stats"]["unsafe_ops"] == 5   # Log, its gradient, the mean gradient and two FloorMods
    assert {a["name"]: a["kind"] for a in finding["assumptions"]} == {"x": "input", "W": "weight", "b": "weight"}

    graph_file = tmp_path / "model.pbtxt"
    code, out, err, _ = run_cli("trace", "examples/mnist_softmax.py", "-o", graph_file)
    assert code == 0, err
    code, out, err, tf_imported = run_cli("check", "--format", "json", graph_file)
    assert code == 1 and not tf_imported
    assert verdicts(json.loads(out)) == verdicts(payload)


@pytest.mark.parametrize("name,findings", [("mnist_softmax", {("Log", "NS101")}), ("mnist_softmax_fixed", set())])
def test_bundled_graph_files_without_tensorflow(name, findings):
    code, out, err, tf_imported = run_cli("check", "--format", "json", f"examples/{name}.pbtxt")
    assert not tf_imported
    assert code == (1 if findings else 0), err
    found, safe = verdicts(json.loads(out))
    assert found == findings
    assert "gradients/Mean_grad/truediv" in safe


def test_ablation_switches_change_the_analysis(tmp_path):
    code, out, err, _ = run_cli("check", "--format", "json", "--tensor", "smash", "--relations", "none",
                                "--no-split", "examples/mnist_softmax_fixed.pbtxt")
    assert code == 0, err


def test_range_option_is_applied():
    # With logits in a narrow range the softmax stays away from 0 and the log is proven safe.
    code, out, err, _ = run_cli("check", "--format", "json", "--range", "x=0:0", "--range", "W=0:0",
                                "--range", "b=-1:1", "examples/mnist_softmax.pbtxt")
    assert code == 0, out + err
    assert "Log" in verdicts(json.loads(out))[1]


@pytest.mark.parametrize("text,expected", [("x=0:1", ("x", (0.0, 1.0))), ("a/b=-inf:inf", ("a/b", (-float("inf"), float("inf")))),
                                           ("y=-2.5:1e3", ("y", (-2.5, 1000.0)))])
def test_parse_range(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize("args", [
    ["check", "examples/mnist_softmax.pbtxt", "--range", "x=1"],
    ["check", "examples/mnist_softmax.pbtxt", "--range", "x=2:1"],
    ["check", "examples/mnist_softmax.pbtxt", "--range", "x=a:b"],
    ["check", "examples/absent.py"],
    ["check", "README.md"],
    ["check", "examples/mnist_softmax.pbtxt", "--tensor", "bogus"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args, capsys):
    assert main(args) == 2
    assert capsys.readouterr().err


def test_corrupt_graph_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\xff\xff\xff")
    assert main(["check", str(bad)]) == 2
    assert "not a binary GraphDef" in capsys.readouterr().err
