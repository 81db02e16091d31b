"""The hover feature: what the analysis inferred for the ops a call created.

On a position inside a call that created ops (per the last reports of the entry points that cover the
file), the hover lists the innermost such call's ops with the range, shape and dtype of each output, and
for a checked op its verdict: why it is unsafe (the finding and the assumptions it rests on) or the input
range that proves it safe. Nothing is shown elsewhere, or before the file has been analysed.
"""
from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from nanscope.analysis.report import OpInfo, Report
from nanscope.server.app import NanscopeServer
from nanscope.server.convert import (
    codepoint_column,
    lsp_lines,
    ops_to_hover,
    same_path_key,
    span_contains,
    span_to_range,
)


def register(server: NanscopeServer) -> None:
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)


def hover(ls: NanscopeServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    fs_path = to_fs_path(uri) if uri.startswith("file:") else None
    if fs_path is None:
        return None
    document = ls.workspace.get_text_document(uri)
    try:   # a document neither open nor on disk has nothing to hover
        lines = lsp_lines(document.source)
    except OSError:
        return None
    if params.position.line >= len(lines):
        return None
    encoding = ls.workspace.position_encoding
    line = params.position.line + 1
    column = codepoint_column(lines[params.position.line], params.position.character, encoding)
    found = ops_at(_reports(ls), Path(fs_path), line, column)
    if not found:
        return None
    report, ops = found
    return ops_to_hover(ops, report.findings, report.proven_safe,
                        span_to_range(ops[0].location.span, lines, encoding))


def ops_at(reports: list[Report], path: Path, line: int, column: int) -> tuple[Report, list[OpInfo]] | None:
    """The ops of the innermost op-creating call at (line, column) of `path`, with the report they are from."""
    key = same_path_key(path)
    best: tuple[tuple[int, int], Report, OpInfo] | None = None
    for report in reports:
        for op in report.ops:
            span = op.location.span
            if not span_contains(span, line, column) or same_path_key(op.location.path) != key:
                continue
            size = (span.end_line - span.line, span.end_column - span.column if span.end_line == span.line
                    else span.end_column)
            if best is None or size < best[0]:
                best = (size, report, op)
    if best is None:
        return None
    _, report, chosen = best
    return report, [op for op in report.ops if op.location == chosen.location]


def _reports(ls: NanscopeServer) -> list[Report]:
    reports = [entry.report for entry in ls.scheduler.entries.values() if entry.report is not None]
    return reports
