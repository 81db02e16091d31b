"""The language server under malformed and out-of-order messages and save bursts (issue 6), with the
fast stand-in engine of tests/server (fake_engine_server.py): after each abuse the server still answers."""
from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsp_helpers import (
    RecordingDict,
    open_file,
    publication,
    publications,
    published_count,
    save_file,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from robust_helpers import SERVER_TESTS


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, str(SERVER_TESTS / "fake_engine_server.py")]))
async def fake_client(lsp_client: LanguageClient, tmp_path: Path):
    lsp_client.diagnostics = RecordingDict()
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="workspace")]))
    yield
    await lsp_client.shutdown_session()


async def still_answers(client: LanguageClient, tmp_path: Path, tag: str) -> None:
    """A fresh document is analysed and published: the server survived whatever came before."""
    probe = tmp_path / f"probe_{tag}.py"
    probe.write_text(f"# fake-tag: {tag}\nz = log(y)\n", encoding="utf-8")
    [diagnostic] = await publication(client, open_file(client, probe), timeout=15)
    assert f"tag {tag}" in diagnostic.message


def hover(client: LanguageClient, uri: str, line: int, character: int):
    return client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, character)))


def code_action(client: LanguageClient, uri: str, start: tuple[int, int], end: tuple[int, int]):
    return client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(*start), types.Position(*end)),
        context=types.CodeActionContext(diagnostics=[])))


async def test_change_before_open_and_close_twice(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-tag: a\nz = log(y)\n", encoding="utf-8")
    uri = model.as_uri()
    fake_client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=5),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="garbage(")]))
    fake_client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    save_file(fake_client, model)        # save of a document that is not open
    await still_answers(fake_client, tmp_path, "first")
    open_file(fake_client, model)
    for _ in range(2):
        fake_client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
    await still_answers(fake_client, tmp_path, "second")


async def test_hover_for_an_unknown_document(fake_client: LanguageClient, tmp_path: Path):
    assert await hover(fake_client, (tmp_path / "nowhere.py").as_uri(), 0, 0) is None
    assert await hover(fake_client, "untitled:Untitled-1", 3, 3) is None
    await still_answers(fake_client, tmp_path, "after")


async def test_code_action_for_an_unknown_document(fake_client: LanguageClient, tmp_path: Path):
    assert not await code_action(fake_client, (tmp_path / "nowhere.py").as_uri(), (0, 0), (0, 1))
    assert not await code_action(fake_client, "untitled:Untitled-1", (0, 0), (0, 1))
    await still_answers(fake_client, tmp_path, "after")


async def test_requests_at_wrong_positions(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("# fake-tag: a\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    for line, character in ((1000, 0), (1, 10_000), (0, 2**31 - 1)):
        # LSP: a character beyond the line means its end, so a hover there may show the op ending there
        answer = await hover(fake_client, uri, line, character)
        assert answer is None or isinstance(answer, types.Hover)
        await code_action(fake_client, uri, (line, character), (line + 5, character))
    await code_action(fake_client, uri, (1, 8), (0, 0))       # end before start
    await still_answers(fake_client, tmp_path, "after")


@pytest.mark.parametrize("saves", [20, 100])
async def test_a_burst_of_saves_publishes_the_last_one(fake_client: LanguageClient, tmp_path: Path, saves: int):
    model = tmp_path / "model.py"
    model.write_text("# fake-trace-sleep: 0.3\n# fake-tag: v0\nz = log(y)\n", encoding="utf-8")
    uri = open_file(fake_client, model)
    await publication(fake_client, uri)
    mark = published_count(fake_client)
    for version in range(1, saves + 1):
        save_file(fake_client, model, f"# fake-trace-sleep: 0.3\n# fake-tag: v{version}\nz = log(y)\n")
        await asyncio.sleep(1.0 / saves)          # the whole burst within about a second
    await publication(fake_client, uri, since=mark, where=lambda d: bool(d) and f"tag v{saves}," in d[0].message)
    await asyncio.sleep(1.0)
    published = publications(fake_client, uri, since=mark)
    assert f"tag v{saves}," in published[-1][0].message          # the last save wins
    # at most one trace running and one pending: far fewer traces than saves
    traces = {int(re.search(r"trace (\d+)", d[0].message).group(1)) for d in published if d}
    assert len(published) <= 3 and len(traces) <= 3, [d[0].message for d in published if d]
