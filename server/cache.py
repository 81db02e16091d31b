"""Per-entry-point result cache, keyed by the contents of the files a result depends on.

Owns the answer to "must this entry point be traced again?": a trace is reused while every project file it
depends on (`Traced.files`: the entry point, the files it imported, the files that created its ops) has
the content it had when the trace started, and the settings it depends on (`Settings.trace_key`) are
unchanged. An analysis is reused for the same trace and the same `Settings.analysis_key`. Contents are
compared by SHA-256; a file's digest is recomputed only when its size or modification time changed, so
checking a cached entry point costs a few `stat` calls. A file modified while its trace ran is recorded
without a digest: the entry point will be traced again.

A new trace is analysed afresh as far as this cache is concerned, but not from scratch: the engine keeps an
analysis memo per entry point (`TracingEngine.memo_for`), so the nodes whose upstream subgraph the edit did
not touch keep their abstract values.

Thread-safe: the scheduler consults it from worker threads.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from nanscope.analysis.report import Report
from nanscope.server.engine import Traced


@dataclass
class _Cached:
    trace_key: tuple
    traced: Traced
    digests: dict[Path, str | None]
    analysis_key: tuple | None = None
    report: Report | None = None


class FileDigests:
    """SHA-256 of files, memoised by (size, mtime)."""

    def __init__(self) -> None:
        self._memo: dict[Path, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def digest(self, path: Path) -> str | None:
        """The file's digest, or None when it cannot be read."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        with self._lock:
            memo = self._memo.get(path)
        if memo is not None and memo[:2] == (stat.st_size, stat.st_mtime_ns):
            return memo[2]
        try:
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            return None
        with self._lock:
            self._memo[path] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def modified_since(self, path: Path, wall_ns: int) -> bool:
        try:
            return os.stat(path).st_mtime_ns > wall_ns
        except OSError:
            return True


class ResultCache:
    def __init__(self) -> None:
        self.digests = FileDigests()
        self._entries: dict[Hashable, _Cached] = {}   # entry point key -> its last results
        self._lock = threading.Lock()

    def trace_for(self, entry: Hashable, trace_key: tuple) -> Traced | None:
        """The cached trace of `entry` if it is still valid."""
        with self._lock:
            cached = self._entries.get(entry)
        if cached is None or cached.trace_key != trace_key:
            return None
        for path, digest in cached.digests.items():
            if digest is None or self.digests.digest(path) != digest:
                return None
        return cached.traced

    def store_trace(self, entry: Hashable, trace_key: tuple, traced: Traced, started_wall_ns: int) -> bool:
        """Remember a trace that started at `started_wall_ns` (time.time_ns()); False when one of its files
        changed while it ran (the trace is then kept, but will not be reused)."""
        digests: dict[Path, str | None] = {}
        for path in traced.files:
            changed = self.digests.modified_since(path, started_wall_ns)
            digests[path] = None if changed else self.digests.digest(path)
        with self._lock:
            self._entries[entry] = _Cached(trace_key, traced, digests)
        return all(digest is not None for digest in digests.values())

    def report_for(self, entry: Hashable, traced: Traced, analysis_key: tuple) -> Report | None:
        with self._lock:
            cached = self._entries.get(entry)
        if cached is None or cached.traced is not traced or cached.analysis_key != analysis_key:
            return None
        return cached.report

    def store_report(self, entry: Hashable, traced: Traced, analysis_key: tuple, report: Report) -> None:
        with self._lock:
            cached = self._entries.get(entry)
            if cached is not None and cached.traced is traced:
                cached.analysis_key, cached.report = analysis_key, report

    def files_of(self, entry: Hashable) -> frozenset[Path] | None:
        """The files `entry`'s last trace depended on (None: never traced)."""
        with self._lock:
            cached = self._entries.get(entry)
        return None if cached is None else cached.traced.files

    def forget(self, entry: Hashable | None = None) -> None:
        """Drop one entry point's results, or all of them."""
        with self._lock:
            if entry is None:
                self._entries.clear()
            else:
                self._entries.pop(entry, None)
