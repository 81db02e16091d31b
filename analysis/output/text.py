"""`--format text` (the default): compiler-style lines grouped by checked file, each finding followed by
its source line and a caret under the call, then a summary line per file.

    examples/mnist_softmax.py:15:52: NS101 Log input may be <= 0: ... [op Log]
       |
    15 | cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), axis=1))
       |                                                    ^^^^^^^^^
    examples/mnist_softmax.py: 1 finding; 1 of 3 unsafe ops proven safe (90 ops, 1.60 s)

Colour (ANSI) is used when standard output is a terminal; NO_COLOR (non-empty) turns it off, FORCE_COLOR
(non-empty, not "0") turns it on, NO_COLOR winning; `--color always|never` overrides both.
Errors and notes go to standard error.
"""
from __future__ import annotations

import os
from typing import Mapping, TextIO

from nanscope.analysis.output.common import Run, display_path, finding_path, plural, source_line
from nanscope.analysis.report import Finding, Report, Span

RESET = "\x1b[0m"
STYLES = {"path": "\x1b[1m", "warning": "\x1b[1;33m", "error": "\x1b[1;31m", "gutter": "\x1b[34m",
          "dim": "\x1b[2m", "ok": "\x1b[32m", "note": "\x1b[36m"}


def use_color(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour `stream`: NO_COLOR off, else FORCE_COLOR on, else only on a terminal."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR")
    if force:
        return force.lower() not in ("0", "false", "no")
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) and environ.get("TERM") != "dumb"
    except ValueError:             # a closed stream
        return False


class _Painter:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        return f"{STYLES[style]}{text}{RESET}" if self.enabled and text else text


def caret_line(line_text: str, span: Span) -> str:
    """Blanks up to the span's start column (tabs kept, so the caret lines up) and `^` under the span (to
    the end of the line when it continues on later lines); at least one caret."""
    start = min(span.column, len(line_text))
    end = span.end_column if span.end_line == span.line else len(line_text)
    end = max(min(end, len(line_text)), start + 1)
    prefix = "".join("\t" if ch == "\t" else " " for ch in line_text[:start])
    return prefix + "^" * (end - start)


def snippet(finding: Finding, paint: _Painter) -> list[str]:
    """The source line of a finding with a caret under its span, or nothing when it cannot be read."""
    if finding.location is None:
        return []
    span = finding.location.span
    text = source_line(finding.location.path, span.line)
    if text is None:
        return []
    number = str(span.line)
    pad = " " * len(number)
    style = "error" if finding.severity == "error" else "warning"
    return [paint("gutter", f"{pad} |"),
            paint("gutter", f"{number} |") + f" {text}",
            paint("gutter", f"{pad} |") + " " + paint(style, caret_line(text, span))]


def finding_line(report: Report, finding: Finding, paint: _Painter) -> str:
    if finding.location:
        span = finding.location.span
        where = f"{display_path(finding.location.path)}:{span.line}:{span.column + 1}"
    else:
        where = display_path(finding_path(report, finding))
    style = "error" if finding.severity == "error" else "warning"
    return (f"{paint('path', where)}: {paint(style, finding.code)} {finding.message} "
            f"{paint('dim', f'[op {finding.op_name}]')}")


def summary_line(report: Report, paint: _Painter) -> str:
    count = len(report.findings)
    counted = plural(count, "finding")
    silenced = f" ({report.suppressed} suppressed)" if report.suppressed else ""
    return (f"{paint('path', display_path(report.source))}: {paint('warning' if count else 'ok', counted)}"
            f"{silenced}; "
            f"{len(report.proven_safe)} of {report.stats.unsafe_ops} unsafe ops proven safe "
            f"({report.stats.ops} ops, {report.stats.seconds:.2f} s)")


def write(run: Run, out: TextIO, err: TextIO, *, show_safe: bool = False, statistics: bool = False,
          color: bool | None = None, verbose: bool = False) -> None:
    paint = _Painter(use_color(out) if color is None else color)
    paint_err = _Painter(use_color(err) if color is None else color)
    for skipped in run.skipped:
        if skipped.explicit or verbose:
            print(f"{display_path(skipped.path)}: {paint_err('note', 'note')}: skipped: {skipped.reason}", file=err)
    searched = sum(1 for s in run.skipped if not s.explicit)
    if searched and not verbose:
        print(f"nanscope: {paint_err('note', 'note')}: skipped {plural(searched, 'file')} found by searching that "
              "built no graph (--verbose lists them)", file=err)
    for index, report in enumerate(run.reports):
        source = display_path(report.source)
        if index and len(run.reports) > 1:
            print(file=out)
        for position, error in enumerate(report.errors):
            where = source
            if position == 0 and report.failure is not None:   # the line where the traced script failed
                span = report.failure.span
                where = f"{display_path(report.failure.path)}:{span.line}:{span.column + 1}"
            print(f"{where}: {paint_err('error', 'error')}: {error}", file=err)
        for finding in report.findings:
            print(finding_line(report, finding, paint), file=out)
            for line in snippet(finding, paint):
                print(line, file=out)
        if show_safe:
            for safe in report.proven_safe:
                if safe.location:
                    span = safe.location.span
                    where = f"{display_path(safe.location.path)}:{span.line}:{span.column + 1}"
                else:
                    where = source
                print(f"{paint('path', where)}: {paint('ok', 'proven safe')}: {safe.op_type} "
                      f"{paint('dim', f'[op {safe.op_name}]')}", file=out)
        for note in report.notes:
            print(f"{source}: {paint_err('note', 'note')}: {note}", file=err)
        if report.stats.ops:
            print(summary_line(report, paint), file=out)
    if statistics:
        from nanscope.analysis.output.statistics import summarise, write_text

        if run.reports:
            print(file=out)
        write_text(summarise(run), out)
