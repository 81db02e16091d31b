"""The nanscope language server object and its wiring.

Owns `NanscopeServer` (a pygls `LanguageServer` holding the state: settings, the worker pool that runs
analyses, per-document analysis state and the last report of every open document), the lifecycle
handlers (initialize: parse settings; initialized: tell an untrusted workspace once that nothing will
run) and `create_server`, which registers every feature module.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from nanscope.analysis.report import Report
from nanscope.server.engine import Checker, check_with_engine
from nanscope.server.settings import Settings, parse_settings

logger = logging.getLogger(__name__)

UNTRUSTED_MESSAGE = (
    "nanscope: this workspace is not trusted, so nanscope will not run its model code and shows no "
    "diagnostics. Trust the workspace to enable the analysis."
)


def _version() -> str:
    try:
        return version("nanscope")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class DocumentState:
    """Analysis state of one open document (see `nanscope.server.diagnostics` for the protocol)."""
    stamp: int = 0                      # bumped by every open/save/change/close
    pending: bool = False               # an analysis was requested and has not started yet
    worker: asyncio.Task | None = None  # the task analysing this document, while it runs


class NanscopeServer(LanguageServer):
    """Language server state. Features live in their own modules and read/write this state."""

    def __init__(self, check: Checker | None = None, max_workers: int = 2) -> None:
        super().__init__(
            name="nanscope",
            version=_version(),
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.settings = Settings()
        self.check: Checker = check or check_with_engine
        # Analyses block (a trace runs a subprocess for seconds): they run here, never on the event loop.
        self.analysis_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="nanscope-check")
        self.documents: dict[str, DocumentState] = {}
        self.reports: dict[str, Report] = {}     # uri -> last published report

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def shutdown(self) -> None:
        super().shutdown()
        # Running traces finish in their threads (each has its own timeout); queued ones are dropped.
        self.analysis_pool.shutdown(wait=False, cancel_futures=True)


def _on_initialize(ls: NanscopeServer, params: types.InitializeParams) -> None:
    ls.settings, problems = parse_settings(params.initialization_options)
    for problem in problems:
        logger.info("setting %s", problem)
        ls.log_message(f"nanscope settings: {problem}", types.MessageType.Warning)


def _on_initialized(ls: NanscopeServer, params: types.InitializedParams) -> None:
    if not ls.settings.trusted:
        ls.show_message(UNTRUSTED_MESSAGE, types.MessageType.Info)


def create_server(check: Checker | None = None) -> NanscopeServer:
    """A server with every feature registered; `check` replaces the analysis engine (tests)."""
    from nanscope.server import diagnostics

    server = NanscopeServer(check=check)
    server.feature(types.INITIALIZE)(_on_initialize)
    server.feature(types.INITIALIZED)(_on_initialized)
    diagnostics.register(server)
    return server
