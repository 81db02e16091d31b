"""The nanscope language server object and its wiring.

Owns `NanscopeServer` (a pygls `LanguageServer` holding the state: the settings store, the engine, the
worker pool that runs traces and analyses, the scheduler, the publisher and the last report per URI), the
lifecycle handlers and `create_server`, which registers every feature module:

- initialize: parse `initializationOptions` (bad keys: logged, and one warning naming them);
- initialized: an untrusted workspace is told once that nothing will run; a trusted one starts the trace
  worker at once, so TensorFlow's import overlaps with the user opening a file;
- shutdown, exit, or the client's stdin closing: every run is cancelled and the trace worker stops; no
  process is left behind.

Messages to the client's log (`window/logMessage`) are filtered by the `logLevel` setting: "error",
"warning" (default: problems, trace failures, the traced program's output), "info" (each trace), "debug".
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from nanscope.analysis.report import Report
from nanscope.server.engine import Checker, CheckerEngine, Engine, TracingEngine
from nanscope.server.protocol import NanscopeProtocol
from nanscope.server.publish import Publisher
from nanscope.server.scheduler import Scheduler
from nanscope.server.settings import LOG_LEVELS, Settings, SettingsStore

logger = logging.getLogger(__name__)

UNTRUSTED_MESSAGE = (
    "nanscope: this workspace is not trusted, so nanscope will not run its model code and shows no "
    "diagnostics for Python files (saved graph files, .pb/.pbtxt, are still analysed). Trust the workspace "
    "to enable the analysis."
)
_KINDS = {"error": types.MessageType.Error, "warning": types.MessageType.Warning,
          "info": types.MessageType.Info, "debug": types.MessageType.Log}


def _version() -> str:
    try:
        return version("nanscope")
    except PackageNotFoundError:
        return "0+unknown"


class NanscopeServer(LanguageServer):
    """Language server state. Features live in their own modules and read/write this state."""

    def __init__(self, check: Checker | None = None, max_workers: int = 2, engine: Engine | None = None,
                 debounce: float | None = None) -> None:
        super().__init__(
            name="nanscope",
            version=_version(),
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=NanscopeProtocol,
        )
        self.store = SettingsStore()
        if engine is None:
            engine = CheckerEngine(check) if check is not None else TracingEngine()
        self.engine: Engine = engine
        # Traces and analyses block: they run here, never on the event loop.
        self.analysis_pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="nanscope-check")
        self.scheduler = Scheduler(self) if debounce is None else Scheduler(self, debounce)
        self.publisher = Publisher(self)
        self.reports: dict[str, Report] = {}     # uri -> the last report published on it
        self._said: set[str] = set()
        self._stopped = False

    # -- settings ------------------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The effective settings of the (first) workspace folder."""
        return self.settings_for(self.default_root())

    def settings_for(self, root: Path | None) -> Settings:
        """The effective settings for a project root; problems of a newly read pyproject.toml are told."""
        settings, problems = self.store.settings_for(root)
        self.report_problems(problems)
        return settings

    def settings_for_uri(self, uri: str) -> Settings:
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        return self.settings_for(self.project_root(Path(fs_path)) if fs_path else self.default_root())

    def report_problems(self, problems: list[str]) -> None:
        if not problems:
            return
        for problem in problems:
            logger.info("setting %s", problem)
            self.log(f"settings: {problem}", "warning", types.MessageType.Warning)
        keys = ", ".join(dict.fromkeys(getattr(problem, "key", problem) for problem in problems))
        self.show_message(f"nanscope: invalid or unknown settings ignored or replaced by defaults: {keys} "
                          "(details in the output log)", types.MessageType.Warning)

    def settings_changed(self) -> None:
        """Any source of settings changed: re-run what they affect (cached traces make this cheap)."""
        if self._stopped:
            return
        settings = self.settings
        if settings.trusted:
            self.engine.start(settings)
        else:
            self.engine.stop(final=False)    # no process of an untrusted workspace's interpreter stays up
        self.scheduler.rerun_all()

    # -- workspace -----------------------------------------------------------------------------------------

    def project_root(self, path: Path) -> Path | None:
        """The innermost workspace folder that contains `path` (None: the engine uses the file's folder)."""
        candidates: list[Path] = []
        path = Path(path).resolve()
        for folder in self.workspace_roots():
            if path == folder or folder in path.parents:
                candidates.append(folder)
        return max(candidates, key=lambda p: len(p.parts), default=None)

    def default_root(self) -> Path | None:
        folders = self.workspace_roots()
        return folders[0] if folders else None

    def workspace_roots(self) -> list[Path]:
        """The workspace folders (and the root URI), resolved, without duplicates."""
        try:
            workspace = self.workspace
        except RuntimeError:        # before initialize
            return []
        uris = [folder.uri for folder in workspace.folders.values()]
        if workspace.root_uri:
            uris.append(workspace.root_uri)
        folders = []
        for uri in uris:
            fs_path = to_fs_path(uri) if uri.startswith("file:") else None
            if fs_path is not None and Path(fs_path).resolve() not in folders:
                folders.append(Path(fs_path).resolve())
        return folders

    def open_paths(self) -> list[Path]:
        from nanscope.server.diagnostics import analysable_path

        paths = []
        for uri in list(self.workspace.text_documents):
            path = analysable_path(uri)
            if path is not None:
                paths.append(path)
        return paths

    # -- talking to the user ---------------------------------------------------------------------------------

    def show_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def log(self, message: str, level: str = "info", kind: types.MessageType | None = None) -> None:
        """Write to the client's log if `level` passes the logLevel setting."""
        threshold = self.store.log_level(self.default_root())
        if LOG_LEVELS.index(level) <= LOG_LEVELS.index(threshold):
            self.log_message(f"nanscope: {message}", kind or _KINDS[level])

    def log_once(self, message: str, level: str = "info") -> None:
        if message not in self._said:
            self._said.add(message)
            self.log(message, level)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Cancel every run and stop every process we started (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.scheduler.close()
        self.engine.stop()
        # Running analyses finish in their threads; queued ones are dropped.
        self.analysis_pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self.stop()
        super().shutdown()


def _on_initialize(ls: NanscopeServer, params: types.InitializeParams) -> None:
    ls.report_problems(ls.store.set_initial(params.initialization_options))


def _on_initialized(ls: NanscopeServer, params: types.InitializedParams) -> None:
    settings = ls.settings
    if not settings.trusted:
        ls.show_message(UNTRUSTED_MESSAGE, types.MessageType.Info)
    else:
        ls.engine.start(settings)


def _on_shutdown(ls: NanscopeServer, params: None) -> None:
    ls.stop()


def create_server(check: Checker | None = None, engine: Engine | None = None,
                  debounce: float | None = None) -> NanscopeServer:
    """A server with every feature registered; `check` or `engine` replaces the analysis engine (tests)."""
    from nanscope.server import code_actions, commands, configuration, diagnostics, hover

    server = NanscopeServer(check=check, engine=engine, debounce=debounce)
    server.feature(types.INITIALIZE)(_on_initialize)
    server.feature(types.INITIALIZED)(_on_initialized)
    server.feature(types.SHUTDOWN)(_on_shutdown)
    diagnostics.register(server)
    hover.register(server)
    configuration.register(server)
    code_actions.register(server)
    commands.register(server)
    return server
