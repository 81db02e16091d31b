"""Code actions over LSP: quick fixes for a diagnostic, fix-all, ignore comments, and version safety.

The end-to-end tests run the real server on a copy of the bundled MNIST example (tracing needs TensorFlow):
the preferred fix is applied to the text as the client would, the document is changed and saved, and the
diagnostic goes away. The version tests use the fast stand-in engine (its reports carry no graph, so the
only action is the ignore comment).
"""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from lsp_helpers import apply_text_edits
from lsprotocol import types
from pytest_lsp import LanguageClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 120.0
FIX_ALL = "source.fixAll.nanscope"


def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                             text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


async def published(client: LanguageClient, uri: str, version: int | None = None, timeout: float = TIMEOUT):
    """The next diagnostics published for `uri` (for `version`, if given)."""
    async def wait():
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)
    return await asyncio.wait_for(wait(), timeout)


async def code_actions(client: LanguageClient, uri: str, diagnostics, only=None):
    rng = diagnostics[0].range if diagnostics else types.Range(types.Position(0, 0), types.Position(0, 0))
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=list(diagnostics), only=only)))


def change_and_save(client: LanguageClient, path: Path, uri: str, text: str, version: int) -> None:
    path.write_text(text, encoding="utf-8")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))


def the_document_edit(action: types.CodeAction) -> types.TextDocumentEdit:
    [document_edit] = action.edit.document_changes
    return document_edit


@pytest.mark.tensorflow
async def test_preferred_fix_clears_the_diagnostic(client: LanguageClient, tmp_path: Path):
    model = tmp_path / "mnist_softmax.py"
    shutil.copyfile(EXAMPLES / "mnist_softmax.py", model)
    text = model.read_text(encoding="utf-8")
    uri = open_document(client, model)
    [diagnostic] = await published(client, uri)
    assert diagnostic.code == "NS101"

    actions = await code_actions(client, uri, [diagnostic])
    quick = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    preferred = [a for a in quick if a.is_preferred]
    assert len(preferred) == 1 and quick[0] is preferred[0]
    assert quick[-1].title.startswith("Ignore NS101")
    assert all([(d.code, d.range) for d in a.diagnostics] == [(diagnostic.code, diagnostic.range)] for a in quick)
    assert "clip_by_value" in preferred[0].title
    document_edit = the_document_edit(preferred[0])
    assert document_edit.text_document == types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=1)

    fixed = apply_text_edits(text, document_edit.edits)
    assert "tf.log(tf.clip_by_value(y, " in fixed
    change_and_save(client, model, uri, fixed, version=2)
    assert await published(client, uri, version=2) == []


@pytest.mark.tensorflow
async def test_fix_all_applies_every_preferred_fix(client: LanguageClient, tmp_path: Path):
    model = tmp_path / "two_bugs.py"
    source = (EXAMPLES / "mnist_softmax.py").read_text(encoding="utf-8").replace(
        "train_step = ", "scale = tf.sqrt(tf.reduce_sum(x, axis=1) - 1.0)\ntrain_step = ")
    model.write_text(source, encoding="utf-8")
    uri = open_document(client, model)
    diagnostics = await published(client, uri)
    assert sorted(d.code for d in diagnostics) == ["NS101", "NS107"]

    [fix_all] = await code_actions(client, uri, [], only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == FIX_ALL and fix_all.title == "Apply 2 proven nanscope fixes"
    document_edit = the_document_edit(fix_all)
    assert document_edit.text_document.version == 1
    fixed = apply_text_edits(source, document_edit.edits)
    assert "tf.sqrt(tf.maximum(tf.reduce_sum(x, axis=1) - 1.0, " in fixed
    change_and_save(client, model, uri, fixed, version=2)
    assert await published(client, uri, version=2) == []


async def test_ignore_action_appends_the_comment(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    model.write_text("import tensorflow as tf\ny = tf.log(x)   \n", encoding="utf-8")
    uri = open_document(fake_client, model)
    [diagnostic] = await published(fake_client, uri)
    actions = await code_actions(fake_client, uri, [diagnostic])
    [ignore] = [a for a in actions if a.title.startswith("Ignore NS101")]
    assert ignore.kind == types.CodeActionKind.QuickFix and not ignore.is_preferred
    text = apply_text_edits(model.read_text(encoding="utf-8"), the_document_edit(ignore).edits)
    assert text == "import tensorflow as tf\ny = tf.log(x)  # nanscope: ignore[NS101]\n"
    # Nothing to fix all: the stand-in engine's reports have no graph.
    assert not await code_actions(fake_client, uri, [], only=[FIX_ALL])


async def test_an_action_for_version_1_is_not_offered_for_version_2(fake_client: LanguageClient, tmp_path: Path):
    model = tmp_path / "model.py"
    text = "import tensorflow as tf\ny = tf.log(x)\n"
    model.write_text(text, encoding="utf-8")
    uri = open_document(fake_client, model)
    [diagnostic] = await published(fake_client, uri)
    [old] = await code_actions(fake_client, uri, [diagnostic])
    assert the_document_edit(old).text_document.version == 1   # a client refuses it for any other version

    # The user types (version 2, not saved): the report of version 1 no longer matches the buffer.
    moved = "import tensorflow as tf\n\ny = tf.log(x)\n"
    fake_client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=moved)]))
    assert not await code_actions(fake_client, uri, [diagnostic])

    # Saved and analysed again: actions come back, bound to version 2 and to the line where the call is now.
    model.write_text(moved, encoding="utf-8")
    fake_client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    [diagnostic] = await published(fake_client, uri, version=2)
    [new] = await code_actions(fake_client, uri, [diagnostic])
    document_edit = the_document_edit(new)
    assert document_edit.text_document.version == 2
    assert document_edit.edits[0].range.start.line == 2


class _Document:
    def __init__(self, uri: str, version: int, source: str):
        self.uri, self.version, self.source = uri, version, source


class _Workspace:
    def __init__(self):
        self.text_documents: dict[str, _Document] = {}

    def get_text_document(self, uri: str) -> _Document:
        return self.text_documents[uri]


class _Server:
    """Just what the version bookkeeping reads: the stored reports and the open documents."""
    def __init__(self):
        self.reports, self.workspace = {}, _Workspace()


def test_a_report_republished_for_another_text_offers_nothing(tmp_path: Path):
    from nanscope.analysis.report import Report
    from nanscope.server import code_actions

    server = _Server()
    code_actions._STATES[server] = code_actions._State()
    uri = (tmp_path / "m.py").as_uri()

    def publish(report, version, text):
        server.workspace.text_documents[uri] = _Document(uri, version, text)
        server.reports[uri] = report
        code_actions._observe(server, uri, version)
        current = code_actions._current(server, uri)
        return None if current is None else current[1]

    first, second = Report(source=tmp_path / "m.py"), Report(source=tmp_path / "m.py")
    assert publish(first, 1, "a = 1\n") == 1
    # The same report published again on an edited text (another file's save re-published it): it was not
    # computed for version 2, so nothing is offered...
    assert publish(first, 2, "a = 2\n") is None
    # ...but the same report on the very text it was computed on (a result reused from the cache) is fine,
    assert publish(first, 3, "a = 1\n") == 3
    # and a new report belongs to the version it is published for.
    assert publish(second, 4, "a = 2\n") == 4
    server.workspace.text_documents[uri].version = 5     # didChange: nothing until the next analysis
    assert code_actions._current(server, uri) is None
