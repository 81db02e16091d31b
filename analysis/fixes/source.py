"""The user's source as fixes see it: its text, its astroid tree, and spans of expressions in it.

Owns the conversion of astroid positions (UTF-8 byte columns, via `sourcemap.codepoint_column`) to our
code point spans, the text of an expression exactly as written (multi-line, with its comments), where
an expression needs parentheses, and the lines a trailing comment can be appended to. The text is the
one the analysis ran on: the file on disk, or an editor's buffer of the same version.
"""
from __future__ import annotations

import io
import os
import re
import tokenize
from pathlib import Path

from astroid import nodes
from astroid.builder import AstroidBuilder
from astroid.exceptions import AstroidBuildingError
from astroid.manager import AstroidManager

from nanscope.analysis.report import Span
from nanscope.analysis.sourcemap import codepoint_column

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EXPRESSIONS = (nodes.Call, nodes.BinOp, nodes.UnaryOp, nodes.AugAssign)

# Expressions that bind less tightly than `+`: as the left operand of `x + eps` they need parentheses.
_LOOSER_THAN_ADD = (nodes.BoolOp, nodes.Compare, nodes.IfExp, nodes.Lambda, nodes.NamedExpr, nodes.Yield,
                    nodes.YieldFrom)
_LOOSE_BINARY_OPERATORS = frozenset({"<<", ">>", "&", "^", "|"})


class SourceFile:
    """One Python file: text split in lines (without line breaks) and, if it parses, its astroid module."""

    def __init__(self, path: Path, text: str):
        self.path = Path(path)
        self.text = text
        self.lines = _LINE_BREAK.split(text)
        self.module = _parse(text, self.path)

    @classmethod
    def read(cls, path: Path) -> SourceFile | None:
        try:
            with tokenize.open(path) as handle:     # honours a coding cookie and a BOM, like the mapper
                return cls(path, handle.read())
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""

    # -- spans ---------------------------------------------------------------------------------------
    def span(self, node: nodes.NodeNG) -> Span:
        end_line = node.end_lineno or node.lineno
        end_offset = node.end_col_offset if node.end_col_offset is not None else len(self.line(end_line))
        return Span(node.lineno, codepoint_column(self.line(node.lineno), node.col_offset),
                    end_line, codepoint_column(self.line(end_line), end_offset))

    def text_in(self, span: Span) -> str:
        if span.line == span.end_line:
            return self.line(span.line)[span.column:span.end_column]
        middle = self.lines[span.line:span.end_line - 1]
        return "\n".join([self.line(span.line)[span.column:], *middle,
                          self.line(span.end_line)[:span.end_column]])

    def segment(self, node: nodes.NodeNG) -> str:
        """The expression's text exactly as written (without parentheses around it)."""
        return self.text_in(self.span(node))

    def between(self, start: nodes.NodeNG, end: nodes.NodeNG) -> str:
        """The text from the end of `start` to the end of `end` (e.g. a call's argument list)."""
        a, b = self.span(start), self.span(end)
        return self.text_in(Span(a.end_line, a.end_column, b.end_line, b.end_column))

    def expressions_at(self, span: Span) -> list[nodes.NodeNG]:
        """The call and operator expressions whose span is exactly `span` (the source mapper's spans)."""
        if self.module is None:
            return []
        return [node for node in self.module.nodes_of_class(_EXPRESSIONS)
                if node.lineno == span.line and node.col_offset is not None and self.span(node) == span]

    def is_parenthesized(self, node: nodes.NodeNG) -> bool:
        """Whether parentheses enclose exactly `node` (`a / (b)`), not a call's argument list around it."""
        span = self.span(node)
        before = self._char_before(span.line, span.column)
        after = self._char_after(span.end_line, span.end_column)
        if before is None or after is None:
            return False
        if self.line(before[0])[before[1] - 1] != "(" or self.line(after[0])[after[1]] != ")":
            return False
        # In `f(x)` the parenthesis belongs to the call: a name or a closing bracket precedes it.
        previous = self._char_before(before[0], before[1] - 1)
        if previous is None:
            return True
        character = self.line(previous[0])[previous[1] - 1]
        return not (character.isalnum() or character in "_)]}'\"")

    def _char_before(self, line: int, column: int) -> tuple[int, int] | None:
        """(line, column just after) the last non-blank character before the position, or None."""
        while line >= 1:
            text = self.line(line)[:column]
            stripped = text.rstrip()
            if stripped:
                return line, len(stripped)
            line -= 1
            column = len(self.line(line))
        return None

    def _char_after(self, line: int, column: int) -> tuple[int, int] | None:
        """(line, column) of the first non-blank character at or after the position, or None."""
        while line <= len(self.lines):
            text = self.line(line)
            rest = text[column:]
            if rest.strip():
                return line, column + (len(rest) - len(rest.lstrip()))
            line += 1
            column = 0
        return None

    # -- comments ------------------------------------------------------------------------------------
    def comment_lines(self) -> dict[int, tuple[int, str]]:
        """Line -> (code point column, text) of the comment on that line."""
        return {line: (column, text) for line, column, text in self._tokens()[0]}

    def line_ends(self) -> set[int]:
        """Lines whose end is the end of a logical or physical line (not inside a string, not continued by a
        backslash): a `# comment` can be appended there."""
        return self._tokens()[1]

    def _tokens(self) -> tuple[list[tuple[int, int, str]], set[int]]:
        comments: list[tuple[int, int, str]] = []
        ends: set[int] = set()
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if token.type == tokenize.COMMENT:
                    comments.append((token.start[0], token.start[1], token.string))
                elif token.type in (tokenize.NEWLINE, tokenize.NL):
                    ends.add(token.start[0])
        except (tokenize.TokenError, SyntaxError):
            pass
        return comments, ends


def needs_parentheses_for_add(node: nodes.NodeNG) -> bool:
    """Whether `node` must be parenthesized as the left operand of `+` (`(a if c else b) + eps`)."""
    if isinstance(node, _LOOSER_THAN_ADD):
        return True
    if isinstance(node, nodes.UnaryOp) and node.op == "not":
        return True
    return isinstance(node, nodes.BinOp) and node.op in _LOOSE_BINARY_OPERATORS


def _parse(text: str, path: Path) -> nodes.Module | None:
    try:
        return AstroidBuilder(AstroidManager(), apply_transforms=False).string_build(text, "", os.fspath(path))
    except (AstroidBuildingError, RecursionError):
        return None
