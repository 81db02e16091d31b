"""Conversion of nanscope reports into LSP diagnostics.

The only module that knows both our report types (`nanscope.analysis.report`) and lsprotocol types.
It owns the position conversion: a report `Span` has 1-based lines and 0-based columns counted in Unicode
code points; an LSP `Position` has 0-based lines and columns counted in the negotiated position encoding
(UTF-16 code units unless the client chose otherwise). Columns are converted by reading the text of the
line in the document, so a character outside the Basic Multilingual Plane (an emoji) before a call counts
as two UTF-16 units.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types

from nanscope.analysis.report import Finding, Report, Span

SOURCE = "nanscope"

_SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
}


def report_to_diagnostics(
    report: Report,
    document_path: Path,
    lines: Sequence[str],
    encoding: str = types.PositionEncodingKind.Utf16,
) -> list[types.Diagnostic]:
    """The diagnostics to publish on the document at `document_path` whose text is `lines`.

    Findings located in another file are left out (they belong to that file). Findings without a
    location (no frame of the op lies in the project) are shown at the start of the document, so that
    a possible NaN is never hidden.
    """
    diagnostics = []
    for finding in report.findings:
        if finding.location is None:
            rng = types.Range(types.Position(0, 0), types.Position(0, 0))
        elif _same_file(finding.location.path, document_path):
            rng = span_to_range(finding.location.span, lines, encoding)
        else:
            continue
        diagnostics.append(finding_to_diagnostic(finding, rng))
    return diagnostics


def finding_to_diagnostic(finding: Finding, rng: types.Range) -> types.Diagnostic:
    message = finding.message
    if finding.location is None:
        message = f"{message} (op {finding.op_name}: not created by code in this project)"
    data = {"op": finding.op_name, "opType": finding.op_type}
    if finding.gradient_of is not None:
        data["gradientOf"] = finding.gradient_of
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=_SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.code,
        source=SOURCE,
        data=data,
    )


def span_to_range(
    span: Span, lines: Sequence[str], encoding: str = types.PositionEncodingKind.Utf16
) -> types.Range:
    """LSP range of a report span; positions past the end of the text are clamped onto it."""
    return types.Range(
        start=_position(span.line, span.column, lines, encoding),
        end=_position(span.end_line, span.end_column, lines, encoding),
    )


def _position(line: int, column: int, lines: Sequence[str], encoding: str) -> types.Position:
    index = line - 1
    if not lines:
        return types.Position(0, 0)
    if index < 0:
        return types.Position(0, 0)
    if index >= len(lines):
        last = len(lines) - 1
        return types.Position(last, code_units(_strip_eol(lines[last]), encoding))
    text = _strip_eol(lines[index])
    return types.Position(index, code_units(text[: max(column, 0)], encoding))


def code_units(text: str, encoding: str = types.PositionEncodingKind.Utf16) -> int:
    """Length of `text` in the units of a position encoding (utf-16, utf-8 or utf-32)."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    # UTF-16 is the LSP default and the fallback for anything unknown.
    return len(text.encode("utf-16-le")) // 2


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def _same_file(a: Path, b: Path) -> bool:
    if Path(a) == Path(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
