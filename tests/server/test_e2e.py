"""End-to-end tests: `python -m nanscope.server` with the real engine, tracing real TensorFlow scripts.

Each trace runs the script in a subprocess (~4 s with TensorFlow's import), hence the generous timeouts.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRACE_TIMEOUT = 120.0


pytestmark = pytest.mark.tensorflow


def open_file(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                             text=path.read_text(encoding="utf-8"))))
    return uri


async def diagnostics_for(client: LanguageClient, uri: str, timeout: float = TRACE_TIMEOUT):
    """The next diagnostics published for `uri` (other documents' publications are skipped)."""
    async def wait():
        while True:
            published = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if published.uri == uri:
                return list(published.diagnostics)
    return await asyncio.wait_for(wait(), timeout)


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


def log_call_range(path: Path) -> types.Range:
    lines = path.read_text(encoding="utf-8").splitlines()
    # The module docstring quotes `tf.log(y)` too: take the line of code (the cross entropy).
    [line] = [i for i, text in enumerate(lines) if "tf.log(y)" in text and "cross_entropy =" in text]
    start = lines[line].index("tf.log(y)")   # ASCII line: code points == UTF-16 units
    return types.Range(types.Position(line, start), types.Position(line, start + len("tf.log(y)")))


async def test_unsafe_log_is_reported_at_the_exact_call(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    diagnostics = await diagnostics_for(client, open_file(client, model))

    [diagnostic] = diagnostics
    assert diagnostic.code == "NS101"
    assert diagnostic.source == "nanscope"
    assert diagnostic.severity in (types.DiagnosticSeverity.Warning, types.DiagnosticSeverity.Error)
    assert diagnostic.range == log_call_range(model)


async def test_fixed_example_is_clean(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax_fixed.py", tmp_path)
    assert await diagnostics_for(client, open_file(client, model)) == []
    assert not [m for m in client.messages if m.type == types.MessageType.Error]


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
async def test_untrusted_workspace_runs_no_code(client: LanguageClient, tmp_path: Path):
    model = copy_example("mnist_softmax.py", tmp_path)
    open_file(client, model)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=model.as_uri())))
    with pytest.raises(asyncio.TimeoutError):
        await diagnostics_for(client, model.as_uri(), timeout=5.0)
    assert client.diagnostics == {}
    assert not (tmp_path / "interpreter-ran").exists()
    [message] = client.messages
    assert "not trusted" in message.message


async def test_syntax_error_does_not_stop_the_server(client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\ndef f(:\n    pass\n", encoding="utf-8")
    assert await diagnostics_for(client, open_file(client, broken)) == []
    warnings = [m for m in client.messages if m.type == types.MessageType.Warning]
    assert len(warnings) == 1 and "broken.py" in warnings[0].message

    model = copy_example("mnist_softmax.py", tmp_path)
    [diagnostic] = await diagnostics_for(client, open_file(client, model))
    assert diagnostic.code == "NS101"
    assert os.path.exists(model)
