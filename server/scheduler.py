"""Which entry points to analyse after an editor event, and when: debounce, cancellation, stale results.

Owns the `Entry` records (one per entry point: a script that is traced, or a saved graph file) and the
run of each: debounce -> trace (or the cached trace) -> analyse (or the cached report) -> publish.

Which entry points an open/save of FILE concerns (the rule of `nanscope.analysis.tracing.entry_points`):
- a graph file (`.pb`/`.pbtxt`) is its own entry point, analysed even in an untrusted workspace (no code
  runs);
- FILE itself when it is a configured entry point (`entryPoints`);
- the entry points that depend on FILE: configured ones and opened scripts whose last trace imported FILE
  (at run time or in the static import graph) or created ops in it (before its first trace, a configured
  entry point's static import graph decides);
- otherwise FILE runs as a script of its own.
The result cache (`nanscope.server.cache`) makes a run whose files did not change cost no trace at all, so
"re-running" an entry point after an unrelated save is cheap.

Per entry point:
- every request bumps the entry's stamp, cancels the run in flight (its trace process is killed) and starts
  a new run after `debounce` seconds, so a burst of saves costs one run (per-file debounce);
- an edit (didChange) of a file an entry depends on bumps the stamp and cancels too: a result computed
  from the saved text while the buffer has moved on is never published (version stamps);
- a result is published only if the entry's stamp is still the run's stamp.
Exceptions from the engine are caught at the run's boundary: logged, shown, and the server carries on.
"""
from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from nanscope.analysis.report import Report
from nanscope.server.cache import ResultCache
from nanscope.server.convert import same_path_key
from nanscope.server.engine import GRAPH_SUFFIXES, Traced, static_imports
from nanscope.server.progress import WorkDone
from nanscope.server.settings import Settings

if TYPE_CHECKING:
    from nanscope.server.app import NanscopeServer

logger = logging.getLogger(__name__)

DEBOUNCE = 0.1          # seconds between the last request for an entry point and its run
TRANSIENT = ("timeout", "crashed")      # trace statuses whose results are not cached
OPENED, CONFIGURED, GRAPH = "opened", "configured", "graph"


@dataclass(eq=False)
class Entry:
    path: Path                              # resolved
    root: Path | None                       # project root (workspace folder) or None
    kind: str                               # OPENED | CONFIGURED | GRAPH
    function: str | None = None             # a configured "module.py:function" entry point's function
    stamp: int = 0
    task: asyncio.Task | None = None
    cancel: threading.Event | None = None
    report: Report | None = None            # the last published report
    files: frozenset[Path] = frozenset()    # what the last trace depended on (empty: not traced yet)
    diagnostics: dict = field(default_factory=dict)   # same_path_key -> (Path, [Diagnostic]) last published
    shown_failure: str | None = None        # the trace failure last shown to the user
    shown_errors: tuple[str, ...] = ()      # the report errors last shown to the user
    waiting: dict = field(default_factory=dict)   # same_path_key -> Path of files whose open/save it answers

    @property
    def key(self) -> tuple[Path, str | None]:
        return self.path, self.function

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.function}" if self.function else self.path.name

    def depends_on(self, key: str) -> bool:
        return key == same_path_key(self.path) or any(same_path_key(f) == key for f in self.files)


class Scheduler:
    def __init__(self, server: NanscopeServer, debounce: float = DEBOUNCE) -> None:
        self.server = server
        self.debounce = debounce
        self.entries: dict[tuple[Path, str | None], Entry] = {}
        self.cache = ResultCache()
        self.closed = False

    # -- editor events ---------------------------------------------------------------------------------

    def on_open_or_save(self, path: Path) -> None:
        if self.closed:
            return
        root = self.server.project_root(path)
        if path.suffix in GRAPH_SUFFIXES:
            self.request(self._entry(path, root, GRAPH))
            return
        settings = self.server.settings_for(root)
        if not settings.trusted:
            self.server.log(f"not tracing {path.name}: the workspace is not trusted, so nanscope runs none of "
                            "its code (saved graph files .pb/.pbtxt are still analysed)", "warning",
                            types.MessageType.Info)
            return
        for entry in self.entries_for(path, root, settings):
            entry.waiting[same_path_key(path)] = path
            self.request(entry)

    def on_change(self, path: Path) -> None:
        key = same_path_key(path)
        for entry in self.entries.values():
            if entry.depends_on(key):
                self._supersede(entry)

    def on_close(self, path: Path) -> None:
        entry = self.entries.get((path.resolve(), None))
        if entry is not None and entry.kind in (OPENED, GRAPH):
            self.remove(entry)

    def rerun_all(self) -> None:
        """Settings changed: drop the entry points that no longer apply, then run every open document and
        every entry point again (cached traces and reports make this cheap when only, say, a severity
        changed; diagnostics are replaced, not cleared first)."""
        for entry in list(self.entries.values()):
            if entry.kind == GRAPH:
                continue
            settings = self.server.settings_for(entry.root)
            configured = set(self.configured_entry_points(entry.root, settings, report=False))
            if not settings.trusted or (entry.kind == CONFIGURED and entry.key not in configured):
                self.remove(entry)
        for path in self.server.open_paths():
            self.on_open_or_save(path)
        for entry in list(self.entries.values()):
            self.request(entry)

    def remove(self, entry: Entry) -> None:
        self._supersede(entry)
        if self.entries.get(entry.key) is entry:
            del self.entries[entry.key]
        self.server.publisher.withdraw(entry)

    def close(self) -> None:
        """The client is going away: cancel every run (their trace processes are killed)."""
        self.closed = True
        for entry in self.entries.values():
            self._supersede(entry)

    # -- which entry points --------------------------------------------------------------------------------

    def entries_for(self, path: Path, root: Path | None, settings: Settings) -> list[Entry]:
        key = same_path_key(path)
        resolved = path.resolve()
        configured = [self._entry(entry_path, root, CONFIGURED, function)
                      for entry_path, function in self.configured_entry_points(root, settings, report=True)]
        own = [entry for entry in configured if entry.path == resolved]
        if own:
            return own
        chosen = [entry for entry in configured if entry.depends_on(key)]
        chosen += [entry for entry in self.entries.values()
                   if entry.kind == OPENED and entry.path != resolved and entry.depends_on(key)]
        script = self.entries.get((resolved, None))
        if script is not None and script.kind == OPENED:
            chosen.append(script)       # opened as a script before: it stays one
        elif not chosen:
            chosen.append(self._entry(resolved, root, OPENED))    # no entry point reaches it: a script
        return chosen

    def configured_entry_points(self, root: Path | None, settings: Settings, *, report: bool
                                ) -> list[tuple[Path, str | None]]:
        if root is None or not settings.entry_points:
            return []
        from nanscope.analysis.tracing.entry_points import parse_entry_point

        paths = []
        for spec in settings.entry_points:
            entry = parse_entry_point(spec, root)
            if entry is None or not entry.path.is_file():
                if report:
                    self.server.log_once(f"entryPoints: {spec!r} is not a .py file under {root}; ignored",
                                         "warning")
                continue
            paths.append((entry.path, entry.function))
        return paths

    def _entry(self, path: Path, root: Path | None, kind: str, function: str | None = None) -> Entry:
        path = path.resolve()
        entry = self.entries.get((path, function))
        if entry is None:
            entry = self.entries[(path, function)] = Entry(path, root, kind, function)
            if kind == CONFIGURED:      # what it reaches, before its first trace: the static import graph
                entry.files = static_imports(path, root, function)
        elif entry.kind == OPENED and kind == CONFIGURED:
            entry.kind = kind
        return entry

    # -- runs --------------------------------------------------------------------------------------------

    def request(self, entry: Entry) -> None:
        if self.closed:
            return
        self._supersede(entry)
        entry.task = asyncio.get_running_loop().create_task(self._run(entry, entry.stamp))

    def _supersede(self, entry: Entry) -> None:
        entry.stamp += 1
        if entry.cancel is not None:
            entry.cancel.set()
            entry.cancel = None
        if entry.task is not None and not entry.task.done():
            entry.task.cancel()
        entry.task = None

    def _current(self, entry: Entry, stamp: int) -> bool:
        return entry.stamp == stamp and self.entries.get(entry.key) is entry and not self.closed

    async def _run(self, entry: Entry, stamp: int) -> None:
        from nanscope.analysis.tracing.worker import TraceCancelled

        progress = _RunProgress(self.server)
        summary = None
        try:
            await asyncio.sleep(self.debounce)
            settings = self.server.settings_for(entry.root)
            if entry.kind != GRAPH and not settings.trusted:
                return
            cancel = entry.cancel = threading.Event()
            loop = asyncio.get_running_loop()
            pool = self.server.analysis_pool
            engine = self.server.engine
            trace_key = settings.trace_key()
            traced = await loop.run_in_executor(pool, self.cache.trace_for, entry.key, trace_key)
            if traced is None:
                progress.begin(f"{'analysing' if entry.kind == GRAPH else 'tracing'} {entry.name}")
                started_ns = time.time_ns()
                traced = await loop.run_in_executor(pool, engine.trace, entry.path, settings, entry.root, cancel,
                                                    entry.function)
                fresh = True
                if traced.status not in TRANSIENT:      # a timeout or a crash may not happen again: not kept
                    fresh = await loop.run_in_executor(pool, self.cache.store_trace, entry.key, trace_key, traced,
                                                       started_ns)
                entry.files = traced.files
                if not self._current(entry, stamp):
                    summary = "superseded"
                    return
                self._after_trace(entry, traced)
                if not fresh:
                    self.server.log(f"{entry.name}: a file changed while it was traced; tracing it again", "info")
                    loop.call_soon(self.request, entry)
            else:
                entry.files = traced.files
                self.server.log(f"{entry.name}: no file it depends on changed; using its last trace", "debug")
            analysis_key = settings.analysis_key()
            report = self.cache.report_for(entry.key, traced, analysis_key)
            if report is None:
                await progress.report(f"analysing {entry.name}")
                report = await loop.run_in_executor(pool, engine.analyse, traced, settings, entry.root)
                self.cache.store_report(entry.key, traced, analysis_key, report)
                self.server.log(f"{entry.name}: analysed {report.stats.ops} ops in {report.stats.seconds:.2f} s",
                                "debug")
            if not self._current(entry, stamp):
                summary = "superseded"
                logger.debug("dropping a stale result for %s", entry.path)
                return
            entry.report = report
            self.server.publisher.publish(entry, report, settings, traced)
            summary = _summary(entry, report, traced)
        except TraceCancelled:
            summary = "cancelled"
        except asyncio.CancelledError:
            summary = "cancelled"
            raise
        except Exception as exc:  # the run's boundary: the server must outlive the engine
            logger.exception("analysis of %s failed", entry.path)
            summary = "failed"
            if self._current(entry, stamp):
                self.server.show_message(
                    f"nanscope: the analysis of {entry.name} failed: {type(exc).__name__}: {exc}",
                    types.MessageType.Error)
        finally:
            if entry.cancel is not None and entry.stamp == stamp:
                entry.cancel = None
            progress.end(summary)

    def _after_trace(self, entry: Entry, traced: Traced) -> None:
        """Tell the user what the trace did: the program's output in the log, a failure as a message."""
        if traced.output.strip():
            self.server.log(f"output of {entry.name} (trace {traced.status}, {traced.seconds:.2f} s):\n"
                            f"{traced.output.rstrip()}", "warning", types.MessageType.Log)
        else:
            self.server.log(f"traced {entry.name}: {traced.status} in {traced.seconds:.2f} s", "info")
        if not traced.failed:
            entry.shown_failure = None
            return
        reason = _reason(traced)
        self.server.log(f"tracing {entry.name} {traced.status}: {traced.error}", "warning",
                        types.MessageType.Warning)
        partial = traced.trace is not None and traced.trace.graph is not None
        what = " The graph built before the failure was analysed." if partial else ""
        message = f"nanscope could not trace {entry.name} ({traced.status}): {reason}.{what}"
        if message != entry.shown_failure:
            entry.shown_failure = message
            self.server.show_message(message, types.MessageType.Info)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


class _RunProgress:
    """The work-done progress of one run. It is begun without waiting: the create request's round trip to
    the client overlaps the trace instead of delaying it."""

    def __init__(self, server: NanscopeServer) -> None:
        self.server = server
        self.task: asyncio.Task[WorkDone | None] | None = None

    def begin(self, message: str) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(WorkDone.begin(self.server, message))

    async def report(self, message: str) -> None:
        if self.task is None:
            self.begin(message)
            return
        progress = await self.task
        if progress is not None:
            progress.report(message)

    def end(self, summary: str | None) -> None:
        if self.task is None:
            return

        def finish(task: asyncio.Task) -> None:
            if not task.cancelled() and task.exception() is None and task.result() is not None:
                task.result().end(summary)

        if self.task.done():
            finish(self.task)
        else:
            self.task.add_done_callback(finish)


def _reason(traced: Traced) -> str:
    """One line saying why a trace failed: the exception line of a traceback (with the innermost user
    frame), else the first line."""
    lines = [line.strip() for line in (traced.error or "").splitlines() if line.strip()]
    if not lines:
        return f"the tracer ended with status {traced.status}"
    reason = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), lines[0]).rstrip(".;:")
    frames = traced.trace.error_frames if traced.trace is not None else ()
    if frames:
        reason += f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})"
    return reason


def _summary(entry: Entry, report: Report, traced: Traced) -> str:
    count = len(report.findings)
    findings = "1 finding" if count == 1 else f"{count} findings"
    if traced.failed:
        return f"{entry.name}: {findings} (tracing {traced.status})"
    return f"{entry.name}: {findings}"
