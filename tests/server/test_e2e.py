"""End-to-end tests: `python -m nanscope.server` with the real engine, tracing real TensorFlow scripts.

The server's trace worker imports TensorFlow once (a few seconds) when the server starts; each trace is then
a fork of it. Timeouts are generous; latencies are measured by `benchmarks/server_latency.py`, not here.
"""
from __future__ import annotations

import asyncio
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest
from lsp_helpers import (
    RawServer,
    alive,
    descendants,
    logged,
    open_file,
    publication,
    published_count,
    save_file,
    until,
)
from lsprotocol import types
from pytest_lsp import LanguageClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRACE_TIMEOUT = 120.0

pytestmark = pytest.mark.tensorflow


async def diagnostics_for(client: LanguageClient, uri: str, timeout: float = TRACE_TIMEOUT, since: int = 0):
    return await publication(client, uri, since=since, timeout=timeout)


def copy_example(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copyfile(EXAMPLES / name, target)
    return target


def marker_interpreter(folder: Path) -> tuple[Path, Path]:
    """A python wrapper that leaves a marker file whenever anything runs it."""
    marker = folder / "interpreter-ran"
    wrapper = folder / "python-with-marker"
    wrapper.write_text(f'#!/bin/sh\ntouch "{marker}"\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, marker


def line_of(path: Path, needle: str) -> int:
    """0-based line of the code line containing `needle` (the docstring quotes code too)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    [line] = [i for i, text in enumerate(lines) if needle in text and not text.startswith(("`", " "))]
    return line


def log_call_range(path: Path) -> types.Range:
    line = line_of(path, "cross_entropy =")
    start = path.read_text(encoding="utf-8").splitlines()[line].index("tf.log(y)")
    return types.Range(types.Position(line, start), types.Position(line, start + len("tf.log(y)")))


def traces_of(client: LanguageClient, name: str) -> int:
    return sum(1 for m in client.log_messages if m.message.startswith(f"nanscope: traced {name}:"))


async def test_unsafe_log_is_reported_at_the_exact_call(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    uri = open_file(client, model)
    [diagnostic] = await diagnostics_for(client, uri)

    assert diagnostic.code == "NS101"
    assert diagnostic.source == "nanscope"
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.range == log_call_range(model)
    assert "inferred range [0, 1]" in diagnostic.message
    href = diagnostic.code_description.href
    assert href.startswith("file://") and href.endswith("docs/rules/NS101.md")
    related = {info.message.split(" ", 1)[0]: info for info in diagnostic.related_information}
    assert related["x"].message.startswith("x is assumed in [")      # the range and why (observed, default)
    assert related["x"].message.endswith(")")
    assert related["x"].location.range.start.line == line_of(model, "x = tf.placeholder")
    assert related["W"].location.range.start.line == line_of(model, "W = tf.Variable")
    assert all(info.location.uri == uri for info in related.values())
    await until(lambda: any(isinstance(r[-1], types.WorkDoneProgressEnd)
                            for r in client.progress_reports.values()), what="the end of the progress")
    [reports] = client.progress_reports.values()
    assert [type(r).__name__ for r in reports] == ["WorkDoneProgressBegin", "WorkDoneProgressReport",
                                                   "WorkDoneProgressEnd"]
    assert reports[-1].message == "mnist_softmax.py: 1 finding"


async def test_hover_on_the_unsafe_call(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    uri = open_file(client, model)
    await diagnostics_for(client, uri)
    where = log_call_range(model).start
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(where.line, where.character + 3)))
    text = hover.contents.value
    assert "`Log` (Log): output in [-inf, 0]" in text, text
    assert "float32" in text and "**unsafe** (NS101)" in text and "x is assumed in" in text

    softmax = line_of(model, "y = tf.nn.softmax")
    column = model.read_text(encoding="utf-8").splitlines()[softmax].index("softmax") + 2
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(softmax, column)))
    assert "(Softmax): output in [0, 1], shape [?, 10], float32" in hover.contents.value


async def test_fixed_example_is_clean(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax_fixed.py", tmp_path)
    assert await diagnostics_for(client, open_file(client, model)) == []
    assert not [m for m in client.messages if m.type == types.MessageType.Error]


@pytest.mark.parametrize("client", [{"logLevel": "info"}], indirect=True)
async def test_saves_reuse_the_worker_and_the_cache(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    uri = open_file(client, model)
    [first] = await diagnostics_for(client, uri)
    assert traces_of(client, "mnist_softmax.py") == 1

    mark = published_count(client)               # saved without a change: nothing runs again
    save_file(client, model)
    assert await diagnostics_for(client, uri, since=mark) == [first]
    assert traces_of(client, "mnist_softmax.py") == 1

    helper = tmp_path / "notes.py"               # an unrelated file: the model is not traced again
    helper.write_text("NOTE = 1\n", encoding="utf-8")
    open_file(client, helper)
    mark = published_count(client)
    save_file(client, helper, "NOTE = 2\n")
    assert await diagnostics_for(client, helper.as_uri(), since=mark) == []
    assert traces_of(client, "mnist_softmax.py") == 1

    mark = published_count(client)               # an edit: traced again (by the warm worker)
    text = model.read_text(encoding="utf-8")
    save_file(client, model, text.replace("tf.log(y)", "tf.log(y + 1e-10)"))
    assert await diagnostics_for(client, uri, since=mark) == []
    assert traces_of(client, "mnist_softmax.py") == 2


@pytest.mark.parametrize("client", [lambda root: {"interpreter": str(marker_interpreter(root)[0])}],
                         indirect=True)
async def test_configured_interpreter_traces(client: LanguageClient, tmp_path: Path):
    # The positive control for the untrusted test below: the marker appears when the server traces.
    model = copy_example("mnist_softmax.py", tmp_path)
    assert len(await diagnostics_for(client, open_file(client, model))) == 1
    assert (tmp_path / "interpreter-ran").exists()


@pytest.mark.parametrize(
    "client", [lambda root: {"trusted": False, "interpreter": str(marker_interpreter(root)[0])}], indirect=True
)
async def test_untrusted_workspace_runs_no_code_but_analyses_graph_files(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    open_file(client, model)
    save_file(client, model)
    graph = copy_example("mnist_softmax.pbtxt", tmp_path)
    graph_uri = open_file(client, graph)
    [diagnostic] = await diagnostics_for(client, graph_uri, timeout=30.0)
    assert diagnostic.code == "NS101" and diagnostic.message.endswith("[op Log]")
    line = graph.read_text(encoding="utf-8").splitlines()[diagnostic.range.start.line]
    assert line.strip() == 'name: "Log"'
    await asyncio.sleep(1.0)
    assert set(client.diagnostics) == {graph_uri}
    assert not (tmp_path / "interpreter-ran").exists()
    [message] = client.messages
    assert "not trusted" in message.message
    assert "not tracing mnist_softmax.py: the workspace is not trusted" in logged(client)


async def test_syntax_error_does_not_stop_the_server(client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\ndef f(:\n    pass\n", encoding="utf-8")
    [failure] = await diagnostics_for(client, open_file(client, broken))
    assert failure.code == "trace-failed" and failure.severity == types.DiagnosticSeverity.Information
    assert failure.range.start.line == 1 and "SyntaxError" in failure.message
    await until(lambda: client.messages)
    [message] = client.messages
    assert message.type == types.MessageType.Info
    assert message.message.startswith("nanscope could not trace broken.py (failed): SyntaxError")
    assert "(at broken.py:2)" in message.message

    model = copy_example("mnist_softmax.py", tmp_path)
    [diagnostic] = await diagnostics_for(client, open_file(client, model))
    assert diagnostic.code == "NS101"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["exit", "stdin closed"])
def test_nothing_is_left_behind_when_the_client_goes(tmp_path: Path, how: str):
    model = copy_example("mnist_softmax.py", tmp_path)
    forever = tmp_path / "forever.py"   # a trace in flight that started a process of its own
    forever.write_text("import subprocess, sys, time\n"
                       "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                       "while True:\n    time.sleep(0.1)\n", encoding="utf-8")
    server = RawServer([sys.executable, "-m", "nanscope.server"], tmp_path)
    try:
        server.initialize(tmp_path)
        uri = server.open(model)
        server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["uri"] == uri)
        server.open(forever)
        deadline = time.monotonic() + 30
        while len(descendants(server.process.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)     # zygote, trace, the script's sleeper (and maybe more)
        started = descendants(server.process.pid)
        assert len(started) >= 3, started
        if how == "exit":
            server.request("shutdown", None)
            server.notify("exit", None)
        else:
            server.process.stdin.close()
        assert server.process.wait(timeout=20) in (0, 1)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in started if alive(pid)]
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


async def test_function_entry_point_from_pyproject_reports_in_the_module(client: LanguageClient, tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.nanscope]\nentry-points = ["pkg/build.py:build"]\n',
                                             encoding="utf-8")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    parts = pkg / "parts.py"
    parts.write_text("import tensorflow as tf\n\ndef log_layer(x):\n    return tf.log(x)\n", encoding="utf-8")
    (pkg / "build.py").write_text("import tensorflow as tf\nfrom .parts import log_layer\n\ndef build():\n"
                                  "    x = tf.placeholder(tf.float32, [None, 2], name='x')\n    log_layer(x)\n",
                                  encoding="utf-8")
    uri = open_file(client, parts)                  # opening the module traces the configured entry point
    [diagnostic] = await diagnostics_for(client, uri)
    assert diagnostic.code == "NS101"
    assert diagnostic.range.start == types.Position(3, 11)
    related = diagnostic.related_information[0]
    assert related.location.uri == (pkg / "build.py").as_uri() and related.location.range.start.line == 4
