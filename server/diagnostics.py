"""The diagnostics feature's editor events: open, save, change and close of a document.

Owns which documents nanscope looks at (`analysable_path`: `file:` URIs of `.py` files, and of saved graph
files `.pb`/`.pbtxt`) and hands each event to the scheduler (`nanscope.server.scheduler`), which decides
which entry points run; the publisher (`nanscope.server.publish`) shows their findings. Saving the
project's `pyproject.toml` re-reads its `[tool.nanscope]` settings and re-runs what they affect.
Nothing is traced in an untrusted workspace (the scheduler says so in the log); graph files are still
analysed, because analysing them runs no code.
"""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from nanscope.server.app import NanscopeServer

SUFFIXES = (".py", ".pb", ".pbtxt")


def register(server: NanscopeServer) -> None:
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(did_save)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)


def did_open(ls: NanscopeServer, params: types.DidOpenTextDocumentParams) -> None:
    path = analysable_path(params.text_document.uri)
    if path is not None:
        ls.scheduler.on_open_or_save(path)


def did_save(ls: NanscopeServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = analysable_path(uri)
    if path is not None:
        ls.scheduler.on_open_or_save(path)
    elif _is_pyproject(uri):
        ls.settings_changed()


def did_change(ls: NanscopeServer, params: types.DidChangeTextDocumentParams) -> None:
    path = analysable_path(params.text_document.uri)
    if path is not None:
        ls.scheduler.on_change(path)   # a run in flight read the old text: its result would be stale


def did_close(ls: NanscopeServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = analysable_path(uri)
    if path is not None:
        ls.scheduler.on_close(path)
    ls.reports.pop(uri, None)


def analysable_path(uri: str) -> Path | None:
    """The file behind `uri` if nanscope analyses it: a `file:` URI of a `.py`, `.pb` or `.pbtxt` file."""
    if not uri.startswith("file:"):
        return None
    fs_path = to_fs_path(uri)
    if fs_path is None:
        return None
    path = Path(fs_path)
    return path if path.suffix in SUFFIXES else None


def _is_pyproject(uri: str) -> bool:
    return uri.startswith("file:") and uri.rsplit("/", 1)[-1] == "pyproject.toml"
