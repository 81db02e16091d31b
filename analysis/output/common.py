"""What every output format shares: the `Run` record, paths as shown to people, JSON-safe bounds and the
source lines that findings point at."""
from __future__ import annotations

import math
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

from nanscope.analysis.project import Skipped
from nanscope.analysis.report import Finding, Report

# A fix engine's answer for one report: objects shaped like `nanscope.analysis.fixes.model.Fix`
# (title, code, op_name, path, edits of (span, new_text), proven, preferred).
FixProvider = Callable[[Report], Sequence[Any]]


@dataclass
class Run:
    """One invocation of `nanscope check`: its reports in output order and what it passed over."""
    reports: list[Report]
    root: Path                                   # project root: SARIF URIs are relative to it
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0                         # wall-clock time of the whole run
    jobs: int = 1
    rules_url: str | None = None                 # base URL of the rule pages; None: docs/rules/ in the repo

    @property
    def findings(self) -> list[tuple[Report, Finding]]:
        return [(report, finding) for report in self.reports for finding in report.findings]


def display_path(path: Path) -> str:
    """Relative to the working directory when the file lies below it, else absolute."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def bound(value: float) -> float | str:
    """JSON has no infinity: unbounded sides are the strings "-inf" and "inf"."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def finding_path(report: Report, finding: Finding) -> Path:
    """The file a finding points into: its source location, else the checked file (a graph file)."""
    return finding.location.path if finding.location else report.source


@lru_cache(maxsize=256)
def _lines(path: Path, mtime_ns: int, size: int) -> tuple[str, ...] | None:
    # Keyed by modification time and size too, so a file edited between two runs in one process is re-read.
    try:
        with tokenize.open(path) as handle:        # honours a coding cookie and a BOM
            return tuple(handle.read().split("\n"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def source_line(path: Path, line: int) -> str | None:
    """Line `line` (1-based) of a source file, without its newline; None when it cannot be read."""
    path = Path(path).resolve()
    try:
        status = path.stat()
    except OSError:
        return None
    lines = _lines(path, status.st_mtime_ns, status.st_size)
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
