"""trace_script end to end: the agent runs real scripts in a subprocess with TensorFlow.

Each trace costs a TensorFlow import in a fresh process, so the scripts are traced once per module, in
parallel, by the `traced` fixture; the tests then look at the results.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nanscope.analysis.graph import graph_from_bytes
from nanscope.analysis.tracing import Frame, TraceResult, trace_script

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mnist_softmax.py"
AGENT_DIR = REPO / "analysis" / "tracing"

needs_tf = [pytest.mark.tensorflow,
            pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")]

SCRIPTS: dict[str, dict[str, str]] = {
    # An infinite loop that also started a child process: both must be gone after the timeout. (The pids go
    # to a folder outside the project: tracing never writes into the project.)
    "loop": {"model.py": """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(os.path.join(os.environ["NANSCOPE_TEST_OUTSIDE"], "pids.txt"), "w") as handle:
    handle.write(f"{os.getpid()} {child.pid}")
while True:
    time.sleep(0.05)
"""},
    # v1 script in a subfolder: a helper module next to it, a user `except Exception` around Session.run.
    "v1_helper": {"helper.py": """\
def make_log(tf, x):
    return tf.log(x)
""", "model.py": """\
import json, os, sys
import tensorflow as tf
import helper
print("argv", json.dumps(sys.argv))
print("path", json.dumps(sys.path))
print("cwd", json.dumps(os.getcwd()))
x = tf.placeholder(tf.float32, [None, 3])
y = helper.make_log(tf, x)
sess = tf.InteractiveSession()
try:
    sess.run(y, feed_dict={x: [[1.0, 2.0, 3.0]]})
except Exception:
    print("swallowed")
print("after run")
"""},
    "raises": {"model.py": """\
import tensorflow as tf

def build():
    x = tf.placeholder(tf.float32, [None, 3], name="inputs")
    y = tf.log(x)
    raise ValueError("boom while building")

build()
"""},
    # Exits with 3 inside a graph that is not the default graph once the `with` block has unwound.
    "exit3": {"model.py": """\
import sys
import tensorflow as tf
g = tf.Graph()
with g.as_default():
    x = tf.placeholder(tf.float32, name="in_g")
    y = tf.sqrt(x)
    sys.exit(3)
"""},
    "exit0": {"model.py": """\
import sys
import tensorflow as tf
x = tf.placeholder(tf.float32, name="kept")
sys.exit(0)
"""},
    "os_exit": {"model.py": """\
import os
print("bye from the script", flush=True)
os._exit(0)
"""},
    "tf2": {"model.py": """\
import tensorflow as tf
x = tf.constant([1.0, 2.0])
print("eager", tf.executing_eagerly())
print("value", float(tf.reduce_sum(tf.math.log(x))))
"""},
}
TIMEOUTS = {"loop": 30.0}    # long enough for TensorFlow's import on a busy machine; the script never ends


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A folder outside every traced project, named to the scripts by an environment variable."""
    folder = tmp_path_factory.mktemp("outside")
    patcher = pytest.MonkeyPatch()
    patcher.setenv("NANSCOPE_TEST_OUTSIDE", str(folder))
    yield folder
    patcher.undo()


@pytest.fixture(scope="module")
def traced(tmp_path_factory, outside) -> dict[str, tuple[Path, TraceResult]]:
    root = tmp_path_factory.mktemp("traced")
    jobs: dict[str, tuple[Path, Path]] = {"mnist": (EXAMPLE, REPO)}
    for name, files in SCRIPTS.items():
        folder = root / name / "src"
        folder.mkdir(parents=True)
        for filename, text in files.items():
            (folder / filename).write_text(text, encoding="utf-8")
        jobs[name] = (folder / "model.py", root / name)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(trace_script, script, project_root=project,
                                     timeout=TIMEOUTS.get(name, 120.0))
                   for name, (script, project) in jobs.items()}
        return {name: (jobs[name][0], future.result()) for name, future in futures.items()}


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(number for number, text in enumerate(lines, 1) if needle in text and not text.startswith("`"))


pytestmark = needs_tf


def test_mnist_example_stops_at_session_run(traced):
    script, result = traced["mnist"]
    assert result.status == "stopped-at-session-run", result.error
    assert result.error is None and result.mode == "v1"
    assert result.graph is not None
    log_ops = [node.name for node in result.graph if node.op == "Log"]
    assert log_ops == ["Log"]
    innermost = result.frames["Log"][-1]
    assert innermost == Frame(str(script.resolve()), _line_of(script, "cross_entropy = "), "<module>")
    assert innermost.lineno == 15
    assert {"Softmax", "MatMul", "ApplyGradientDescent"} <= result.graph.op_types
    assert list(result.frames)[0] == "x"            # creation order: the first placeholder first
    assert result.graph_bytes is not None and len(graph_from_bytes(result.graph_bytes)) == len(result.graph)
    assert 0 < result.seconds < 120


def test_v1_script_with_helper_module_and_swallowing_except(traced):
    script, result = traced["v1_helper"]
    assert result.status == "stopped-at-session-run", result.error
    assert "swallowed" not in result.output and "after run" not in result.output
    values = {line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
              for line in result.output.splitlines() if line.startswith(("argv ", "path ", "cwd "))}
    assert values["argv"] == [str(script)]
    assert values["cwd"] == str(script.parent)
    assert values["path"][0] == str(script.parent)
    assert str(AGENT_DIR) not in values["path"]
    log_frames = result.frames["Log"]
    assert [(Path(frame.filename).name, frame.lineno, frame.function) for frame in log_frames] == [
        ("model.py", 8, "<module>"), ("helper.py", 2, "make_log")]   # outermost first


def test_script_that_raises_keeps_partial_graph(traced):
    script, result = traced["raises"]
    assert result.status == "failed"
    assert result.error is not None and "ValueError: boom while building" in result.error
    assert 'line 6, in build' in result.error
    assert [(frame.lineno, frame.function) for frame in result.error_frames] == [(8, "<module>"), (6, "build")]
    assert result.graph is not None and "inputs" in result.graph
    assert result.graph["Log"].op == "Log"
    assert result.frames["Log"][-1].lineno == 5


def test_sys_exit_nonzero_is_a_failure_with_the_graph_it_built(traced):
    _, result = traced["exit3"]
    assert result.status == "failed"
    assert result.error == "the script exited with sys.exit(3)"
    assert [(frame.lineno, frame.function) for frame in result.error_frames] == [(7, "<module>")]
    assert result.graph is not None and "in_g" in result.graph and result.graph["Sqrt"].op == "Sqrt"


def test_sys_exit_zero_completes(traced):
    _, result = traced["exit0"]
    assert result.status == "completed" and result.error is None
    assert result.graph is not None and "kept" in result.graph


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")   # zombie: dead, not reaped yet
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_infinite_loop_times_out_and_its_process_group_dies(traced, outside):
    script, result = traced["loop"]
    assert result.status == "timeout"
    assert result.error is not None and "30 s" in result.error
    assert result.graph is None
    assert 30.0 <= result.seconds < 90.0
    pids = [int(pid) for pid in (outside / "pids.txt").read_text().split()]
    deadline = time.monotonic() + 5
    while not all(_gone(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in pids), pids


def test_os_exit_without_results_is_a_crash(traced):
    _, result = traced["os_exit"]
    assert result.status == "crashed"
    assert result.error is not None and "exited with code 0" in result.error
    assert "bye from the script" in result.error and "bye from the script" in result.output
    assert result.graph is None and not result.frames


def test_modern_tf2_script_runs_unchanged(traced):
    _, result = traced["tf2"]
    assert result.status == "completed", result.error
    assert result.mode == "v2" and result.error is None
    assert "eager True" in result.output
    assert "value 0.693" in result.output
    assert result.graph is not None


def test_output_goes_to_the_result_not_to_our_stdout(tmp_path, capfd):
    script = tmp_path / "noisy.py"
    script.write_text("""\
import tensorflow as tf
for i in range(5000):
    print(f"line {i:05d} " + "x" * 20)
x = tf.placeholder(tf.float32, [None, 3])
with tf.Session() as sess:
    sess.run(tf.exp(x))
""", encoding="utf-8")
    result = trace_script(script)
    captured = capfd.readouterr()
    assert result.status == "stopped-at-session-run", result.error
    assert "line 04999" in result.output
    assert "line 00000" not in result.output                     # only the tail is kept
    assert len(result.output.encode("utf-8")) <= 64 * 1024
    assert "line 0" not in captured.out and "line 0" not in captured.err
    assert "Exp" in result.graph.op_types


def test_syntax_error_is_a_failure_located_at_the_bad_line(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("import tensorflow as tf\ndef f(:\n    pass\n", encoding="utf-8")
    result = trace_script(script)
    assert result.status == "failed"
    assert result.error is not None and "SyntaxError" in result.error
    assert result.error_frames[-1] == Frame(str(script.resolve()), 2, "<module>")
