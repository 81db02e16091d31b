"""The server's single doorway into the analysis engine.

Owns the call to the facade `nanscope.analysis.api.check_file` and the translation of server settings
into its `CheckOptions`. The facade is imported on first use, inside the worker thread, so that the server
starts (and answers) even before the engine is importable, and its import cost stays off the event loop.
`Checker` is the signature the server accepts, so tests can run the server with a stand-in engine.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nanscope.analysis.report import Report
from nanscope.server.settings import Settings

Checker = Callable[[Path, Settings, "Path | None"], Report]


def check_with_engine(path: Path, settings: Settings, project_root: Path | None) -> Report:
    """Run the real analysis on `path` (blocking: tracing a .py file takes seconds)."""
    from nanscope.analysis.api import CheckOptions, check_file

    options = CheckOptions(
        ranges=dict(settings.ranges),
        project_root=project_root,
        interpreter=settings.interpreter,
        trace_timeout=settings.trace_timeout,
    )
    return check_file(path, options)
