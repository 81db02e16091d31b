"""Hostile and broken inputs through the command line (issue 6): nanscope keeps working, says what happened
in one clear line, and exits with 2 when a file cannot be analysed.

The scripts of `hostile.SCRIPTS` are checked in ONE `nanscope check -j 2 --format json` run (a module-scoped
fixture: every trace is its own process, ~4 s of TensorFlow import each); the never-ending ones in a second
run with a short --timeout. Graph files need no TensorFlow and run separately.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import FOREVER, SCRIPTS
from robust_helpers import NANSCOPE, alive

from nanscope.analysis.graph import proto

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def run_cli(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(NANSCOPE), "check", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def write(folder: Path, name: str, source: str | bytes) -> Path:
    path = folder / f"{name}.py"
    path.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    for name, (source, _) in SCRIPTS.items():
        write(folder, name, source)
    started = time.monotonic()
    done = run_cli(*sorted(f"{name}.py" for name in SCRIPTS), "--format", "json", "-j", "2", "--timeout", "30",
                   cwd=folder)
    return done, json.loads(done.stdout), time.monotonic() - started


@pytest.mark.tensorflow
def test_the_hostile_run_ends_with_exit_code_2_and_valid_json(hostile_run):
    done, document, seconds = hostile_run
    assert done.returncode == 2, done.stderr[-3000:]
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert seconds < 200


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_hostile_script_gets_a_clear_message(hostile_run, name: str):
    _, document, _ = hostile_run
    expected = SCRIPTS[name][1]
    errors = [e for e in document["errors"] if e.startswith(f"{name}.py")]
    findings = [f for f in document["findings"] if f["path"] == f"{name}.py"]
    skipped = [s for s in document["skipped"] if s["path"] == f"{name}.py"]
    if expected == "finding":
        assert not errors and [f["code"] for f in findings] == ["NS101"], (errors, findings)
    elif expected == "skipped":
        assert not errors and not findings and "does not import tensorflow" in skipped[0]["reason"]
    else:
        [error] = errors            # exactly one line, naming the file and what happened
        assert "\n" not in error.split("; last output:")[0]
        assert expected.lower() in error.lower(), error
        assert not findings


@pytest.mark.tensorflow
def test_scripts_that_never_end_are_stopped_and_their_children_killed(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    pids_file = tmp_path / "PIDS"
    for name, source in FOREVER.items():
        write(project, name, source.replace("PIDS_FILE", repr(str(pids_file))))
    started = time.monotonic()
    done = run_cli(*sorted(f"{name}.py" for name in FOREVER), "-j", "3", "--timeout", "12", cwd=project)
    seconds = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    for name in FOREVER:
        assert f"tracing {name}.py timeout: the script did not reach a training step or finish within 12 s" \
            in done.stderr, done.stderr
    assert seconds < 60
    pids = [int(line) for line in pids_file.read_text().split()]
    assert len(pids) == 3          # a child, a forked child and its grandchild
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if alive(pid)], "processes started by the script survived the trace"


ESCAPES = """import tensorflow as tf
import os, subprocess, sys, time
def record(pid):
    fd = os.open(PIDS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, f"{pid}\\n".encode())
    os.close(fd)
# a child in a session of its own
record(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True).pid)
# a daemon: fork, setsid, fork again, the middle process exits (the grandchild is orphaned)
middle = os.fork()
if middle == 0:
    os.setsid()
    daemon = os.fork()
    if daemon == 0:
        time.sleep(120)
        os._exit(0)
    record(daemon)
    os._exit(0)
os.waitpid(middle, 0)
FINALLY
"""


@pytest.mark.tensorflow
@pytest.mark.parametrize("ending", ["timeout", "completes"])
def test_children_that_leave_the_session_are_killed_too(tmp_path: Path, ending: str):
    """setsid() escapes the process group kill; the runner's supervisor (a child subreaper) still gets them."""
    project = tmp_path / "project"
    project.mkdir()
    pids_file = tmp_path / "PIDS"
    finally_ = "while True:\n    time.sleep(0.1)\n" if ending == "timeout" else "x = tf.constant([1.0])\n"
    write(project, "escapes", ESCAPES.replace("PIDS_FILE", repr(str(pids_file))).replace("FINALLY", finally_))
    done = run_cli("escapes.py", "--timeout", "8", cwd=project)
    if ending == "timeout":
        assert "escapes.py timeout" in done.stderr, done.stderr
    else:
        assert done.returncode == 0, done.stderr
    pids = [int(line) for line in pids_file.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    survived = [pid for pid in pids if alive(pid)]
    for pid in survived:
        os.kill(pid, 9)        # never leave them behind, whatever the verdict
    assert not survived, "processes that called setsid() survived the trace"


# -- graph files -----------------------------------------------------------------------------------------

def node(graph, name: str, op: str, inputs=(), **attrs):
    n = graph.node.add(name=name, op=op)
    n.input.extend(inputs)
    for key, value in attrs.items():
        if isinstance(value, int) and key in ("T", "dtype", "DstT", "SrcT"):
            n.attr[key].type = value
        elif isinstance(value, proto.TensorProto):
            n.attr[key].tensor.CopyFrom(value)
        elif isinstance(value, list):
            shape = n.attr[key].shape
            if value == ["?"]:
                shape.unknown_rank = True
            else:
                for d in value:
                    shape.dim.add(size=d)
    return n


FLOAT, DOUBLE, INT32, COMPLEX64, FLOAT16, INT64, BFLOAT16 = 1, 2, 3, 8, 19, 9, 14


def tensor(dtype: int, shape: list[int], **values) -> proto.TensorProto:
    t = proto.TensorProto(dtype=dtype)
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    for key, value in values.items():
        getattr(t, key).extend(value) if isinstance(value, list) else setattr(t, key, value)
    return t


def special_graphs() -> dict[str, proto.GraphDef]:
    graphs = {}
    g = proto.GraphDef()      # NaN / Inf constants flowing into log and division
    node(g, "c", "Const", dtype=FLOAT, value=tensor(FLOAT, [3], float_val=[float("nan"), float("inf"), -1.0]))
    node(g, "log", "Log", ["c"], T=FLOAT)
    node(g, "div", "RealDiv", ["c", "c"], T=FLOAT)
    graphs["nan_inf_constants"] = g
    g = proto.GraphDef()      # int32 overflow: max + max
    node(g, "m", "Const", dtype=INT32, value=tensor(INT32, [2], int_val=[2**31 - 1, -2**31]))
    node(g, "add", "AddV2", ["m", "m"], T=INT32)
    node(g, "mul", "Mul", ["add", "m"], T=INT32)
    node(g, "f", "Cast", ["mul"], SrcT=INT32, DstT=FLOAT)
    node(g, "log", "Log", ["f"], T=FLOAT)
    graphs["integer_overflow"] = g
    for name, dtype in (("float16", FLOAT16), ("bfloat16", BFLOAT16), ("float64", DOUBLE), ("complex64", COMPLEX64)):
        g = proto.GraphDef()
        node(g, "x", "Placeholder", dtype=dtype, shape=[-1, 3])
        node(g, "e", "Exp", ["x"], T=dtype)
        node(g, "log", "Log", ["e"], T=dtype)
        node(g, "s", "Sqrt", ["x"], T=dtype)
        node(g, "d", "RealDiv" if dtype != COMPLEX64 else "Div", ["s", "x"], T=dtype)
        graphs[name] = g
    g = proto.GraphDef()      # unknown rank and unknown dimensions
    node(g, "x", "Placeholder", dtype=FLOAT, shape=["?"])
    node(g, "y", "Placeholder", dtype=FLOAT, shape=[-1, -1, -1])
    node(g, "a", "AddV2", ["x", "y"], T=FLOAT)
    node(g, "r", "Sum", ["a", "axis"], T=FLOAT)
    node(g, "axis", "Const", dtype=INT32, value=tensor(INT32, [1], int_val=[1]))
    node(g, "log", "Log", ["r"], T=FLOAT)
    graphs["unknown_shapes"] = g
    g = proto.GraphDef()      # zero-size tensors
    node(g, "z", "Const", dtype=FLOAT, value=tensor(FLOAT, [0, 3]))
    node(g, "x", "Placeholder", dtype=FLOAT, shape=[0])
    node(g, "m", "Mean", ["z", "axis"], T=FLOAT)
    node(g, "axis", "Const", dtype=INT32, value=tensor(INT32, [1], int_val=[0]))
    node(g, "log", "Log", ["m"], T=FLOAT)
    node(g, "lx", "Log", ["x"], T=FLOAT)
    graphs["zero_size"] = g
    return graphs


SPECIAL = special_graphs()


@pytest.mark.parametrize("suffix", [".pb", ".pbtxt"])
def test_special_graphs_are_analysed(tmp_path: Path, suffix: str):
    from google.protobuf import text_format
    for name, graph in SPECIAL.items():
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".pb":
            path.write_bytes(graph.SerializeToString())
        else:
            path.write_text(text_format.MessageToString(graph), encoding="utf-8")
    done = run_cli(*sorted(p.name for p in tmp_path.iterdir()), "--format", "json", cwd=tmp_path, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    document = json.loads(done.stdout)
    assert document["errors"] == []
    flagged = {f["path"] for f in document["findings"]}
    # every one of these graphs has an op that may produce NaN or Inf, and it must be reported
    assert flagged == {f"{name}{suffix}" for name in SPECIAL}, flagged


def valid_pb() -> bytes:
    return SPECIAL["nan_inf_constants"].SerializeToString()


@pytest.mark.parametrize("name,data", [
    ("truncated.pb", valid_pb()[:-7]),
    ("garbage.pb", b"\xff\x00\x13\x37" * 100),
    ("text_in_binary.pb", b"node { name: 'x' op: 'Const' }"),
    ("empty.pbtxt", b""),
    ("truncated.pbtxt", b"node { name: 'x' op: 'Const' attr { key: 'dtype' value { type"),
    ("not_utf8.pbtxt", b"node { name: '\xff\xfe' }"),
    ("garbage.pbtxt", b"\x00\x01\x02 {{{{ ::: }}}"),
])
def test_corrupted_graph_files_give_one_clear_error(tmp_path: Path, name: str, data: bytes):
    (tmp_path / name).write_bytes(data)
    done = run_cli(name, cwd=tmp_path, timeout=60)
    if name == "empty.pbtxt":   # an empty GraphDef is a valid (empty) graph
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert f"is not a {'text' if name.endswith('txt') else 'binary'} GraphDef" in done.stderr, done.stderr


def chain_graph(ops: int) -> bytes:
    graph = proto.GraphDef()
    node(graph, "x", "Placeholder", dtype=FLOAT, shape=[4])
    for i in range(1, ops):
        node(graph, f"n{i}", "Relu" if i % 2 else "Neg", ["x" if i == 1 else f"n{i - 1}"], T=FLOAT)
    return graph.SerializeToString()


def test_a_graph_of_a_million_ops_is_refused_quickly_with_the_limit_named(tmp_path: Path):
    (tmp_path / "huge.pb").write_bytes(chain_graph(1_000_000))
    started = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", str(NANSCOPE), "check", "huge.pb"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "huge.pb is too large to analyse: 1000000 ops, more than the limit of 500000 (--max-ops)" in done.stderr
    assert seconds < 30
    assert int(done.stderr.split()[-1]) < 1_500_000     # peak RSS in KiB


def test_max_ops_is_a_setting(tmp_path: Path):
    (tmp_path / "g.pb").write_bytes(chain_graph(50))
    done = run_cli("g.pb", "--max-ops", "10", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "more than the limit of 10 (--max-ops)" in done.stderr
    done = run_cli("g.pb", "--max-ops", "0", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "--max-ops must be at least 1" in done.stderr


def test_a_large_graph_below_the_limit_is_analysed_in_bounded_time(tmp_path: Path):
    (tmp_path / "big.pb").write_bytes(chain_graph(100_000))
    started = time.monotonic()
    done = run_cli("big.pb", "--relations", "none", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(100000 ops" in done.stdout
    assert time.monotonic() - started < 60


def test_a_deep_relu_chain_is_analysed_in_bounded_time(tmp_path: Path):
    (tmp_path / "chain.pb").write_bytes(chain_graph(5000))
    try:
        done = subprocess.run([str(NANSCOPE), "check", "chain.pb"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("a 5000-op Relu/Neg chain was not analysed within 20 s")
    assert done.returncode == 0
