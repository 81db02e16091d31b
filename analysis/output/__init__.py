"""Output formats of `nanscope check`, one module each: `text`, `json`, `sarif`, `github`, plus the
`--statistics` summary (`statistics`) and the progress bar on stderr (`progress`).

Every format renders a `Run` (the reports of one invocation, in output order, with what was skipped)
with `write(format, run, out, err, ...)`. Standard output carries the format; notes, errors and the
progress bar go to standard error, except where a format carries them itself (json, sarif, github).
"""
from __future__ import annotations

from typing import TextIO

from nanscope.analysis.output import github, json, sarif, text
from nanscope.analysis.output.common import FixProvider, Run

FORMATS = ("text", "json", "sarif", "github")


def write(format: str, run: Run, out: TextIO, err: TextIO, *, show_safe: bool = False, statistics: bool = False,
          color: bool | None = None, fixes: FixProvider | None = None, verbose: bool = False) -> None:
    """Render `run` in `format` onto `out` (the document) and `err` (diagnostics for a person).

    `color` None means: decide from the environment and whether `out` is a terminal (text format only).
    `fixes` gives the quick fixes of a report (SARIF `fixes`); None leaves them out.
    """
    if format == "text":
        text.write(run, out, err, show_safe=show_safe, statistics=statistics, color=color, verbose=verbose)
    elif format == "json":
        json.write(run, out, err, statistics=statistics, verbose=verbose)
    elif format == "sarif":
        sarif.write(run, out, err, statistics=statistics, fixes=fixes)
    elif format == "github":
        github.write(run, out, err, statistics=statistics, verbose=verbose)
    else:
        raise ValueError(f"unknown output format {format!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "FixProvider", "Run", "write"]
