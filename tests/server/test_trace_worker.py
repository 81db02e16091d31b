"""The long-lived trace worker (`nanscope.analysis.tracing.worker`): the same results as the runner's.

One worker (one zygote with TensorFlow imported) serves the whole module; the results of the worker and of
the runner are compared field by field (only the captured output may differ: the runner's includes
TensorFlow's import noise).
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from lsp_helpers import alive, children_of

from nanscope.analysis.tracing import trace_script
from nanscope.analysis.tracing.result import EntryPoint
from nanscope.analysis.tracing.runner import trace_entry_point
from nanscope.analysis.tracing.worker import TraceCancelled, TraceWorker

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "mnist_softmax.py"
AGENT_DIR = REPO / "analysis" / "tracing"

pytestmark = [pytest.mark.tensorflow,
              pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow"),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and /proc")]

SCRIPTS = {
    "v1_helper": {"helper.py": "def make_log(tf, x):\n    return tf.log(x)\n", "model.py": """\
import json, os, sys
import numpy as np
import tensorflow as tf
import helper
print("argv", json.dumps(sys.argv))
print("path", json.dumps(sys.path))
print("cwd", json.dumps(os.getcwd()))
print("stdin", json.dumps(sys.stdin.read()))
print("session", os.getsid(0) == os.getpid())
print("random", float(np.random.rand()))
print("parent", os.getppid())
x = tf.placeholder(tf.float32, [None, 3])
y = helper.make_log(tf, x)
tf.Session().run(y)
"""},
    "raises": {"model.py": """\
import tensorflow as tf

def build():
    x = tf.placeholder(tf.float32, [None, 3], name="inputs")
    y = tf.log(x)
    raise ValueError("boom while building")

build()
"""},
    "keras": {"model.py": """\
import numpy as np
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(3)])
print("eager", float(tf.reduce_sum(model(np.ones((2, 4), "float32")))))

@tf.function
def loss(x):
    return tf.reduce_mean(tf.math.log(tf.nn.softmax(model(x))))

graph = loss.get_concrete_function(tf.TensorSpec([None, 4])).graph
"""},
    "function": {"model.py": "", "pkg/__init__.py": "", "pkg/parts.py": """\
import tensorflow as tf

def log_layer(x):
    return tf.log(x, name="the_log")
""", "pkg/build.py": """\
import tensorflow as tf
from .parts import log_layer

def build():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    log_layer(x)
"""},
    "os_exit": {"model.py": "import os\nprint('bye from the script', flush=True)\nos._exit(0)\n"},
    "syntax": {"model.py": "import tensorflow as tf\ndef f(:\n    pass\n"},
    "loop": {"model.py": """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(PIDS, "w") as handle:   # outside the project: a trace cannot write into it
    handle.write(f"{os.getpid()} {child.pid}")
while True:
    time.sleep(0.05)
"""},
    # children that leave the trace's session: one with a session of its own, and a daemon (fork, setsid,
    # fork, the middle one exits); the script then ends, or runs until it is killed (LOOP)
    "escapes": {"model.py": """\
import os, subprocess, sys, time
import tensorflow as tf
def record(pid):
    fd = os.open(PIDS + ".part", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, f"{pid} ".encode())
    os.close(fd)
record(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True).pid)
middle = os.fork()
if middle == 0:
    os.setsid()
    if os.fork() == 0:
        record(os.getpid())
        time.sleep(600)
        os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)
while len(open(PIDS + ".part").read().split()) < 2:
    time.sleep(0.01)
os.rename(PIDS + ".part", PIDS)
x = tf.constant([1.0])
while LOOP:
    time.sleep(0.05)
"""},
}


def make(root: Path, name: str, loop: bool = True) -> Path:
    folder = root / name / "src"
    folder.mkdir(parents=True, exist_ok=True)
    for filename, text in SCRIPTS[name].items():
        text = text.replace("PIDS", repr(str(pids_file(folder / filename)))).replace("LOOP", str(loop))
        (folder / filename).parent.mkdir(parents=True, exist_ok=True)
        (folder / filename).write_text(text, encoding="utf-8")
    return folder / "model.py"


def pids_file(script: Path) -> Path:
    return script.parents[2] / "pids.txt"    # root/name/src/model.py -> root/pids.txt


def traced_pids(script: Path) -> list[int]:
    return [int(pid) for pid in pids_file(script).read_text().split()]


@pytest.fixture(scope="module")
def worker():
    with TraceWorker() as worker:
        worker.start()
        yield worker


def _comparable(result):
    # Serialized graphs are not byte-stable from one process to the next (attribute map order): compare
    # what they hold. Observed ranges come from the script's random data: compare which inputs have one.
    graph = None if result.graph is None else {node.name: (node.op, tuple(node.inputs)) for node in result.graph}
    error = result.error
    if result.status == "crashed":       # the crash message quotes the output, TensorFlow's noise included
        error = error.split("; last output:")[0]
    return (result.status, error, dict(result.frames), result.error_frames, result.mode, result.tf_version,
            graph, result.entry, result.imported_files, result.stop_reason, sorted(result.observed_ranges),
            result.notes)


@pytest.mark.parametrize("name", ["example", "v1_helper", "raises", "keras", "os_exit", "syntax"])
def test_same_result_as_the_runner(worker: TraceWorker, tmp_path: Path, name: str):
    script = EXAMPLE if name == "example" else make(tmp_path, name)
    root = REPO if name == "example" else script.parent.parent
    ours = worker.trace(script, root, 60.0)
    theirs = trace_script(script, project_root=root, timeout=60.0)
    assert _comparable(ours) == _comparable(theirs)
    assert worker.fallbacks == 0
    if name == "v1_helper":
        assert [path.name for path in ours.imported_files] == ["helper.py"]
        values = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in ours.output.splitlines()}
        assert json.loads(values["argv"]) == [str(script)]
        assert json.loads(values["cwd"]) == str(script.parent)
        assert json.loads(values["path"])[0] == str(script.parent)
        assert str(AGENT_DIR) not in json.loads(values["path"])
        assert json.loads(values["stdin"]) == ""          # stdin is /dev/null
        assert values["session"] == "True"                # its own session, hence its own process group
    if name == "os_exit":
        assert "bye from the script" in ours.output and "exited with code 0" in ours.error


def test_function_entry_point(worker: TraceWorker, tmp_path: Path):
    folder = make(tmp_path, "function").parent
    entry = EntryPoint(folder / "pkg" / "build.py", "build")
    ours = worker.trace(entry, folder, 60.0)
    theirs = trace_entry_point(entry, project_root=folder, timeout=60.0)
    assert ours.status == "completed", ours.error
    assert _comparable(ours) == _comparable(theirs)
    assert {path.name for path in ours.imported_files} == {"__init__.py", "parts.py"}


def test_each_trace_is_a_fresh_fork_of_the_zygote(worker: TraceWorker, tmp_path: Path):
    script = make(tmp_path, "v1_helper")
    outputs = []
    for _ in range(3):
        result = worker.trace(script, script.parent.parent, 60.0)
        assert result.status == "stopped-at-session-run"
        outputs.append(dict(line.split(" ", 1) for line in result.output.splitlines()))
    assert {output["parent"] for output in outputs} == {str(worker.pid)}    # forked: no import of its own
    assert len({output["random"] for output in outputs}) == 3    # numpy's global generator is reseeded
    assert worker.spawned == 1 and worker.fallbacks == 0


def test_timeout_kills_the_whole_group(worker: TraceWorker, tmp_path: Path):
    script = make(tmp_path, "loop")
    result = worker.trace(script, script.parent, 3.0)
    assert result.status == "timeout" and "3 s" in result.error
    pids = traced_pids(script)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_cancel_kills_the_trace(worker: TraceWorker, tmp_path: Path):
    script = make(tmp_path, "loop")
    cancel = threading.Event()
    threading.Timer(1.5, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(TraceCancelled):
        worker.trace(script, script.parent, 60.0, cancel=cancel)
    assert time.monotonic() - started < 10
    pids = traced_pids(script)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)


def test_a_dead_zygote_is_replaced(tmp_path: Path):
    script = make(tmp_path, "raises")
    with TraceWorker() as worker:
        assert worker.trace(script, None, 60.0).status == "failed"
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        assert worker.trace(script, None, 60.0).status == "failed"
        assert worker.pid not in (None, first) and worker.spawned == 2 and worker.fallbacks == 0


def test_close_during_a_trace_leaves_nothing(tmp_path: Path):
    script = make(tmp_path, "loop")
    worker = TraceWorker()
    results = []
    thread = threading.Thread(target=lambda: results.append(worker.trace(script, script.parent, 60.0)))
    thread.start()
    deadline = time.monotonic() + 30
    while not pids_file(script).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    zygote = worker.pid
    pids = traced_pids(script)
    worker.close()
    thread.join(10)
    assert results and results[0].status == "crashed"
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in [zygote, *pids]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in [zygote, *pids])


def test_interpreter_without_tensorflow_falls_back_to_the_runner(tmp_path: Path, monkeypatch):
    script = tmp_path / "model.py"
    script.write_text("print(1)\n", encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "tensorflow.py").write_text("raise ImportError('no TF here')\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(blocker))
    with TraceWorker() as worker:
        result = worker.trace(script, None, 60.0)
        assert result.status == "failed"
        assert "TensorFlow cannot be imported" in result.error and "no TF here" in result.error
        assert worker.fallbacks == 1


def test_bad_interpreter_and_missing_script(tmp_path: Path):
    with TraceWorker(str(tmp_path / "no-python")) as worker:
        script = tmp_path / "model.py"
        script.write_text("print(1)\n", encoding="utf-8")
        result = worker.trace(script, None, 10.0)
        assert result.status == "crashed" and "cannot start" in result.error
        assert worker.trace(tmp_path / "nope.py", None, 10.0).status == "failed"
        with pytest.raises(ValueError):
            worker.trace(script, None, 0)


def wait_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    """The pids still alive (zombies count as gone) after waiting up to `seconds`."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def zygote_children(worker: TraceWorker) -> dict[int, str]:
    return children_of(worker.pid) if worker.pid else {}


@pytest.mark.parametrize("ending", ["completes", "timeout", "cancel"])
def test_children_that_leave_the_session_are_killed_and_reaped(worker: TraceWorker, tmp_path: Path, ending: str):
    """setsid() escapes the process group kill: the zygote and each trace are child subreapers, so whatever a
    trace leaves is re-parented to the zygote, which kills and reaps it."""
    script = make(tmp_path, "escapes", loop=ending != "completes")
    if ending == "cancel":
        cancel = threading.Event()

        def cancel_when_recorded():
            deadline = time.monotonic() + 60
            while not pids_file(script).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            cancel.set()
        threading.Thread(target=cancel_when_recorded).start()
        with pytest.raises(TraceCancelled):
            worker.trace(script, script.parent, 60.0, cancel=cancel)
    else:
        result = worker.trace(script, script.parent, 60.0 if ending == "completes" else 8.0)
        assert result.status == ("completed" if ending == "completes" else "timeout"), result.error
    survivors = wait_gone(traced_pids(script))
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)         # never leave them behind, whatever the verdict
    assert not survivors, "processes that called setsid() survived the trace"
    deadline = time.monotonic() + 5
    while zygote_children(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not zygote_children(worker), "the zygote left children (or zombies) behind"


def test_the_end_of_one_trace_spares_the_escaped_children_of_another(worker: TraceWorker, tmp_path: Path):
    """Orphans are attributed to their trace: each trace is a subreaper while it runs."""
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    running = make(tmp_path / "a", "escapes", loop=True)
    finished = make(tmp_path / "b", "escapes", loop=False)
    cancel = threading.Event()
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(worker.trace(running, running.parent, 120.0, cancel=cancel))
        except TraceCancelled as cancelled:
            outcome.append(cancelled)
    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not pids_file(running).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        escaped = traced_pids(running)
        assert worker.trace(finished, finished.parent, 60.0).status == "completed"
        assert not wait_gone(traced_pids(finished))
        assert all(alive(pid) for pid in escaped), "another trace's end killed this trace's processes"
        assert alive(bystander.pid), "an unrelated process was killed"
        cancel.set()
        thread.join(30)
        assert outcome and isinstance(outcome[0], TraceCancelled)
        assert not wait_gone(escaped)
    finally:
        cancel.set()
        thread.join(30)
        for script in (running, finished):      # never leave them behind, whatever the verdict
            for pid in traced_pids(script) if pids_file(script).exists() else ():
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
        bystander.kill()
        bystander.wait()
