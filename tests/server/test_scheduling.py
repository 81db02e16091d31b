"""Protocol tests of the diagnostics feature against a server with a stand-in engine (fast, no TensorFlow).

See `fake_engine_server.py` for the directives the stand-in engine obeys.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

TIMEOUT = 20.0


def open_file(client: LanguageClient, path: Path, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version,
                                             text=path.read_text(encoding="utf-8"))))
    return uri


async def next_diagnostics(client: LanguageClient, timeout: float = TIMEOUT) -> types.PublishDiagnosticsParams:
    return await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout)


async def next_message(client: LanguageClient, timeout: float = TIMEOUT) -> types.ShowMessageParams:
    return await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), timeout)


async def test_open_publishes_with_exact_range_and_project_root(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "pkg" / "model.py"
    model.parent.mkdir()
    model.write_text('import math\nlabel = "😀"; z = log(y)\n', encoding="utf-8")

    uri = open_file(fake_client, model)
    published = await next_diagnostics(fake_client)

    assert published.uri == uri
    assert published.version == 1
    [diagnostic] = published.diagnostics
    column = 'label = "😀"; z = '.encode("utf-16-le").__len__() // 2
    assert diagnostic.range == types.Range(types.Position(1, column), types.Position(1, column + len("log(y)")))
    assert (diagnostic.code, diagnostic.source) == ("NS101", "nanscope")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert f"root {tmp_path}" in diagnostic.message   # the workspace folder, not the file's folder


async def test_non_file_and_non_python_documents_are_ignored(fake_client: LanguageClient, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("log(x)\n", encoding="utf-8")
    open_file(fake_client, notes)
    fake_client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri="untitled:Untitled-1", language_id="python", version=1,
                                             text="log(x)\n")))
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)

    published = await next_diagnostics(fake_client)
    assert published.uri == uri
    assert set(fake_client.diagnostics) == {uri}


async def test_result_of_a_changed_document_is_dropped(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-sleep: 2\n# fake-tag: v1\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    fake_client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="# fake-tag: v2\nz = log(y)\n")]))
    await asyncio.sleep(0.5)   # the first analysis has read v1 and is busy
    model.write_text("# fake-tag: v2\nz = log(y)\n", encoding="utf-8")
    fake_client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))

    published = await next_diagnostics(fake_client)   # the first publish is already the fresh one
    [diagnostic] = published.diagnostics
    assert "tag v2" in diagnostic.message
    assert published.version == 2


async def test_saves_during_an_analysis_coalesce_into_one_rerun(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-sleep: 1.5\n# fake-tag: v1\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await asyncio.sleep(0.3)
    model.write_text("# fake-tag: v2\nz = log(y)\n", encoding="utf-8")
    for _ in range(3):
        fake_client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    published = await next_diagnostics(fake_client)
    [diagnostic] = published.diagnostics
    assert "run 2, tag v2" in diagnostic.message


async def test_engine_crash_is_shown_and_the_server_carries_on(fake_client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("# fake-raise\n", encoding="utf-8")
    open_file(fake_client, broken)
    message = await next_message(fake_client)
    assert message.type == types.MessageType.Error
    assert "the fake engine exploded" in message.message

    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    published = await next_diagnostics(fake_client)
    assert published.uri == uri and len(published.diagnostics) == 1


async def test_report_errors_show_one_warning(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n# fake-error: could not trace\n# fake-error: second problem\n", encoding="utf-8")
    open_file(fake_client, model)
    published = await next_diagnostics(fake_client)
    assert len(published.diagnostics) == 1
    await asyncio.sleep(0.2)
    [message] = fake_client.messages
    assert message.type == types.MessageType.Warning
    assert "could not trace" in message.message


async def test_findings_in_other_files_stay_off_this_document(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-elsewhere\nz = log(y)\n", encoding="utf-8")
    open_file(fake_client, model)
    published = await next_diagnostics(fake_client)
    assert [d.severity for d in published.diagnostics] == [types.DiagnosticSeverity.Warning]


async def test_close_clears_the_diagnostics(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    assert len((await next_diagnostics(fake_client)).diagnostics) == 1
    fake_client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    cleared = await next_diagnostics(fake_client)
    assert cleared.uri == uri and list(cleared.diagnostics) == []


@pytest.mark.parametrize("fake_client", [{"trusted": False}], indirect=True)
async def test_untrusted_workspace_runs_nothing(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    await asyncio.sleep(0.2)   # initialized is a notification: let its message arrive
    [message] = fake_client.messages
    assert "not trusted" in message.message
    open_file(fake_client, model)
    with pytest.raises(asyncio.TimeoutError):
        await next_diagnostics(fake_client, timeout=2.0)   # the stand-in engine answers in milliseconds
    assert fake_client.diagnostics == {}
    assert len(fake_client.messages) == 1   # told once


@pytest.mark.parametrize(
    "fake_client",
    [{"trusted": "yes", "traceTimeout": -1, "ranges": {"x": [2, 1]}, "interpreter": sys.executable}],
    indirect=True,
)
async def test_bad_settings_are_logged_by_key_and_defaulted(fake_client: LanguageClient, tmp_path: Path):
    await asyncio.sleep(0.2)
    logged = "\n".join(m.message for m in fake_client.log_messages)
    for key in ("trusted", "traceTimeout", "ranges.x"):
        assert f"{key}:" in logged
    assert "interpreter" not in logged
    assert fake_client.messages == []   # still trusted: no untrusted-workspace message
    model = tmp_path / "model.py"
    model.write_text("z = log(y)\n", encoding="utf-8")
    open_file(fake_client, model)
    assert len((await next_diagnostics(fake_client)).diagnostics) == 1
