"""Applying fixes to text: edits to a file's text, the fixes to apply together, diffs, ignore comments.

Owns `apply_edits` (positions are the report's: 1-based lines, code point columns; the file keeps its
line breaks, and text an edit copies across lines gets the file's line break), `select_fixes` (the
preferred proven fix of every finding, skipping any that overlaps one already chosen: one edit per piece
of text), `unified_diff`, and `ignore_edit`, the edit that silences one finding with a
`# nanscope: ignore[CODE]` comment that `checks.is_suppressed` honours.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from nanscope.analysis.checks import IGNORE_DIRECTIVE, ignored_codes
from nanscope.analysis.fixes.model import Fix, TextEdit
from nanscope.analysis.fixes.source import SourceFile
from nanscope.analysis.report import Finding, Span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class EditConflict(ValueError):
    """Two edits overlap, or an edit points outside the text."""


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    starts, lengths = _line_table(text)
    newline = _newline_of(text)

    def offset(line: int, column: int) -> int:
        if not 1 <= line <= len(starts) or not 0 <= column <= lengths[line - 1]:
            raise EditConflict(f"position {line}:{column} is outside the text")
        return starts[line - 1] + column

    placed = sorted(((offset(e.span.line, e.span.column), offset(e.span.end_line, e.span.end_column), e.new_text)
                     for e in edits), reverse=True)
    result = text
    limit = len(text) + 1
    for start, end, new_text in placed:
        if end > limit or start > end:
            raise EditConflict("overlapping edits")
        result = result[:start] + new_text.replace("\n", newline) + result[end:]
        limit = start
    return result


def select_fixes(fixes_by_finding: Mapping[Finding, Sequence[Fix]], path: Path | None = None) -> list[Fix]:
    """The preferred (hence proven) fix of every finding (of the file `path`, if given) that can be applied
    together, in file order; a fix overlapping one chosen before is left for a later run."""
    preferred = [fix for fixes in fixes_by_finding.values() for fix in fixes if fix.preferred and fix.proven]
    if path is not None:
        preferred = [fix for fix in preferred if Path(fix.path).resolve() == Path(path).resolve()]
    preferred.sort(key=lambda fix: (str(fix.path), min(_start(e.span) for e in fix.edits)))
    chosen: list[Fix] = []
    taken: dict[Path, list[Span]] = {}
    for fix in preferred:
        spans = taken.setdefault(Path(fix.path), [])
        if any(_overlap(edit.span, other) for edit in fix.edits for other in spans):
            continue
        spans.extend(edit.span for edit in fix.edits)
        chosen.append(fix)
    return chosen


def unified_diff(label: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=f"a/{label}", tofile=f"b/{label}")
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def ignore_edit(source: SourceFile, finding: Finding) -> TextEdit | None:
    """The edit that silences `finding`: `  # nanscope: ignore[CODE]` appended to the last line of its
    expression that can take a comment (not inside a string, not continued by a backslash), or the code
    added to a `nanscope: ignore[...]` list already there. None when there is no such line, or the line
    already silences the code."""
    if finding.location is None:
        return None
    span = finding.location.span
    ends = source.line_ends()
    lines = [line for line in range(span.end_line, span.line - 1, -1) if line in ends]
    if not lines:
        return None
    line = lines[0]
    text = source.line(line)
    comment = source.comment_lines().get(line)
    if comment is not None:
        column, comment_text = comment
        codes = ignored_codes(comment_text)
        if "*" in codes or finding.code.upper() in codes:
            return None
        match = IGNORE_DIRECTIVE.search(comment_text)
        if match is not None and match.group("codes") is not None:
            close = column + match.end() - 1      # the `]` of the list
            return TextEdit(Span(line, close, line, close), f", {finding.code}")
    end = len(text.rstrip())
    return TextEdit(Span(line, end, line, len(text)), f"  # nanscope: ignore[{finding.code}]")


def _line_table(text: str) -> tuple[list[int], list[int]]:
    """Start offset and length (without the line break) of every line."""
    starts, lengths = [], []
    position = 0
    for match in _LINE_BREAK.finditer(text):
        starts.append(position)
        lengths.append(match.start() - position)
        position = match.end()
    starts.append(position)
    lengths.append(len(text) - position)
    return starts, lengths


def _newline_of(text: str) -> str:
    match = _LINE_BREAK.search(text)
    return match.group(0) if match else "\n"


def _start(span: Span) -> tuple[int, int]:
    return span.line, span.column


def _overlap(a: Span, b: Span) -> bool:
    a_start, a_end = (a.line, a.column), (a.end_line, a.end_column)
    b_start, b_end = (b.line, b.column), (b.end_line, b.end_column)
    if a_start == a_end or b_start == b_end:   # an insertion conflicts with anything at or around its point
        return a_start <= b_end and b_start <= a_end
    return a_start < b_end and b_start < a_end
