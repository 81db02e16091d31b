"""The server's doorway into the analysis engine, in two steps: trace an entry point, then analyse the trace.

Owns the `Engine` protocol the scheduler drives, and its implementations:

- `TracingEngine`, the real one: a `.py` entry point is traced by a long-lived `TraceWorker` (TensorFlow
  imported once, one fork per trace; one worker per interpreter), then mapped and analysed by the facade's
  `check_trace` (what `check_file` does after its own trace); a saved graph file (`.pb`/`.pbtxt`) is
  analysed directly (no code runs). Facade modules are imported on first use, in a worker thread, so the
  server starts and answers before the engine is importable, and import costs stay off the event loop.
- `CheckerEngine`: wraps a one-step `Checker` callable (path, settings, root) -> Report (tests, stand-ins).

`TracingEngine` also owns the analysis memos (`nanscope.analysis.memo.AnalysisMemo`): one per entry point
(script path and function), kept across saves so that re-analysing a new trace reuses the abstract values
of every node whose upstream subgraph did not change; a memo is replaced by an empty one when the analysis
settings (`Settings.analysis_key`) change, and only the memos of the `MAX_MEMOS` entry points analysed
last are kept.

A `Traced` says which project files the result depends on: the entry point, the project files the trace
imported (`TraceResult.imported_files`), every file holding a frame of an op or of the error, and the
files its static import graph reaches (as `nanscope.analysis.tracing.entry_points` decides which entry
points a saved file concerns). The scheduler's cache (`nanscope.server.cache`) keys results by their
contents.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nanscope.analysis.report import Report
from nanscope.server.settings import Settings

if TYPE_CHECKING:
    from nanscope.analysis.memo import AnalysisMemo
    from nanscope.analysis.tracing.result import TraceResult
    from nanscope.analysis.tracing.worker import TraceWorker

Checker = Callable[[Path, Settings, "Path | None"], Report]
GRAPH_SUFFIXES = (".pb", ".pbtxt")
FAILED_STATUSES = ("failed", "timeout", "crashed")
logger = logging.getLogger(__name__)
MAX_MEMOS = 16        # entry points whose analysis memo is kept (the most recently analysed)


@dataclass(frozen=True)
class Traced:
    """The first step's result for one entry point."""
    entry: Path
    files: frozenset[Path]               # project files the result depends on (the entry point included)
    status: str = "completed"            # the trace status; "graph" for a saved graph file
    error: str | None = None             # why tracing failed (None when it did not)
    output: str = ""                     # the tail of what the traced program printed
    seconds: float = 0.0
    trace: TraceResult | None = field(default=None, repr=False, compare=False)
    function: str | None = None          # the entry point's function (`file.py:function`), if any

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


class Engine(Protocol):
    def start(self, settings: Settings) -> None:
        """Warm up for these settings (start the trace worker); must not block."""

    def trace(self, entry: Path, settings: Settings, root: Path | None, cancel: threading.Event,
              function: str | None = None) -> Traced:
        """Run the entry point (blocking): the script, or with `function` that function of the module.
        May raise `TraceCancelled` once `cancel` is set."""

    def analyse(self, traced: Traced, settings: Settings, root: Path | None) -> Report:
        """Analyse a trace (blocking)."""

    def stop(self, final: bool = True) -> None:
        """Stop every process the engine started; unless `final`, later traces may start new ones."""


class TracingEngine:
    """The real engine (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workers: dict[str | None, TraceWorker] = {}
        self._closed = False
        self.traces = 0                      # traces run so far
        # (entry path, function) -> (analysis settings key, memo), least recently analysed first
        self._memos: OrderedDict[tuple[Path, str | None], tuple[tuple, AnalysisMemo]] = OrderedDict()

    def memo_for(self, entry: Path, function: str | None, settings: Settings) -> AnalysisMemo:
        """The entry point's analysis memo: kept across saves, a new one when the analysis settings changed."""
        from nanscope.analysis.memo import AnalysisMemo

        key, analysis_key = (entry, function), settings.analysis_key()
        with self._lock:
            found = self._memos.pop(key, None)
            if found is None or found[0] != analysis_key:
                found = (analysis_key, AnalysisMemo())
            self._memos[key] = found
            while len(self._memos) > MAX_MEMOS:
                self._memos.popitem(last=False)
            return found[1]

    def _worker(self, settings: Settings) -> TraceWorker:
        from nanscope.analysis.tracing.worker import TraceWorker

        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
            worker = self._workers.get(settings.interpreter)
            if worker is None:
                for other in self._workers.values():   # one interpreter at a time: free the old zygote
                    other.close()
                self._workers.clear()
                worker = self._workers[settings.interpreter] = TraceWorker(settings.interpreter)
            return worker

    def start(self, settings: Settings) -> None:
        threading.Thread(target=self._start, args=(settings,), name="nanscope-warm-up", daemon=True).start()

    def _start(self, settings: Settings) -> None:
        from nanscope.analysis.tracing.worker import WorkerUnavailable

        try:
            self._worker(settings).start()
        except (RuntimeError, WorkerUnavailable):
            pass    # stopped meanwhile

    def trace(self, entry: Path, settings: Settings, root: Path | None, cancel: threading.Event,
              function: str | None = None) -> Traced:
        from nanscope.analysis.tracing.result import EntryPoint

        if entry.suffix in GRAPH_SUFFIXES:
            return Traced(entry, frozenset({entry}), status="graph")
        trace = self._worker(settings).trace(EntryPoint(entry, function), root, settings.trace_timeout, cancel)
        with self._lock:
            self.traces += 1
        files = dependencies(entry, root, trace) | static_imports(entry, root, function)
        error = trace.error if trace.status in FAILED_STATUSES or trace.graph is None else None
        return Traced(entry, files, trace.status, error, trace.output, trace.seconds, trace, function)

    def analyse(self, traced: Traced, settings: Settings, root: Path | None) -> Report:
        from nanscope.analysis.api import CheckOptions, check_graph_file, check_trace
        from nanscope.analysis.transformers.registry import AnalysisOptions

        limits = {} if settings.block_limit is None else {"block_limit": settings.block_limit}
        options = CheckOptions(
            ranges=dict(settings.ranges), project_root=(root or traced.entry.parent).resolve(),
            interpreter=settings.interpreter, trace_timeout=settings.trace_timeout,
            analysis=AnalysisOptions(tensor=settings.tensor, relations=settings.relations, split=settings.split,
                                     **limits),
            weight_range=settings.weight_range, eps=settings.eps,
        )
        memo = self.memo_for(traced.entry, traced.function, settings)
        if traced.status == "graph":
            report = check_graph_file(traced.entry, options, memo=memo)
        else:
            assert traced.trace is not None
            report = check_trace(traced.entry, traced.trace, options, memo=memo)
        if memo.last is not None:
            logger.debug("%s: %d nodes reused from the last analysis, %d evaluated", traced.entry.name,
                         memo.last.hits, len(memo.last.evaluated))
        return report

    def stop(self, final: bool = True) -> None:
        with self._lock:
            self._closed = self._closed or final
            workers = list(self._workers.values())
            self._workers.clear()
            if final:
                self._memos.clear()
        for worker in workers:
            worker.close()


class CheckerEngine:
    """A one-step engine: tracing is a no-op (the result depends on the entry file only), analysis calls
    the checker."""

    def __init__(self, check: Checker) -> None:
        self.check = check

    def start(self, settings: Settings) -> None:
        pass

    def trace(self, entry: Path, settings: Settings, root: Path | None, cancel: threading.Event,
              function: str | None = None) -> Traced:
        return Traced(entry, frozenset({entry}), status="graph" if entry.suffix in GRAPH_SUFFIXES else "completed")

    def analyse(self, traced: Traced, settings: Settings, root: Path | None) -> Report:
        return self.check(traced.entry, settings, root)

    def stop(self, final: bool = True) -> None:
        pass


def dependencies(entry: Path, root: Path | None, trace: TraceResult) -> frozenset[Path]:
    """The project files a trace's result depends on (see the module docstring)."""
    project = (root or entry.parent).resolve()
    names = [str(path) for path in trace.imported_files]
    for frames in trace.frames.values():
        names.extend(frame.filename for frame in frames)
    names.extend(frame.filename for frame in trace.error_frames)
    return frozenset({entry.resolve(), *_inside(names, project)})


def static_imports(entry: Path, root: Path | None, function: str | None = None) -> frozenset[Path]:
    """The project files `entry` imports according to the static import graph (what the tracer's
    `entry_points_for` follows too): imports the trace did not execute (a branch not taken) count."""
    from nanscope.analysis.tracing.nanscope_agentlib.imports import import_closure, script_roots

    project = (root or entry.parent).resolve()
    roots = script_roots(str(entry), str(project))
    if function is not None:      # a module function: imported from the project root
        roots = [str(project), *(r for r in roots if r != str(project))]
    return frozenset(Path(path) for path in import_closure(str(entry), roots, str(project)))


def _inside(names: Iterable[str], project: Path) -> set[Path]:
    found: set[Path] = set()
    for name in set(names):
        path = Path(name)
        if not path.is_absolute():
            path = project / path
        path = path.resolve()
        if (path == project or project in path.parents) and path.is_file():
            found.add(path)
    return found
