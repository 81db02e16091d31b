"""Resource hygiene (issue 6): repeated traces leave no processes, no temporary folders and no memory growth,
through the command line's runner and through the language server's warm trace worker."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest
from lsp_helpers import (
    RawServer,
    alive,
    children_of,
    command_line,
    descendants,
    is_publication,
    open_fds,
    status_field,
)

from nanscope.analysis.tracing.runner import trace_script


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.tensorflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ten_traces_leave_nothing_behind_and_do_not_grow_memory(tmp_path: Path):
    script = tmp_path / "model.py"
    script.write_text("import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n"
                      "x = tf.compat.v1.placeholder(tf.float32, [None, 4], name='x')\n"
                      "y = tf.math.log(tf.nn.softmax(x))\nprint('x' * 200_000)\n", encoding="utf-8")
    before = set(os.listdir(tempfile.gettempdir()))
    first = trace_script(script, timeout=60)       # warm up: imports, caches
    assert first.graph is not None, first.error
    baseline = rss_kib()
    for _ in range(9):
        result = trace_script(script, timeout=60)
        assert result.graph is not None and len(result.graph) == len(first.graph)
        assert not children_of(os.getpid()), "a trace process was left behind"
    growth = rss_kib() - baseline
    assert growth < 8 * 1024, f"RSS grew by {growth} KiB over 9 traces"
    assert not [name for name in set(os.listdir(tempfile.gettempdir())) - before if name.startswith("nanscope-trace-")]


# A small model (one NS101: log of a softmax) whose script also leaves a process in a session of its own on
# every trace, so that what could accumulate per trace does: processes, zombies, descriptors, folders.
SAVED_MODEL = """import os, time
import tensorflow as tf
# save {number}
child = os.fork()
if child == 0:
    os.setsid()
    time.sleep(600)
    os._exit(0)
fd = os.open({pids!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
os.write(fd, f"{{child}}\\n".encode())
os.close(fd)
tf.compat.v1.disable_eager_execution()
x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
y = tf.math.log(tf.nn.softmax(x))
"""
SAVES = 100
CHECKPOINT = 10
# Bounds on growth between the CHECKPOINT-th and the last trace (KiB of resident memory): the zygote only
# forks and reaps, the server keeps one cached result per entry point.
ZYGOTE_GROWTH_KIB = 4 * 1024
SERVER_GROWTH_KIB = 24 * 1024
# The server's analysis pool starts its threads lazily (at most this many): one may start after the 10th.
POOL_THREADS = 2


def snapshot(server: int, zygote: int) -> dict[str, int]:
    return {"server_rss": status_field(server, "VmRSS"), "zygote_rss": status_field(zygote, "VmRSS"),
            "server_fds": open_fds(server), "zygote_fds": open_fds(zygote),
            "server_threads": status_field(server, "Threads"), "zygote_threads": status_field(zygote, "Threads")}


@pytest.mark.tensorflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_hundred_saves_through_the_warm_worker_leak_nothing(tmp_path: Path):
    """100 saves of a changed model, each traced by the language server's warm worker (one fork of the
    zygote per trace) and analysed: memory, descriptors and threads of the server and of the zygote after
    the last trace are those after the 10th (within the bounds above), and no process (not even the one
    each trace started in a session of its own), zombie or trace folder is left. Prints the numbers and
    the duration (not asserted: see benchmarks/)."""
    project = tmp_path / "project"
    project.mkdir()
    pids = tmp_path / "pids.txt"          # outside the project: a trace cannot write into it
    model = project / "model.py"
    model.write_text(SAVED_MODEL.format(number=0, pids=str(pids)), encoding="utf-8")
    server = RawServer([sys.executable, "-m", "nanscope.server"], project)
    started = time.monotonic()
    try:
        server.initialize(project, {"logLevel": "info"})
        uri = server.open(model)
        server.wait_for(is_publication(uri), timeout=180)       # the zygote imports TensorFlow first
        checkpoints: dict[int, dict[str, int]] = {}
        zygote = None
        for number in range(1, SAVES + 1):
            server.forget()
            server.save(model, SAVED_MODEL.format(number=number, pids=str(pids)))
            published = server.wait_for(is_publication(uri), timeout=120)
            codes = [diagnostic.get("code") for diagnostic in published["params"]["diagnostics"]]
            assert codes == ["NS101"], (number, published)
            if number in (CHECKPOINT, SAVES):
                zygotes = [pid for pid in children_of(server.process.pid) if "zygote_main" in command_line(pid)]
                assert len(zygotes) == 1, zygotes
                assert zygote in (None, zygotes[0]), "the zygote was replaced"
                zygote = zygotes[0]
                deadline = time.monotonic() + 10       # the last trace's child is being reaped
                while descendants(server.process.pid) != {zygote} and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert descendants(server.process.pid) == {zygote}, "a trace left a process behind"
                assert children_of(zygote) == {}, "the zygote has children (or zombies) left"
                checkpoints[number] = snapshot(server.process.pid, zygote)
        traced = [line for line in server.log
                  if line.startswith(("nanscope: traced model.py:", "nanscope: output of model.py "))]
        assert len(traced) == SAVES + 1          # the open and every save: each traced once, by the worker
        leftover = [name for name in os.listdir(tempfile.gettempdir()) if name.startswith("nanscope-trace-")]
        assert not leftover, leftover
        escaped = [int(line) for line in pids.read_text().split()]
        assert len(escaped) == SAVES + 1
        survivors = [pid for pid in escaped if alive(pid)]
        for pid in survivors:
            os.kill(pid, 9)             # never leave them behind, whatever the verdict
        assert not survivors, "processes the traces started (in sessions of their own) survived them"
    finally:
        server.close()
    seconds = time.monotonic() - started
    first, last = checkpoints[CHECKPOINT], checkpoints[SAVES]
    print(f"\n{SAVES} saves in {seconds:.1f} s; after save {CHECKPOINT}: {first}; after save {SAVES}: {last}")
    assert last["zygote_rss"] - first["zygote_rss"] <= ZYGOTE_GROWTH_KIB, (first, last)
    assert last["server_rss"] - first["server_rss"] <= SERVER_GROWTH_KIB, (first, last)
    for key in ("server_fds", "zygote_fds", "zygote_threads"):
        assert last[key] <= first[key], (key, first, last)
    assert last["server_threads"] <= first["server_threads"] + POOL_THREADS, (first, last)


@pytest.mark.tensorflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("supervised", [True, False])
def test_a_timed_out_trace_leaves_no_process_with_or_without_the_supervisor(tmp_path: Path, monkeypatch,
                                                                            supervised: bool):
    """The runner's two paths: Linux (a subreaper supervisor) and elsewhere (the agent is the child, its
    process group is killed). Either way the script and the children in its group are gone after a timeout."""
    from nanscope.analysis.tracing import runner

    monkeypatch.setattr(runner, "SUPERVISED", supervised)
    pids = tmp_path / "pids.txt"
    project = tmp_path / "project"
    project.mkdir()
    script = project / "model.py"
    script.write_text("import os, subprocess, sys, time\n"
                      "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                      f"fd = os.open({str(pids)!r}, os.O_WRONLY | os.O_CREAT)\n"
                      "os.write(fd, f'{os.getpid()} {child.pid}'.encode())\n"
                      "while True:\n    time.sleep(0.05)\n", encoding="utf-8")
    result = runner.trace_script(script, timeout=8)
    assert result.status == "timeout", result.error
    started = [int(pid) for pid in pids.read_text().split()]
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = [pid for pid in started if alive(pid)]
    for pid in survivors:
        os.kill(pid, 9)
    assert not survivors
    assert not children_of(os.getpid()), "the runner left a process (or a zombie) behind"
