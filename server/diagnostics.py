"""The diagnostics feature: analyse a Python file on open and on save, publish its findings, clear on close.

Scheduling, per document (keyed by URI):
- open/save request an analysis. At most one analysis of a document runs at a time; a request that
  arrives while one runs is coalesced into a single re-run when it finishes.
- every open/save/change/close bumps the document's stamp. A result is published only if the stamp is
  still the one taken when its analysis started: a document that was edited, saved again or closed in
  the meantime never gets stale diagnostics.
- the analysis runs in the server's worker pool (tracing takes seconds); the event loop keeps answering.
- an exception from the engine is caught here, at the task boundary: logged to stderr and shown to
  the user; the server carries on.

Only `file:` URIs of `.py` files are analysed, and nothing at all in an untrusted workspace.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from nanscope.analysis.report import Report
from nanscope.server.app import DocumentState, NanscopeServer
from nanscope.server.convert import report_to_diagnostics

logger = logging.getLogger(__name__)


def register(server: NanscopeServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(did_save)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)


def did_open(ls: NanscopeServer, params: types.DidOpenTextDocumentParams) -> None:
    request_analysis(ls, params.text_document.uri)


def did_save(ls: NanscopeServer, params: types.DidSaveTextDocumentParams) -> None:
    request_analysis(ls, params.text_document.uri)


def did_change(ls: NanscopeServer, params: types.DidChangeTextDocumentParams) -> None:
    state = ls.documents.get(params.text_document.uri)
    if state is not None:
        state.stamp += 1   # a running analysis saw the old text: its result is stale


def did_close(ls: NanscopeServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    state = ls.documents.pop(uri, None)
    ls.reports.pop(uri, None)
    if state is not None:
        state.stamp += 1
        state.pending = False
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def analysable_path(uri: str) -> Path | None:
    """The file behind `uri` if nanscope analyses it: a `file:` URI of a `.py` file."""
    if not uri.startswith("file:"):
        return None
    fs_path = to_fs_path(uri)
    if fs_path is None:
        return None
    path = Path(fs_path)
    return path if path.suffix == ".py" else None


def request_analysis(ls: NanscopeServer, uri: str) -> None:
    if analysable_path(uri) is None:
        return
    if not ls.settings.trusted:
        return   # never run workspace code; the user was told once, at initialization
    state = ls.documents.setdefault(uri, DocumentState())
    state.stamp += 1
    state.pending = True
    if state.worker is None or state.worker.done():
        state.worker = asyncio.get_running_loop().create_task(_analyse(ls, uri, state))


async def _analyse(ls: NanscopeServer, uri: str, state: DocumentState) -> None:
    """Analyse until no request is pending; publish each result that is still current."""
    loop = asyncio.get_running_loop()
    path = analysable_path(uri)
    assert path is not None
    while state.pending:
        state.pending = False
        stamp = state.stamp
        try:
            root = project_root(ls, path)
            report = await loop.run_in_executor(ls.analysis_pool, ls.check, path, ls.settings, root)
            if state.stamp != stamp or ls.documents.get(uri) is not state:
                logger.debug("dropping a stale result for %s", uri)
                continue
            publish(ls, uri, path, report)
        except Exception as exc:  # the task boundary: the server must outlive the engine
            logger.exception("analysis of %s failed", path)
            if ls.documents.get(uri) is state:
                ls.show_message(
                    f"nanscope: the analysis of {path.name} failed: {type(exc).__name__}: {exc}",
                    types.MessageType.Error,
                )


def publish(ls: NanscopeServer, uri: str, path: Path, report: Report) -> None:
    document = ls.workspace.get_text_document(uri)
    diagnostics = report_to_diagnostics(report, path, document.lines, ls.workspace.position_encoding)
    ls.reports[uri] = report
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
    )
    for error in report.errors:
        ls.log_message(f"nanscope: {path.name}: {error}", types.MessageType.Warning)
    for note in report.notes:
        ls.log_message(f"nanscope: {path.name}: {note}", types.MessageType.Info)
    if report.errors:
        more = f" (and {len(report.errors) - 1} more, see the output log)" if len(report.errors) > 1 else ""
        ls.show_message(
            f"nanscope could not fully analyse {path.name}: {report.errors[0]}{more}",
            types.MessageType.Warning,
        )


def project_root(ls: NanscopeServer, path: Path) -> Path | None:
    """The innermost workspace folder that contains `path` (None: let the engine use the file's folder)."""
    candidates: list[Path] = []
    folders = [folder.uri for folder in ls.workspace.folders.values()]
    if ls.workspace.root_uri:
        folders.append(ls.workspace.root_uri)
    for folder_uri in folders:
        fs_path = to_fs_path(folder_uri) if folder_uri.startswith("file:") else None
        if fs_path is None:
            continue
        folder = Path(fs_path)
        if path == folder or folder in path.parents:
            candidates.append(folder)
    return max(candidates, key=lambda p: len(p.parts), default=None)
